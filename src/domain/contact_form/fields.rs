//! Parsers for the contact form's individual fields: each returns the clean value or the
//! message to show next to the field.

use std::str::FromStr;

use chrono::NaiveDate;

use super::{
    EARLIEST_BIRTH_YEAR, FieldErrors, MAX_CASE_NUMBER, MAX_CASE_NUMBERS, MAX_EMAIL,
    MAX_OTHER_PHONES,
};
use crate::domain::E164;

pub(super) fn too_long(max: usize, text: &str) -> String {
    format!(
        "At most {max} characters (this has {}).",
        text.chars().count()
    )
}

/// Trims a one-line text field, refusing line breaks and text over `max` characters.
pub(super) fn single_line(errors: &mut FieldErrors, field: &str, raw: &str, max: usize) -> String {
    let text = raw.trim();
    if text.chars().any(char::is_control) {
        errors.add(field, "Must be a single line without control characters.");
    } else if text.chars().count() > max {
        errors.add(field, too_long(max, text));
    }
    text.to_owned()
}

/// A pragmatic check that catches typos, not a full RFC 5322 parser: one `@`, something
/// before it, a domain with a dot inside it, no spaces.
pub fn check_email(email: &str) -> Result<(), String> {
    if email.is_empty() {
        return Ok(());
    }
    let bad = || {
        Err(format!(
            "\"{email}\" is not an email address; it should look like name@example.com."
        ))
    };
    if email.chars().any(char::is_whitespace) {
        return Err("An email address cannot contain spaces.".into());
    }
    if email.chars().count() > MAX_EMAIL {
        return Err(too_long(MAX_EMAIL, email));
    }
    let Some((local, domain)) = email.split_once('@') else {
        return bad();
    };
    let domain_ok = domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !domain.contains("..");
    if local.is_empty() || domain.contains('@') || !domain_ok {
        return bad();
    }
    Ok(())
}

/// An IANA zone name, as chrono-tz spells it; empty means unknown.
pub fn parse_time_zone(raw: &str) -> Result<String, String> {
    let name = raw.trim();
    if name.is_empty() {
        return Ok(String::new());
    }
    if let Ok(tz) = chrono_tz::Tz::from_str(name) {
        return Ok(tz.name().to_owned());
    }
    let hint = chrono_tz::TZ_VARIANTS
        .iter()
        .find(|tz| tz.name().eq_ignore_ascii_case(name))
        .map(|tz| format!(" Did you mean {}?", tz.name()))
        .unwrap_or_else(|| " Use an IANA name such as Europe/Berlin or America/New_York.".into());
    Err(format!("\"{name}\" is not a known time zone.{hint}"))
}

/// Degrees within ±`limit`; empty means none.
pub(super) fn parse_degrees(raw: &str, limit: f64, what: &str) -> Result<Option<f64>, String> {
    let text = raw.trim();
    if text.is_empty() {
        return Ok(None);
    }
    match text.parse::<f64>() {
        Ok(v) if v.is_finite() && (-limit..=limit).contains(&v) => Ok(Some(v)),
        Ok(v) if v.is_finite() => Err(format!(
            "{what} must be between -{limit} and {limit} degrees (this is {v})."
        )),
        _ => Err(format!(
            "{what} must be a number in degrees, like 48.1374 (a dot for decimals)."
        )),
    }
}

/// `YYYY-MM-DD`, not after `today` and not before 1900; empty means unknown.
pub fn parse_birth_date(raw: &str, today: NaiveDate) -> Result<Option<NaiveDate>, String> {
    let text = raw.trim();
    if text.is_empty() {
        return Ok(None);
    }
    let Ok(date) = NaiveDate::parse_from_str(text, "%Y-%m-%d") else {
        return Err(format!(
            "\"{text}\" is not a date; use the form YYYY-MM-DD, e.g. 1984-03-21."
        ));
    };
    if date > today {
        return Err("The date of birth cannot be in the future.".into());
    }
    if date < NaiveDate::from_ymd_opt(EARLIEST_BIRTH_YEAR, 1, 1).unwrap_or(NaiveDate::MIN) {
        return Err(format!(
            "The date of birth cannot be before {EARLIEST_BIRTH_YEAR}."
        ));
    }
    Ok(Some(date))
}

/// Items one per line or comma separated, trimmed, blanks dropped.
fn split_list(raw: &str) -> impl Iterator<Item = &str> {
    raw.split(['\n', '\r', ','])
        .map(str::trim)
        .filter(|s| !s.is_empty())
}

/// Case numbers, trimmed and de-duplicated in the order typed.
pub fn parse_case_numbers(raw: &str) -> Result<Vec<String>, String> {
    let mut out: Vec<String> = Vec::new();
    for item in split_list(raw) {
        if item.chars().any(char::is_control) {
            return Err("Case numbers cannot contain control characters.".into());
        }
        if item.chars().count() > MAX_CASE_NUMBER {
            return Err(format!(
                "Each case number may have at most {MAX_CASE_NUMBER} characters."
            ));
        }
        if !out.iter().any(|c| c == item) {
            out.push(item.to_owned());
        }
    }
    if out.len() > MAX_CASE_NUMBERS {
        return Err(format!("At most {MAX_CASE_NUMBERS} case numbers."));
    }
    Ok(out)
}

/// Other phones, each parsed to E.164, de-duplicated; the mobile itself is refused here.
pub fn parse_other_phones(raw: &str, mobile: Option<&E164>) -> Result<Vec<E164>, String> {
    let mut out: Vec<E164> = Vec::new();
    for item in split_list(raw) {
        let phone = E164::parse(item).map_err(|e| e.to_string())?;
        if Some(&phone) == mobile {
            return Err(format!(
                "{phone} is already the mobile number; list only other numbers here."
            ));
        }
        if !out.contains(&phone) {
            out.push(phone);
        }
    }
    if out.len() > MAX_OTHER_PHONES {
        return Err(format!("At most {MAX_OTHER_PHONES} other phone numbers."));
    }
    Ok(out)
}
