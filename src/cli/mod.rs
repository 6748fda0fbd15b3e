//! The commands that look after the data dir as a whole: `backup`, `restore` and `check`.

pub mod backup;
pub mod check;
pub mod restore;

/// What a command failed with, for `main` to print.
pub type CliResult = Result<(), Box<dyn std::error::Error>>;
