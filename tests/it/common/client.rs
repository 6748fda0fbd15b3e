//! A browser-like client: cookies, the CSRF token, JSON and form requests.

use super::*;

/// The CSRF token of the first form in `html` (its hidden `_csrf` field).
pub fn hidden_csrf(html: &str) -> String {
    let at = html
        .find("name=\"_csrf\" value=\"")
        .expect("csrf field in page");
    let rest = &html[at + "name=\"_csrf\" value=\"".len()..];
    rest[..rest.find('"').unwrap()].to_owned()
}

pub struct Client {
    pub http: reqwest::Client,
    pub base: String,
    pub csrf: String,
}

impl Client {
    pub fn anonymous(base: &str) -> Client {
        Client {
            http: reqwest::Client::builder()
                .cookie_store(true)
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap(),
            base: base.to_owned(),
            csrf: String::new(),
        }
    }

    /// The same client with its session's CSRF token (after a login or a new session).
    pub async fn with_session_csrf(self) -> Client {
        let me: Value = self.get("/api/me").await.json().await.unwrap();
        Client {
            csrf: me["csrf"].as_str().unwrap().to_owned(),
            ..self
        }
    }

    /// A browser-like client whose connections come from `local` (on Linux any 127.x.y.z can
    /// reach the server on 127.0.0.1), holding the login page's pre-login CSRF token.
    pub async fn visitor_from(base: &str, local: std::net::IpAddr) -> Client {
        let http = reqwest::Client::builder()
            .cookie_store(true)
            .redirect(reqwest::redirect::Policy::none())
            .local_address(local)
            .build()
            .unwrap();
        let page = http.get(format!("{base}/login")).send().await.unwrap();
        assert_eq!(page.status(), 200);
        Client {
            csrf: hidden_csrf(&page.text().await.unwrap()),
            http,
            base: base.to_owned(),
        }
    }

    /// Posts the login form (with the pre-login token from [`Client::visitor_from`]); the raw
    /// answer: 303 on success.
    pub async fn try_login(&self, username: &str, password: &str) -> reqwest::Response {
        self.try_login_forwarded(username, password, None).await
    }

    /// The same, with an `X-Forwarded-For` header as a proxy would add.
    pub async fn try_login_forwarded(
        &self,
        username: &str,
        password: &str,
        forwarded_for: Option<&str>,
    ) -> reqwest::Response {
        let mut req = self.http.post(format!("{}/login", self.base)).form(&[
            ("_csrf", self.csrf.as_str()),
            ("username", username),
            ("password", password),
        ]);
        if let Some(f) = forwarded_for {
            req = req.header("X-Forwarded-For", f);
        }
        req.send().await.unwrap()
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.http
            .get(format!("{}{path}", self.base))
            .send()
            .await
            .unwrap()
    }

    /// A JSON POST with the CSRF header, as the workspace script sends it.
    pub async fn post(&self, path: &str, body: Value) -> reqwest::Response {
        self.http
            .post(format!("{}{path}", self.base))
            .header("X-CSRF-Token", &self.csrf)
            .json(&body)
            .send()
            .await
            .unwrap()
    }

    /// A POST with the CSRF header and no body at all (no content type either).
    pub async fn post_bare(&self, path: &str) -> reqwest::Response {
        self.http
            .post(format!("{}{path}", self.base))
            .header("X-CSRF-Token", &self.csrf)
            .send()
            .await
            .unwrap()
    }

    /// Posts an HTML form as a page does, with the session's `_csrf` field unless `csrf` is
    /// false; (status, body, Location).
    pub async fn form_post(
        &self,
        path: &str,
        fields: &[(&str, &str)],
        csrf: bool,
    ) -> (u16, String, String) {
        let mut all: Vec<(&str, &str)> = fields.to_vec();
        if csrf {
            all.push(("_csrf", self.csrf.as_str()));
        }
        let res = self
            .http
            .post(format!("{}{path}", self.base))
            .form(&all)
            .send()
            .await
            .unwrap();
        let location = location(&res);
        (res.status().as_u16(), res.text().await.unwrap(), location)
    }

    pub async fn post_ok(&self, path: &str, body: Value) -> Value {
        let res = self.post(path, body).await;
        let status = res.status();
        let text = res.text().await.unwrap();
        assert!(status.is_success(), "POST {path}: {status} {text}");
        serde_json::from_str(&text).unwrap_or(Value::Null)
    }

    /// Posts a form from inside a workspace tab, as the workspace script does (CSRF header).
    pub async fn tab_post(&self, path: &str, form: &[(&str, &str)]) -> reqwest::Response {
        self.http
            .post(format!("{}{path}", self.base))
            .header("X-CSRF-Token", &self.csrf)
            .form(form)
            .send()
            .await
            .unwrap()
    }

    /// Accepts the next offer on `events`; its workitem id.
    pub async fn accept_next(&self, events: &mut Events) -> u64 {
        let id = events.offer().await;
        self.post_ok(
            &format!("/api/workitems/{id}/accept"),
            serde_json::json!({}),
        )
        .await;
        id
    }

    pub async fn available(&self) {
        self.post_ok(
            "/api/presence",
            serde_json::json!({"presence": "available"}),
        )
        .await;
    }

    /// Opens the agent's live stream; returns once its `sync` arrived.
    pub async fn events(&self) -> Events {
        let res = self.get("/api/events").await;
        assert_eq!(res.status(), 200, "event stream refused");
        let mut events = Events::from_response(res);
        events.next_named("sync").await;
        events
    }
}

/// A response's `Location` header, or "" without one.
pub fn location(res: &reqwest::Response) -> String {
    res.headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned()
}
