//! The export index has one name everywhere: `export -o NAME.zip` writes `NAME.zip.json`, and a plan of a
//! committed package without it says which file it looked for.
use std::time::Duration;

use crate::support::cli::World;

#[tokio::test(flavor = "multi_thread")]
async fn export_writes_name_zip_json_and_a_plan_without_it_names_that_file() {
    let world = World::start(Duration::from_millis(300)).await;
    std::fs::create_dir(world.path("packages")).unwrap();
    world.manifest("promotions: []\n");
    let output = world
        .cli(&[
            "export",
            "--env",
            "uat",
            "--service",
            "pricing/quote",
            "-o",
            "packages/quote.zip",
        ])
        .await;
    assert_eq!(output.code, 0, "{output:?}");
    assert_eq!(output.json()["index"], "packages/quote.zip.json");
    std::fs::remove_file(world.path("packages/quote.zip.json")).unwrap();

    world.manifest(
        "promotions:\n  - name: quote\n    from: { package: packages/quote.zip }\n    to: prod\n    \
         services_existing: add_version\n    update_version_type: major\n",
    );
    let plan = world.cli(&["plan", "--json"]).await;
    assert_eq!(plan.code, 0, "{plan:?}");
    let warnings = plan.json()["promotions"][0]["warnings"].clone();
    insta::assert_json_snapshot!("plan_of_a_package_without_its_index", warnings);
}
