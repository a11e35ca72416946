//! Alias bombs and deep nesting: each parse returns within a second of CPU, and a fresh process that parses all of
//! them stays under a memory bound (its peak resident set, VmHWM, read from /proc/self/status).
use std::path::Path;
use std::time::{Duration, Instant};

use spark_promote::manifest::{self, HostPolicy};
use spark_promote::sandbox::{check_export_request, check_import_request};
use spark_promote::spark::{JobStatus, TenantJobs};

/// Set in the child process that does the parsing.
const CHILD: &str = "SPARK_PROMOTE_HOSTILE_BOUNDS_CHILD";
const MARKER: &str = "hostile-bounds-peak-kb=";
const TIME_BOUND: Duration = Duration::from_secs(1);
/// Most the peak resident memory may grow while parsing every input (beyond what their texts take). The
/// bombs take about 10 MiB; the wide list of 200,000 messages, decoded for real, about 26 MiB.
const PARSING_BOUND_KB: u64 = 48 * 1024;

/// Classic billion laughs: ten levels, each a list of ten aliases of the one below.
fn laughs(indent: &str) -> String {
    let mut text = format!("{indent}l0: &l0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]\n");
    for level in 1..=9 {
        let below = vec![format!("*l{}", level - 1); 10].join(", ");
        text.push_str(&format!("{indent}l{level}: &l{level} [{below}]\n"));
    }
    text
}

fn manifest_bombs() -> Vec<(&'static str, String)> {
    let depth = 200_000;
    vec![
        ("billion laughs at the top level", format!("version: 1\n{}", laughs(""))),
        (
            "billion laughs in a typed list",
            format!(
                "version: 1\nenvironments: {{}}\npromotions:\n  - name: p\n    to: a\n    from:\n      environment: a\n      services: *l9\nx:\n{}",
                laughs("  ")
            ),
        ),
        (
            "billion laughs through merge keys",
            (1..=9).fold(
                "version: 1\nenvironments: {}\npromotions:\n  - &p0 {name: a, to: a, from: {package: p}}\n".to_owned(),
                |text, level| {
                    let below = vec![format!("*p{}", level - 1); 10].join(", ");
                    format!("{text}  - &p{level} {{<<: [{below}], name: p{level}}}\n")
                },
            ),
        ),
        ("deep flow nesting", format!("version: 1\nenvironments: {}{}\n", "[".repeat(depth), "]".repeat(depth))),
        ("unclosed flow nesting", format!("version: 1\npromotions: {}", "{a: ".repeat(depth))),
        (
            "deep block nesting",
            (0..2_000).map(|i| format!("{}k{i}:\n", " ".repeat(i))).collect(),
        ),
        ("a megabyte of anchors", "- &a x\n".repeat(140_000)),
    ]
}

fn json_bombs() -> Vec<(&'static str, String)> {
    let depth = 500_000;
    vec![
        ("deep arrays", "[".repeat(depth) + &"]".repeat(depth)),
        (
            "deep objects",
            "{\"errors\":".repeat(depth) + "1" + &"}".repeat(depth),
        ),
        ("unclosed arrays", "[".repeat(depth)),
        (
            "deep errors in a status",
            format!(
                "{{\"status\":\"failed\",\"errors\":{}1{}}}",
                "[".repeat(depth),
                "]".repeat(depth)
            ),
        ),
        (
            "deep services_modify",
            format!(
                "{{\"inputs\":{{\"services_modify\":{}{}}}}}",
                "[".repeat(depth),
                "]".repeat(depth)
            ),
        ),
        (
            "a wide list of messages",
            format!(
                "{{\"status\":\"failed\",\"errors\":[{}\"x\"]}}",
                "\"x\",".repeat(200_000)
            ),
        ),
    ]
}

/// CPU time this thread has used (user and system), from /proc/thread-self/stat in clock ticks of 10 ms.
/// CPU time, unlike wall time, does not grow when other tests share the machine.
fn thread_cpu() -> Duration {
    let stat = std::fs::read_to_string("/proc/thread-self/stat").unwrap();
    let after_name = &stat[stat.rfind(')').unwrap() + 1..];
    let fields: Vec<u64> = after_name
        .split_whitespace()
        .skip(11)
        .take(2)
        .map(|f| f.parse().unwrap())
        .collect();
    Duration::from_millis((fields[0] + fields[1]) * 10)
}

/// Runs one parse within the time bound (CPU time); reports its times and the peak memory so far.
#[allow(clippy::print_stdout)]
fn timed(what: &str, parse: impl FnOnce() -> bool) -> bool {
    let (started, cpu) = (Instant::now(), thread_cpu());
    let accepted = parse();
    let (took, cpu) = (started.elapsed(), thread_cpu() - cpu);
    println!("{what}: {took:?} ({cpu:?} CPU), peak {} kB", peak_kb());
    assert!(cpu < TIME_BOUND, "{what}: took {cpu:?} of CPU");
    accepted
}

fn peak_kb() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let line = status.lines().find(|l| l.starts_with("VmHWM:")).unwrap();
    line.split_whitespace().nth(1).unwrap().parse().unwrap()
}

/// The child's work: every bomb refused within the time bound; reports the peak memory once the inputs
/// are built and once they are parsed.
#[allow(clippy::print_stdout)]
fn parse_every_bomb() {
    let env = |_: &str| Some("value".to_owned());
    let (manifests, json) = (manifest_bombs(), json_bombs());
    let inputs = peak_kb();
    for (what, text) in &manifests {
        let accepted = timed(what, || {
            manifest::parse(text, "m.yaml", Path::new("."), &env, &HostPolicy::default()).is_ok()
        });
        assert!(!accepted, "{what} was accepted");
    }
    for (what, text) in &json {
        timed(what, || serde_json::from_str::<JobStatus>(text).is_ok());
        timed(what, || serde_json::from_str::<TenantJobs>(text).is_ok());
        let entity = timed(what, || check_import_request(text).is_ok());
        let export = timed(what, || check_export_request(text).is_ok());
        assert!(!entity && !export, "{what} was accepted as a request");
    }
    println!("{MARKER}{inputs} {}", peak_kb());
}

#[cfg(target_os = "linux")]
#[test]
#[allow(clippy::print_stderr)]
fn alias_bombs_and_deep_nesting_are_refused_within_a_second_each_and_bounded_memory() {
    if std::env::var_os(CHILD).is_some() {
        parse_every_bomb();
        return;
    }
    let output = std::process::Command::new(std::env::current_exe().unwrap())
        .args([
            "hostile::bounds::alias_bombs_and_deep_nesting_are_refused_within_a_second_each_and_bounded_memory",
            "--exact",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(CHILD, "1")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    eprintln!("{stdout}");
    let figures: Vec<u64> = stdout
        .split(MARKER)
        .nth(1)
        .expect("the child reports its peak memory")
        .split_whitespace()
        .take(2)
        .map(|n| n.parse().unwrap())
        .collect();
    let (inputs, peak) = (figures[0], figures[1]);
    eprintln!(
        "peak resident memory: {inputs} kB with the inputs built, {peak} kB after parsing them all"
    );
    assert!(
        peak - inputs < PARSING_BOUND_KB,
        "parsing took {} kB",
        peak - inputs
    );
}
