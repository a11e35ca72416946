//! The manifest parser on arbitrary text (seed the corpus with examples/spark-promote.yaml and use
//! dict/yaml.dict so mutations reach past the first line).
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    spark_promote_fuzz::check_manifest(&String::from_utf8_lossy(data));
});
