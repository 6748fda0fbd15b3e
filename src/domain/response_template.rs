//! Response templates: canned replies an agent drops into the reply box, with placeholders
//! (`{first_name}`, …) filled from the contact, the agent and the campaign.

use serde::{Deserialize, Serialize};

use super::{CampaignId, ResponseTemplateId, UserId};

/// Every placeholder a template may contain, as written between braces.
pub const PLACEHOLDERS: [&str; 4] = ["first_name", "last_name", "agent_name", "campaign"];
/// Longest template name.
pub const MAX_NAME_CHARS: usize = 80;
/// Longest template text (ten full GSM segments).
pub const MAX_BODY_CHARS: usize = 1600;

/// Who may use a template.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Audience {
    #[default]
    Everyone,
    /// Only these users.
    Agents(Vec<UserId>),
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResponseTemplate {
    pub id: ResponseTemplateId,
    /// Unique (ignoring case); what the agent picks from.
    pub name: String,
    /// The text with placeholders, as the administrator wrote it.
    pub body: String,
    /// Campaigns whose workitems offer this template; empty means every campaign.
    #[serde(default)]
    pub campaigns: Vec<CampaignId>,
    #[serde(default)]
    pub audience: Audience,
}

impl ResponseTemplate {
    /// Whether `agent` may use this template on a workitem of `campaign` (a workitem on a
    /// number no campaign owns gets only the templates meant for every campaign).
    pub fn usable_by(&self, agent: UserId, campaign: Option<CampaignId>) -> bool {
        let campaign_fits =
            self.campaigns.is_empty() || campaign.is_some_and(|c| self.campaigns.contains(&c));
        campaign_fits && self.usable_by_agent(agent)
    }

    /// Whether the template is meant for `agent`, whatever the campaign.
    pub fn usable_by_agent(&self, agent: UserId) -> bool {
        match &self.audience {
            Audience::Everyone => true,
            Audience::Agents(agents) => agents.contains(&agent),
        }
    }
}

/// The name as it will be stored (trimmed), or what is wrong with it. Uniqueness needs the
/// store and is checked there.
pub fn validate_name(name: &str) -> Result<String, String> {
    let name = name.trim();
    let chars = name.chars().count();
    if chars == 0 {
        Err("Enter a name.".into())
    } else if chars > MAX_NAME_CHARS {
        Err(format!(
            "The name is too long: at most {MAX_NAME_CHARS} characters (this has {chars})."
        ))
    } else {
        Ok(name.to_owned())
    }
}

/// The text as it will be stored (browsers send line ends as CRLF; stored as LF, trimmed), or
/// what is wrong with it.
pub fn validate_body(body: &str) -> Result<String, String> {
    let body = body.replace("\r\n", "\n");
    let body = body.trim();
    let chars = body.chars().count();
    if chars == 0 {
        return Err("Enter the text.".into());
    }
    if chars > MAX_BODY_CHARS {
        return Err(format!(
            "The text is too long: at most {MAX_BODY_CHARS} characters (this has {chars})."
        ));
    }
    placeholders_in(body).map_err(|e| e.to_string())?;
    Ok(body.to_owned())
}

/// A `{word}` in a template that is not one of [`PLACEHOLDERS`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{{{name}}} is not a placeholder. Use {}.", allowed_list())]
pub struct UnknownPlaceholder {
    pub name: String,
}

fn allowed_list() -> String {
    let all: Vec<String> = PLACEHOLDERS.iter().map(|p| format!("{{{p}}}")).collect();
    match all.split_last() {
        Some((last, rest)) if !rest.is_empty() => format!("{} or {last}", rest.join(", ")),
        _ => all.join(""),
    }
}

/// A piece of a template: plain text, or a placeholder-shaped `{word}`.
enum Piece<'a> {
    Text(&'a str),
    /// The word between the braces.
    Word(&'a str),
}

/// Looks like a placeholder: a letter or `_`, then letters, digits or `_` (so `{ 5 }`, `{5}`
/// and JSON-ish text stay text, while a mistyped `{FirstName}` is caught).
fn is_word(s: &str) -> bool {
    let mut chars = s.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// Splits `body` into text and `{word}` pieces. Braces are ASCII, so byte offsets found by
/// `find` always sit on character boundaries, whatever UTF-8 surrounds them.
fn pieces(body: &str) -> Vec<Piece<'_>> {
    let mut out = Vec::new();
    let mut text_start = 0;
    let mut at = 0;
    while let Some(rel) = body[at..].find('{') {
        let open = at + rel;
        let rest = &body[open + 1..];
        match rest.find('}') {
            Some(len) if is_word(&rest[..len]) => {
                if text_start < open {
                    out.push(Piece::Text(&body[text_start..open]));
                }
                out.push(Piece::Word(&rest[..len]));
                at = open + 1 + len + 1;
                text_start = at;
            }
            _ => at = open + 1,
        }
    }
    if text_start < body.len() {
        out.push(Piece::Text(&body[text_start..]));
    }
    out
}

/// The placeholders `body` uses, each once, in order of first use; refuses the first
/// placeholder-shaped word that is not a known placeholder.
pub fn placeholders_in(body: &str) -> Result<Vec<&str>, UnknownPlaceholder> {
    let mut found: Vec<&str> = Vec::new();
    for piece in pieces(body) {
        if let Piece::Word(w) = piece {
            if !PLACEHOLDERS.contains(&w) {
                return Err(UnknownPlaceholder { name: w.to_owned() });
            }
            if !found.contains(&w) {
                found.push(w);
            }
        }
    }
    Ok(found)
}

/// Every placeholder-shaped `{word}` of `body`, each once, in order of first use (whether
/// known or not: the caller decides which words it knows).
pub fn words_in(body: &str) -> Vec<&str> {
    let mut found: Vec<&str> = Vec::new();
    for piece in pieces(body) {
        if let Piece::Word(w) = piece
            && !found.contains(&w)
        {
            found.push(w);
        }
    }
    found
}

/// What the placeholders are filled with.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Values {
    pub first_name: String,
    pub last_name: String,
    pub agent_name: String,
    pub campaign: String,
}

impl Values {
    /// The values for a message to `contact` (when known) by `agent_name` on `campaign`.
    pub fn new(
        contact: Option<&super::Contact>,
        agent_name: &str,
        campaign: Option<String>,
    ) -> Values {
        Values {
            first_name: contact.map(|c| c.first_name.clone()).unwrap_or_default(),
            last_name: contact.map(|c| c.last_name.clone()).unwrap_or_default(),
            agent_name: agent_name.to_owned(),
            campaign: campaign.unwrap_or_default(),
        }
    }

    fn get(&self, name: &str) -> Option<&str> {
        Some(match name {
            "first_name" => &self.first_name,
            "last_name" => &self.last_name,
            "agent_name" => &self.agent_name,
            "campaign" => &self.campaign,
            _ => return None,
        })
    }
}

/// The template text with every placeholder filled. An empty value leaves no gap: the space
/// before it goes when a space, a line end or punctuation follows ("Hi {first_name}, …" →
/// "Hi, …"), and the space after it goes at the start of a line. Unknown words (in a template
/// saved before a placeholder was renamed, say) stay as written.
pub fn fill(body: &str, values: &Values) -> String {
    fill_with(body, |w| values.get(w))
}

/// [`fill`] with any source of values: `lookup` answers each placeholder's word (`None`
/// leaves the word as written). Lead messages use it with the lead's own fields.
pub fn fill_with<'v>(body: &str, lookup: impl Fn(&str) -> Option<&'v str>) -> String {
    let mut out = String::with_capacity(body.len());
    // An empty value was just filled in; the text that follows decides which space goes.
    let mut gap = false;
    for piece in pieces(body) {
        match piece {
            Piece::Text(mut t) => {
                if gap {
                    if out.ends_with(' ')
                        && t.starts_with([' ', '\n', ',', '.', '!', '?', ';', ':'])
                    {
                        out.pop();
                    } else if out.is_empty() || out.ends_with('\n') {
                        t = t.strip_prefix(' ').unwrap_or(t);
                    }
                    gap = false;
                }
                out.push_str(t);
            }
            Piece::Word(w) => match lookup(w).map(str::trim) {
                Some("") => gap = true,
                Some(v) => {
                    out.push_str(v);
                    gap = false;
                }
                None => {
                    out.push('{');
                    out.push_str(w);
                    out.push('}');
                    gap = false;
                }
            },
        }
    }
    if gap && out.ends_with(' ') {
        out.pop();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn values() -> Values {
        Values {
            first_name: "Ann".into(),
            last_name: "Lee".into(),
            agent_name: "Bo".into(),
            campaign: "Spring".into(),
        }
    }

    #[test]
    fn finds_known_placeholders_once_each_in_order() {
        assert_eq!(
            placeholders_in("{agent_name}: hi {first_name}, {first_name}!"),
            Ok(vec!["agent_name", "first_name"])
        );
        assert_eq!(placeholders_in("no placeholders"), Ok(vec![]));
    }

    #[test]
    fn refuses_an_unknown_placeholder_naming_the_allowed_ones() {
        let err = placeholders_in("Hi {firstname}").unwrap_err();
        assert_eq!(err.name, "firstname");
        assert_eq!(
            err.to_string(),
            "{firstname} is not a placeholder. Use {first_name}, {last_name}, {agent_name} \
             or {campaign}."
        );
        assert!(placeholders_in("{First_Name}").is_err());
        assert!(placeholders_in("{x1}").is_err());
    }

    #[test]
    fn a_lone_brace_or_odd_braces_are_text() {
        for body in [
            "a { b",
            "{",
            "}",
            "{ 5 }",
            "{5}",
            "{}",
            "{first name}",
            "x {{",
        ] {
            assert_eq!(placeholders_in(body), Ok(vec![]), "{body:?}");
            assert_eq!(fill(body, &values()), body, "{body:?}");
        }
        assert_eq!(fill("{ {first_name}", &values()), "{ Ann");
        assert_eq!(fill("{{first_name}}", &values()), "{Ann}");
    }

    #[test]
    fn fills_every_occurrence() {
        assert_eq!(
            fill(
                "Hi {first_name} {last_name}, {agent_name} of {campaign}. Bye {first_name}!",
                &values()
            ),
            "Hi Ann Lee, Bo of Spring. Bye Ann!"
        );
    }

    #[test]
    fn empty_values_leave_no_double_space() {
        let v = Values {
            first_name: "".into(),
            last_name: "  ".into(),
            ..values()
        };
        assert_eq!(fill("Hi {first_name} there", &v), "Hi there");
        assert_eq!(fill("Hi {first_name}, welcome", &v), "Hi, welcome");
        assert_eq!(fill("Hi {first_name} {last_name}!", &v), "Hi!");
        assert_eq!(fill("{first_name} thanks", &v), "thanks");
        assert_eq!(fill("Dear {first_name}\n{last_name} ok", &v), "Dear\nok");
        assert_eq!(fill("Hi {first_name}", &v), "Hi");
        // Spaces the administrator wrote elsewhere are kept.
        assert_eq!(fill("a  b {agent_name}", &v), "a  b Bo");
    }

    #[test]
    fn utf8_around_placeholders_survives() {
        assert_eq!(
            fill("¡Hola {first_name}! 👋🏽 — {campaign}✨", &values()),
            "¡Hola Ann! 👋🏽 — Spring✨"
        );
        let v = Values {
            first_name: "Zoë 🌸".into(),
            ..values()
        };
        assert_eq!(fill("💬{first_name}💬", &v), "💬Zoë 🌸💬");
        assert_eq!(placeholders_in("é{campaign}é"), Ok(vec!["campaign"]));
        assert!(
            placeholders_in("日本{名前}").is_ok(),
            "non-ASCII words are text"
        );
    }

    #[test]
    fn validates_name_and_text() {
        assert_eq!(validate_name("  Greeting "), Ok("Greeting".into()));
        assert_eq!(validate_name(" "), Err("Enter a name.".into()));
        assert!(validate_name(&"é".repeat(MAX_NAME_CHARS)).is_ok());
        assert!(validate_name(&"é".repeat(MAX_NAME_CHARS + 1)).is_err());
        assert_eq!(validate_body("a\r\nb \n"), Ok("a\nb".into()));
        assert_eq!(validate_body("\n"), Err("Enter the text.".into()));
        assert!(validate_body(&"😀".repeat(MAX_BODY_CHARS)).is_ok());
        assert!(validate_body(&"x".repeat(MAX_BODY_CHARS + 1)).is_err());
        assert!(
            validate_body("Hi {nick}")
                .unwrap_err()
                .contains("{first_name}")
        );
    }

    #[test]
    fn a_value_is_not_filled_again() {
        let v = Values {
            first_name: "{last_name}".into(),
            ..values()
        };
        assert_eq!(fill("{first_name}", &v), "{last_name}");
    }

    #[test]
    fn usable_by_campaign_and_audience() {
        let t = |campaigns: Vec<u64>, audience| ResponseTemplate {
            id: ResponseTemplateId(1),
            name: "t".into(),
            body: "b".into(),
            campaigns: campaigns.into_iter().map(CampaignId).collect(),
            audience,
        };
        let (ann, bo) = (UserId(1), UserId(2));
        let (c1, c2) = (Some(CampaignId(1)), Some(CampaignId(2)));
        let everywhere = t(vec![], Audience::Everyone);
        assert!(everywhere.usable_by(ann, c1) && everywhere.usable_by(bo, None));
        let only_c1 = t(vec![1], Audience::Everyone);
        assert!(only_c1.usable_by(ann, c1));
        assert!(!only_c1.usable_by(ann, c2));
        assert!(!only_c1.usable_by(ann, None));
        let ann_in_c2 = t(vec![2], Audience::Agents(vec![ann]));
        assert!(ann_in_c2.usable_by(ann, c2));
        assert!(!ann_in_c2.usable_by(bo, c2));
        assert!(!ann_in_c2.usable_by(ann, c1));
        assert!(!t(vec![], Audience::Agents(vec![])).usable_by(ann, c1));
    }
}
