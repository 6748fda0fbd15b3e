//! Fixtures with their expected profiles worked out by hand (arithmetic next to each).

use chrono::{DateTime, Utc};
use chrono_tz::Tz;

use super::text::{features, is_emoji, words};
use super::*;
use crate::domain::{Direction, WorkitemId};

use Direction::{In, Out};

fn msg(workitem: u64, at: &str, direction: Direction, body: &str) -> HistoryMessage {
    HistoryMessage {
        workitem: WorkitemId(workitem),
        at: at.parse::<DateTime<Utc>>().expect("fixture timestamp"),
        direction,
        body: body.to_string(),
    }
}

fn profile(insights: Insights) -> Profile {
    match insights {
        Insights::Profile(p) => p,
        other => panic!("expected a profile, got {other:?}"),
    }
}

fn tip(text: &str, evidence: &str) -> Tip {
    Tip {
        text: text.to_string(),
        evidence: evidence.to_string(),
    }
}

// ---------------------------------------------------------------------------------------------
// Fixture 1: not enough history.

#[test]
fn nine_messages_over_three_workitems_need_one_more_message() {
    // 9 customer messages, 3 per workitem 1..=3, plus agent messages that must not count.
    let mut history = Vec::new();
    for wi in 1..=3u64 {
        for i in 0..3 {
            history.push(msg(wi, &format!("2025-01-0{wi}T10:0{i}:00Z"), In, "ok"));
            history.push(msg(
                wi,
                &format!("2025-01-0{wi}T10:0{i}:30Z"),
                Out,
                "Noted.",
            ));
        }
    }
    // 9 of 10 messages → 1 more; 3 of 2 workitems → 0 more.
    assert_eq!(
        analyse(&history, None),
        Insights::NotEnough {
            customer_messages: 9,
            workitems: 3,
            messages_needed: 1,
            workitems_needed: 0,
            message: "Personality insights need at least 10 messages from the customer across \
                      at least 2 conversations; so far 9 messages across 3 conversations: \
                      1 more message needed."
                .to_string(),
        }
    );
}

#[test]
fn twelve_messages_in_one_workitem_need_one_more_workitem() {
    // 12 customer messages, all in workitem 7 → 12 ≥ 10 (0 more), 1 of 2 workitems (1 more).
    let history: Vec<_> = (10..22)
        .map(|h| msg(7, &format!("2025-01-01T{h}:00:00Z"), In, "hello"))
        .collect();
    let Insights::NotEnough {
        customer_messages,
        workitems,
        messages_needed,
        workitems_needed,
        message,
    } = analyse(&history, None)
    else {
        panic!("expected NotEnough");
    };
    assert_eq!(
        (
            customer_messages,
            workitems,
            messages_needed,
            workitems_needed
        ),
        (12, 1, 0, 1)
    );
    assert!(
        message.ends_with("so far 12 messages across 1 conversation: 1 more conversation needed.")
    );
}

#[test]
fn agent_messages_do_not_count_towards_the_threshold() {
    // 4 customer + 20 agent messages over 2 workitems: 6 more messages needed.
    let mut history = Vec::new();
    for i in 0..20u64 {
        history.push(msg(1 + i % 2, "2025-01-01T10:00:00Z", Out, "Hello!"));
    }
    for i in 0..4u64 {
        history.push(msg(1 + i % 2, "2025-01-01T11:00:00Z", In, "hi"));
    }
    let Insights::NotEnough {
        messages_needed,
        workitems_needed,
        ..
    } = analyse(&history, None)
    else {
        panic!("expected NotEnough");
    };
    assert_eq!((messages_needed, workitems_needed), (6, 0));
}

// ---------------------------------------------------------------------------------------------
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
fn terse_evening() -> Vec<HistoryMessage> {
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

// ---------------------------------------------------------------------------------------------
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

// ---------------------------------------------------------------------------------------------
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

// ---------------------------------------------------------------------------------------------
// Rules in isolation.

#[test]
fn negative_tone_leads_the_tips() {
    // 10 × "this is terrible and slow" over 2 workitems, 19:00 UTC, no agent messages.
    // Length 25 each → median 25; tone: 20 negative, 0 positive → −1.00; no questions (0 of
    // 10 → < 0.1); formality 0 → casual; evening 10 of 10.
    let history: Vec<_> = (0..10u64)
        .map(|i| {
            msg(
                1 + i % 2,
                &format!("2025-03-0{}T19:00:00Z", i % 9 + 1),
                In,
                "this is terrible and slow",
            )
        })
        .collect();
    let tz: Tz = "Europe/London".parse().expect("zone");
    let p = profile(analyse(&history, Some(tz)));
    assert_eq!(p.style, Style::BriefAndDirect);
    assert_eq!(p.measures.median_reply_secs, None);
    assert_eq!(
        p.tips.iter().map(|t| t.text.as_str()).collect::<Vec<_>>(),
        [
            "Acknowledge their frustration before giving the fix.",
            "Keep replies short: one idea per message.",
            "Offer the next step yourself rather than waiting to be asked.",
            "Keep it casual and skip formal greetings.",
            "Best reached in the evening (their time).",
        ]
    );
    assert_eq!(
        p.tips[0].evidence,
        "tone -1.00: 20 negative words vs 0 positive words"
    );
}

#[test]
fn replies_after_more_than_a_day_are_ignored() {
    // Agent at 10:00; customer 24 h later exactly (counts), and in another workitem 24 h 1 s
    // later (ignored); 8 more customer messages without a preceding agent message.
    let mut history = vec![
        msg(1, "2025-03-01T10:00:00Z", Out, "Any news?"),
        msg(1, "2025-03-02T10:00:00Z", In, "Not yet."),
        msg(2, "2025-03-01T10:00:00Z", Out, "Any news?"),
        msg(2, "2025-03-02T10:00:01Z", In, "Not yet."),
    ];
    history.extend((0..8).map(|i| msg(3, &format!("2025-03-0{}T12:00:00Z", i + 1), In, "Hi.")));
    let p = profile(analyse(&history, None));
    assert_eq!(p.measures.replies, 1);
    assert_eq!(p.measures.median_reply_secs, Some(86_400));
}

#[test]
fn tips_are_topped_up_to_three() {
    // 10 messages over 2 workitems at UTC hours 7 8 | 13 14 | 19 20 21 | 23 0 1: morning 2,
    // afternoon 2, evening 3, night 3 → evening (tie goes to the earlier), 3 of 10: weak.
    // No agent messages, so no replies; no listed tone words.
    let hours = [7, 8, 13, 14, 19, 20, 21, 23, 0, 1];
    let build = |body: &str, questions: usize| -> Vec<HistoryMessage> {
        hours
            .iter()
            .enumerate()
            .map(|(i, h)| {
                let body = if i < questions {
                    format!("{body}?")
                } else {
                    body.to_string()
                };
                msg(
                    1 + i as u64 % 2,
                    &format!("2025-03-{:02}T{h:02}:00:00Z", i + 1),
                    In,
                    &body,
                )
            })
            .collect()
    };

    // "Could we talk about the invoice for March, please." × 10: 50 characters, 3 points
    // each → formality 30 / 30 = 1.0 → formal; 0 questions. Tips: length (middle),
    // questions (0 < 0.1), formal register = 3, no top-up.
    let formal = profile(analyse(
        &build("Could we talk about the invoice for March, please.", 0),
        None,
    ));
    assert_eq!(formal.measures.median_length_chars, 50);
    assert_eq!(formal.measures.formality, 1.0);
    assert_eq!(formal.style, Style::Formal);
    assert_eq!(formal.tips.len(), 3);

    // "Could we talk about the invoice for March" (41 chars, 1 point) × 8 and the same with
    // "?" (42 chars, 2 points) × 2: median 41; formality (8 + 4) / 30 = 0.4, neither formal
    // nor casual; questions 0.2, neither tip. Only the length tip applies, so the weak time
    // pattern and the neutral register top it up to 3.
    let plain = profile(analyse(
        &build("Could we talk about the invoice for March", 2),
        None,
    ));
    assert_eq!(
        (
            plain.measures.median_length_chars,
            plain.measures.formality,
            plain.measures.question_rate
        ),
        (41, 0.4, 0.2)
    );
    assert_eq!(plain.style, Style::Conversational);
    assert_eq!(
        plain.summary,
        "Conversational: no strong signal (median message 41 characters, formality 0.40 of 1, \
         20% of their messages ask a question). Based on 10 messages across 2 conversations."
    );
    assert_eq!(
        plain.tips,
        vec![
            tip(
                "Aim for two or three sentences per reply, like their own messages.",
                "median message 41 characters over 10 messages"
            ),
            tip(
                "They write at varied times, most often in the evening (UTC; their time zone is unknown).",
                "3 of 10 messages sent 18:00–22:00 UTC (time zone unknown, UTC assumed)"
            ),
            tip(
                "Use a plain register: full sentences, without stiff formality or slang.",
                "formality 0.40 of 1"
            ),
        ]
    );
}

#[test]
fn text_features_follow_the_documented_rules() {
    assert_eq!(
        words("Can’t WAIT!! thank-you, u"),
        ["can't", "wait", "thank", "you", "u"]
    );
    let f = features("  Hello, pls call me back?  ");
    assert_eq!(
        (f.chars, f.capitalised, f.punctuated, f.polite, f.slang),
        (24, true, true, true, true)
    );
    assert_eq!(f.formality_points(), 2);
    assert!(
        is_emoji('😀')
            && is_emoji('❤')
            && is_emoji('⭐')
            && !is_emoji('\u{FE0F}')
            && !is_emoji('é')
    );
    // 👍🏽 is U+1F44D then the skin tone modifier U+1F3FD, which does not count.
    assert_eq!(features("Great \u{1F44D}\u{1F3FD}").emoji, 1);
}

#[test]
fn durations_read_like_people_write_them() {
    use super::advice::duration;
    assert_eq!(duration(45), "45 s");
    assert_eq!(duration(100), "1 min 40 s");
    assert_eq!(duration(180), "3 min");
    assert_eq!(duration(7500), "2 h 5 min");
    assert_eq!(duration(97_200), "1 d 3 h");
}

#[test]
fn profile_serializes_with_snake_case_enums() {
    let json = serde_json::to_value(analyse(&terse_evening(), Some(chrono_tz::Europe::Berlin)))
        .expect("serialize");
    assert_eq!(json["kind"], "profile");
    assert_eq!(json["style"], "brief_and_direct");
    assert_eq!(json["measures"]["busiest_period"], "evening");
    assert_eq!(json["measures"]["formality"], 0.11);
}
