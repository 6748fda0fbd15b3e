//! Authentication and request protection: argon2id passwords, server-side sessions in an
//! HttpOnly SameSite=Strict cookie, CSRF tokens on every state-changing request, and role
//! extractors so a handler cannot forget its role check.

use axum::body::Body;
use axum::extract::{FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use base64::Engine as _;
use chrono::Duration;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use crate::domain::{Permission, Permissions, Role, User};
use crate::state::AppState;
use crate::store::{self, Session};

use super::api_tokens;
pub use super::api_tokens::create_api_token;
use super::sessions;
pub use super::sessions::Credential;

pub const SESSION_COOKIE: &str = "parley_session";
/// Double-submit token for forms used before login (the login page).
pub const ANON_CSRF_COOKIE: &str = "parley_csrf";
pub const CSRF_HEADER: &str = "x-csrf-token";
pub const CSRF_FIELD: &str = "_csrf";
/// Largest form body read to look for the CSRF field.
const MAX_FORM_BYTES: usize = 256 * 1024;
/// `last_seen` is refreshed at most this often, so reading pages does not write every time.
const TOUCH_EVERY_SECS: i64 = 60;

/// 256 random bits, URL-safe.
pub fn random_token() -> String {
    let mut bytes = [0u8; 32];
    rand::fill(&mut bytes);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

pub(super) fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

pub fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

pub(super) fn set_cookie(
    name: &str,
    value: &str,
    secure: bool,
    max_age: Option<i64>,
) -> HeaderValue {
    let mut c = format!("{name}={value}; Path=/; HttpOnly; SameSite=Strict");
    if secure {
        c.push_str("; Secure");
    }
    if let Some(age) = max_age {
        c.push_str(&format!("; Max-Age={age}"));
    }
    HeaderValue::from_str(&c).unwrap_or_else(|_| HeaderValue::from_static(""))
}

/// The logged-in user of this request, resolved once by the middleware.
#[derive(Clone, Debug)]
pub struct SessionInfo {
    pub user: User,
    pub session: Session,
    /// From the user's class of service, read with the session.
    pub permissions: Permissions,
    /// How the request proved who it is.
    pub credential: Credential,
}

impl SessionInfo {
    pub fn csrf(&self) -> &str {
        &self.session.csrf_token
    }

    pub fn may(&self, p: Permission) -> bool {
        self.permissions.has(p)
    }

    /// Refuses (403, naming the permission) unless the user's class of service grants `p`.
    pub fn require(&self, p: Permission) -> Result<(), super::error::ApiError> {
        if self.may(p) {
            Ok(())
        } else {
            Err(super::error::ApiError::new(
                StatusCode::FORBIDDEN,
                format!(
                    "Your class of service does not allow this ({}: {}).",
                    p.as_str(),
                    p.describe().to_lowercase()
                ),
            ))
        }
    }
}

/// Looks up the session cookie; expired or unknown sessions count as none. A store that
/// cannot be read is an error, not a logout.
async fn resolve_session(
    state: &AppState,
    headers: &HeaderMap,
) -> Result<Option<SessionInfo>, store::StoreError> {
    let Some(token) = cookie(headers, SESSION_COOKIE) else {
        return Ok(None);
    };
    let hash = token_hash(token);
    let lookup_hash = hash.clone();
    let found = state
        .store
        .read(move |txn| {
            let Some(session) = store::session(txn, &lookup_hash)? else {
                return Ok(None);
            };
            let Some(user) = store::user(txn, session.user)? else {
                return Ok(None);
            };
            let permissions = store::permissions_of(txn, &user)?;
            Ok(Some((session, user, permissions)))
        })
        .await?;
    let Some((mut session, user, permissions)) = found else {
        return Ok(None);
    };
    let now = state.clock.now();
    let over =
        sessions::is_over(&session, &state.config.auth, now) && !state.hub.is_wall_screen(&hash);
    if user.disabled || over {
        state.hub.end_session(&hash);
        let _ = state
            .store
            .submit(move |txn| store::delete_session(txn, &hash));
        return Ok(None);
    }
    if now - session.last_seen > Duration::seconds(TOUCH_EVERY_SECS) {
        session.last_seen = now;
        let touched = session.clone();
        let key = hash.clone();
        let _ = state
            .store
            .submit(move |txn| store::put_session(txn, &key, &touched));
    }
    Ok(Some(SessionInfo {
        user,
        session,
        permissions,
        credential: Credential::Session { token_hash: hash },
    }))
}

pub(super) fn is_safe(method: &Method) -> bool {
    matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS)
}

/// Pages that work without a login and carry the pre-login token (also when logged in, so a
/// session ending while they are open does not break them).
fn uses_anon_csrf(path: &str) -> bool {
    path == "/login"
}

/// Resolves the session for every request and refuses state-changing requests without the
/// right CSRF token: the session's, or the pre-login cookie's on pre-login pages.
pub async fn protect(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let (mut parts, body) = request.into_parts();
    if let Some(token) = api_tokens::bearer_token(&parts.headers) {
        return match api_tokens::token_request(&state, &parts, token).await {
            Ok(info) => {
                parts.extensions.insert(info);
                next.run(Request::from_parts(parts, body)).await
            }
            Err(refused) => refused.into_response(),
        };
    }
    let info = match resolve_session(&state, &parts.headers).await {
        Ok(info) => info,
        Err(e) if wants_json(&parts) => return super::error::ApiError::from(e).into_response(),
        Err(e) => return super::error::PageError::from(e).into_response(),
    };
    let body = if is_safe(&parts.method) {
        body
    } else {
        let expected = match &info {
            Some(i) if !uses_anon_csrf(parts.uri.path()) => Some(i.session.csrf_token.clone()),
            _ => cookie(&parts.headers, ANON_CSRF_COOKIE).map(str::to_owned),
        };
        let (given, body) = match parts.headers.get(CSRF_HEADER).and_then(|v| v.to_str().ok()) {
            Some(h) => (Some(h.to_owned()), body),
            None => match form_field(&parts.headers, body, CSRF_FIELD).await {
                Ok(found) => found,
                Err(resp) => return resp,
            },
        };
        let ok = match (expected, given) {
            (Some(e), Some(g)) => !e.is_empty() && bool::from(e.as_bytes().ct_eq(g.as_bytes())),
            _ => false,
        };
        if !ok {
            return csrf_refused(&parts);
        }
        body
    };
    if let Some(info) = info {
        parts.extensions.insert(info);
    }
    next.run(Request::from_parts(parts, body)).await
}

fn csrf_refused(parts: &Parts) -> Response {
    let message = "This form has expired or did not come from Parley (missing or wrong CSRF \
                   token). Reload the page and try again.";
    if wants_json(parts) {
        super::error::ApiError::new(StatusCode::FORBIDDEN, message).into_response()
    } else {
        super::error::PageError {
            status: StatusCode::FORBIDDEN,
            message: message.into(),
        }
        .into_response()
    }
}

/// Reads a form body to find one field, handing back a body with the same bytes.
async fn form_field(
    headers: &HeaderMap,
    body: Body,
    field: &str,
) -> Result<(Option<String>, Body), Response> {
    let is_form = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
    if !is_form {
        return Ok((None, body));
    }
    let bytes = axum::body::to_bytes(body, MAX_FORM_BYTES)
        .await
        .map_err(|_| (StatusCode::PAYLOAD_TOO_LARGE, "The form is too large.").into_response())?;
    let value = form_urlencoded_find(&bytes, field);
    Ok((value, Body::from(bytes)))
}

fn form_urlencoded_find(bytes: &[u8], field: &str) -> Option<String> {
    form_urlencoded::parse(bytes)
        .find(|(k, _)| k == field)
        .map(|(_, v)| v.into_owned())
}

/// JSON endpoints: the API and the simulator page's calls.
fn wants_json(parts: &Parts) -> bool {
    let path = parts.uri.path();
    path.starts_with("/api/") || path.starts_with("/simulator/")
}

/// Why a request was refused by a role extractor.
pub enum AuthRejection {
    NotLoggedIn { json: bool, next: String },
    Forbidden { json: bool, needed: Role },
}

impl IntoResponse for AuthRejection {
    fn into_response(self) -> Response {
        match self {
            AuthRejection::NotLoggedIn { json: true, .. } => super::error::ApiError::new(
                StatusCode::UNAUTHORIZED,
                "You are not logged in (or your session expired).",
            )
            .into_response(),
            AuthRejection::NotLoggedIn { json: false, next } => {
                let next: String = url_encode(&next);
                Redirect::to(&format!("/login?next={next}")).into_response()
            }
            AuthRejection::Forbidden { json, needed } => {
                let message = format!("This needs the {} role.", needed.as_str());
                if json {
                    super::error::ApiError::new(StatusCode::FORBIDDEN, message).into_response()
                } else {
                    super::error::PageError {
                        status: StatusCode::FORBIDDEN,
                        message,
                    }
                    .into_response()
                }
            }
        }
    }
}

fn url_encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'/' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

fn require(parts: &Parts, needed: Role) -> Result<SessionInfo, AuthRejection> {
    let json = wants_json(parts);
    match parts.extensions.get::<SessionInfo>() {
        Some(info) if info.user.role.at_least(needed) => Ok(info.clone()),
        Some(_) => Err(AuthRejection::Forbidden { json, needed }),
        None => Err(AuthRejection::NotLoggedIn {
            json,
            next: parts
                .uri
                .path_and_query()
                .map(|p| p.as_str().to_owned())
                .unwrap_or_else(|| "/".into()),
        }),
    }
}

macro_rules! role_extractor {
    ($($(#[$doc:meta])* $name:ident => $role:expr),* $(,)?) => {$(
        $(#[$doc])*
        pub struct $name(pub SessionInfo);

        impl<S: Send + Sync> FromRequestParts<S> for $name {
            type Rejection = AuthRejection;
            async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
                require(parts, $role).map($name)
            }
        }

        impl std::ops::Deref for $name {
            type Target = SessionInfo;
            fn deref(&self) -> &SessionInfo {
                &self.0
            }
        }
    )*};
}

role_extractor!(
    /// Any logged-in user (agents, supervisors and admins all handle workitems).
    AgentUser => Role::Agent,
    SupervisorUser => Role::Supervisor,
    AdminUser => Role::Admin,
);

/// The session of the request if any, for pages that also serve anonymous visitors.
pub struct MaybeUser(pub Option<SessionInfo>);

impl<S: Send + Sync> FromRequestParts<S> for MaybeUser {
    type Rejection = std::convert::Infallible;
    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(MaybeUser(parts.extensions.get::<SessionInfo>().cloned()))
    }
}

/// The pre-login CSRF token of this browser, and the cookie to set when it is new.
pub fn anon_csrf(state: &AppState, headers: &HeaderMap) -> (String, Option<HeaderValue>) {
    match cookie(headers, ANON_CSRF_COOKIE) {
        Some(t) if t.len() >= 32 => (t.to_owned(), None),
        _ => {
            let t = random_token();
            let c = set_cookie(ANON_CSRF_COOKIE, &t, state.config.secure_cookies(), None);
            (t, Some(c))
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum LoginError {
    #[error("Enter your user name and password.")]
    Missing,
    #[error("Wrong user name or password.")]
    Wrong,
    #[error("This account is disabled; ask an administrator.")]
    Disabled,
    #[error(transparent)]
    Store(#[from] store::StoreError),
}

/// Checks the password and opens a new session (a new id on every login, so a session id
/// planted before login is worthless). Returns the `Set-Cookie` value.
pub async fn login(
    state: &AppState,
    username: &str,
    password: &str,
) -> Result<(User, HeaderValue), LoginError> {
    let username = username.trim().to_ascii_lowercase();
    if username.is_empty() || password.is_empty() {
        return Err(LoginError::Missing);
    }
    let name = username.clone();
    let user = state
        .store
        .read(move |txn| store::user_by_name(txn, &name))
        .await?;
    let hash = user.as_ref().map(|u| u.password_hash.clone());
    let ok = crate::passwords::verify_password(password.to_owned(), hash).await;
    let user = match (ok, user) {
        (true, Some(u)) if u.disabled => return Err(LoginError::Disabled),
        (true, Some(u)) => u,
        _ => return Err(LoginError::Wrong),
    };
    let cookie = sessions::open(state, user.id).await?;
    Ok((user, cookie))
}

/// Ends the session on the server and returns the cookie that clears it in the browser.
pub async fn logout(
    state: &AppState,
    headers: &HeaderMap,
) -> Result<HeaderValue, store::StoreError> {
    if let Some(token) = cookie(headers, SESSION_COOKIE) {
        let hash = token_hash(token);
        state.hub.end_session(&hash);
        state
            .store
            .write(move |txn| store::delete_session(txn, &hash))
            .await?;
    }
    Ok(set_cookie(
        SESSION_COOKIE,
        "",
        state.config.secure_cookies(),
        Some(0),
    ))
}
