//! The measuring rules in isolation.

use super::brief::terse_evening;
use super::*;

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
