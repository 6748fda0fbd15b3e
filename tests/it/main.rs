//! Integration tests: the real server on an ephemeral port, a temp data dir, HTTP only.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a failed test should panic loudly

mod acd;
mod auth;
mod browser;
mod common;
mod core_loop;
mod crash;
mod tabs;
mod webhooks;
