//! Fixture 2: a terse, fast, evening customer.

use super::*;

// Fixture 2: a terse, fast, evening customer (Europe/Berlin, January = UTC+1).

/// 12 customer messages over 4 workitems. Per customer message: length, formality points
/// (capital + end punctuation + polite − slang, floored at 0), reply delay, Berlin hour:
///
/// | wi | body                | len | points        | reply          | Berlin  |
/// |----|---------------------|-----|---------------|----------------|---------|
/// | 1  | "tmrw 6pm"          | 8   | 0             | 70 s           | 18:01 E |
/// | 1  | "ok"                | 2   | 0             | 45 s           | 18:02 E |
/// | 1  | "k thx"             | 5   | 0 (slang)     | – (after In)   | 18:03 E |
/// | 2  | "yes"               | 3   | 0             | 90 s           | 20:31 E |
/// | 2  | "no thats all"      | 12  | 0             | 120 s          | 20:34 E |
/// | 2  | "u too"             | 5   | 0 (slang)     | 20 s           | 20:35 E |
/// | 3  | "Where is my order" | 17  | 1             | – (first)      | 08:15 M |
/// | 3  | "1042"              | 4   | 0             | 60 s           | 08:21 M |
/// | 3  | "ok"                | 2   | 0             | 200 s          | 08:43 M |
/// | 4  | "Door code 4512"    | 14  | 1             | – (first)      | 21:05 E |
/// | 4  | "Thx"               | 3   | 1 − 1 = 0     | 30 s           | 21:06 E |
/// | 4  | "Is it today?"      | 12  | 2             | 40 s           | 21:07 E |
///
/// - lengths sorted 2 2 3 3 4 5 | 5 8 12 12 14 17 → median (5 + 5) / 2 = 5
/// - formality 4 points / (3 × 12) = 0.111 → 0.11; slang in 3 messages
/// - questions 1 / 12 = 0.083 → 0.08 (8%); "!" 0; emoji 0
/// - replies 20 30 40 45 60 70 90 120 200 → 9 replies, median 60 s = "1 min"
/// - Berlin: evening 9, morning 3 → evening, 9 of 12 (≥ half: a strong pattern)
/// - tone: no listed word ("thx" is not "thanks") → 0 / max(1, 0) = 0
/// - style: questions 0.08 < 0.4, median 5 < 120; emoji 0 < 0.5, "!" 0 < 0.4;
///   median 5 ≤ 40 and 0.08 < 0.3 → brief and direct
/// - tips: tone 0 (none); length ≤ 40; questions < 0.1; reply 60 s ≤ 5 min; formality
///   0.11 ≤ 0.3 → casual; evening 9 of 12 → 5 tips, none cut.
pub(super) fn terse_evening() -> Vec<HistoryMessage> {
    vec![
        msg(
            1,
            "2025-01-06T17:00:00Z",
            Out,
            "Hello, this is Anna from Parley. Your parcel is ready for pickup. When would you like to collect it?",
        ),
        msg(1, "2025-01-06T17:01:10Z", In, "tmrw 6pm"),
        msg(
            1,
            "2025-01-06T17:02:00Z",
            Out,
            "Great, we'll hold it at the front desk.",
        ),
        msg(1, "2025-01-06T17:02:45Z", In, "ok"),
        msg(1, "2025-01-06T17:03:00Z", In, "k thx"),
        msg(
            2,
            "2025-01-13T19:30:00Z",
            Out,
            "Hi, your order #1042 has shipped. Would you like text updates?",
        ),
        msg(2, "2025-01-13T19:31:30Z", In, "yes"),
        msg(2, "2025-01-13T19:32:00Z", Out, "Done. Anything else?"),
        msg(2, "2025-01-13T19:34:00Z", In, "no thats all"),
        msg(2, "2025-01-13T19:35:00Z", Out, "Have a good evening."),
        msg(2, "2025-01-13T19:35:20Z", In, "u too"),
        msg(3, "2025-01-20T07:15:00Z", In, "Where is my order"),
        msg(
            3,
            "2025-01-20T07:20:00Z",
            Out,
            "Let me check. Can you send the order number?",
        ),
        msg(3, "2025-01-20T07:21:00Z", In, "1042"),
        msg(
            3,
            "2025-01-20T07:40:00Z",
            Out,
            "It is out for delivery and arrives today by 6 pm.",
        ),
        msg(3, "2025-01-20T07:43:20Z", In, "ok"),
        msg(4, "2025-01-27T20:05:00Z", In, "Door code 4512"),
        msg(
            4,
            "2025-01-27T20:06:00Z",
            Out,
            "Thanks, noted for the driver.",
        ),
        msg(4, "2025-01-27T20:06:30Z", In, "Thx"),
        msg(
            4,
            "2025-01-27T20:07:00Z",
            Out,
            "Anything else I can help with?",
        ),
        msg(4, "2025-01-27T20:07:40Z", In, "Is it today?"),
    ]
}

#[test]
fn terse_fast_evening_customer_is_brief_and_direct() {
    let p = profile(analyse(&terse_evening(), Some(chrono_tz::Europe::Berlin)));
    assert_eq!(
        p.measures,
        Measures {
            customer_messages: 12,
            workitems: 4,
            median_length_chars: 5,
            formality: 0.11,
            emoji_per_message: 0.0,
            exclamation_rate: 0.0,
            question_rate: 0.08,
            replies: 9,
            median_reply_secs: Some(60),
            busiest_period: DayPeriod::Evening,
            busiest_period_messages: 9,
            zone: "Europe/Berlin".to_string(),
            zone_assumed: false,
            tone: 0.0,
            positive_words: 0,
            negative_words: 0,
        }
    );
    assert_eq!(p.style, Style::BriefAndDirect);
    assert_eq!(p.style_label, "Brief and direct");
    assert_eq!(
        p.summary,
        "Brief and direct: median message 5 characters; 8% of their messages ask a question. \
         Based on 12 messages across 4 conversations."
    );
    assert_eq!(
        p.tips,
        vec![
            tip(
                "Keep replies short: one idea per message.",
                "median message 5 characters over 12 messages"
            ),
            tip(
                "Offer the next step yourself rather than waiting to be asked.",
                "questions in 1 of 12 messages"
            ),
            tip(
                "Reply quickly while they are engaged.",
                "median reply time 1 min over 9 replies"
            ),
            tip(
                "Keep it casual and skip formal greetings.",
                "formality 0.11 of 1; slang in 3 of 12 messages"
            ),
            tip(
                "Best reached in the evening (their time).",
                "9 of 12 messages sent 18:00–22:00 Europe/Berlin"
            ),
        ]
    );
}

#[test]
fn unknown_zone_uses_utc_and_says_so() {
    // In UTC the same messages fall at 17:0x (afternoon 3), 19:3x (evening 3), 07:xx
    // (morning 3) and 20:0x (evening 3): evening 6 of 12, still half → strong.
    let p = profile(analyse(&terse_evening(), None));
    assert_eq!(p.measures.zone, "UTC");
    assert!(p.measures.zone_assumed);
    assert_eq!(p.measures.busiest_period, DayPeriod::Evening);
    assert_eq!(
        p.tips.last(),
        Some(&tip(
            "Best reached in the evening (UTC; their time zone is unknown).",
            "6 of 12 messages sent 18:00–22:00 UTC (time zone unknown, UTC assumed)"
        ))
    );
}

#[test]
fn input_order_does_not_matter() {
    let mut shuffled = terse_evening();
    shuffled.reverse();
    assert_eq!(
        analyse(&shuffled, Some(chrono_tz::Europe::Berlin)),
        analyse(&terse_evening(), Some(chrono_tz::Europe::Berlin))
    );
}
