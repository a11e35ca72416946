//! The demo: an in-process sandbox and the example manifest end to end.
