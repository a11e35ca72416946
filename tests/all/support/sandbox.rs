//! Starts a sandbox on 127.0.0.1:0 for a test (filled in with the sandbox).
