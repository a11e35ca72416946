//! report (see design.md).
