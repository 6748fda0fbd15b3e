//! The command line's commands beside `serve`: the data dir as a whole (`backup`, `restore`,
//! `check`) and accounts (`user`, `token`).

pub mod accounts;
pub mod backup;
pub mod check;
pub mod restore;

/// What a command failed with, for `main` to print.
pub type CliResult = Result<(), Box<dyn std::error::Error>>;
