//! API tokens: read-only access to the JSON API for integrations and the benchmark. A request
//! with `Authorization: Bearer <token>` acts as the token's user; only the token's SHA-256 is
//! stored, like a session's.

use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode, header};

use super::auth::{SessionInfo, is_safe, random_token, token_hash};
use crate::state::AppState;
use crate::store::{self, Session, Store};

/// The token of an `Authorization: Bearer` header.
pub(super) fn bearer_token(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let token = value.strip_prefix("Bearer ")?.trim();
    Some(token)
}

/// Resolves an API token's user. Browsers never send such a header on their own, so these
/// requests need no CSRF token; tokens are read-only (GET under `/api/`), which keeps a leaked
/// token from changing anything.
pub(super) async fn token_request(
    state: &AppState,
    parts: &Parts,
    token: &str,
) -> Result<SessionInfo, super::error::ApiError> {
    use super::error::ApiError;
    if !is_safe(&parts.method) || !parts.uri.path().starts_with("/api/") {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "API tokens are read-only: they work for GET requests under /api/.",
        ));
    }
    let hash = token_hash(token);
    let found = state
        .store
        .read(move |txn| {
            let Some(t) = store::api_token(txn, &hash)? else {
                return Ok(None);
            };
            let Some(user) = store::user(txn, t.user)? else {
                return Ok(None);
            };
            let permissions = store::permissions_of(txn, &user)?;
            Ok(Some((t, user, permissions)))
        })
        .await
        .map_err(|e| ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()))?;
    match found {
        Some((t, user, permissions)) if !user.disabled => Ok(SessionInfo {
            session: Session {
                user: user.id,
                // Empty: no state-changing request is accepted with a token.
                csrf_token: String::new(),
                created_at: t.created_at,
                last_seen: state.clock.now(),
            },
            user,
            permissions,
            credential: super::sessions::Credential::ApiToken,
        }),
        _ => Err(ApiError::new(
            StatusCode::UNAUTHORIZED,
            "This API token is unknown, revoked, or its user is disabled.",
        )),
    }
}

/// Creates an API token for `user` and returns it; only its hash is stored, so this is the
/// one time it can be shown.
pub async fn create_api_token(
    store: &Store,
    user: crate::domain::UserId,
    label: &str,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<String, store::StoreError> {
    let token = random_token();
    let hash = token_hash(&token);
    let record = store::ApiToken {
        user,
        label: label.to_owned(),
        created_at: now,
    };
    store
        .write(move |txn| store::put_api_token(txn, &hash, &record))
        .await?;
    Ok(token)
}
