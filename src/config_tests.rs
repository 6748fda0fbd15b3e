use super::*;

fn env(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

#[test]
fn env_overrides_nested_keys_with_types() {
    let c = Config::load(
        None,
        env(&[
            ("PARLEY_ACD__DEFAULT_CAPACITY", "5"),
            ("PARLEY_LISTEN", "0.0.0.0:9000"),
            ("PARLEY_SMS__TWILIO__AUTH_TOKEN", "abc"),
            ("PARLEY_REQUIRE_BROWSER", "1"),
            ("HOME", "/root"),
        ]),
    )
    .unwrap();
    assert_eq!(c.acd.default_capacity, 5);
    assert_eq!(c.listen.port(), 9000);
    assert_eq!(c.sms.twilio.auth_token, "abc");
    assert!(!format!("{c:?}").contains("abc"), "secret leaked in Debug");
}

#[test]
fn unknown_keys_are_rejected() {
    let err = Config::load(None, env(&[("PARLEY_ACD__CAPACTY", "5")])).unwrap_err();
    assert!(err.to_string().contains("capacty"), "{err}");
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("parley.toml");
    std::fs::write(&file, "listen = \"127.0.0.1:1\"\nlisten_typo = 1\n").unwrap();
    assert!(Config::load(Some(&file), env(&[])).is_err());
}

#[test]
fn site_time_zone_defaults_to_utc_and_a_bad_name_is_named() {
    let c = Config::load(None, env(&[])).unwrap();
    assert_eq!(c.site_zone(), chrono_tz::Tz::UTC);
    let c = Config::load(None, env(&[("PARLEY_SITE_TIME_ZONE", "America/New_York")])).unwrap();
    assert_eq!(c.site_zone(), chrono_tz::America::New_York);
    let err = Config::load(None, env(&[("PARLEY_SITE_TIME_ZONE", "Mars/Olympus")])).unwrap_err();
    let text = err.to_string();
    assert!(
        text.contains("site_time_zone") && text.contains("Mars/Olympus"),
        "{text}"
    );
}

#[test]
fn crm_link_template_is_checked_and_fills_in_the_encoded_id() {
    let c = Config::load(None, env(&[])).unwrap();
    assert_eq!(c.crm.contact_url("C-1"), None, "off by default");
    for bad in ["crm.example/{customer_id}", "https://crm.example/contacts"] {
        let err =
            Config::load(None, env(&[("PARLEY_CRM__CONTACT_URL_TEMPLATE", bad)])).unwrap_err();
        assert!(
            err.to_string().contains("crm.contact_url_template"),
            "{err}"
        );
    }
    let c = Config::load(
        None,
        env(&[(
            "PARLEY_CRM__CONTACT_URL_TEMPLATE",
            "https://crm.example/contacts/{customer_id}?tab=1",
        )]),
    )
    .unwrap();
    assert_eq!(
        c.crm.contact_url(" A/B 7&x ").as_deref(),
        Some("https://crm.example/contacts/A%2FB%207%26x?tab=1")
    );
    assert_eq!(c.crm.contact_url(""), None, "no id, no link");
}

#[test]
fn trusted_proxies_come_from_a_list_or_one_env_string_and_bad_entries_are_named() {
    let c = Config::load(None, env(&[])).unwrap();
    assert!(c.trusted_proxies.is_empty(), "no one is trusted by default");
    let c = Config::load(
        None,
        env(&[("PARLEY_TRUSTED_PROXIES", "10.0.0.1, 172.16.0.0/12")]),
    )
    .unwrap();
    assert!(c.trusted_proxies.contains("172.20.1.1".parse().unwrap()));
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("parley.toml");
    std::fs::write(&file, "trusted_proxies = [\"::1\", \"10.0.0.0/8\"]\n").unwrap();
    let c = Config::load(Some(&file), env(&[])).unwrap();
    assert!(c.trusted_proxies.contains("::1".parse().unwrap()));
    assert!(c.trusted_proxies.contains("10.9.9.9".parse().unwrap()));
    std::fs::write(&file, "trusted_proxies = [\"10.0.0.1\", \"10.0.0.0/99\"]\n").unwrap();
    let err = Config::load(Some(&file), env(&[])).unwrap_err();
    assert!(err.to_string().contains("\"10.0.0.0/99\""), "{err}");
    let err = Config::load(
        None,
        env(&[("PARLEY_TRUSTED_PROXIES", "10.0.0.1;10.0.0.2")]),
    )
    .unwrap_err();
    assert!(err.to_string().contains("\"10.0.0.1;10.0.0.2\""), "{err}");
}

#[test]
fn twilio_provider_needs_credentials() {
    let err = Config::load(None, env(&[("PARLEY_SMS__PROVIDER", "twilio")])).unwrap_err();
    assert!(err.to_string().contains("account_sid"), "{err}");
}

#[test]
fn https_is_read_from_the_public_url() {
    let with = |url: &str| Config {
        public_url: url.into(),
        ..Config::default()
    };
    assert!(with("https://sms.example.com").serves_https());
    assert!(with("HTTPS://sms.example.com").serves_https());
    assert!(!with("http://127.0.0.1:8080").serves_https());
    assert!(!with("").serves_https());
}

#[test]
fn metrics_and_log_format_from_the_file_and_the_environment() {
    let c = Config::load(None, env(&[])).unwrap();
    assert!(!c.metrics.enabled, "off by default");
    assert_eq!(c.log_format, LogFormat::Text);

    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("parley.toml");
    std::fs::write(
        &file,
        "log_format = \"json\"\n[metrics]\nenabled = true\nbearer_token = \"scrape-me-0123456789\"\n",
    )
    .unwrap();
    let c = Config::load(Some(&file), env(&[])).unwrap();
    assert_eq!(c.log_format, LogFormat::Json);
    assert!(c.metrics.enabled);
    assert_eq!(c.metrics.bearer_token, "scrape-me-0123456789");
    assert!(
        !format!("{c:?}").contains("scrape-me"),
        "the metrics token leaked in Debug"
    );

    let c = Config::load(
        Some(&file),
        env(&[
            ("PARLEY_LOG_FORMAT", "text"),
            ("PARLEY_METRICS__ENABLED", "false"),
            ("PARLEY_METRICS__BEARER_TOKEN", ""),
        ]),
    )
    .unwrap();
    assert_eq!(c.log_format, LogFormat::Text);
    assert!(!c.metrics.enabled);
    assert!(c.metrics.bearer_token.is_empty());

    let err = Config::load(None, env(&[("PARLEY_LOG_FORMAT", "xml")])).unwrap_err();
    assert!(err.to_string().contains("xml"), "{err}");
}

#[test]
fn a_metrics_token_too_short_or_with_spaces_is_refused() {
    for bad in ["short", "has a space in it 0123456789"] {
        let err = Config::load(None, env(&[("PARLEY_METRICS__BEARER_TOKEN", bad)])).unwrap_err();
        assert!(
            err.to_string().contains("metrics.bearer_token"),
            "{bad:?}: {err}"
        );
    }
}
