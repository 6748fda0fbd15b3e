//! Fixture 3: an emoji-heavy, exclamatory, positive customer.

use super::*;

// Fixture 3: an emoji-heavy, exclamatory, positive customer (zone unknown → UTC).

/// 10 customer messages over 2 workitems (❤️ and ☀️ carry U+FE0F, which counts as a
/// character but not as an emoji):
///
/// | body                          | len | emoji | ! | ? | points             | + words       | reply   | UTC     |
/// |-------------------------------|-----|-------|---|---|--------------------|---------------|---------|---------|
/// | "Yay!! Thank you so much 😍🎉" | 26  | 2     | y |   | 1 cap + 1 thank you| yay, thank    | 600 s   | 09:10 M |
/// | "Can't wait!"                 | 11  | 0     | y |   | 2                  |               | –       | 09:10 M |
/// | "Love it ❤️"                  | 10  | 1     |   |   | 1                  | love          | 1800 s  | 10:00 M |
/// | "Terrace please! ☀️☀️"        | 20  | 2     | y |   | 1 cap + 1 please   |               | 1200 s  | 13:20 A |
/// | "Is it heated?"               | 13  | 0     |   | y | 2                  |               | –       | 13:21 A |
/// | "Best dinner ever!!! 🙌"      | 21  | 1     | y |   | 1                  | best          | – first | 21:00 E |
/// | "Amazing staff 👏👏 great food"| 27  | 2     |   |   | 1                  | amazing, great| 900 s   | 21:45 E |
/// | "Will be back!"               | 13  | 0     | y |   | 2                  |               | –       | 21:46 E |
/// | "Sure thing 😊"               | 12  | 1     |   |   | 1                  |               | 2400 s  | 22:40 N |
/// | "Done! ⭐⭐⭐⭐⭐"              | 11  | 5     | y |   | 1                  |               | –       | 22:41 N |
///
/// - lengths sorted 10 11 11 12 13 | 13 20 21 26 27 → median (13 + 13) / 2 = 13
/// - emoji 14 / 10 = 1.4; "!" 6 / 10 = 0.6; questions 1 / 10 = 0.1
/// - formality (2+2+1+2+2+1+1+2+1+1) = 15 / 30 = 0.5; polite 2, slang 0
/// - tone: 6 positive, 0 negative → 6 / 6 = 1.0
/// - replies 600 900 1200 1800 2400 → median 1200 s (20 min: neither fast nor slow)
/// - UTC: morning 3, afternoon 2, evening 3, night 2 → tie goes to morning; 3 of 10 is not
///   half, so no time tip
/// - style: questions 0.1 < 0.4, median 13 < 120; emoji 1.4 ≥ 0.5 → expressive
/// - tips: tone 1.0 ≥ 0.5; length 13 ≤ 40; questions 0.1 (neither < 0.1 nor ≥ 0.3);
///   20 min (neither); expressive register; no time → 3 tips, no top-up needed.
fn emoji_fan() -> Vec<HistoryMessage> {
    vec![
        msg(
            10,
            "2025-05-03T09:00:00Z",
            Out,
            "Hi! Your table for 4 is booked for Saturday 8 pm.",
        ),
        msg(
            10,
            "2025-05-03T09:10:00Z",
            In,
            "Yay!! Thank you so much \u{1F60D}\u{1F389}",
        ),
        msg(10, "2025-05-03T09:10:30Z", In, "Can't wait!"),
        msg(
            10,
            "2025-05-03T09:30:00Z",
            Out,
            "We look forward to seeing you.",
        ),
        msg(10, "2025-05-03T10:00:00Z", In, "Love it \u{2764}\u{FE0F}"),
        msg(
            10,
            "2025-05-03T13:00:00Z",
            Out,
            "Would you like the terrace or inside?",
        ),
        msg(
            10,
            "2025-05-03T13:20:00Z",
            In,
            "Terrace please! \u{2600}\u{FE0F}\u{2600}\u{FE0F}",
        ),
        msg(10, "2025-05-03T13:21:00Z", In, "Is it heated?"),
        msg(
            11,
            "2025-05-10T21:00:00Z",
            In,
            "Best dinner ever!!! \u{1F64C}",
        ),
        msg(
            11,
            "2025-05-10T21:30:00Z",
            Out,
            "So glad you enjoyed it! Thanks for coming.",
        ),
        msg(
            11,
            "2025-05-10T21:45:00Z",
            In,
            "Amazing staff \u{1F44F}\u{1F44F} great food",
        ),
        msg(11, "2025-05-10T21:46:00Z", In, "Will be back!"),
        msg(
            11,
            "2025-05-10T22:00:00Z",
            Out,
            "Would you leave us a review?",
        ),
        msg(11, "2025-05-10T22:40:00Z", In, "Sure thing \u{1F60A}"),
        msg(
            11,
            "2025-05-10T22:41:00Z",
            In,
            "Done! \u{2B50}\u{2B50}\u{2B50}\u{2B50}\u{2B50}",
        ),
    ]
}

#[test]
fn emoji_heavy_positive_customer_is_expressive() {
    let p = profile(analyse(&emoji_fan(), None));
    assert_eq!(
        p.measures,
        Measures {
            customer_messages: 10,
            workitems: 2,
            median_length_chars: 13,
            formality: 0.5,
            emoji_per_message: 1.4,
            exclamation_rate: 0.6,
            question_rate: 0.1,
            replies: 5,
            median_reply_secs: Some(1200),
            busiest_period: DayPeriod::Morning,
            busiest_period_messages: 3,
            zone: "UTC".to_string(),
            zone_assumed: true,
            tone: 1.0,
            positive_words: 6,
            negative_words: 0,
        }
    );
    assert_eq!(p.style, Style::Expressive);
    assert_eq!(
        p.summary,
        "Expressive: 1.4 emoji per message and '!' in 60% of messages. \
         Based on 10 messages across 2 conversations."
    );
    assert_eq!(
        p.tips,
        vec![
            tip(
                "Match their upbeat tone and thank them back.",
                "tone +1.00: 0 negative words vs 6 positive words"
            ),
            tip(
                "Keep replies short: one idea per message.",
                "median message 13 characters over 10 messages"
            ),
            tip(
                "A warm tone with the odd exclamation mark or emoji suits them.",
                "1.4 emoji per message; '!' in 6 of 10 messages"
            ),
        ]
    );
}
