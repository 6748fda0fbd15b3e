//! The Contact tab in a real browser: a refused save shows its message next to the field and keeps
//! everything typed; a corrected save says "Saved." and the Data tab shows the new name. Skips like
//! the other browser tests without Chromium (fails instead with `PARLEY_REQUIRE_BROWSER=1`).

use fantoccini::Locator;
use serde_json::json;

use crate::browser::{
    catch_up_clock, js, log_in_available, open_browser, texts, the_offer, type_into, wait_for,
    wait_js, wait_text,
};
use crate::common::*;

const CUSTOMER: &str = "+14155550123";

/// The value of the input `css`.
async fn value(c: &fantoccini::Client, css: &str) -> String {
    let v = js(
        c,
        "return document.querySelector(arguments[0]).value;",
        vec![json!(css)],
    )
    .await;
    v.as_str().unwrap_or_default().to_owned()
}

#[tokio::test]
async fn contact_tab_keeps_typed_values_on_error_and_saves() {
    let Some((driver, c)) = open_browser().await else {
        return;
    };
    let server = TestServer::start().await;
    let queue = server.default_queue().await;
    let alice = server.add_agent("alice", &[queue], None).await;

    // Log in, become Available, accept the customer's text.
    log_in_available(&c, &server, &alice).await;
    catch_up_clock(&server);
    server
        .twilio_sms("SM1", CUSTOMER, "Please update my details")
        .await;
    let id = the_offer(&c).await;
    wait_for(&c, &format!("#offer-{id} .accept"))
        .await
        .click()
        .await
        .expect("accept");
    wait_for(&c, &format!("#item-{id}.current")).await;

    // The Contact tab: type a name, a city and a bad email, and save.
    wait_for(&c, "#tab-contact")
        .await
        .click()
        .await
        .expect("open the Contact tab");
    wait_for(&c, "#panel-contact #contact-form").await;
    type_into(&c, "#contact-field-first_name", "Grace").await;
    type_into(&c, "#contact-field-last_name", "Hopper").await;
    type_into(&c, "#contact-field-city", "Arlington").await;
    type_into(&c, "#contact-field-email", "grace(at)navy").await;
    wait_for(&c, "#contact-save")
        .await
        .click()
        .await
        .expect("save");
    wait_text(&c, "#contact-field-email-error", "is not an email address").await;
    assert_eq!(
        js(
            &c,
            "const f = document.getElementById('contact-field-email'); \
             return [f.getAttribute('aria-invalid'), f.nextElementSibling.id];",
            vec![],
        )
        .await,
        json!(["true", "contact-field-email-error"]),
        "the message sits right after the email field, which is marked invalid"
    );
    assert_eq!(
        texts(&c, ".field-error").await.len(),
        1,
        "only the email is wrong"
    );
    for (css, typed) in [
        ("#contact-field-first_name", "Grace"),
        ("#contact-field-last_name", "Hopper"),
        ("#contact-field-city", "Arlington"),
        ("#contact-field-email", "grace(at)navy"),
        ("#contact-field-mobile", CUSTOMER),
    ] {
        assert_eq!(value(&c, css).await, typed, "{css} lost what was typed");
    }

    // The section shortcuts scroll the panel.
    wait_for(&c, "#panel-contact a[href=\"#contact-custom\"]")
        .await
        .click()
        .await
        .expect("shortcut");
    wait_js(
        &c,
        "the panel to scroll to Custom fields",
        "return document.getElementById('panel-contact').scrollTop > 0;",
    )
    .await;

    // Fixed, the save goes through, and the Data tab shows the new name.
    type_into(&c, "#contact-field-email", "grace@navy.example").await;
    wait_for(&c, "#contact-save")
        .await
        .click()
        .await
        .expect("save again");
    wait_text(&c, "#contact-notice", "Saved.").await;
    assert!(texts(&c, ".field-error").await.is_empty());
    assert_eq!(value(&c, "#contact-field-city").await, "Arlington");
    c.find(Locator::Css("#tab-data"))
        .await
        .expect("Data tab")
        .click()
        .await
        .expect("open the Data tab");
    wait_text(&c, "#panel-data dd", "Grace Hopper").await;

    crate::browser::assert_page_clean(&c, "the end of browser_contact").await;

    c.close().await.expect("close the browser");
    drop(driver);
    server.stop().await;
}
