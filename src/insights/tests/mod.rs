//! Fixtures with their expected profiles worked out by hand (arithmetic next to each).

use chrono::{DateTime, Utc};
use chrono_tz::Tz;

use super::text::{features, is_emoji, words};
use super::*;
use crate::domain::{Direction, WorkitemId};

use Direction::{In, Out};

fn msg(workitem: u64, at: &str, direction: Direction, body: &str) -> HistoryMessage {
    HistoryMessage {
        workitem: WorkitemId(workitem),
        at: at.parse::<DateTime<Utc>>().expect("fixture timestamp"),
        direction,
        body: body.to_string(),
    }
}

fn profile(insights: Insights) -> Profile {
    match insights {
        Insights::Profile(p) => p,
        other => panic!("expected a profile, got {other:?}"),
    }
}

fn tip(text: &str, evidence: &str) -> Tip {
    Tip {
        text: text.to_string(),
        evidence: evidence.to_string(),
    }
}

mod brief;
mod detail_seeking;
mod expressive;
mod rules;
mod thresholds;
