//! Security headers on every response: a strict Content-Security-Policy (no inline script or
//! style, no framing, no plugins, forms only to us), nosniff, same-origin referrers, no
//! caching of pages and API answers, and HSTS when the public URL is https.

use axum::extract::{Request, State};
use axum::http::{HeaderValue, header};
use axum::middleware::Next;
use axum::response::Response;

/// Everything from this site only; inline `<script>`, `<style>`, `style=` and `on*=` are
/// refused by the browser, so an injected fragment cannot run or restyle anything.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; frame-ancestors 'none'; \
     object-src 'none'; base-uri 'none'; form-action 'self'";
/// A year, without `includeSubDomains`: Parley may share a domain with sites it does not own.
pub const HSTS: &str = "max-age=31536000";

/// What the layer needs from the config, decided once at start.
#[derive(Clone, Copy, Debug)]
pub struct SecurityHeaders {
    /// Browsers reached Parley over https (`public_url`), so they may insist on it.
    pub hsts: bool,
}

impl SecurityHeaders {
    pub fn new(config: &crate::config::Config) -> SecurityHeaders {
        SecurityHeaders {
            hsts: config.serves_https(),
        }
    }
}

pub async fn add(State(config): State<SecurityHeaders>, request: Request, next: Next) -> Response {
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CONTENT_SECURITY_POLICY),
    );
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
    // Static assets (and event streams) set their own; everything else holds user data.
    headers
        .entry(header::CACHE_CONTROL)
        .or_insert(HeaderValue::from_static("no-store"));
    if config.hsts {
        headers.insert(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static(HSTS),
        );
    }
    response
}
