//! Every kind of response carries the security headers: pages, API answers, static files,
//! webhook refusals, /healthz, errors and 404s; HSTS only when the public URL is https.

use parley::domain::Role;

use crate::common::*;

const CSP: &str = "default-src 'self'; frame-ancestors 'none'; object-src 'none'; \
                   base-uri 'none'; form-action 'self'";

fn header<'a>(res: &'a reqwest::Response, name: &str) -> Option<&'a str> {
    res.headers().get(name).map(|v| v.to_str().unwrap())
}

/// Checks the headers every response must have; `cache` is the expected Cache-Control.
fn assert_secured(what: &str, res: &reqwest::Response, cache: &str, hsts: bool) {
    assert_eq!(
        header(res, "content-security-policy"),
        Some(CSP),
        "CSP of {what}"
    );
    assert_eq!(header(res, "x-frame-options"), Some("DENY"), "{what}");
    assert_eq!(
        header(res, "x-content-type-options"),
        Some("nosniff"),
        "{what}"
    );
    assert_eq!(
        header(res, "referrer-policy"),
        Some("same-origin"),
        "{what}"
    );
    assert_eq!(header(res, "cache-control"), Some(cache), "{what}");
    assert_eq!(
        header(res, "strict-transport-security"),
        hsts.then_some("max-age=31536000"),
        "HSTS of {what}"
    );
}

#[tokio::test]
async fn every_kind_of_response_carries_the_security_headers() {
    let server = TestServer::start().await;
    server.add_user("boss", Role::Admin).await;
    let boss = server.login("boss").await;
    let visitor = Client::anonymous(&server.url);

    let seen: Vec<(&str, reqwest::Response, u16)> = vec![
        ("the login page", visitor.get("/login").await, 200),
        ("a page", boss.get("/admin").await, 200),
        ("the workspace", boss.get("/workspace").await, 200),
        ("an API answer", boss.get("/api/me").await, 200),
        ("an API error", boss.get("/api/workitems/999").await, 404),
        ("a redirect", visitor.get("/workspace").await, 303),
        ("a 404", visitor.get("/no/such/page").await, 404),
        (
            "a missing static file",
            visitor.get("/static/nope.js").await,
            404,
        ),
        ("/healthz", visitor.get("/healthz").await, 200),
        (
            "a CSRF refusal",
            visitor
                .http
                .post(format!("{}/logout", server.url))
                .send()
                .await
                .unwrap(),
            403,
        ),
        (
            "a webhook refusal",
            server
                .signed_post(
                    "/webhooks/twilio/sms",
                    &[("From".into(), "+14155550123".into())],
                    Some("wrong token"),
                )
                .await,
            403,
        ),
    ];
    // The status shows each request took the path it names.
    for (what, res, status) in &seen {
        assert_eq!(res.status().as_u16(), *status, "{what}");
        assert_secured(what, res, "no-store", false);
    }
    // Static assets keep their own caching (revalidated, not forbidden).
    let css = visitor.get("/static/app.css").await;
    assert_eq!(css.status(), 200);
    assert_secured("a static file", &css, "no-cache", false);
    server.stop().await;
}

#[tokio::test]
async fn hsts_is_sent_when_the_public_url_is_https() {
    let dir = std::sync::Arc::new(tempfile::tempdir().unwrap());
    let server = TestServer::start_in(dir, |c| {
        c.public_url = "https://sms.example.com".into();
    })
    .await;
    let visitor = Client::anonymous(&server.url);
    for path in ["/healthz", "/login", "/static/app.css", "/nope"] {
        let res = visitor.get(path).await;
        assert_eq!(
            header(&res, "strict-transport-security"),
            Some("max-age=31536000"),
            "{path}"
        );
    }
    server.stop().await;
}
