//! manifest (see design.md).
