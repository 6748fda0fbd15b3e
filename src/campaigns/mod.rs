//! Predictive campaigns: their lead lists (import, checked rows, batches), and the rule that
//! decides for each lead whether to send now, wait, or skip (`plan`), which the scheduler
//! task follows.

pub mod eta;
pub mod import;
pub mod leads;
pub mod plan;
pub mod scheduler;
