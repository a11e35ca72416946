//! Integration tests: promote.
