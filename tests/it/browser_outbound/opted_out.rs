//! An opted-out customer in a real browser: the warning in the Outbound SMS dialog, and the SMS
//! tab's composer locking and unlocking live.

use super::*;

#[tokio::test]
async fn an_opted_out_customer_is_warned_in_the_dialog_and_the_sms_tab() {
    let Some((driver, c)) = open_browser().await else {
        return;
    };
    let (server, _fake) = TestServer::start_faked(vec![]).await;
    let queue = server.default_queue().await;
    let renewals = outbound_campaign(&server, queue, "Renewals", OUT_NUMBER).await;
    server.add_agent("alice", &[queue], None).await;
    log_in(&c, &server, "alice").await;

    // A conversation alice started (through the API, from another session of hers).
    let api = server.login("alice").await;
    let started = api
        .post_ok(
            "/api/outbound",
            json!({"to": CUSTOMER, "body": "Your renewal is due", "campaign": renewals.0}),
        )
        .await;
    let id = started["workitem"]["id"].as_u64().expect("workitem id");
    click(&c, &format!("#item-{id}")).await;
    wait_text(&c, "#messages li.bubble.out .body", "Your renewal is due").await;
    assert_eq!(
        eval(&c, "document.getElementById('sms-consent').hidden").await,
        json!(true)
    );
    assert_eq!(
        eval(&c, "document.getElementById('reply').disabled").await,
        json!(false)
    );

    // The customer texts STOP: the warning shows above a locked composer, live, and the
    // automatic confirmation is marked as such.
    server
        .twilio_sms_to("SMstop", CUSTOMER, OUT_NUMBER, "STOP")
        .await;
    wait_text(&c, "#sms-consent", "opted out").await;
    assert_eq!(
        eval(
            &c,
            "['reply', 'send'].map(id => document.getElementById(id).disabled)"
        )
        .await,
        json!([true, true])
    );
    wait_text(
        &c,
        "#messages li.bubble.auto .auto-label",
        "Automatic reply",
    )
    .await;
    crate::browser::snapshot(&c, "opted-out-sms-tab").await;
    assert_eq!(
        texts(&c, "#messages li.bubble.out:not(.auto) .auto-label").await,
        Vec::<String>::new(),
        "only the keyword answer is automatic"
    );

    // In the dialog, the number warns before anything is typed, and OK is off.
    open_from_menu(&c).await;
    type_into(&c, "#outbound-to", CUSTOMER).await;
    wait_text(&c, "#outbound-consent", "opted out").await;
    assert_eq!(
        eval(
            &c,
            "document.getElementById('outbound-consent').getAttribute('role')"
        )
        .await,
        json!("alert")
    );
    wait_js(
        &c,
        "Send to be disabled",
        "return document.getElementById('outbound-ok').disabled;",
    )
    .await;
    crate::browser::snapshot(&c, "outbound-opted-out").await;
    // Another number is fine again.
    type_into(&c, "#outbound-to", "+14155550199").await;
    wait_js(
        &c,
        "the warning to go and OK to come back",
        "return document.getElementById('outbound-consent').hidden \
         && !document.getElementById('outbound-ok').disabled;",
    )
    .await;
    click(&c, "#outbound-cancel").await;
    wait_dialog(&c, false).await;

    // START: the composer unlocks, live.
    server
        .twilio_sms_to("SMstart", CUSTOMER, OUT_NUMBER, "START")
        .await;
    wait_js(
        &c,
        "the SMS tab to unlock",
        "return document.getElementById('sms-consent').hidden \
         && !document.getElementById('reply').disabled \
         && !document.getElementById('send').disabled;",
    )
    .await;

    // A STOP to another of our numbers, outside this conversation, locks it live all the
    // same; START there unlocks it.
    server
        .twilio_sms_to("SMstop2", CUSTOMER, OTHER_NUMBER, "STOP")
        .await;
    wait_text(&c, "#sms-consent", "opted out").await;
    wait_js(
        &c,
        "the SMS tab to lock",
        "return document.getElementById('reply').disabled;",
    )
    .await;
    server
        .twilio_sms_to("SMstart2", CUSTOMER, OTHER_NUMBER, "START")
        .await;
    wait_js(
        &c,
        "the SMS tab to unlock again",
        "return document.getElementById('sms-consent').hidden \
         && !document.getElementById('reply').disabled;",
    )
    .await;

    crate::browser::assert_page_clean(&c, "the end of browser_outbound #3").await;

    c.close().await.expect("close the browser");
    drop(driver);
    server.stop().await;
}
