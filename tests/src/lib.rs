//! End-to-end tests across the engine crates live in `tests/` beside this file; this library
//! is empty. The real window's end-to-end test is in `src-tauri/tests/`, where Cargo builds
//! the app binary for it.
