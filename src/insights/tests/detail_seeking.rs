//! Fixtures 4 and 5: a question-heavy customer, and how the zone shifts the busiest period.

use super::*;

// Fixture 4: a question-heavy, long-message, formal, slow customer (America/New_York,
// February = UTC−5).

/// 10 customer messages over 2 workitems:
///
/// | #  | starts with              | len | ? | points (cap+end+polite) | polite word  | reply         | New York |
/// |----|--------------------------|-----|---|-------------------------|--------------|---------------|----------|
/// | 1  | "Good morning. My order" | 166 | y | 3                       | good morning | – first       | 10:00 M  |
/// | 2  | "If I return it"         | 155 | y | 2                       |              | 2 h = 7200    | 12:30 A  |
/// | 3  | "Thank you. Then please" | 107 | y | 3                       | thank you    | 3 h = 10800   | 16:00 A  |
/// | 4  | "Understood, thank you." | 22  |   | 3                       | thank you    | 5 min = 300   | 16:15 A  |
/// | 5  | "Will I get a tracking"  | 57  | y | 2                       |              | – after In    | 16:16 A  |
/// | 6  | "Hello again."           | 170 | y | 3                       | hello        | – first       | 09:00 M  |
/// | 7  | "Sent the photo"         | 67  |   | 2                       |              | 7.5 h = 27000 | 18:30 E  |
/// | 8  | "Thank you. Will the new"| 123 | y | 3                       | thank you    | 2 h = 7200    | 10:00 M  |
/// | 9  | "Perfect, thank you"     | 33  |   | 3                       | thank you    | 5 min = 300   | 10:25 M  |
/// | 10 | "What is the best way"   | 39  | y | 2                       |              | – after In    | 10:26 M  |
///
/// - lengths sorted 22 33 39 57 67 | 107 123 155 166 170 → median (67 + 107) / 2 = 87
/// - questions 7 / 10 = 0.7 (70%); "!" 0; emoji 0
/// - formality 26 / 30 = 0.867 → 0.87; polite in 6 messages, slang 0
/// - tone: positive good(1) thank(3,4,8,9) perfect(9) best(10) = 7; negative late, broken (1),
///   broken (3), frustrating (6) = 4 → (7 − 4) / 11 = 0.27
/// - replies 300 300 7200 | 7200 10800 27000 → median (7200 + 7200) / 2 = 7200 s = "2 h"
/// - New York: morning 5 (1, 6, 8, 9, 10), afternoon 4, evening 1 → morning, 5 of 10 (half)
/// - Tokyo (UTC+9): 00:00 N, 02:30 N, 06:00 M, 06:15 M, 06:16 M, 23:00 N, 08:30 M, 00:00 N,
///   00:25 N, 00:26 N → night 6, morning 4 → night
/// - style: questions 0.7 ≥ 0.4 → detail-seeking
/// - tips: tone 0.27 (none); length 87 (middle); questions 0.7 ≥ 0.3; reply 2 h ≥ 1 h;
///   formality 0.87 ≥ 0.6 (no emoji or "!") → formal; morning 5 of 10 → 5 tips, none cut.
fn detail_seeker() -> Vec<HistoryMessage> {
    vec![
        msg(
            20,
            "2025-02-11T15:00:00Z",
            In,
            "Good morning. My order #5531 arrived late and the lid of the kettle is broken. Can you tell me whether I should return it or whether you will send a replacement part?",
        ),
        msg(
            20,
            "2025-02-11T15:30:00Z",
            Out,
            "I'm sorry to hear that. We can do either. Which would you prefer?",
        ),
        msg(
            20,
            "2025-02-11T17:30:00Z",
            In,
            "If I return it, who pays for the shipping, and how long does the refund take? I would also like to know whether the replacement would arrive before Friday.",
        ),
        msg(
            20,
            "2025-02-11T18:00:00Z",
            Out,
            "Return shipping is free and refunds take 5 business days. A replacement part would arrive Thursday.",
        ),
        msg(
            20,
            "2025-02-11T21:00:00Z",
            In,
            "Thank you. Then please send the replacement part. Do I need to keep the broken lid, or can I throw it away?",
        ),
        msg(20, "2025-02-11T21:10:00Z", Out, "You can throw it away."),
        msg(20, "2025-02-11T21:15:00Z", In, "Understood, thank you."),
        msg(
            20,
            "2025-02-11T21:16:00Z",
            In,
            "Will I get a tracking number by email or by text message?",
        ),
        msg(
            21,
            "2025-02-18T14:00:00Z",
            In,
            "Hello again. The replacement lid does not fit the kettle properly; it sits loose and steam escapes at the side. This is frustrating. Is it the right model for the KT-200?",
        ),
        msg(
            21,
            "2025-02-18T16:00:00Z",
            Out,
            "I'm sorry. Could you send a photo of the label under the kettle?",
        ),
        msg(
            21,
            "2025-02-18T23:30:00Z",
            In,
            "Sent the photo by email just now. It says KT-200B, if that matters.",
        ),
        msg(
            21,
            "2025-02-19T13:00:00Z",
            Out,
            "Thanks, the B model needs a different lid. We'll ship it today.",
        ),
        msg(
            21,
            "2025-02-19T15:00:00Z",
            In,
            "Thank you. Will the new one arrive before the weekend, and could you also confirm the old lid does not need to be returned?",
        ),
        msg(
            21,
            "2025-02-19T15:20:00Z",
            Out,
            "Yes to both: it arrives Friday, and no return needed.",
        ),
        msg(
            21,
            "2025-02-19T15:25:00Z",
            In,
            "Perfect, thank you for your help.",
        ),
        msg(
            21,
            "2025-02-19T15:26:00Z",
            In,
            "What is the best way to leave feedback?",
        ),
    ]
}

#[test]
fn question_heavy_customer_is_detail_seeking() {
    let p = profile(analyse(
        &detail_seeker(),
        Some(chrono_tz::America::New_York),
    ));
    assert_eq!(
        p.measures,
        Measures {
            customer_messages: 10,
            workitems: 2,
            median_length_chars: 87,
            formality: 0.87,
            emoji_per_message: 0.0,
            exclamation_rate: 0.0,
            question_rate: 0.7,
            replies: 6,
            median_reply_secs: Some(7200),
            busiest_period: DayPeriod::Morning,
            busiest_period_messages: 5,
            zone: "America/New_York".to_string(),
            zone_assumed: false,
            tone: 0.27,
            positive_words: 7,
            negative_words: 4,
        }
    );
    assert_eq!(p.style, Style::DetailSeeking);
    assert_eq!(
        p.summary,
        "Detail-seeking: 70% of their messages ask a question. \
         Based on 10 messages across 2 conversations."
    );
    assert_eq!(
        p.tips,
        vec![
            tip(
                "Aim for two or three sentences per reply, like their own messages.",
                "median message 87 characters over 10 messages"
            ),
            tip(
                "Answer every question explicitly, one by one.",
                "70% of their messages ask a question (7 of 10)"
            ),
            tip(
                "Put everything they need in one message; they take a while to answer.",
                "median reply time 2 h over 6 replies"
            ),
            tip(
                "Write in full sentences with a greeting and a polite sign-off.",
                "formality 0.87 of 1; greetings or thanks in 6 of 10 messages"
            ),
            tip(
                "Best reached in the morning (their time).",
                "5 of 10 messages sent 06:00–12:00 America/New_York"
            ),
        ]
    );
}

// ---------------------------------------------------------------------------------------------
// Fixture 5: the zone shifts the busiest period (same timestamps as fixture 4).

#[test]
fn zone_shifts_the_busiest_period() {
    let new_york = profile(analyse(
        &detail_seeker(),
        Some(chrono_tz::America::New_York),
    ));
    let tokyo = profile(analyse(&detail_seeker(), Some(chrono_tz::Asia::Tokyo)));
    assert_eq!(
        (
            new_york.measures.busiest_period,
            new_york.measures.busiest_period_messages
        ),
        (DayPeriod::Morning, 5)
    );
    assert_eq!(
        (
            tokyo.measures.busiest_period,
            tokyo.measures.busiest_period_messages
        ),
        (DayPeriod::Night, 6)
    );
    // Only the time tip changes: night 6 of 10 is at least half, so still a strong pattern.
    assert_eq!(tokyo.tips[..4], new_york.tips[..4]);
    assert_eq!(
        tokyo.tips[4..],
        [tip(
            "Best reached at night (their time).",
            "6 of 10 messages sent 22:00–06:00 Asia/Tokyo"
        )]
    );
}
