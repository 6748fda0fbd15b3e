//! Consent: the keywords customers text to opt out, back in, or ask for help, and the ledger
//! entry that records every change of a number's consent.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::routing::{default_help, default_opt_in, default_opt_out};
use super::{Campaign, CampaignId, E164, UserId};

/// What a whole inbound message asks for, when it is a compliance keyword.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Keyword {
    /// STOP and its synonyms: send nothing more.
    OptOut(&'static str),
    /// START, UNSTOP, YES: messages are welcome again (YES only counts after an opt-out).
    OptIn(&'static str),
    /// HELP, INFO: answer with the campaign's help text.
    Help(&'static str),
}

const OPT_OUT: [&str; 6] = ["STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT"];
const OPT_IN: [&str; 3] = ["START", "UNSTOP", "YES"];
const HELP: [&str; 2] = ["HELP", "INFO"];

impl Keyword {
    /// The keyword a message is, if the whole message is one: case-insensitive, surrounding
    /// white space and trailing `.`/`!` ignored (customers type "Stop." too). A message that
    /// merely contains a keyword ("please stop", "STOPPED") is an ordinary message.
    pub fn of(body: &str) -> Option<Keyword> {
        let word = body.trim().trim_end_matches(['.', '!']).trim_end();
        let find =
            |list: &[&'static str]| list.iter().copied().find(|k| k.eq_ignore_ascii_case(word));
        if let Some(k) = find(&OPT_OUT) {
            return Some(Keyword::OptOut(k));
        }
        if let Some(k) = find(&OPT_IN) {
            return Some(Keyword::OptIn(k));
        }
        find(&HELP).map(Keyword::Help)
    }

    pub fn word(self) -> &'static str {
        match self {
            Keyword::OptOut(w) | Keyword::OptIn(w) | Keyword::Help(w) => w,
        }
    }
}

/// The automatic answer to a keyword: the help text for HELP; one confirmation when an
/// opt-out or opt-in took effect; nothing for a repeated STOP.
pub fn keyword_answer(
    keyword: Keyword,
    consent_changed: bool,
    campaign: Option<&Campaign>,
) -> Option<String> {
    match keyword {
        Keyword::Help(_) => Some(match campaign {
            Some(c) => c.help_reply(),
            None => default_help(None),
        }),
        Keyword::OptOut(_) if consent_changed => Some(match campaign {
            Some(c) => c.opt_out_reply(),
            None => default_opt_out(None),
        }),
        Keyword::OptIn(_) if consent_changed => Some(default_opt_in(campaign)),
        _ => None,
    }
}

/// Who or what changed a number's consent.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum ConsentSource {
    /// The customer texted a keyword.
    Keyword { word: String },
    /// An agent or admin changed it by hand.
    Agent { user: UserId },
    /// A lead or contact import.
    Import,
    /// An API call.
    Api,
    /// The carrier refused a message with a code that means opted out or unreachable.
    Carrier { code: String },
}

impl ConsentSource {
    pub fn kind(&self) -> &'static str {
        match self {
            ConsentSource::Keyword { .. } => "keyword",
            ConsentSource::Agent { .. } => "agent",
            ConsentSource::Import => "import",
            ConsentSource::Api => "api",
            ConsentSource::Carrier { .. } => "carrier",
        }
    }

    /// The keyword, the carrier's code, or empty.
    pub fn detail(&self) -> String {
        match self {
            ConsentSource::Keyword { word } => word.clone(),
            ConsentSource::Carrier { code } => code.clone(),
            _ => String::new(),
        }
    }
}

/// One change of a number's consent, kept for ever.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConsentEntry {
    pub phone: E164,
    pub at: DateTime<Utc>,
    /// The state after the change.
    pub opted_out: bool,
    pub source: ConsentSource,
    /// The campaign whose number the change came through, if any.
    pub campaign: Option<CampaignId>,
}

/// A number's consent now.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Consent {
    pub opted_out: bool,
    /// When it last changed.
    pub since: DateTime<Utc>,
    pub source: ConsentSource,
}

impl ConsentEntry {
    /// The number's consent once this entry is recorded.
    pub fn consent(&self) -> Consent {
        Consent {
            opted_out: self.opted_out,
            since: self.at,
            source: self.source.clone(),
        }
    }
}

impl Consent {
    /// The one sentence every screen shows for an opted-out number (the workspace's banner,
    /// the outbound dialog, a refused send), or `None` when messages are welcome.
    pub fn warning(&self) -> Option<String> {
        if !self.opted_out {
            return None;
        }
        let how = match &self.source {
            ConsentSource::Keyword { word } => format!("texted {word}"),
            ConsentSource::Agent { .. } => "asked an agent".to_owned(),
            ConsentSource::Import => "opt-out imported".to_owned(),
            ConsentSource::Api => "recorded through the API".to_owned(),
            ConsentSource::Carrier { code } => format!("carrier error {code}"),
        };
        Some(format!(
            "This customer opted out of messages on {} ({how}). Nothing can be sent to them \
             until they text START.",
            self.since.format("%Y-%m-%d %H:%M UTC"),
        ))
    }
}

/// Carrier error codes that mean the number must not be messaged again until it opts in:
/// Twilio 21610 (the recipient replied STOP to the carrier) and 30004/30005/30006 (blocked,
/// unknown or unreachable destination).
pub fn carrier_code_blocks(code: &str) -> bool {
    matches!(code.trim(), "21610" | "30004" | "30005" | "30006")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_keyword_in_any_case_with_spaces() {
        for w in OPT_OUT {
            for body in [
                w.to_owned(),
                w.to_lowercase(),
                format!("  {w}\n"),
                format!("{w}."),
            ] {
                assert_eq!(Keyword::of(&body), Some(Keyword::OptOut(w)), "{body:?}");
            }
        }
        assert_eq!(Keyword::of("Stop"), Some(Keyword::OptOut("STOP")));
        assert_eq!(Keyword::of(" sToPaLl "), Some(Keyword::OptOut("STOPALL")));
        assert_eq!(Keyword::of("unstop"), Some(Keyword::OptIn("UNSTOP")));
        assert_eq!(Keyword::of("Yes!"), Some(Keyword::OptIn("YES")));
        assert_eq!(Keyword::of("start"), Some(Keyword::OptIn("START")));
        assert_eq!(Keyword::of("help"), Some(Keyword::Help("HELP")));
        assert_eq!(Keyword::of("Info"), Some(Keyword::Help("INFO")));
    }

    #[test]
    fn words_containing_a_keyword_are_ordinary() {
        for body in [
            "stopped",
            "please stop",
            "STOP IT",
            "nonstop",
            "stop stop",
            "S T O P",
            "",
            "   ",
            "yes please",
            "helpful",
            "ST0P",
            "stop?",
        ] {
            assert_eq!(Keyword::of(body), None, "{body:?}");
        }
    }

    #[test]
    fn one_warning_sentence_only_for_an_opted_out_number() {
        let at = DateTime::parse_from_rfc3339("2026-12-05T02:37:09Z")
            .unwrap()
            .with_timezone(&Utc);
        let entry = |opted_out, source| ConsentEntry {
            phone: E164::parse("+14155550123").unwrap(),
            at,
            opted_out,
            source,
            campaign: None,
        };
        let stop = ConsentSource::Keyword {
            word: "STOP".into(),
        };
        assert_eq!(
            entry(true, stop.clone()).consent().warning().as_deref(),
            Some(
                "This customer opted out of messages on 2026-12-05 02:37 UTC (texted STOP). \
                 Nothing can be sent to them until they text START."
            )
        );
        assert_eq!(entry(false, stop).consent().warning(), None);
        let by_agent = entry(true, ConsentSource::Agent { user: UserId(7) });
        assert!(
            by_agent
                .consent()
                .warning()
                .unwrap()
                .contains("(asked an agent)")
        );
    }

    #[test]
    fn carrier_codes() {
        for c in ["21610", "30004", "30005", "30006", " 21610 "] {
            assert!(carrier_code_blocks(c), "{c}");
        }
        for c in ["30007", "21211", "", "2161"] {
            assert!(!carrier_code_blocks(c), "{c}");
        }
    }
}
