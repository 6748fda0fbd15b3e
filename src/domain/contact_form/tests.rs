//! Every rule of the contact form.

use super::*;

fn today() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, 5).unwrap()
}

/// A form that passes: a mobile and nothing else.
fn form() -> ContactForm {
    ContactForm {
        mobile: "+14155550101".into(),
        ..ContactForm::default()
    }
}

fn error_of(f: &ContactForm, field: &str) -> String {
    let errors = f.validate(today()).expect_err("should be refused");
    errors
        .get(field)
        .unwrap_or_else(|| panic!("no error on {field}: {errors:?}"))
        .to_owned()
}

#[test]
fn a_full_form_becomes_an_update() {
    let f = ContactForm::from_pairs([
        ("first_name", " Ada "),
        ("last_name", "Lovelace"),
        ("street", "1 Main St"),
        ("city", "London"),
        ("region", "Greater London"),
        ("postal_code", "N1 9GU"),
        ("country", "United Kingdom"),
        ("email", "ada@example.co.uk"),
        ("time_zone", "Europe/London"),
        ("latitude", "51.5072"),
        ("longitude", "-0.1276"),
        ("date_of_birth", "1815-12-10"),
        ("customer_id", "C-42"),
        ("case_numbers", "CASE-1, CASE-2\nCASE-1\n\n  CASE-3  "),
        ("mobile", "(415) 555-0101"),
        ("other_phones", "+44 20 7946 0958\n+442079460958"),
        ("channel_preference", "email"),
        ("custom_key_1", "Plan"),
        ("custom_value_1", "Gold"),
        ("custom_key_0", "Tier"),
        ("custom_value_0", " 3 "),
        ("custom_key_2", ""),
        ("custom_value_2", ""),
        ("_csrf", "ignored"),
    ]);
    // 1815 is before 1900: everything else passes.
    assert_eq!(
        f.validate(today())
            .unwrap_err()
            .iter()
            .map(|(k, _)| k)
            .collect::<Vec<_>>(),
        ["date_of_birth"]
    );
    let f = ContactForm {
        date_of_birth: "1985-12-10".into(),
        ..f
    };
    let u = f.validate(today()).unwrap();
    assert_eq!(u.first_name, "Ada");
    assert_eq!(u.mobile.as_str(), "+14155550101");
    assert_eq!(u.time_zone, "Europe/London");
    assert_eq!((u.latitude, u.longitude), (Some(51.5072), Some(-0.1276)));
    assert_eq!(u.date_of_birth, NaiveDate::from_ymd_opt(1985, 12, 10));
    assert_eq!(u.case_numbers, ["CASE-1", "CASE-2", "CASE-3"]);
    assert_eq!(u.other_phones, [E164::parse("+442079460958").unwrap()]);
    assert_eq!(u.channel_preference, ChannelPreference::Email);
    assert_eq!(
        u.custom_fields,
        [
            ("Tier".to_owned(), "3".to_owned()),
            ("Plan".into(), "Gold".into())
        ],
        "rows in index order, blank rows dropped, values trimmed"
    );
}

#[test]
fn a_stored_contact_round_trips_through_the_form() {
    let mut c = Contact::new(
        ContactId(7),
        E164::parse("+14155550101").unwrap(),
        Utc::now(),
    );
    let update = ContactForm {
        first_name: "Ada".into(),
        latitude: "-33.5".into(),
        longitude: "151".into(),
        date_of_birth: "2000-02-29".into(),
        case_numbers: "A, B".into(),
        other_phones: "+14155550102".into(),
        channel_preference: "voice".into(),
        custom_fields: vec![("k".into(), "v".into())],
        ..form()
    }
    .validate(today())
    .unwrap();
    update.clone().apply(&mut c);
    assert_eq!(c.id, ContactId(7));
    assert_eq!(
        ContactForm::from_contact(&c).validate(today()).unwrap(),
        update
    );
}

#[test]
fn the_mobile_is_required_and_parsed() {
    let f = ContactForm {
        mobile: " ".into(),
        ..form()
    };
    assert_eq!(error_of(&f, "mobile"), "a phone number is required");
    let f = ContactForm {
        mobile: "call me".into(),
        ..form()
    };
    assert!(error_of(&f, "mobile").contains("is not a phone number"));
}

#[test]
fn emails_are_checked_pragmatically() {
    for good in ["a@b.co", "first.last+tag@mail.example.com", ""] {
        assert_eq!(check_email(good), Ok(()), "{good}");
    }
    for bad in [
        "plainaddress",
        "@example.com",
        "a@b",
        "a@@b.com",
        "a@b@c.com",
        "a@.com",
        "a@b.",
        "a@b..com",
    ] {
        assert!(check_email(bad).is_err(), "{bad} accepted");
    }
    assert_eq!(
        check_email("a b@c.com").unwrap_err(),
        "An email address cannot contain spaces."
    );
    let long = format!("{}@example.com", "a".repeat(250));
    assert!(check_email(&long).unwrap_err().contains("At most 254"));
    let f = ContactForm {
        email: "ada(at)example.com".into(),
        ..form()
    };
    assert!(error_of(&f, "email").contains("is not an email address"));
}

#[test]
fn time_zones_must_be_iana_names() {
    assert_eq!(
        parse_time_zone(" America/New_York ").unwrap(),
        "America/New_York"
    );
    assert_eq!(parse_time_zone("UTC").unwrap(), "UTC");
    assert_eq!(parse_time_zone("").unwrap(), "");
    let e = parse_time_zone("Mars/Olympus_Mons").unwrap_err();
    assert!(
        e.contains("not a known time zone") && e.contains("Europe/Berlin"),
        "{e}"
    );
    let e = parse_time_zone("europe/berlin").unwrap_err();
    assert!(e.contains("Did you mean Europe/Berlin?"), "{e}");
}

#[test]
fn coordinates_are_in_range_and_come_in_pairs() {
    let at = |lat: &str, lon: &str| ContactForm {
        latitude: lat.into(),
        longitude: lon.into(),
        ..form()
    };
    assert!(at("90", "-180").validate(today()).is_ok());
    assert!(at("", "").validate(today()).is_ok());
    assert!(error_of(&at("90.5", "0"), "latitude").contains("between -90 and 90"));
    assert!(error_of(&at("0", "-180.01"), "longitude").contains("between -180 and 180"));
    assert!(error_of(&at("NaN", "0"), "latitude").contains("must be a number"));
    assert!(error_of(&at("48,1", "11"), "latitude").contains("a dot for decimals"));
    assert!(error_of(&at("48.1", ""), "longitude").contains("Enter a longitude too"));
    assert!(error_of(&at("", "11.5"), "latitude").contains("Enter a latitude too"));
}

#[test]
fn birth_dates_are_real_past_dates_from_1900() {
    assert_eq!(parse_birth_date("", today()), Ok(None));
    assert_eq!(parse_birth_date("2026-11-05", today()), Ok(Some(today())));
    assert_eq!(
        parse_birth_date("2026-11-06", today()).unwrap_err(),
        "The date of birth cannot be in the future."
    );
    assert!(
        parse_birth_date("1899-12-31", today())
            .unwrap_err()
            .contains("before 1900")
    );
    assert!(parse_birth_date("1900-01-01", today()).is_ok());
    assert!(
        parse_birth_date("2023-02-29", today())
            .unwrap_err()
            .contains("YYYY-MM-DD")
    );
    assert!(parse_birth_date("05/11/1980", today()).is_err());
}

#[test]
fn case_numbers_are_split_trimmed_and_deduplicated() {
    assert_eq!(
        parse_case_numbers(" 1, 2\r\n3\n1,, ").unwrap(),
        ["1", "2", "3"]
    );
    assert!(parse_case_numbers(&"x".repeat(101)).is_err());
    let many: Vec<String> = (0..101).map(|i| i.to_string()).collect();
    assert!(parse_case_numbers(&many.join(",")).is_err());
}

#[test]
fn other_phones_are_parsed_with_clear_errors() {
    let f = ContactForm {
        other_phones: "+14155550102, not-a-number".into(),
        ..form()
    };
    assert!(error_of(&f, "other_phones").contains("\"not-a-number\" is not a phone number"));
    let f = ContactForm {
        other_phones: "415 555 0101".into(),
        ..form()
    };
    assert!(error_of(&f, "other_phones").contains("already the mobile number"));
}

#[test]
fn channel_preference_must_be_a_known_one() {
    let f = ContactForm {
        channel_preference: "pigeon".into(),
        ..form()
    };
    assert!(error_of(&f, "channel_preference").contains("Choose SMS"));
    for ok in ["", "sms", "email", "voice", "none", "unknown"] {
        let f = ContactForm {
            channel_preference: ok.into(),
            ..form()
        };
        assert!(f.validate(today()).is_ok(), "{ok}");
    }
}

#[test]
fn custom_fields_need_unique_names() {
    let f = ContactForm {
        custom_fields: vec![
            ("Plan".into(), "Gold".into()),
            ("plan".into(), "Silver".into()),
        ],
        ..form()
    };
    assert!(error_of(&f, "custom_key_1").contains("\"plan\" is already used above"));
    let f = ContactForm {
        custom_fields: vec![(" ".into(), "orphan value".into())],
        ..form()
    };
    assert!(error_of(&f, "custom_key_0").contains("Give this value a name"));
    let f = ContactForm {
        custom_fields: vec![("Notes".into(), "v".repeat(1001))],
        ..form()
    };
    assert!(error_of(&f, "custom_value_0").contains("At most 1000"));
    let f = ContactForm {
        custom_fields: (0..51).map(|i| (format!("k{i}"), "v".into())).collect(),
        ..form()
    };
    assert!(error_of(&f, "custom_key_50").contains("At most 50 custom fields"));
}

#[test]
fn text_fields_have_limits_and_one_line() {
    let f = ContactForm {
        city: "x".repeat(201),
        ..form()
    };
    assert!(error_of(&f, "city").contains("At most 200 characters (this has 201)"));
    let f = ContactForm {
        first_name: "Ada\nLovelace".into(),
        ..form()
    };
    assert!(error_of(&f, "first_name").contains("single line"));
    // Characters, not bytes: 200 accented letters fit.
    let f = ContactForm {
        last_name: "é".repeat(200),
        ..form()
    };
    assert!(f.validate(today()).is_ok());
}

#[test]
fn every_bad_field_is_reported_at_once() {
    let f = ContactForm {
        email: "nope".into(),
        time_zone: "Nowhere".into(),
        latitude: "100".into(),
        longitude: "0".into(),
        date_of_birth: "2999-01-01".into(),
        ..form()
    };
    let errors = f.validate(today()).unwrap_err();
    assert_eq!(errors.len(), 4, "{errors:?}");
}
