//! After login, `next` sends the browser only to a path on this site, whatever tricks the
//! address holds (tabs, newlines, backslashes, schemes), as sent in the query string and in the
//! login form.

use parley::domain::Role;

use crate::common::*;

/// `next` values that try to leave the site, as sent in a query string (percent-encoded).
const BAD_IN_QUERY: &[&str] = &[
    "//x",
    "/%09/x",
    "/%0A/x",
    "/%0D/x",
    "/%5Cx",
    "%5C%5Cx",
    "https://x",
    "https:x",
    "%09//x",
];

/// The same, as the form field's value (before form encoding).
const BAD_IN_FORM: &[&str] = &[
    "//x",
    "/\t/x",
    "/\n/x",
    "/\\x",
    "\\\\x",
    "https://x",
    " //x",
];

/// Where a browser goes with `location`, read as browsers read it: it must be this site.
fn assert_same_site(location: &str, sent: &str) {
    let base = reqwest::Url::parse("http://parley.test/login").unwrap();
    let to = base.join(location).unwrap();
    assert_eq!(
        to.host_str(),
        Some("parley.test"),
        "next={sent:?} redirected to {location:?}"
    );
    assert!(location.starts_with('/'), "{location:?}");
}

#[tokio::test]
async fn next_is_a_same_site_path_after_login_and_when_logged_in() {
    let server = TestServer::start().await;
    server.add_user("alice", Role::Agent).await;
    let alice = server.login("alice").await;

    // Already logged in: /login?next= redirects at once.
    for next in BAD_IN_QUERY {
        let res = alice.get(&format!("/login?next={next}")).await;
        assert_eq!(res.status(), 303, "{next}");
        let location = res.headers()["location"].to_str().unwrap();
        assert_eq!(location, "/", "next={next}");
        assert_same_site(location, next);
    }
    let res = alice.get("/login?next=%2Fsearch%3Fq%3Da").await;
    assert_eq!(res.headers()["location"], "/search?q=a");

    // Not logged in: the form carries a cleaned `next`.
    let visitor = Client::anonymous(&server.url);
    for next in BAD_IN_QUERY {
        let html = visitor
            .get(&format!("/login?next={next}"))
            .await
            .text()
            .await
            .unwrap();
        assert!(
            html.contains("name=\"next\" value=\"/\""),
            "next={next}: {html}"
        );
    }
    let html = visitor
        .get("/login?next=%2Fsearch%3Fq%3Da")
        .await
        .text()
        .await
        .unwrap();
    assert!(
        html.contains("name=\"next\" value=\"/search?q=a\""),
        "{html}"
    );

    // Logging in with a `next` in the form (as a forged form would send it).
    let csrf = hidden_csrf(&visitor.get("/login").await.text().await.unwrap());
    let good = "/search?q=a";
    for next in BAD_IN_FORM.iter().chain([&good]) {
        let (status, _, location) = visitor
            .form_post(
                "/login",
                &[
                    ("_csrf", csrf.as_str()),
                    ("username", "alice"),
                    ("password", PASSWORD),
                    ("next", next),
                ],
                false,
            )
            .await;
        assert_eq!(status, 303, "{next:?}");
        assert_same_site(&location, next);
        let expected = if *next == good { good } else { "/" };
        assert_eq!(location, expected, "next={next:?}");
    }
    server.stop().await;
}
