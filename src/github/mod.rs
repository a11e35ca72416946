//! github (see design.md).
