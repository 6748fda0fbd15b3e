//! Predictive campaigns: their lead lists (import), and later the scheduler that messages
//! them.

pub mod import;
pub mod leads;
