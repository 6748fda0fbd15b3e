//! Imports running in the background, so the page can show their progress: a table in
//! memory keyed by a random token. A job is forgotten an hour after it started; the leads it
//! stored are not (only its progress and its report of refused rows).

use std::collections::HashMap;
use std::sync::{LazyLock, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use crate::campaigns::import::RowError;
use crate::campaigns::leads::{ImportError, Report};
use crate::domain::CampaignId;

/// How long a job's progress and report stay available.
const KEEP: Duration = Duration::from_secs(60 * 60);

struct Job {
    campaign: CampaignId,
    started: Instant,
    done: u64,
    total: u64,
    /// Rows refused so far (all of them once finished).
    errors: Vec<RowError>,
    added: u64,
    finished: bool,
    /// Why the import stopped early, if it did.
    failure: Option<String>,
}

/// What the page polls.
#[derive(serde::Serialize, Debug, Clone, PartialEq, Eq)]
pub struct Status {
    pub done: u64,
    pub total: u64,
    pub finished: bool,
    pub added: u64,
    pub refused: u64,
    pub failure: Option<String>,
}

static JOBS: LazyLock<Mutex<HashMap<String, Job>>> = LazyLock::new(Default::default);

fn jobs() -> MutexGuard<'static, HashMap<String, Job>> {
    // A panic while holding the lock leaves plain counters behind; they are still usable.
    JOBS.lock().unwrap_or_else(|e| e.into_inner())
}

/// Registers an import of `total` checked rows (`refused` already refused); its token.
pub fn start(campaign: CampaignId, total: u64, refused: Vec<RowError>) -> String {
    let token = crate::web::auth::random_token();
    let mut jobs = jobs();
    jobs.retain(|_, j| j.started.elapsed() < KEEP);
    jobs.insert(
        token.clone(),
        Job {
            campaign,
            started: Instant::now(),
            done: 0,
            total,
            errors: refused,
            added: 0,
            finished: false,
            failure: None,
        },
    );
    token
}

pub fn progress(token: &str, done: u64, total: u64) {
    if let Some(j) = jobs().get_mut(token) {
        j.done = done;
        j.total = total;
    }
}

pub fn finish(token: &str, outcome: Result<Report, ImportError>) {
    let mut jobs = jobs();
    let Some(j) = jobs.get_mut(token) else {
        return;
    };
    j.finished = true;
    match outcome {
        Ok(report) => {
            j.done = j.total;
            j.added = report.added;
            j.errors = report.errors;
        }
        Err(e) => {
            tracing::error!(error = %e, "lead import failed");
            j.failure = Some(format!(
                "The import stopped: {e}. The leads stored before that are kept."
            ));
        }
    }
}

/// The job `token` of `campaign`, if known.
pub fn status(token: &str, campaign: CampaignId) -> Option<Status> {
    let jobs = jobs();
    let j = jobs.get(token).filter(|j| j.campaign == campaign)?;
    Some(Status {
        done: j.done,
        total: j.total,
        finished: j.finished,
        added: j.added,
        refused: j.errors.len() as u64,
        failure: j.failure.clone(),
    })
}

/// The refused rows of a finished job.
pub fn refused(token: &str, campaign: CampaignId) -> Option<Vec<RowError>> {
    let jobs = jobs();
    let j = jobs
        .get(token)
        .filter(|j| j.campaign == campaign && j.finished)?;
    Some(j.errors.clone())
}
