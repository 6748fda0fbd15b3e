//! The mixed load each trial runs under: customers' webhooks, an agent accepting, answering
//! and ending each offer, and the same agent texting customers.

use super::*;

/// Posts a signed inbound webhook; whether it was acknowledged.
pub(crate) async fn inbound(
    http: &reqwest::Client,
    url: &str,
    sid: &str,
    from: &str,
    body: &str,
) -> bool {
    let params = twilio_params(sid, from, body);
    let sig =
        parley::sms::twilio::signature(TWILIO_TOKEN, &format!("{PUBLIC}{WEBHOOK_PATH}"), &params);
    matches!(
        http.post(format!("{url}{WEBHOOK_PATH}"))
            .header("X-Twilio-Signature", sig)
            .form(&params)
            .send()
            .await,
        Ok(r) if r.status() == 200
    )
}

/// A JSON POST of the agent's; the answer when it was 2xx.
pub(crate) async fn act(
    http: &reqwest::Client,
    csrf: &str,
    url: &str,
    body: serde_json::Value,
) -> Option<serde_json::Value> {
    let res = http
        .post(url)
        .header("X-CSRF-Token", csrf)
        .json(&body)
        .send()
        .await
        .ok()?;
    if !res.status().is_success() {
        return None;
    }
    Some(res.json().await.unwrap_or_default())
}

/// The agent's side: opens the event stream, goes Available, and for each offer accepts,
/// replies and ends it. Runs until the server dies.
pub(crate) async fn agent(
    http: reqwest::Client,
    csrf: String,
    url: String,
    trial: u64,
    acked: Arc<Mutex<Acked>>,
) {
    let Ok(res) = http.get(format!("{url}/api/events")).send().await else {
        return;
    };
    let mut stream = res.bytes_stream();
    let _ = act(
        &http,
        &csrf,
        &format!("{url}/api/presence"),
        serde_json::json!({"presence": "available"}),
    )
    .await;
    let mut buf = String::new();
    let mut event = String::new();
    let mut k = 0u64;
    while let Some(Ok(chunk)) = stream.next().await {
        buf.push_str(&String::from_utf8_lossy(&chunk));
        while let Some(end) = buf.find('\n') {
            let line = buf[..end].trim_end_matches('\r').to_owned();
            buf.drain(..=end);
            if let Some(name) = line.strip_prefix("event:") {
                event = name.trim().to_owned();
                continue;
            }
            let Some(data) = line.strip_prefix("data:") else {
                continue;
            };
            let v: serde_json::Value = serde_json::from_str(data.trim()).unwrap_or_default();
            // Offers now, and work the last run left active (from the opening sync).
            let mut ids = Vec::new();
            if event == "offer" {
                ids.extend(v["workitem"]["id"].as_u64().map(|w| (w, true)));
            } else if event == "sync" {
                for w in v["active"].as_array().into_iter().flatten() {
                    ids.extend(w["id"].as_u64().map(|w| (w, false)));
                }
            }
            for (w, offered) in ids {
                let base = format!("{url}/api/workitems/{w}");
                if offered {
                    if act(
                        &http,
                        &csrf,
                        &format!("{base}/accept"),
                        serde_json::json!({}),
                    )
                    .await
                    .is_none()
                    {
                        continue;
                    }
                    lock(&acked).accepted.insert(w);
                }
                k += 1;
                let body = format!("re-{trial}-{k}");
                if act(
                    &http,
                    &csrf,
                    &format!("{base}/messages"),
                    serde_json::json!({"body": body}),
                )
                .await
                .is_some()
                {
                    lock(&acked).bodies.insert(body);
                }
                if act(
                    &http,
                    &csrf,
                    &format!("{base}/terminate"),
                    // The demo's queue requires a wrap-up code.
                    serde_json::json!({"wrap_up": "Resolved"}),
                )
                .await
                .is_some()
                {
                    lock(&acked).terminated.insert(w);
                }
            }
        }
    }
}

/// Customers texting in, one after another about 10 ms apart, until the server dies.
pub(crate) async fn customers(url: String, trial: u64, acked: Arc<Mutex<Acked>>) {
    let http = reqwest::Client::new();
    for i in 0u64.. {
        if i > 0 {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        let body = format!("in-{trial}-{i}");
        let from = format!("+1415556{:04}", (trial * 7 + i) % 40);
        if inbound(
            &http,
            &url,
            &message_sid((trial % 200) as u8, trial << 20 | i),
            &from,
            &body,
        )
        .await
        {
            lock(&acked).bodies.insert(body);
        } else {
            return;
        }
    }
}

/// The agent texting customers from the outbound campaign, about 10 ms apart, until the server
/// dies.
pub(crate) async fn outbound(
    http: reqwest::Client,
    csrf: String,
    url: String,
    trial: u64,
    campaign: u64,
    acked: Arc<Mutex<Acked>>,
) {
    for i in 0u64.. {
        if i > 0 {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        let body = format!("ob-{trial}-{i}");
        let to = format!("+1415557{:04}", (trial * 3 + i) % 40);
        let sent = act(
            &http,
            &csrf,
            &format!("{url}/api/outbound"),
            serde_json::json!({"to": to, "body": body, "campaign": campaign}),
        )
        .await;
        match sent {
            Some(started) => {
                lock(&acked).bodies.insert(body);
                // Ended at once, so the agent's room goes to the customers' offers.
                if let Some(w) = started["workitem"]["id"].as_u64() {
                    let ended = act(
                        &http,
                        &csrf,
                        &format!("{url}/api/workitems/{w}/terminate"),
                        serde_json::json!({"wrap_up": "Resolved"}),
                    )
                    .await;
                    if ended.is_some() {
                        lock(&acked).terminated.insert(w);
                    }
                }
            }
            // Refused (the customer has an open conversation with someone) or the server died.
            None => tokio::time::sleep(Duration::from_millis(20)).await,
        }
        if http.get(format!("{url}/healthz")).send().await.is_err() {
            return;
        }
    }
}
