//! A predictive campaign's settings: the message each lead gets (with placeholders from the
//! lead), when it may run, how fast, and where replies go; plus the rules that check them.

use chrono::{DateTime, Datelike, Utc, Weekday};
use serde::{Deserialize, Serialize};

use super::response_template::{fill_with, words_in};
use super::sending_hours::SendingHours;
use super::{CampaignId, ChannelPreference, Lead};

/// Longest message: ten SMS parts, as for agents' replies.
pub const MAX_MESSAGE_CHARS: usize = 1600;

/// The placeholders every lead can fill; a lead list's own columns add more.
pub const LEAD_PLACEHOLDERS: [&str; 3] = ["first_name", "last_name", "campaign"];

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PredictiveSettings {
    /// The message, with `{placeholders}` filled from each lead.
    pub message: String,
    /// No message before this time (`None`: as soon as it is started).
    #[serde(default)]
    pub starts_at: Option<DateTime<Utc>>,
    /// No message from this time on (`None`: until every lead had one).
    #[serde(default)]
    pub ends_at: Option<DateTime<Utc>>,
    /// When leads may be messaged, in each lead's own zone (the campaign's when it has none).
    pub hours: SendingHours,
    /// Days of the week messages go out (in the lead's zone); empty: every day.
    #[serde(default)]
    pub days: Vec<Weekday>,
    /// Messages per minute across the campaign's numbers.
    pub per_minute: f64,
    /// The inbound campaign whose queue gets the leads' replies.
    #[serde(default)]
    pub replies_to: Option<CampaignId>,
    /// Also message leads whose channel preference is unknown (otherwise only `sms` ones).
    #[serde(default)]
    pub include_unknown_channel: bool,
}

impl PredictiveSettings {
    /// Whether the campaign messages leads preferring `channel` (the scheduler skips the
    /// others).
    pub fn messages_channel(&self, channel: ChannelPreference) -> bool {
        match channel {
            ChannelPreference::Sms => true,
            ChannelPreference::Unknown => self.include_unknown_channel,
            _ => false,
        }
    }

    /// What a new predictive campaign starts from: 09:00–20:00, every day, 60 a minute.
    pub fn new() -> PredictiveSettings {
        PredictiveSettings {
            message: String::new(),
            starts_at: None,
            ends_at: None,
            hours: SendingHours::parse("09:00", "20:00").unwrap_or(SendingHours::agent_default()),
            days: Vec::new(),
            per_minute: 60.0,
            replies_to: None,
            include_unknown_channel: false,
        }
    }
}

impl Default for PredictiveSettings {
    fn default() -> Self {
        PredictiveSettings::new()
    }
}

/// Refuses a message that is empty, too long, or uses a placeholder that is neither a lead's
/// name, the campaign, nor one of `fields` (the custom columns of the campaign's leads).
pub fn check_message(message: &str, fields: &[String]) -> Result<String, String> {
    let message = message.trim();
    if message.is_empty() {
        return Err("Write the message the leads get.".into());
    }
    let chars = message.chars().count();
    if chars > MAX_MESSAGE_CHARS {
        return Err(format!(
            "The message is too long ({chars} characters; at most {MAX_MESSAGE_CHARS})."
        ));
    }
    for word in words_in(message) {
        if !LEAD_PLACEHOLDERS.contains(&word) && !fields.iter().any(|f| f == word) {
            let mut known: Vec<String> = LEAD_PLACEHOLDERS
                .iter()
                .map(|p| format!("{{{p}}}"))
                .collect();
            known.extend(fields.iter().map(|f| format!("{{{f}}}")));
            return Err(format!(
                "{{{word}}} is not a lead field. Use {}.",
                known.join(", ")
            ));
        }
    }
    Ok(message.to_owned())
}

/// The message for one lead.
pub fn message_for(settings: &PredictiveSettings, lead: &Lead, campaign: &str) -> String {
    fill_with(&settings.message, |word| match word {
        "first_name" => Some(lead.first_name.as_str()),
        "last_name" => Some(lead.last_name.as_str()),
        "campaign" => Some(campaign),
        custom => lead
            .fields
            .iter()
            .find(|(name, _)| name == custom)
            .map(|(_, v)| v.as_str()),
    })
}

/// Reads the form's days (`mon`…`sun`, any case, comma or space separated); empty: every day.
pub fn parse_days(raw: &str) -> Result<Vec<Weekday>, String> {
    let mut days = Vec::new();
    for word in raw
        .split([',', ' '])
        .map(str::trim)
        .filter(|w| !w.is_empty())
    {
        let day: Weekday = word
            .parse()
            .map_err(|_| format!("“{word}” is not a day of the week (mon, tue, … sun)."))?;
        if !days.contains(&day) {
            days.push(day);
        }
    }
    days.sort_by_key(|d| d.num_days_from_monday());
    Ok(days)
}

/// The days as the form shows them: `mon, wed, fri`.
pub fn days_label(days: &[Weekday]) -> String {
    days.iter()
        .map(|d| d.to_string().to_lowercase())
        .collect::<Vec<_>>()
        .join(", ")
}

/// Whether `day` is one of `days` (empty: every day).
pub fn day_allowed(days: &[Weekday], day: Weekday) -> bool {
    days.is_empty() || days.contains(&day)
}

/// The local weekday of an instant in a zone.
pub fn local_day(at: DateTime<Utc>, zone: chrono_tz::Tz) -> Weekday {
    at.with_timezone(&zone).weekday()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{ChannelPreference, ContactId, E164, LeadId};

    fn lead() -> Lead {
        Lead {
            id: LeadId(1),
            campaign: CampaignId(1),
            phone: E164::parse("+14155550101").unwrap(),
            contact: ContactId(1),
            first_name: "Ana".into(),
            last_name: "Lima".into(),
            time_zone: String::new(),
            channel: ChannelPreference::Sms,
            fields: vec![("plan".into(), "gold".into())],
            imported_at: DateTime::from_timestamp(0, 0).unwrap(),
        }
    }

    #[test]
    fn messages_use_the_leads_fields_and_refuse_unknown_ones() {
        let fields = vec!["plan".to_owned()];
        assert_eq!(
            check_message(
                "  Hi {first_name}, your {plan} plan from {campaign} ",
                &fields
            ),
            Ok("Hi {first_name}, your {plan} plan from {campaign}".to_owned())
        );
        let err = check_message("Hi {firstname}", &fields).unwrap_err();
        assert!(err.contains("{firstname} is not a lead field"), "{err}");
        assert!(err.contains("{plan}"), "{err}");
        assert!(check_message("   ", &fields).is_err());
        assert!(check_message(&"x".repeat(1601), &fields).is_err());
        let settings = PredictiveSettings {
            message: "Hi {first_name} {last_name}, {plan} from {campaign}".into(),
            ..PredictiveSettings::new()
        };
        assert_eq!(
            message_for(&settings, &lead(), "Spring"),
            "Hi Ana Lima, gold from Spring"
        );
    }

    #[test]
    fn days_are_read_and_checked() {
        assert_eq!(parse_days(""), Ok(vec![]));
        assert_eq!(
            parse_days("fri, Mon mon"),
            Ok(vec![Weekday::Mon, Weekday::Fri])
        );
        assert!(parse_days("mon, funday").is_err());
        assert_eq!(days_label(&[Weekday::Mon, Weekday::Fri]), "mon, fri");
        assert!(day_allowed(&[], Weekday::Sun));
        assert!(!day_allowed(&[Weekday::Mon], Weekday::Sun));
        // 23:30 UTC on a Sunday is already Monday in Berlin.
        let at = DateTime::parse_from_rfc3339("2026-03-01T23:30:00Z")
            .unwrap()
            .with_timezone(&Utc);
        assert_eq!(local_day(at, chrono_tz::Europe::Berlin), Weekday::Mon);
        assert_eq!(local_day(at, chrono_tz::UTC), Weekday::Sun);
    }
}
