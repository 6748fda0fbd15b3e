//! Integration tests: the real server on an ephemeral port, a temp data dir, HTTP only.

mod common;
mod core_loop;
