//! How Parley is watched: the log format and the `/metrics` endpoint.

use serde::{Deserialize, Serialize};

/// How log lines are written to standard output.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    /// One human-readable line per event.
    #[default]
    Text,
    /// One JSON object per line (`timestamp`, `level`, `fields.message`, `target`, spans),
    /// for log collectors.
    Json,
}

/// The Prometheus endpoint, `/metrics`.
#[derive(Clone, Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields, default)]
pub struct MetricsConfig {
    /// Off by default: `/metrics` answers 404.
    pub enabled: bool,
    /// When set, scrapers must send `Authorization: Bearer <token>` and may come from
    /// anywhere; when empty, only loopback clients may scrape.
    pub bearer_token: String,
}

/// Least length of `metrics.bearer_token`: it guards the endpoint from the whole network.
pub const MIN_TOKEN_LEN: usize = 16;

impl MetricsConfig {
    /// Why the token cannot be used, if it cannot: too short to guard anything, or characters
    /// that cannot travel in an `Authorization` header as sent by scrapers.
    pub fn token_problem(&self) -> Option<String> {
        let t = &self.bearer_token;
        if t.is_empty() {
            return None;
        }
        if !t.bytes().all(|b| b.is_ascii_graphic()) {
            return Some(
                "metrics.bearer_token may hold only visible ASCII characters (no spaces)".into(),
            );
        }
        (t.len() < MIN_TOKEN_LEN).then(|| {
            format!("metrics.bearer_token must be at least {MIN_TOKEN_LEN} characters long")
        })
    }
}

impl std::fmt::Debug for MetricsConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MetricsConfig")
            .field("enabled", &self.enabled)
            .field(
                "bearer_token",
                &if self.bearer_token.is_empty() {
                    ""
                } else {
                    "<redacted>"
                },
            )
            .finish()
    }
}
