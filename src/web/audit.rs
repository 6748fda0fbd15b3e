//! Records security-relevant acts in the audit log. A handler describes its act by putting an
//! [`AuditNote`] on its response; this middleware adds who (the session's user), from where
//! (the client's address) and when, and stores it before the answer leaves. Every other
//! successful change under `/admin/` is recorded too, named by its request, so an admin
//! action added later is never missed.

use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::auth::{SessionInfo, is_safe};
use super::client_addr::ClientAddr;
use crate::domain::{AuditEntry, AuditKind, User, UserId};
use crate::state::AppState;
use crate::store;

/// What a handler did, for the audit log.
#[derive(Clone, Debug)]
pub struct AuditNote {
    pub kind: AuditKind,
    pub target: String,
    pub detail: String,
    /// Who acted when the request had no session yet (a login).
    pub actor: Option<(UserId, String)>,
}

impl AuditNote {
    pub fn new(kind: AuditKind, target: impl Into<String>, detail: impl Into<String>) -> Self {
        AuditNote {
            kind,
            target: target.into(),
            detail: detail.into(),
            actor: None,
        }
    }

    /// Names the actor of a request that had no session.
    pub fn by(mut self, user: &User) -> Self {
        self.actor = Some((user.id, user.username.clone()));
        self
    }

    /// `response`, carrying this note to the middleware.
    pub fn on(self, response: impl IntoResponse) -> Response {
        let mut response = response.into_response();
        response.extensions_mut().insert(self);
        response
    }
}

/// The requests under `/admin/` that change nothing, though they are posted.
fn changes_nothing(path: &str) -> bool {
    path.ends_with("/leads/preview")
}

pub async fn record(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let session = request
        .extensions()
        .get::<SessionInfo>()
        .map(|i| (i.user.id, i.user.username.clone()));
    let (parts, body) = request.into_parts();
    let client = ClientAddr::from_parts(&parts, &state.config.trusted_proxies)
        .map(|c| c.to_string())
        .unwrap_or_default();
    let request = Request::from_parts(parts, body);
    let method = request.method().clone();
    let path = request.uri().path().to_owned();
    let response = next.run(request).await;
    let status = response.status();
    let note = match response.extensions().get::<AuditNote>() {
        Some(note) => note.clone(),
        None if !is_safe(&method)
            && path.starts_with("/admin/")
            && !changes_nothing(&path)
            && (status.is_success() || status.is_redirection()) =>
        {
            AuditNote::new(AuditKind::AdminChange, format!("{method} {path}"), "")
        }
        None => return response,
    };
    let (actor, actor_name) = match note.actor.or(session) {
        Some((id, name)) => (Some(id), name),
        None => (None, String::new()),
    };
    let entry = AuditEntry {
        at: state.clock.now(),
        actor,
        actor_name,
        client,
        kind: note.kind,
        target: note.target,
        detail: note.detail,
    };
    if let Err(e) = state
        .store
        .write(move |txn| store::append_audit(txn, &entry).map(|_| ()))
        .await
    {
        tracing::error!(error = %e, "cannot record an audit entry");
    }
    response
}
