//! Every page names the favicon, and the static route serves it as SVG.

use crate::common::*;

#[tokio::test]
async fn pages_link_the_favicon_and_it_is_served_as_svg() {
    let server = TestServer::start().await;
    let visitor = Client::anonymous(&server.url);
    let page = visitor.get("/login").await.text().await.unwrap();
    assert!(
        page.contains(r#"<link rel="icon" href="/static/favicon.svg" type="image/svg+xml">"#),
        "the login page does not link the favicon"
    );
    let icon = visitor.get("/static/favicon.svg").await;
    assert_eq!(icon.status(), 200);
    assert_eq!(
        icon.headers()["content-type"].to_str().unwrap(),
        "image/svg+xml"
    );
    assert!(icon.text().await.unwrap().starts_with("<svg "));
    server.stop().await;
}
