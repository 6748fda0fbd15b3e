//! Phone numbers, always normalised to E.164 before they are stored or compared.

use serde::{Deserialize, Serialize};

/// A phone number in E.164 form, e.g. `+14155550100`.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct E164(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PhoneError {
    #[error("a phone number is required")]
    Empty,
    #[error("\"{0}\" is not a phone number; use international format, e.g. +14155550100")]
    Unparseable(String),
    #[error("\"{0}\" is not a valid phone number")]
    Invalid(String),
}

impl E164 {
    /// Parses user or provider input. Numbers without a `+` are read as North American (the
    /// default region), so `(415) 555-0100` works; anything else needs its country code.
    pub fn parse(input: &str) -> Result<E164, PhoneError> {
        let trimmed = input.trim();
        if trimmed.is_empty() {
            return Err(PhoneError::Empty);
        }
        if let Some(known) = cache::get(trimmed) {
            return Ok(known);
        }
        let parsed = Self::parse_uncached(trimmed)?;
        cache::put(trimmed, &parsed);
        Ok(parsed)
    }

    fn parse_uncached(trimmed: &str) -> Result<E164, PhoneError> {
        let parsed = phonenumber::parse(Some(phonenumber::country::Id::US), trimmed)
            .map_err(|_| PhoneError::Unparseable(trimmed.to_owned()))?;
        if !phonenumber::is_valid(&parsed) && !is_fictional_us(&parsed) {
            return Err(PhoneError::Invalid(trimmed.to_owned()));
        }
        Ok(E164(
            parsed.format().mode(phonenumber::Mode::E164).to_string(),
        ))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Parsing and validating with libphonenumber's metadata costs ~10 µs, and every inbound
/// message carries two numbers, mostly ones seen before: remember recent results.
mod cache {
    use std::collections::HashMap;
    use std::sync::{LazyLock, Mutex};

    use super::E164;

    /// Bounded: when full it starts over, which keeps memory flat and costs one re-parse each.
    const CAPACITY: usize = 100_000;
    static SEEN: LazyLock<Mutex<HashMap<String, E164>>> = LazyLock::new(Default::default);

    pub fn get(input: &str) -> Option<E164> {
        SEEN.lock().ok()?.get(input).cloned()
    }

    pub fn put(input: &str, parsed: &E164) {
        if let Ok(mut seen) = SEEN.lock() {
            if seen.len() >= CAPACITY {
                seen.clear();
            }
            seen.insert(input.to_owned(), parsed.clone());
        }
    }
}

/// The 555-01xx range is reserved for fiction and demos; libphonenumber calls it invalid, but
/// the simulator and the demo use it on purpose so no real person is ever texted.
fn is_fictional_us(n: &phonenumber::PhoneNumber) -> bool {
    let national = n.national().value().to_string();
    n.code().value() == 1 && national.len() == 10 && national[3..].starts_with("55501")
}

impl std::fmt::Display for E164 {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl TryFrom<String> for E164 {
    type Error = PhoneError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        E164::parse(&s)
    }
}

impl From<E164> for String {
    fn from(p: E164) -> String {
        p.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalises_common_forms() {
        for input in [
            "+1 415 555 0100",
            "(415) 555-0100",
            "4155550100",
            "+14155550100",
        ] {
            assert_eq!(
                E164::parse(input).unwrap().as_str(),
                "+14155550100",
                "{input}"
            );
        }
        assert_eq!(
            E164::parse("+44 20 7946 0958").unwrap().as_str(),
            "+442079460958"
        );
        assert_eq!(
            E164::parse("+49 30 901820").unwrap().as_str(),
            "+4930901820"
        );
    }

    #[test]
    fn rejects_garbage_with_a_clear_error() {
        assert_eq!(E164::parse("  "), Err(PhoneError::Empty));
        assert!(matches!(
            E164::parse("hello"),
            Err(PhoneError::Unparseable(_))
        ));
        assert!(E164::parse("+1 000").is_err());
        assert!(E164::parse("12").is_err());
    }
}
