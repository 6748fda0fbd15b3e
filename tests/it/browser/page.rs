//! Driving a page: waits with a deadline, clicks and typing, logging in, offers.

use super::*;

/// Polls `check` every [`POLL`] until it gives `Some`, or panics naming `what` at the deadline.
pub(crate) async fn poll<T, F, Fut>(what: &str, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    let deadline = Instant::now() + DEADLINE;
    loop {
        if let Some(v) = check().await {
            return v;
        }
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(POLL).await;
    }
}

/// Clicks the element matching `css`. Live lists redraw their items, so an element found a
/// moment ago may be gone: then the click is tried again on the new one, until the deadline.
pub(crate) async fn click(c: &Client, css: &str) {
    let deadline = Instant::now() + DEADLINE;
    loop {
        match wait_for(c, css).await.click().await {
            Ok(()) => return,
            Err(e) if e.to_string().contains("stale element") && Instant::now() < deadline => {
                tokio::time::sleep(POLL).await;
            }
            Err(e) => panic!("cannot click {css}: {e}"),
        }
    }
}

/// Replaces the value of the field matching `css` with `text`, typed as keys.
pub(crate) async fn type_into(c: &Client, css: &str, text: &str) {
    let field = wait_for(c, css).await;
    field.clear().await.expect("clear");
    field.send_keys(text).await.expect("typing");
}

/// Logs `name` in through the login page and waits for the live workspace.
pub(crate) async fn log_in(c: &Client, server: &TestServer, name: &str) {
    log_in_to(c, server, "/workspace", name, "#app[data-live=\"1\"]").await;
}

/// Opens `path`, logs `name` in on the login page it shows, and waits for `ready`.
pub(crate) async fn log_in_to(
    c: &Client,
    server: &TestServer,
    path: &str,
    name: &str,
    ready: &str,
) {
    c.goto(&format!("{}{path}", server.url))
        .await
        .expect("open");
    type_into(c, "#username", name).await;
    type_into(c, "#password", PASSWORD).await;
    click(c, "#login-submit").await;
    wait_for(c, ready).await;
}

/// Sets the presence select and waits until the ACD has it.
pub(crate) async fn set_presence(
    c: &Client,
    server: &TestServer,
    user: &parley::domain::User,
    presence: Presence,
) {
    let value = match presence {
        Presence::Available => "available",
        Presence::Away => "away",
        Presence::Offline => "offline",
    };
    wait_for(c, "#presence")
        .await
        .select_by_value(value)
        .await
        .expect("choose presence");
    let (acd, id) = (&server.state.acd, user.id);
    poll("the ACD to have the new presence", move || async move {
        let snap = acd.snapshot(id).await.ok()?;
        (snap.view.presence == presence).then_some(())
    })
    .await;
}

/// Logs `user` in and makes them Available, as the ACD sees it.
pub(crate) async fn log_in_available(c: &Client, server: &TestServer, user: &parley::domain::User) {
    log_in(c, server, &user.username).await;
    set_presence(c, server, user, Presence::Available).await;
}

/// The first element matching `css`, once there is one.
pub(crate) async fn wait_for(c: &Client, css: &str) -> Element {
    c.wait()
        .at_most(DEADLINE)
        .every(POLL)
        .for_element(Locator::Css(css))
        .await
        .unwrap_or_else(|e| panic!("no element {css} before the deadline: {e}"))
}

/// Runs `script` in the page; its `return` value.
pub(crate) async fn js(c: &Client, script: &str, args: Vec<Value>) -> Value {
    c.execute(script, args)
        .await
        .unwrap_or_else(|e| panic!("script failed: {e}\n{script}"))
}

/// The text of every element matching `css`, in document order.
pub(crate) async fn texts(c: &Client, css: &str) -> Vec<String> {
    let v = js(
        c,
        "return [...document.querySelectorAll(arguments[0])].map(e => e.textContent.trim());",
        vec![json!(css)],
    )
    .await;
    serde_json::from_value(v).expect("list of texts")
}

/// Waits until some element matching `css` contains `needle`; returns all their texts.
pub(crate) async fn wait_text(c: &Client, css: &str, needle: &str) -> Vec<String> {
    poll(&format!("{css} to show {needle:?}"), move || async move {
        let all = texts(c, css).await;
        all.iter().any(|t| t.contains(needle)).then_some(all)
    })
    .await
}

/// Whether the element `css` is drawn: it exists, and neither it nor a container is hidden
/// (the `hidden` attribute, or `display: none`).
pub(crate) async fn is_shown(c: &Client, css: &str) -> bool {
    js(
        c,
        "const e = document.querySelector(arguments[0]); \
         return !!e && e.getClientRects().length > 0;",
        vec![json!(css)],
    )
    .await
        == json!(true)
}

/// Waits until `script` returns true.
pub(crate) async fn wait_js(c: &Client, what: &str, script: &str) {
    poll(what, move || async move {
        (js(c, script, vec![]).await == json!(true)).then_some(())
    })
    .await
}

/// Types `text` into the field `css` and presses Enter.
pub(crate) async fn type_and_enter(c: &Client, css: &str, text: &str) {
    let field = wait_for(c, css).await;
    field.send_keys(text).await.expect("typing");
    field.send_keys(&Key::Enter).await.expect("pressing Enter");
}

/// Moves the test server's manual clock up to the real time, so the deadlines it stamps on
/// offers mean the same to the browser (which counts down against its own clock).
pub(crate) fn catch_up_clock(server: &TestServer) {
    let lag = chrono::Utc::now() - server.clock.now();
    if lag > chrono::Duration::zero() {
        server.clock.advance(lag);
    }
}

/// Customer `from` texts `body` to [`OUR_NUMBER`] through the signed webhook (message id
/// `sid`), with the server's clock caught up with the browser's.
pub(crate) async fn customer_texts_from(server: &TestServer, sid: &str, from: &str, body: &str) {
    catch_up_clock(server);
    let res = server.twilio_sms(sid, from, body).await;
    assert_eq!(res.status(), 200, "webhook for {sid}");
}

/// Accepts the one offer on screen with its button; its workitem id, once its dialog is open.
pub(crate) async fn accept_offer(c: &Client) -> u64 {
    let id = the_offer(c).await;
    click(c, &format!("#offer-{id} .accept")).await;
    wait_for(c, &format!("#item-{id}.current")).await;
    id
}

/// The customer's window texts `body`; returns once the simulator shows it sent.
pub(crate) async fn customer_texts(c: &Client, server: &TestServer, body: &str) {
    catch_up_clock(server);
    type_and_enter(c, "#sim-body", body).await;
    wait_text(c, "#sim-messages li.bubble.out .body", body).await;
    assert_eq!(
        texts(c, "#sim-error").await,
        vec![String::new()],
        "simulator error"
    );
}

/// The one offer on screen, once there is exactly one; its workitem id.
pub(crate) async fn the_offer(c: &Client) -> u64 {
    poll("an offer in #offers", move || async move {
        if texts(c, "#offers .offer").await.len() != 1 {
            return None;
        }
        let id = js(
            c,
            "return document.querySelector('#offers .offer').id;",
            vec![],
        )
        .await;
        id.as_str()?.strip_prefix("offer-")?.parse().ok()
    })
    .await
}

/// What the page script `expr` evaluates to (e.g. a field's value).
pub(crate) async fn eval(c: &Client, expr: &str) -> Value {
    js(c, &format!("return {expr};"), vec![]).await
}

/// Waits until the Outbound SMS dialog is open (`true`) or closed.
pub(crate) async fn wait_dialog(c: &Client, open: bool) {
    wait_js(
        c,
        if open {
            "the Outbound SMS dialog to open"
        } else {
            "the Outbound SMS dialog to close"
        },
        &format!("return document.getElementById('outbound-dialog').open === {open};"),
    )
    .await;
}

/// Opens the Outbound SMS dialog from the user menu, once /api/me has shown the button.
pub(crate) async fn open_from_menu(c: &Client) {
    wait_js(
        c,
        "the Outbound SMS button in the user menu",
        "return !document.getElementById('outbound-open').hidden;",
    )
    .await;
    click(c, "#outbound-open").await;
    wait_dialog(c, true).await;
}

/// The workitem the workspace has open, once it shows `body` in its SMS tab.
pub(crate) async fn open_workitem_showing(c: &Client, body: &str) -> u64 {
    wait_text(c, "#messages li.bubble.out .body", body).await;
    let id = eval(
        c,
        "(document.querySelector('#workitems .item.current') || {}).id || null",
    )
    .await;
    id.as_str()
        .and_then(|s| s.strip_prefix("item-"))
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no current workitem in the list: {id}"))
}

/// The number shown in the counter `id`.
pub(crate) async fn shown(c: &Client, id: &str) -> u64 {
    let t = texts(c, &format!("#{id}")).await;
    t.first()
        .and_then(|t| t.parse().ok())
        .unwrap_or_else(|| panic!("#{id} shows {t:?}"))
}

/// Waits until the page's counter `id` shows at least `want` (the live part refreshed).
pub(crate) async fn wait_shown_at_least(c: &Client, id: &str, want: u64) -> u64 {
    poll(
        &format!("#{id} to show {want} or more"),
        move || async move {
            let n = shown(c, id).await;
            (n >= want).then_some(n)
        },
    )
    .await
}
