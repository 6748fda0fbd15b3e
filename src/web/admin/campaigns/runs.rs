//! A predictive campaign's run as the campaign list and edit page show it: its state and
//! progress in one line ("Running · 4 of 12 messaged") and the buttons its state allows
//! there (start, pause, resume; cancelling is final and stays on the run page). Read from
//! the counters kept with every change, never by scanning leads.

use std::collections::HashMap;

use redb::ReadTransaction;

use crate::domain::{
    Campaign, CampaignId, CampaignKind, CampaignRun, RunAction, RunState, RunStats,
};
use crate::store::{self, StoreError};

/// One button of a campaign's row.
pub struct RowAction {
    /// The run form's `action` value.
    pub value: &'static str,
    pub label: &'static str,
}

pub struct RunSummary {
    /// `ready`, `running`, `paused`, `cancelled` or `finished`.
    pub state: &'static str,
    /// The state and progress in words.
    pub progress: String,
    pub actions: Vec<RowAction>,
}

impl RunSummary {
    pub fn of(run: &CampaignRun, stats: &RunStats, leads: u64) -> RunSummary {
        RunSummary {
            state: run.state.key(),
            progress: progress(run.state, stats, leads),
            actions: run
                .state
                .actions()
                .iter()
                .filter(|a| **a != RunAction::Cancel)
                .map(|a| RowAction {
                    value: a.as_str(),
                    label: a.label(),
                })
                .collect(),
        }
    }
}

/// `Running · 4 of 12 messaged, 3 skipped`, `Not started · 12 leads`.
pub fn progress(state: RunState, stats: &RunStats, leads: u64) -> String {
    let label = state.label();
    let skipped = stats.skipped_total();
    if leads == 0 {
        return format!("{label} · no leads yet");
    }
    if state == RunState::Ready && stats.messaged == 0 && skipped == 0 {
        let noun = if leads == 1 { "lead" } else { "leads" };
        return format!("{label} · {leads} {noun}");
    }
    let mut out = format!("{label} · {} of {leads} messaged", stats.messaged);
    if skipped > 0 {
        out.push_str(&format!(", {skipped} skipped"));
    }
    out
}

/// The summaries of the predictive campaigns among `campaigns`.
pub fn read(
    txn: &ReadTransaction,
    campaigns: &[Campaign],
) -> Result<HashMap<CampaignId, RunSummary>, StoreError> {
    let mut out = HashMap::new();
    for c in campaigns
        .iter()
        .filter(|c| c.kind == CampaignKind::Predictive)
    {
        let run = store::campaign_run(txn, c.id)?;
        let stats = store::campaign_stats(txn, c.id)?;
        let leads = store::count_leads(txn, c.id)?;
        out.insert(c.id, RunSummary::of(&run, &stats, leads));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn progress_counts_messaged_and_skipped_leads_of_all() {
        let mut s = RunStats::default();
        assert_eq!(
            progress(RunState::Ready, &s, 0),
            "Not started · no leads yet"
        );
        assert_eq!(progress(RunState::Ready, &s, 1), "Not started · 1 lead");
        assert_eq!(progress(RunState::Ready, &s, 12), "Not started · 12 leads");
        s.messaged = 4;
        assert_eq!(
            progress(RunState::Running, &s, 12),
            "Running · 4 of 12 messaged"
        );
        s.skipped.insert("prefers email".into(), 3);
        assert_eq!(
            progress(RunState::Paused, &s, 12),
            "Paused · 4 of 12 messaged, 3 skipped"
        );
    }

    #[test]
    fn the_list_offers_start_pause_and_resume_but_never_cancel() {
        let stats = RunStats::default();
        let values = |state| {
            let run = CampaignRun {
                state,
                ..CampaignRun::default()
            };
            RunSummary::of(&run, &stats, 3)
                .actions
                .iter()
                .map(|a| a.value)
                .collect::<Vec<_>>()
        };
        assert_eq!(values(RunState::Ready), ["start"]);
        assert_eq!(values(RunState::Running), ["pause"]);
        assert_eq!(values(RunState::Paused), ["resume"]);
        assert_eq!(values(RunState::Finished), ["start"]);
        assert!(values(RunState::Cancelled).is_empty());
    }
}
