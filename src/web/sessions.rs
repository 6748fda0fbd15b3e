//! How long login sessions live and how they end: an idle timeout and an absolute lifetime,
//! a sweeper that removes the sessions past either, and ending every session of a user when
//! their account changes. Ending a session also ends the event streams opened with it.

use axum::http::HeaderValue;
use chrono::{DateTime, Duration, Utc};

use super::auth::{SESSION_COOKIE, random_token, set_cookie, token_hash};

use crate::config::AuthConfig;
use crate::domain::UserId;
use crate::state::AppState;
use crate::store::{self, Session, StoreError};
use crate::tasks::Tasks;

/// How a request proved who it is.
#[derive(Clone, Debug)]
pub enum Credential {
    /// A browser's login session, by the SHA-256 of its cookie token.
    Session { token_hash: String },
    /// An API token: read-only, never a live workspace.
    ApiToken,
}

/// How often the sweeper looks for sessions past their time.
const SWEEP_EVERY: std::time::Duration = std::time::Duration::from_secs(60);

/// Whether `session` is past its idle timeout or its absolute lifetime at `now`.
pub fn is_over(session: &Session, auth: &AuthConfig, now: DateTime<Utc>) -> bool {
    let idle = Duration::minutes(auth.session_idle_minutes as i64);
    let max = Duration::hours(auth.session_max_hours as i64);
    now - session.last_seen > idle || now - session.created_at > max
}

/// Removes every session past its time and ends their streams; how many ended. A session
/// with a wall screen open (the wallboard's `?tv=1`) never times out: each sweep marks it
/// seen instead, so once the screen closes it idles out like any other.
pub async fn sweep(state: &AppState) -> Result<usize, StoreError> {
    let now = state.clock.now();
    let auth = state.config.auth.clone();
    let screens = state.hub.wall_screens();
    if !screens.is_empty() {
        let touched = screens.clone();
        state
            .store
            .write(move |txn| store::touch_sessions(txn, &touched, now))
            .await?;
    }
    // Most sweeps find nothing: look first, so they cost no write.
    let (check, kept) = (auth.clone(), screens.clone());
    if !state
        .store
        .read(move |txn| {
            store::any_session(txn, |hash, s| {
                !kept.contains(&hash.to_owned()) && is_over(s, &check, now)
            })
        })
        .await?
    {
        return Ok(0);
    }
    let ended = state
        .store
        .write(move |txn| {
            store::expire_sessions(txn, |hash, s| {
                !screens.contains(&hash.to_owned()) && is_over(s, &auth, now)
            })
        })
        .await?;
    for hash in &ended {
        state.hub.end_session(hash);
    }
    Ok(ended.len())
}

/// Ends every session of `user` (disabled, role or password changed) and their streams at
/// once; the user logs in again.
pub async fn end_all_of(state: &AppState, user: UserId) -> Result<(), StoreError> {
    state
        .store
        .write(move |txn| store::delete_sessions_of(txn, user))
        .await?;
    state.hub.end_sessions_of(user);
    Ok(())
}

/// Sweeps sessions every minute, so an idle or too old session's open stream ends soon after
/// its time even when no request comes to notice it.
pub fn spawn_sweeper(state: AppState, tasks: &mut Tasks) {
    let shutdown = state.shutdown.clone();
    tasks.spawn("session-sweeper", async move {
        let mut every = tokio::time::interval(SWEEP_EVERY);
        every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
        loop {
            tokio::select! {
                _ = shutdown.wait() => break,
                _ = every.tick() => match sweep(&state).await {
                    Ok(n) if n > 0 => tracing::info!(ended = n, "sessions past their time removed"),
                    Ok(_) => {}
                    Err(e) => tracing::warn!(error = %e, "session sweep failed"),
                },
            }
        }
    });
}

/// Opens a new session for `user` (a new token every time, so a token planted before is
/// worthless); the `Set-Cookie` value that gives it to the browser.
pub async fn open(state: &AppState, user: UserId) -> Result<HeaderValue, StoreError> {
    let token = random_token();
    let now = state.clock.now();
    let session = Session {
        user,
        csrf_token: random_token(),
        created_at: now,
        last_seen: now,
    };
    let hash = token_hash(&token);
    state
        .store
        .write(move |txn| store::put_session(txn, &hash, &session))
        .await?;
    Ok(set_cookie(
        SESSION_COOKIE,
        &token,
        state.config.secure_cookies(),
        None,
    ))
}
