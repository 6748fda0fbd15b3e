//! One `Config` for the whole server: defaults, then a TOML file, then `PARLEY_` environment
//! variables (`__` separates nesting levels, e.g. `PARLEY_SMS__TWILIO__AUTH_TOKEN`).
//! Unknown keys are rejected so a typo never silently falls back to a default.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

mod observability;
mod trusted_proxies;
pub use observability::{LogFormat, MetricsConfig};
pub use trusted_proxies::TrustedProxies;

/// Environment variables that share the prefix but are not configuration.
const NOT_CONFIG: &[&str] = &["PARLEY_REQUIRE_BROWSER", "PARLEY_LOG", "PARLEY_BENCH"];

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read config file {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("config file {path} is not valid TOML: {source}")]
    Parse {
        path: PathBuf,
        source: toml::de::Error,
    },
    #[error("invalid configuration: {0}")]
    Invalid(String),
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    /// Where the store and the search index live; created when missing.
    pub data_dir: PathBuf,
    /// Address the HTTP server binds to.
    pub listen: SocketAddr,
    /// The URL the outside world uses to reach this server. Twilio signs webhook requests with
    /// it, so it must match what is configured at the provider exactly.
    pub public_url: String,
    /// Reverse proxies whose `X-Forwarded-For` names the client (for login throttling and
    /// logs); a request from anyone else is the client itself.
    pub trusted_proxies: TrustedProxies,
    /// The site's IANA time zone (`Europe/Paris`): where "today" starts on the wallboard and
    /// which clock its chart's times are read on.
    pub site_time_zone: String,
    /// `text` (the default) or `json`, one object per line.
    pub log_format: LogFormat,
    pub auth: AuthConfig,
    pub acd: AcdConfig,
    pub sms: SmsConfig,
    pub crm: CrmConfig,
    pub search: SearchConfig,
    pub metrics: MetricsConfig,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SearchConfig {
    /// Least time between two commits of the search index: new messages become searchable
    /// within about this long. Commits are never on a request's path.
    pub commit_interval_ms: u64,
}

impl Default for SearchConfig {
    fn default() -> Self {
        SearchConfig {
            commit_interval_ms: 500,
        }
    }
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AuthConfig {
    /// A session unused for this long is logged out.
    pub session_idle_minutes: u64,
    /// A session ends this long after its login, however busy it is.
    pub session_max_hours: u64,
    /// Force the cookie's `Secure` flag; when unset it follows `public_url`'s scheme.
    pub secure_cookies: Option<bool>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AcdConfig {
    /// Concurrent SMS workitems an agent handles unless their settings say otherwise.
    pub default_capacity: u32,
    /// Offer timeout for queues created without one.
    pub default_offer_timeout_secs: u64,
    /// How long an agent who let an offer lapse (or rejected it) is skipped for that workitem.
    pub lapse_cooldown_secs: u64,
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum ProviderKind {
    Simulator,
    Twilio,
}

impl ProviderKind {
    /// The provider's name, as campaigns and provider-id keys spell it.
    pub fn name(&self) -> &'static str {
        match self {
            ProviderKind::Simulator => "simulator",
            ProviderKind::Twilio => "twilio",
        }
    }
}

impl SmsConfig {
    /// The providers campaigns may choose: the configured one, and Twilio whenever its
    /// credentials are set (so a simulator install can move one number to Twilio).
    pub fn available_providers(&self) -> Vec<&'static str> {
        let mut names = vec![self.provider.name()];
        if self.twilio.configured() && self.provider != ProviderKind::Twilio {
            names.push(ProviderKind::Twilio.name());
        }
        names
    }
}

impl TwilioConfig {
    pub fn configured(&self) -> bool {
        !self.account_sid.is_empty() && !self.auth_token.is_empty()
    }
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SmsConfig {
    /// Which provider carries messages. The `/simulator` page exists only with `simulator`.
    pub provider: ProviderKind,
    pub twilio: TwilioConfig,
}

#[derive(Clone, Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields, default)]
pub struct TwilioConfig {
    pub account_sid: String,
    /// Signs inbound webhooks and authenticates outbound calls; never logged.
    pub auth_token: String,
    /// Base URL of the Messages API; point it at any Twilio-compatible service.
    pub api_base: String,
}

/// The company's own CRM, linked from each contact that has a customer ID.
#[derive(Clone, Debug, Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields, default)]
pub struct CrmConfig {
    /// A URL with `{customer_id}` in it, e.g. `https://crm.example/contacts/{customer_id}`;
    /// empty turns the link off.
    pub contact_url_template: String,
}

impl CrmConfig {
    /// The contact's page in the CRM, when a template is configured and the contact has an
    /// id; the id is percent-encoded so it cannot change the URL's shape.
    pub fn contact_url(&self, customer_id: &str) -> Option<String> {
        let id = customer_id.trim();
        if self.contact_url_template.is_empty() || id.is_empty() {
            return None;
        }
        let encoded: String = id
            .bytes()
            .map(|b| match b {
                b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                    (b as char).to_string()
                }
                _ => format!("%{b:02X}"),
            })
            .collect();
        Some(
            self.contact_url_template
                .replace(CUSTOMER_ID_PLACEHOLDER, &encoded),
        )
    }
}

/// Where the customer ID goes in `crm.contact_url_template`.
pub const CUSTOMER_ID_PLACEHOLDER: &str = "{customer_id}";

impl std::fmt::Debug for TwilioConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TwilioConfig")
            .field("account_sid", &self.account_sid)
            .field(
                "auth_token",
                &if self.auth_token.is_empty() {
                    ""
                } else {
                    "<redacted>"
                },
            )
            .field("api_base", &self.api_base)
            .finish()
    }
}

impl Default for Config {
    fn default() -> Self {
        Config {
            data_dir: PathBuf::from("parley-data"),
            listen: SocketAddr::from(([127, 0, 0, 1], 8080)),
            public_url: "http://127.0.0.1:8080".into(),
            trusted_proxies: TrustedProxies::default(),
            site_time_zone: "UTC".into(),
            log_format: LogFormat::default(),
            auth: AuthConfig::default(),
            acd: AcdConfig::default(),
            sms: SmsConfig::default(),
            crm: CrmConfig::default(),
            search: SearchConfig::default(),
            metrics: MetricsConfig::default(),
        }
    }
}

impl Default for AuthConfig {
    fn default() -> Self {
        AuthConfig {
            session_idle_minutes: 8 * 60,
            session_max_hours: 12,
            secure_cookies: None,
        }
    }
}

impl Default for AcdConfig {
    fn default() -> Self {
        AcdConfig {
            default_capacity: 3,
            default_offer_timeout_secs: 20,
            lapse_cooldown_secs: 120,
        }
    }
}

impl Default for SmsConfig {
    fn default() -> Self {
        SmsConfig {
            provider: ProviderKind::Simulator,
            twilio: TwilioConfig {
                api_base: "https://api.twilio.com".into(),
                ..TwilioConfig::default()
            },
        }
    }
}

impl Config {
    /// Defaults, overlaid by the file (when given) and then by `PARLEY_*` variables.
    pub fn load(
        file: Option<&Path>,
        env: impl IntoIterator<Item = (String, String)>,
    ) -> Result<Config, ConfigError> {
        let mut table = match file {
            Some(path) => {
                let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
                    path: path.to_owned(),
                    source,
                })?;
                toml::from_str::<toml::Table>(&text).map_err(|source| ConfigError::Parse {
                    path: path.to_owned(),
                    source,
                })?
            }
            None => toml::Table::new(),
        };
        for (name, value) in env {
            let Some(rest) = name.strip_prefix("PARLEY_") else {
                continue;
            };
            if NOT_CONFIG.contains(&name.as_str()) {
                continue;
            }
            let path: Vec<String> = rest.split("__").map(|s| s.to_ascii_lowercase()).collect();
            set_path(&mut table, &path, env_value(&value))
                .map_err(|e| ConfigError::Invalid(format!("{name}: {e}")))?;
        }
        let config: Config = toml::Value::Table(table)
            .try_into()
            .map_err(|e: toml::de::Error| ConfigError::Invalid(e.message().to_owned()))?;
        config.validate()?;
        Ok(config)
    }

    fn validate(&self) -> Result<(), ConfigError> {
        if !(self.public_url.starts_with("http://") || self.public_url.starts_with("https://")) {
            return Err(ConfigError::Invalid(
                "public_url must start with http:// or https://".into(),
            ));
        }
        if self.site_time_zone.parse::<chrono_tz::Tz>().is_err() {
            return Err(ConfigError::Invalid(format!(
                "site_time_zone {:?} is not an IANA time zone name (such as \"Europe/Paris\" or \"UTC\")",
                self.site_time_zone
            )));
        }
        if self.acd.default_capacity == 0 {
            return Err(ConfigError::Invalid(
                "acd.default_capacity must be at least 1".into(),
            ));
        }
        if self.auth.session_idle_minutes == 0 || self.auth.session_max_hours == 0 {
            return Err(ConfigError::Invalid(
                "auth.session_idle_minutes and auth.session_max_hours must be at least 1".into(),
            ));
        }
        if self.search.commit_interval_ms == 0 {
            return Err(ConfigError::Invalid(
                "search.commit_interval_ms must be at least 1".into(),
            ));
        }
        if self.acd.default_offer_timeout_secs == 0 {
            return Err(ConfigError::Invalid(
                "acd.default_offer_timeout_secs must be at least 1".into(),
            ));
        }
        if self.sms.provider == ProviderKind::Twilio
            && (self.sms.twilio.account_sid.is_empty() || self.sms.twilio.auth_token.is_empty())
        {
            return Err(ConfigError::Invalid(
                "sms.provider = \"twilio\" needs sms.twilio.account_sid and sms.twilio.auth_token"
                    .into(),
            ));
        }
        if let Some(problem) = self.metrics.token_problem() {
            return Err(ConfigError::Invalid(problem));
        }
        let crm = &self.crm.contact_url_template;
        if !crm.is_empty()
            && (!(crm.starts_with("http://") || crm.starts_with("https://"))
                || !crm.contains(CUSTOMER_ID_PLACEHOLDER))
        {
            return Err(ConfigError::Invalid(format!(
                "crm.contact_url_template must start with http:// or https:// and contain \
                 {CUSTOMER_ID_PLACEHOLDER} (or be empty to turn the CRM link off)"
            )));
        }
        Ok(())
    }

    /// The site's time zone (checked at load, so never the fallback in practice).
    pub fn site_zone(&self) -> chrono_tz::Tz {
        self.site_time_zone.parse().unwrap_or(chrono_tz::Tz::UTC)
    }

    /// Whether session cookies carry `Secure`.
    pub fn secure_cookies(&self) -> bool {
        self.auth
            .secure_cookies
            .unwrap_or_else(|| self.serves_https())
    }

    /// Browsers reach Parley over https (`public_url`, any case of the scheme).
    pub fn serves_https(&self) -> bool {
        self.public_url
            .get(..8)
            .is_some_and(|s| s.eq_ignore_ascii_case("https://"))
    }

    /// The Twilio auth token when Twilio webhooks are configured.
    pub fn twilio_auth_token(&self) -> Option<&str> {
        let token = self.sms.twilio.auth_token.as_str();
        (!token.is_empty()).then_some(token)
    }
}

/// An environment value is read as a TOML value when it parses as one (numbers, booleans),
/// otherwise as a plain string.
fn env_value(raw: &str) -> toml::Value {
    toml::from_str::<toml::Table>(&format!("v = {raw}"))
        .ok()
        .and_then(|mut t| t.remove("v"))
        .filter(|v| !v.is_table())
        .unwrap_or_else(|| toml::Value::String(raw.to_owned()))
}

fn set_path(table: &mut toml::Table, path: &[String], value: toml::Value) -> Result<(), String> {
    match path {
        [] => Err("empty key".into()),
        [last] => {
            table.insert(last.clone(), value);
            Ok(())
        }
        [head, rest @ ..] => {
            let entry = table
                .entry(head.clone())
                .or_insert_with(|| toml::Value::Table(toml::Table::new()));
            match entry {
                toml::Value::Table(inner) => set_path(inner, rest, value),
                _ => Err(format!("{head} is not a section")),
            }
        }
    }
}

#[cfg(test)]
#[path = "config_tests.rs"]
mod tests;
