//! The manifest parser on YAML of the manifest's shape: environments and promotions whose every value is
//! drawn from a pool of valid and hostile values, then edited line by line (dropped, repeated, shifted,
//! overwritten with YAML syntax, cut short).
#![no_main]
use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;

const NAMES: &[&str] = &[
    "uat", "prod", "dev", "", "../x", "a b", "UAT", "x\u{0}", "*a", "&a uat",
];
const URLS: &[&str] = &[
    "https://excel.uat.us.coherent.global/acme-uat",
    "http://localhost:8080/t",
    "https://evil.example.com/t",
    "ftp://excel.coherent.global/t",
    "https://excel.coherent.global",
    "http://[::1]:1/t",
    "",
    "https://user:pw@excel.coherent.global/t",
];
const AUTHS: &[&str] = &[
    "bearer: ${SPARK_TOKEN}",
    "api_key: ${SPARK_KEY}",
    "oauth2: { client_id: \"${ID}\", client_secret: \"${SECRET}\" }",
    "oauth2:\n        client_id: literal\n        client_secret: ${SECRET}\n        token_url: https://evil.example.com/t",
    "bearer: literal-token",
    "{}",
    "bearer: ${}",
];
const SOURCES: &[&str] = &[
    "environment: uat\n      services: [pricing/quote]",
    "environment: prod\n      folders: [pricing]",
    "environment: uat\n      version_ids: [6c73f2e4-b354-4695-a991-c52817a5f25f]",
    "package: p.zip",
    "package: /etc/passwd",
    "package: ../../p.zip",
    "environment: nowhere",
    "{}",
];
const VALUES: &[&str] = &[
    "abort",
    "replace",
    "add_version",
    "major",
    "minor",
    "patch",
    "copy",
    "latest",
    "all",
    "",
    "~",
    "[]",
    "{}",
    "*a",
    "&a x",
    "!!binary AAAA",
    "'quoted'",
    "\"${X}\"",
    "1e999",
    "-1",
    "<<: *a",
];
const SYNTAX: &[&str] = &[
    "&a", "*a", "<<: *a", "- ", ": ", "[", "]", "{", "}", "? ", "|", ">", "---", "...", "#", "\t",
    "%TAG ! x", "!!str", "\"", "'", ",",
];

#[derive(Arbitrary, Debug)]
struct Input {
    environments: Vec<(u8, u8, u8)>,
    promotions: Vec<Promotion>,
    edits: Vec<Edit>,
}

#[derive(Arbitrary, Debug)]
struct Promotion {
    name: u8,
    source: u8,
    to: u8,
    existing: u8,
    numbering: u8,
    services: Vec<(u8, u8, u8)>,
}

#[derive(Arbitrary, Debug)]
enum Edit {
    Drop(u8),
    Repeat(u8),
    Shift(u8, u8),
    Syntax(u8, u8, u8),
    Cut(u16),
}

fn pick(pool: &[&'static str], index: u8) -> &'static str {
    pool[usize::from(index) % pool.len()]
}

fn render(input: &Input) -> String {
    let mut text = String::from("version: 1\nenvironments:\n");
    for &(name, url, auth) in input.environments.iter().take(4) {
        let (name, url, auth) = (pick(NAMES, name), pick(URLS, url), pick(AUTHS, auth));
        text += &format!("  {name}:\n    url: {url}\n    auth:\n      {auth}\n");
    }
    text += "promotions:\n";
    for p in input.promotions.iter().take(4) {
        text += &format!(
            "  - name: {}\n    from:\n      {}\n    to: {}\n    services_existing: {}\n    update_version_type: {}\n",
            pick(NAMES, p.name),
            pick(SOURCES, p.source),
            pick(NAMES, p.to),
            pick(VALUES, p.existing),
            pick(VALUES, p.numbering),
        );
        if !p.services.is_empty() {
            text += "    services:\n";
        }
        for &(source, destination, numbering) in p.services.iter().take(4) {
            text += &format!(
                "      - {{ source: pricing/{}, destination: {}/quote, update_version_type: {} }}\n",
                pick(NAMES, source),
                pick(NAMES, destination),
                pick(VALUES, numbering),
            );
        }
    }
    text
}

fn edit(text: String, edits: &[Edit]) -> String {
    let mut lines: Vec<String> = text.lines().map(str::to_owned).collect();
    for edit in edits.iter().take(8) {
        let count = lines.len();
        if count == 0 {
            break;
        }
        let line = |i: u8| usize::from(i) % count;
        match *edit {
            Edit::Drop(i) => {
                lines.remove(line(i));
            }
            Edit::Repeat(i) => lines.insert(line(i), lines[line(i)].clone()),
            Edit::Shift(i, by) => lines[line(i)].insert_str(0, &" ".repeat(usize::from(by % 8))),
            Edit::Syntax(i, at, token) => {
                let target = &mut lines[line(i)];
                let mut at = usize::from(at) % (target.len() + 1);
                while !target.is_char_boundary(at) {
                    at -= 1;
                }
                target.insert_str(at, pick(SYNTAX, token));
            }
            Edit::Cut(at) => {
                let mut joined = lines.join("\n");
                let mut at = usize::from(at) % (joined.len() + 1);
                while !joined.is_char_boundary(at) {
                    at -= 1;
                }
                joined.truncate(at);
                lines = joined.lines().map(str::to_owned).collect();
            }
        }
    }
    lines.join("\n") + "\n"
}

fuzz_target!(|input: Input| {
    spark_promote_fuzz::check_manifest(&edit(render(&input), &input.edits));
});
