//! The sandbox's request parsers on arbitrary text: the `importRequestEntity` of an import and the body of
//! an export. An error must name the field it is about.
#![no_main]
use libfuzzer_sys::fuzz_target;
use spark_promote::sandbox::{check_export_request, check_import_request};

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    if let Err(message) = check_import_request(&text) {
        assert!(message.starts_with("importRequestEntity"), "{message}");
    }
    if let Err(message) = check_export_request(&text) {
        assert!(message.starts_with("body"), "{message}");
    }
});
