//! The client's decoding of job status and tenant job listings on arbitrary bytes, as it reads them from
//! Spark: never a panic, and an error carries its position.
#![no_main]
use libfuzzer_sys::fuzz_target;
use spark_promote::spark::{JobStatus, TenantJobs};

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    if let Err(error) = serde_json::from_str::<JobStatus>(&text) {
        assert!(error.line() >= 1, "{error}");
    }
    if let Err(error) = serde_json::from_str::<TenantJobs>(&text) {
        assert!(error.line() >= 1, "{error}");
    }
});
