//! Personality insights: a customer's writing style, computed only from their own SMS history.
//!
//! [`analyse`] is pure and deterministic: the same history and zone always give the same
//! [`Insights`], and every number it reports is defined below (see [`Measures`]) so it can be
//! worked out by hand. Only the customer's messages ([`Direction::In`]) feed the text
//! measures; the agent's messages ([`Direction::Out`]) serve only as the starting point of a
//! reply delay.
//!
//! A profile is shown only from [`MIN_MESSAGES`] customer messages across [`MIN_WORKITEMS`]
//! workitems; below that [`Insights::NotEnough`] says how much more is needed. A profile has a
//! [`Style`] (first matching rule of an ordered list, see [`Style`]) and 3–5 [`Tip`]s, each
//! with the evidence behind it (the rules are in `advice.rs`).

mod advice;
#[cfg(test)]
mod tests;
mod text;

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Timelike, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

use crate::domain::{Direction, WorkitemId};

/// Customer messages needed before a profile is shown.
pub const MIN_MESSAGES: usize = 10;
/// Distinct workitems (conversations) the customer's messages must span.
pub const MIN_WORKITEMS: usize = 2;
/// A customer message later than this after the agent's message is not counted as a reply.
pub const MAX_REPLY_SECS: i64 = 24 * 60 * 60;

/// One message of the customer's history, in either direction.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct HistoryMessage {
    pub workitem: WorkitemId,
    pub at: DateTime<Utc>,
    pub direction: Direction,
    pub body: String,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Insights {
    /// Too little history: `customer_messages` of [`MIN_MESSAGES`] across `workitems` of
    /// [`MIN_WORKITEMS`]; the `*_needed` fields say how many more (0 when that part is met).
    NotEnough {
        customer_messages: usize,
        workitems: usize,
        messages_needed: usize,
        workitems_needed: usize,
        /// The same as a sentence for the agent, e.g. "… 1 more message needed."
        message: String,
    },
    Profile(Profile),
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Profile {
    pub style: Style,
    /// The style for people, e.g. "Brief and direct".
    pub style_label: String,
    /// One sentence: the style, the numbers that decided it, and how much history it rests on.
    pub summary: String,
    pub measures: Measures,
    /// 3 to 5 tips, most important first.
    pub tips: Vec<Tip>,
}

/// The style, decided by the first rule that matches, in this order (thresholds compare the
/// rounded [`Measures`]):
/// 1. [`Style::DetailSeeking`]: `question_rate >= 0.4` or `median_length_chars >= 120`.
/// 2. [`Style::Expressive`]: `emoji_per_message >= 0.5` or `exclamation_rate >= 0.4`.
/// 3. [`Style::BriefAndDirect`]: `median_length_chars <= 40` and `question_rate < 0.3`.
/// 4. [`Style::Formal`]: `formality >= 0.6`.
/// 5. [`Style::Conversational`]: everything else.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Style {
    /// Asks many questions or writes at length: wants complete answers.
    DetailSeeking,
    /// Emoji and exclamation marks: warm, emotive writing.
    Expressive,
    /// Short messages, few questions: wants quick, to-the-point replies.
    BriefAndDirect,
    /// Capitalised, punctuated sentences with greetings, no slang.
    Formal,
    /// No strong signal: moderate length, some questions, ordinary register.
    Conversational,
}

impl Style {
    pub fn label(self) -> &'static str {
        match self {
            Style::DetailSeeking => "Detail-seeking",
            Style::Expressive => "Expressive",
            Style::BriefAndDirect => "Brief and direct",
            Style::Formal => "Formal",
            Style::Conversational => "Conversational",
        }
    }
}

/// A part of the day in the contact's zone, by local hour.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DayPeriod {
    /// 06:00–12:00.
    Morning,
    /// 12:00–18:00.
    Afternoon,
    /// 18:00–22:00.
    Evening,
    /// 22:00–06:00.
    Night,
}

impl DayPeriod {
    pub const ALL: [DayPeriod; 4] = [
        DayPeriod::Morning,
        DayPeriod::Afternoon,
        DayPeriod::Evening,
        DayPeriod::Night,
    ];

    pub fn of_hour(hour: u32) -> DayPeriod {
        match hour {
            6..=11 => DayPeriod::Morning,
            12..=17 => DayPeriod::Afternoon,
            18..=21 => DayPeriod::Evening,
            _ => DayPeriod::Night,
        }
    }

    /// The local hours it covers, e.g. "18:00–22:00".
    pub fn hours(self) -> &'static str {
        match self {
            DayPeriod::Morning => "06:00–12:00",
            DayPeriod::Afternoon => "12:00–18:00",
            DayPeriod::Evening => "18:00–22:00",
            DayPeriod::Night => "22:00–06:00",
        }
    }

    /// As in "best reached in the evening" / "at night".
    pub fn phrase(self) -> &'static str {
        match self {
            DayPeriod::Morning => "in the morning",
            DayPeriod::Afternoon => "in the afternoon",
            DayPeriod::Evening => "in the evening",
            DayPeriod::Night => "at night",
        }
    }
}

/// The numbers a profile rests on. Every text measure is over the customer's messages only
/// (`n` = `customer_messages`); a message's text is its body with surrounding whitespace
/// trimmed; ratios are rounded to 2 decimals (half away from zero).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Measures {
    /// Messages with [`Direction::In`].
    pub customer_messages: usize,
    /// Distinct workitems among those messages.
    pub workitems: usize,
    /// Median of the messages' lengths in characters (Unicode scalar values); with an even
    /// count, the mean of the two middle lengths rounded down.
    pub median_length_chars: usize,
    /// Mean over messages of `points / 3`, where a message's points are: +1 if its first
    /// character is an uppercase letter, +1 if its last character is `.`, `!` or `?`, +1 if it
    /// has a polite word ("hello", "dear", "regards", "sincerely", "kindly", "please",
    /// "appreciate", "appreciated", "greetings", or the pairs "thank you", "good morning",
    /// "good afternoon", "good evening"), −1 if it has a slang word ("u", "ur", "r", "pls",
    /// "plz", "thx", "ty", "lol", "omg", "btw", "idk", "gonna", "wanna", "gotta", "ya",
    /// "yeah", "yep", "yup", "nope", "k", "kk", "np", "cya"), floored at 0. So 0..=1.
    /// Words are found as described in [`Measures::tone`].
    pub formality: f64,
    /// Emoji per message: every code point in U+2600–U+27BF (miscellaneous symbols, dingbats),
    /// U+2B00–U+2BFF (symbols and arrows, e.g. ⭐) or U+1F300–U+1FAFF (pictographs, emoticons,
    /// transport, supplemental symbols) counts once, except skin tone modifiers (U+1F3FB–U+1F3FF);
    /// variation selectors (U+FE0F), joiners and flags do not count.
    pub emoji_per_message: f64,
    /// Share of messages containing `!`.
    pub exclamation_rate: f64,
    /// Share of messages containing `?` (or the full-width `？`).
    pub question_rate: f64,
    /// Customer replies: a customer message whose previous message in the same workitem (by
    /// time; equal times keep input order) is the agent's, at most 24 h earlier.
    pub replies: usize,
    /// Median delay of those replies in seconds (even count: mean of the middle two, rounded
    /// down); `None` without replies.
    pub median_reply_secs: Option<i64>,
    /// The period with the most customer messages, by local hour in `zone`; ties go to the
    /// earlier of morning, afternoon, evening, night.
    pub busiest_period: DayPeriod,
    /// How many customer messages fall in `busiest_period`.
    pub busiest_period_messages: usize,
    /// The IANA name of the zone used, "UTC" when the contact's zone is unknown.
    pub zone: String,
    /// True when the contact's zone was unknown and UTC was used instead.
    pub zone_assumed: bool,
    /// Pooled over all messages: (positive − negative) / max(1, positive + negative) word
    /// occurrences, so −1..=1 (0 without any). Words: the text lowercased and split at every
    /// character that is not a letter, digit or apostrophe (’ counts as '), apostrophes
    /// trimmed from the ends. No negation handling. The lists are in `text.rs`.
    pub tone: f64,
    pub positive_words: usize,
    pub negative_words: usize,
}

/// One piece of advice for the agent and the numbers behind it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Tip {
    pub text: String,
    pub evidence: String,
}

/// Counts behind the rates, used for the evidence sentences.
#[derive(Clone, Copy, Debug, Default)]
struct Counts {
    questions: usize,
    exclamations: usize,
    emoji: usize,
    polite: usize,
    slang: usize,
}

/// Profiles the customer from their history (any order); `zone` is the contact's time zone,
/// UTC when `None` (and the evidence says so).
pub fn analyse(history: &[HistoryMessage], zone: Option<Tz>) -> Insights {
    let mut ordered: Vec<&HistoryMessage> = history.iter().collect();
    ordered.sort_by_key(|m| m.at);
    let customer: Vec<&HistoryMessage> = ordered
        .iter()
        .copied()
        .filter(|m| m.direction == Direction::In)
        .collect();
    let n = customer.len();
    let workitems = customer
        .iter()
        .map(|m| m.workitem)
        .collect::<BTreeSet<_>>()
        .len();
    if n < MIN_MESSAGES || workitems < MIN_WORKITEMS {
        return not_enough(n, workitems);
    }

    let mut counts = Counts::default();
    let mut lengths = Vec::with_capacity(n);
    let mut points = 0u32;
    let (mut positive, mut negative) = (0usize, 0usize);
    let mut per_period = [0usize; 4];
    for m in &customer {
        let f = text::features(&m.body);
        lengths.push(f.chars);
        points += f.formality_points();
        counts.questions += usize::from(f.question);
        counts.exclamations += usize::from(f.exclamation);
        counts.emoji += f.emoji;
        counts.polite += usize::from(f.polite);
        counts.slang += usize::from(f.slang);
        positive += f.positive;
        negative += f.negative;
        let hour = match zone {
            Some(tz) => m.at.with_timezone(&tz).hour(),
            None => m.at.hour(),
        };
        per_period[DayPeriod::of_hour(hour) as usize] += 1;
    }

    let mut delays = Vec::new();
    let mut last: BTreeMap<WorkitemId, &HistoryMessage> = BTreeMap::new();
    for m in &ordered {
        if m.direction == Direction::In
            && let Some(prev) = last.get(&m.workitem)
            && prev.direction == Direction::Out
        {
            let secs = (m.at - prev.at).num_seconds();
            if secs <= MAX_REPLY_SECS {
                delays.push(secs);
            }
        }
        last.insert(m.workitem, m);
    }

    // Strictly greater, so ties keep the earlier period.
    let mut busiest = 0;
    for (i, &count) in per_period.iter().enumerate() {
        if count > per_period[busiest] {
            busiest = i;
        }
    }
    let ratio = |k: usize| round2(k as f64 / n as f64);
    let measures = Measures {
        customer_messages: n,
        workitems,
        median_length_chars: median(&mut lengths).unwrap_or(0),
        formality: round2(f64::from(points) / (3.0 * n as f64)),
        emoji_per_message: ratio(counts.emoji),
        exclamation_rate: ratio(counts.exclamations),
        question_rate: ratio(counts.questions),
        replies: delays.len(),
        median_reply_secs: median(&mut delays),
        busiest_period: DayPeriod::ALL[busiest],
        busiest_period_messages: per_period[busiest],
        zone: zone.map_or("UTC", |tz| tz.name()).to_string(),
        zone_assumed: zone.is_none(),
        tone: round2((positive as f64 - negative as f64) / (positive + negative).max(1) as f64),
        positive_words: positive,
        negative_words: negative,
    };
    let style = advice::style(&measures);
    Insights::Profile(Profile {
        style,
        style_label: style.label().to_string(),
        summary: advice::summary(style, &measures, &counts),
        tips: advice::tips(&measures, &counts),
        measures,
    })
}

fn not_enough(customer_messages: usize, workitems: usize) -> Insights {
    let messages_needed = MIN_MESSAGES.saturating_sub(customer_messages);
    let workitems_needed = MIN_WORKITEMS.saturating_sub(workitems);
    let mut missing = Vec::new();
    if messages_needed > 0 {
        missing.push(advice::plural(
            messages_needed,
            "more message",
            "more messages",
        ));
    }
    if workitems_needed > 0 {
        missing.push(advice::plural(
            workitems_needed,
            "more conversation",
            "more conversations",
        ));
    }
    let message = format!(
        "Personality insights need at least {MIN_MESSAGES} messages from the customer across \
         at least {MIN_WORKITEMS} conversations; so far {} across {}: {} needed.",
        advice::plural(customer_messages, "message", "messages"),
        advice::plural(workitems, "conversation", "conversations"),
        missing.join(" and "),
    );
    Insights::NotEnough {
        customer_messages,
        workitems,
        messages_needed,
        workitems_needed,
        message,
    }
}

/// Rounds to 2 decimals, half away from zero.
fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

/// The median; with an even count the mean of the middle two, rounded down.
fn median<T>(values: &mut [T]) -> Option<T>
where
    T: Copy + Ord + std::ops::Add<Output = T> + std::ops::Div<Output = T> + From<u8>,
{
    values.sort_unstable();
    let len = values.len();
    match len {
        0 => None,
        _ if len % 2 == 1 => Some(values[len / 2]),
        _ => Some((values[len / 2 - 1] + values[len / 2]) / T::from(2)),
    }
}
