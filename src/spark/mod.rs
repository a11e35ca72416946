//! spark (see design.md).
