//! The supervisor's wallboard (`/supervisor`, supervisors and admins): who is Available, Away
//! or Offline and for how long, what each agent is working on, and each queue's line, live
//! over server-sent events (`/api/supervisor/events`) and as JSON (`/api/supervisor/floor`).

mod floor_view;
mod force_state;
mod monitor;
mod today;

use std::convert::Infallible;
use std::time::Duration;

use askama::Template;
use axum::Json;
use axum::extract::{Query, State};
use axum::response::Response;
use axum::response::sse::{Event, KeepAlive, Sse};
use futures_util::stream::{self, Stream, StreamExt};
use serde::Deserialize;

use super::auth::{Credential, SupervisorUser};
use super::error::{ApiError, PageError};
use super::nav::{self, Nav};
use super::views::render;
use crate::metrics::StreamKind;
use crate::state::AppState;

pub use floor_view::{FloorJson, FloorView};
pub use force_state::force_state_post;
pub use monitor::{monitor_events_get, monitor_get, take_over_post, whisper_post};
pub use today::secs_text;

const KEEP_ALIVE: Duration = Duration::from_secs(15);

#[derive(Template)]
#[template(path = "supervisor/wallboard.html")]
pub struct WallboardPage {
    pub nav: Nav,
    pub floor: FloorView,
    /// Wall-screen mode: large type, no controls.
    pub tv: bool,
}

#[derive(Deserialize, Default)]
pub struct WallboardQuery {
    #[serde(default)]
    tv: Option<String>,
}

#[tracing::instrument(skip_all)]
pub async fn wallboard_get(
    State(state): State<AppState>,
    me: SupervisorUser,
    Query(q): Query<WallboardQuery>,
) -> Result<Response, PageError> {
    let floor = FloorView::load(&state).await?;
    Ok(render(&WallboardPage {
        nav: Nav::new(&me, nav::SUPERVISOR, "Supervisor"),
        floor,
        tv: q.tv.as_deref() == Some("1"),
    }))
}

/// The floor as JSON: agents (state, since when, workspace open, active workitems against
/// capacity) and queues (waiting, longest wait, offers out, agents Available).
#[tracing::instrument(skip_all)]
pub async fn floor_get(
    State(state): State<AppState>,
    _me: SupervisorUser,
) -> Result<Json<FloorJson>, ApiError> {
    Ok(Json(FloorJson::load(&state).await?))
}

/// The wallboard's live stream: a `floor` event (`{"html": ...}`, the redrawn tables) at once and after
/// every change of routing state (changes that come together are drawn once). It ends with
/// the login session or at shutdown. With `?tv=1` (a wall screen) the session does not time
/// out while the stream is open.
#[tracing::instrument(skip_all)]
pub async fn events_get(
    State(state): State<AppState>,
    me: SupervisorUser,
    Query(q): Query<WallboardQuery>,
) -> Result<Sse<impl Stream<Item = Result<Event, Infallible>>>, ApiError> {
    let stop = super::sse::session_stop(&state, &me).await?;
    let screen = match (&me.credential, q.tv.as_deref()) {
        (Credential::Session { token_hash }, Some("1")) => {
            Some(state.hub.open_wall_screen(token_hash))
        }
        _ => None,
    };
    let changes = state.acd.floor_changes();
    let open = state.metrics.stream_opened(StreamKind::Wallboard);
    let boards = stream::unfold(
        (state, changes, true, screen),
        |(state, mut changes, first, screen)| async move {
            if !first {
                changes.changed().await.ok()?;
            }
            changes.mark_unchanged();
            let event = match FloorView::load(&state).await {
                Ok(floor) => match floor.render() {
                    Ok(html) => Event::default()
                        .event("floor")
                        .json_data(serde_json::json!({ "html": html }))
                        .unwrap_or_else(|e| Event::default().comment(e.to_string())),
                    Err(e) => Event::default().comment(format!("the board failed: {e}")),
                },
                Err(e) => Event::default().comment(format!("the board failed: {e}")),
            };
            Some((Ok(event), (state, changes, false, screen)))
        },
    );
    let boards = super::sse::counted(boards.take_until(stop), open);
    Ok(Sse::new(boards).keep_alive(KeepAlive::new().interval(KEEP_ALIVE)))
}
