//! Fixture 1: how much history is needed before a profile is shown.

use super::*;

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
