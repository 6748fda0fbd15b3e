//! From measures to words: the style rule, the summary and the tips.
//!
//! Tips are candidates checked in this order; the first 5 that apply are kept:
//! 1. Tone, if `tone <= -0.2` (acknowledge frustration) or `tone >= 0.5` (match the upbeat
//!    tone).
//! 2. Length, always: `median <= 40` keep it short, `median >= 120` give complete answers,
//!    otherwise two or three sentences.
//! 3. Questions, if `question_rate >= 0.3` (answer each one) or `< 0.1` (offer the next step).
//! 4. Reply speed, if there are replies and the median is `<= 5 min` (reply quickly) or
//!    `>= 1 h` (put everything in one message).
//! 5. Register: expressive (`emoji_per_message >= 0.5` or `exclamation_rate >= 0.4`), else
//!    formal (`formality >= 0.6`), else casual (`formality <= 0.3`).
//! 6. Time of day, if at least half the messages fall in the busiest period.
//!
//! Fewer than 3 is topped up, in order, with the time of day as a weak pattern (when 6 did
//! not apply) and a neutral register (when 5 did not). Length always applies and each
//! top-up covers a missing one, so there are always 3 to 5.

use super::{Counts, Measures, Style, Tip};

pub(super) fn style(m: &Measures) -> Style {
    if m.question_rate >= 0.4 || m.median_length_chars >= 120 {
        Style::DetailSeeking
    } else if m.emoji_per_message >= 0.5 || m.exclamation_rate >= 0.4 {
        Style::Expressive
    } else if m.median_length_chars <= 40 && m.question_rate < 0.3 {
        Style::BriefAndDirect
    } else if m.formality >= 0.6 {
        Style::Formal
    } else {
        Style::Conversational
    }
}

/// "<label>: <the numbers that decided it>. Based on N messages across W conversations."
pub(super) fn summary(style: Style, m: &Measures, c: &Counts) -> String {
    let n = m.customer_messages;
    let questions = format!(
        "{} of their messages ask a question",
        percent(c.questions, n)
    );
    let length = format!("median message {} characters", m.median_length_chars);
    let reason = match style {
        Style::DetailSeeking => {
            let mut parts = Vec::new();
            if m.question_rate >= 0.4 {
                parts.push(questions);
            }
            if m.median_length_chars >= 120 {
                parts.push(length);
            }
            parts.join(" and ")
        }
        Style::Expressive => format!(
            "{} emoji per message and '!' in {} of messages",
            m.emoji_per_message,
            percent(c.exclamations, n)
        ),
        Style::BriefAndDirect => format!("{length}; {questions}"),
        Style::Formal => format!("formality {:.2} of 1", m.formality),
        Style::Conversational => format!(
            "no strong signal ({length}, formality {:.2} of 1, {questions})",
            m.formality
        ),
    };
    format!(
        "{}: {reason}. Based on {} across {}.",
        style.label(),
        plural(n, "message", "messages"),
        plural(m.workitems, "conversation", "conversations"),
    )
}

pub(super) fn tips(m: &Measures, c: &Counts) -> Vec<Tip> {
    let n = m.customer_messages;
    let mut tips = Vec::new();

    let tone = format!(
        "tone {:+.2}: {} vs {}",
        m.tone,
        plural(m.negative_words, "negative word", "negative words"),
        plural(m.positive_words, "positive word", "positive words"),
    );
    if m.tone <= -0.2 {
        tips.push(tip(
            "Acknowledge their frustration before giving the fix.",
            tone,
        ));
    } else if m.tone >= 0.5 {
        tips.push(tip("Match their upbeat tone and thank them back.", tone));
    }

    let length = format!(
        "median message {} characters over {}",
        m.median_length_chars,
        plural(n, "message", "messages")
    );
    tips.push(if m.median_length_chars <= 40 {
        tip("Keep replies short: one idea per message.", length)
    } else if m.median_length_chars >= 120 {
        tip(
            "Give complete, detailed answers; they write at length themselves.",
            length,
        )
    } else {
        tip(
            "Aim for two or three sentences per reply, like their own messages.",
            length,
        )
    });

    if m.question_rate >= 0.3 {
        tips.push(tip(
            "Answer every question explicitly, one by one.",
            format!(
                "{} of their messages ask a question ({} of {n})",
                percent(c.questions, n),
                c.questions
            ),
        ));
    } else if m.question_rate < 0.1 {
        tips.push(tip(
            "Offer the next step yourself rather than waiting to be asked.",
            format!("questions in {} of {n} messages", c.questions),
        ));
    }

    if let Some(secs) = m.median_reply_secs {
        let speed = format!(
            "median reply time {} over {}",
            duration(secs),
            plural(m.replies, "reply", "replies")
        );
        if secs <= 5 * 60 {
            tips.push(tip("Reply quickly while they are engaged.", speed));
        } else if secs >= 60 * 60 {
            tips.push(tip(
                "Put everything they need in one message; they take a while to answer.",
                speed,
            ));
        }
    }

    let formality = format!("formality {:.2} of 1", m.formality);
    let register = if m.emoji_per_message >= 0.5 || m.exclamation_rate >= 0.4 {
        Some(tip(
            "A warm tone with the odd exclamation mark or emoji suits them.",
            format!(
                "{} emoji per message; '!' in {} of {n} messages",
                m.emoji_per_message, c.exclamations
            ),
        ))
    } else if m.formality >= 0.6 {
        Some(tip(
            "Write in full sentences with a greeting and a polite sign-off.",
            format!(
                "{formality}; greetings or thanks in {} of {n} messages",
                c.polite
            ),
        ))
    } else if m.formality <= 0.3 {
        Some(tip(
            "Keep it casual and skip formal greetings.",
            format!("{formality}; slang in {} of {n} messages", c.slang),
        ))
    } else {
        None
    };
    let has_register = register.is_some();
    tips.extend(register);

    let (when, zone_note) = if m.zone_assumed {
        (
            "(UTC; their time zone is unknown)",
            " (time zone unknown, UTC assumed)",
        )
    } else {
        ("(their time)", "")
    };
    let period = m.busiest_period;
    let time_evidence = format!(
        "{} of {n} messages sent {} {}{zone_note}",
        m.busiest_period_messages,
        period.hours(),
        m.zone
    );
    let strong_time = m.busiest_period_messages * 2 >= n;
    if strong_time {
        tips.push(tip(
            format!("Best reached {} {when}.", period.phrase()),
            time_evidence.clone(),
        ));
    }

    tips.truncate(5);
    if tips.len() < 3 && !strong_time {
        tips.push(tip(
            format!(
                "They write at varied times, most often {} {when}.",
                period.phrase()
            ),
            time_evidence,
        ));
    }
    if tips.len() < 3 && !has_register {
        tips.push(tip(
            "Use a plain register: full sentences, without stiff formality or slang.",
            formality,
        ));
    }
    tips
}

fn tip(text: impl Into<String>, evidence: impl Into<String>) -> Tip {
    Tip {
        text: text.into(),
        evidence: evidence.into(),
    }
}

/// "1 message", "3 messages".
pub(super) fn plural(count: usize, one: &str, many: &str) -> String {
    format!("{count} {}", if count == 1 { one } else { many })
}

/// `part` of `whole` as a whole percentage, rounded half up: "43%".
fn percent(part: usize, whole: usize) -> String {
    format!("{}%", (part * 200 + whole) / (2 * whole.max(1)))
}

/// A duration for people: "45 s", "1 min 40 s", "3 min", "2 h 5 min", "1 d 3 h".
pub(super) fn duration(secs: i64) -> String {
    let secs = secs.max(0);
    let (d, h, m, s) = (
        secs / 86_400,
        secs % 86_400 / 3600,
        secs % 3600 / 60,
        secs % 60,
    );
    let (big, big_unit, small, small_unit) = if d > 0 {
        (d, "d", h, "h")
    } else if h > 0 {
        (h, "h", m, "min")
    } else if m > 0 {
        (m, "min", s, "s")
    } else {
        return format!("{s} s");
    };
    if small > 0 {
        format!("{big} {big_unit} {small} {small_unit}")
    } else {
        format!("{big} {big_unit}")
    }
}
