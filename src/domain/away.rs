//! Away reasons: the site-wide list an agent picks from when going Away, and whether free text
//! ("Other") is allowed. Agents and supervisors setting someone Away are checked alike.

use serde::{Deserialize, Serialize};

use super::labels::{find_label, parse_labels};

/// Longest away reason, typed or listed, in characters.
pub const MAX_REASON_CHARS: usize = 100;
/// Longest reason in the admin's list (it is shown in a drop-down).
pub const MAX_LISTED_REASON_CHARS: usize = 40;
/// Most reasons the list may have.
pub const MAX_AWAY_REASONS: usize = 50;

/// The admin's away reasons. An empty list leaves the reason free (and optional).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AwayReasons {
    #[serde(default)]
    pub reasons: Vec<String>,
    /// Whether an agent may type a reason of their own besides the list.
    #[serde(default)]
    pub allow_other: bool,
}

impl AwayReasons {
    /// The reasons an admin typed, one per line (see [`parse_labels`]).
    pub fn parse(text: &str, allow_other: bool) -> Result<AwayReasons, String> {
        let reasons = parse_labels(
            text,
            "away reason",
            MAX_LISTED_REASON_CHARS,
            MAX_AWAY_REASONS,
        )?;
        Ok(AwayReasons {
            reasons,
            allow_other,
        })
    }

    /// The list as the admin form shows it.
    pub fn text(&self) -> String {
        self.reasons.join("\n")
    }

    /// Whether anything besides the list is accepted.
    pub fn free(&self) -> bool {
        self.reasons.is_empty() || self.allow_other
    }

    /// The reason to record for someone going Away with `typed` (`None` or blank: none
    /// given): a listed reason in the list's spelling, or free text where it is allowed.
    pub fn check(&self, typed: Option<&str>) -> Result<Option<String>, String> {
        let typed = typed.map(str::trim).filter(|r| !r.is_empty());
        if let Some(r) = typed {
            let chars = r.chars().count();
            if chars > MAX_REASON_CHARS {
                return Err(format!(
                    "The away reason is too long ({chars} characters; at most {MAX_REASON_CHARS})."
                ));
            }
            if let Some(listed) = find_label(&self.reasons, r) {
                return Ok(Some(listed.to_owned()));
            }
        }
        if self.free() {
            return Ok(typed.map(str::to_owned));
        }
        let choices = self.reasons.join(", ");
        Err(match typed {
            None => format!("Choose an away reason: {choices}."),
            Some(r) => format!("\"{r}\" is not one of the away reasons; choose one of: {choices}."),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn without_a_list_any_reason_or_none_goes() {
        let free = AwayReasons::default();
        assert_eq!(free.check(None), Ok(None));
        assert_eq!(free.check(Some(" Dentist ")), Ok(Some("Dentist".into())));
        let e = free.check(Some(&"r".repeat(101))).unwrap_err();
        assert!(e.contains("at most 100"), "{e}");
    }

    #[test]
    fn a_closed_list_takes_only_its_reasons() {
        let list = AwayReasons::parse("Break\nLunch", false).unwrap();
        assert_eq!(list.check(Some("lunch")), Ok(Some("Lunch".into())));
        let e = list.check(Some("Dentist")).unwrap_err();
        assert!(
            e.contains("\"Dentist\"") && e.contains("Break, Lunch"),
            "{e}"
        );
        let e = list.check(None).unwrap_err();
        assert!(e.contains("Choose an away reason: Break, Lunch"), "{e}");
    }

    #[test]
    fn other_allows_free_text_beside_the_list() {
        let open = AwayReasons::parse("Break\nLunch", true).unwrap();
        assert_eq!(open.check(Some("BREAK")), Ok(Some("Break".into())));
        assert_eq!(open.check(Some("Dentist")), Ok(Some("Dentist".into())));
        assert_eq!(open.check(None), Ok(None));
    }

    #[test]
    fn the_list_is_checked_like_wrap_up_codes() {
        assert!(AwayReasons::parse("Break\nbreak", true).is_err());
        assert!(AwayReasons::parse(&"x".repeat(41), true).is_err());
    }
}
