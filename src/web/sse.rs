//! Server-sent event streams: one per agent workspace tab, one per simulated phone tab.
//! Each stream opens with a full `sync` (so a reconnect, with or without `Last-Event-ID`,
//! always resynchronises), sends keep-alives, and ends when its login session ends or the
//! server shuts down.

use std::convert::Infallible;
use std::time::Duration;

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::sse::{Event, KeepAlive, Sse};
use futures_util::stream::{self, Stream, StreamExt};
use serde::Serialize;

use super::auth::{AgentUser, Credential, SessionInfo};
use super::error::ApiError;
use crate::live::{AgentPush, Numbered, Subscription};
use crate::metrics::{StreamGuard, StreamKind};
use crate::state::AppState;
use crate::store;

const KEEP_ALIVE: Duration = Duration::from_secs(15);

pub fn event_name(push: &AgentPush) -> &'static str {
    match push {
        AgentPush::Sync { .. } => "sync",
        AgentPush::Offer(_) => "offer",
        AgentPush::OfferWithdrawn { .. } => "offer_withdrawn",
        AgentPush::Assigned { .. } => "assigned",
        AgentPush::Message { .. } => "message",
        AgentPush::MessageStatus { .. } => "message_status",
        AgentPush::Terminated { .. } => "terminated",
        AgentPush::Consent { .. } => "consent",
        AgentPush::Presence { .. } => "presence",
        AgentPush::Removed { .. } => "removed",
        AgentPush::Aside { .. } => "aside",
        AgentPush::Watched { .. } => "watched",
    }
}

pub fn to_event<T: Serialize>(name: &str, item: &Numbered<T>) -> Event {
    Event::default()
        .event(name)
        .id(item.seq.to_string())
        .json_data(&*item.push)
        .unwrap_or_else(|_| Event::default().comment("unserialisable push"))
}

/// Turns a subscription into an SSE body that ends when `stop` resolves. The subscription
/// moves into the stream, so the stream's end (client gone, or `stop`) unregisters it.
pub fn stream_until<K, T>(
    first: Option<Event>,
    sub: Subscription<K, T>,
    name: fn(&T) -> &'static str,
    stop: impl Future<Output = ()> + Send + 'static,
) -> impl Stream<Item = Result<Event, Infallible>> + Send + 'static
where
    K: Clone + Eq + std::hash::Hash + Send + 'static,
    T: Serialize + Send + Sync + 'static,
{
    let live = stream::unfold(sub, move |mut sub| async move {
        let item = sub.rx.recv().await?;
        let event = to_event(name(&item.push), &item);
        Some((Ok(event), sub))
    });
    stream::iter(first.map(Ok)).chain(live).take_until(stop)
}

/// `stream`, counted as an open stream of its kind for as long as it lives.
pub fn counted<S: Stream>(stream: S, guard: StreamGuard) -> impl Stream<Item = S::Item> {
    stream.map(move |item| {
        let _open = &guard;
        item
    })
}

/// What ends a stream opened with `user`'s login session: the session's end (logout,
/// expiry, an account change) or shutdown. API tokens cannot open streams.
pub async fn session_stop(
    state: &AppState,
    user: &SessionInfo,
) -> Result<impl Future<Output = ()> + Send + 'static + use<>, ApiError> {
    let Credential::Session { token_hash } = &user.credential else {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "API tokens cannot open the live event stream; log in to the workspace instead.",
        ));
    };
    let session_end = state.hub.session_end(token_hash, user.user.id);
    // The session may have ended between its lookup and the line above.
    let hash = token_hash.clone();
    if state
        .store
        .read(move |txn| store::session(txn, &hash))
        .await?
        .is_none()
    {
        return Err(ApiError::new(
            StatusCode::UNAUTHORIZED,
            "You are not logged in (or your session expired).",
        ));
    }
    let shutdown = state.shutdown.clone();
    Ok(async move {
        tokio::select! {
            _ = shutdown.wait() => {}
            _ = session_end => {}
        }
    })
}

/// The agent's live stream. Opening it makes the agent reachable for offers; the ACD counts
/// open streams and withdraws the agent's pending offers when the last one closes. It ends
/// with its login session (logout, expiry, an account change) or at shutdown. API tokens
/// cannot open it: they read, they never make their user count as connected.
#[tracing::instrument(skip_all, fields(agent = %user.user.id))]
pub async fn agent_events_get(
    State(state): State<AppState>,
    user: AgentUser,
) -> Result<Sse<impl Stream<Item = Result<Event, Infallible>>>, ApiError> {
    let agent = user.user.id;
    let stop = session_stop(&state, &user).await?;
    let mut sub = state.hub.subscribe_agent(agent);
    let acd = state.acd.clone();
    sub.on_drop(move || acd.disconnected(agent));
    state.acd.connected(agent);
    let snap = state.acd.snapshot(agent).await?;
    let sync = state.hub.number(AgentPush::Sync {
        view: snap.view,
        offers: snap.offers,
        active: snap.active,
    });
    let first = to_event("sync", &sync);
    let open = state.metrics.stream_opened(StreamKind::Workspace);
    let stream = counted(stream_until(Some(first), sub, event_name, stop), open);
    Ok(Sse::new(stream).keep_alive(KeepAlive::new().interval(KEEP_ALIVE)))
}
