//! Wrap-up (disposition) codes: per queue, the short labels an agent picks from when ending a
//! workitem, and whether one must be picked.

use serde::{Deserialize, Serialize};

use super::labels::{find_label, parse_labels};

/// Longest wrap-up code, in characters.
pub const MAX_WRAP_UP_CODE_CHARS: usize = 40;
/// Most codes one queue may have.
pub const MAX_WRAP_UP_CODES: usize = 50;

/// A queue's wrap-up codes. Empty: its workitems end without one.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct WrapUp {
    #[serde(default)]
    pub codes: Vec<String>,
    /// Whether a workitem of the queue can only end with a code (only when it has codes).
    #[serde(default)]
    pub required: bool,
}

/// Why a termination's code was refused; the text is for the agent.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum WrapUpError {
    #[error("Choose a wrap-up code before ending this conversation ({}).", .codes.join(", "))]
    Missing { codes: Vec<String> },
    #[error("\"{code}\" is not a wrap-up code of this queue; choose one of: {}.", .codes.join(", "))]
    Unknown { code: String, codes: Vec<String> },
    #[error("This queue has no wrap-up codes; end the conversation without one.")]
    NoCodes { code: String },
}

impl WrapUp {
    /// The codes an admin typed, one per line (see [`parse_labels`]), and the required box.
    pub fn parse(text: &str, required: bool) -> Result<WrapUp, String> {
        let codes = parse_labels(
            text,
            "wrap-up code",
            MAX_WRAP_UP_CODE_CHARS,
            MAX_WRAP_UP_CODES,
        )?;
        // Without codes there is nothing to require.
        let required = required && !codes.is_empty();
        Ok(WrapUp { codes, required })
    }

    /// The codes as the admin form shows them.
    pub fn text(&self) -> String {
        self.codes.join("\n")
    }

    /// The code a termination stores, in the queue's own spelling, for what the agent chose
    /// (`None` or blank: nothing chosen).
    pub fn check(&self, chosen: Option<&str>) -> Result<Option<String>, WrapUpError> {
        let chosen = chosen.map(str::trim).filter(|c| !c.is_empty());
        match chosen {
            None if self.required && !self.codes.is_empty() => Err(WrapUpError::Missing {
                codes: self.codes.clone(),
            }),
            None => Ok(None),
            Some(code) if self.codes.is_empty() => Err(WrapUpError::NoCodes {
                code: code.to_owned(),
            }),
            Some(code) => match find_label(&self.codes, code) {
                Some(own) => Ok(Some(own.to_owned())),
                None => Err(WrapUpError::Unknown {
                    code: code.to_owned(),
                    codes: self.codes.clone(),
                }),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn codes(required: bool) -> WrapUp {
        WrapUp::parse("Resolved\nSale\nFollow-up needed", required).unwrap()
    }

    #[test]
    fn required_means_a_code_must_be_chosen() {
        let w = codes(true);
        assert!(matches!(w.check(None), Err(WrapUpError::Missing { .. })));
        assert!(matches!(
            w.check(Some("  ")),
            Err(WrapUpError::Missing { .. })
        ));
        assert_eq!(w.check(Some("sale")), Ok(Some("Sale".to_owned())));
        assert_eq!(codes(false).check(None), Ok(None));
    }

    #[test]
    fn a_code_outside_the_list_is_refused() {
        let e = codes(false).check(Some("Refund")).unwrap_err();
        assert!(e.to_string().contains("\"Refund\"") && e.to_string().contains("Resolved"));
        let none = WrapUp::default();
        assert_eq!(none.check(None), Ok(None));
        assert!(matches!(
            none.check(Some("Sale")),
            Err(WrapUpError::NoCodes { .. })
        ));
    }

    #[test]
    fn nothing_to_require_without_codes_and_old_queues_read() {
        assert_eq!(WrapUp::parse("\n", true).unwrap(), WrapUp::default());
        let old: crate::domain::Queue =
            serde_json::from_str(r#"{"id":1,"name":"Support","offer_timeout_secs":20}"#).unwrap();
        assert_eq!(old.wrap_up, WrapUp::default());
    }
}
