//! Past conversations for `--demo`, so the History tab, search and Personality Insights have
//! something to show on the first run. Stored like real traffic (inbound through the same
//! ingest, replies recorded as delivered), but never sent anywhere.

use chrono::{DateTime, Duration, Utc};

use super::demo_month;
use crate::domain::{
    AgentSettings, CampaignId, E164, EventKind, Note, NoteId, QueueId, UserId, WrapUp,
};
use crate::store::{self, InboundSms, Ingested, Store, StoreError};

/// Who wrote a line of a demo conversation.
enum Line {
    Customer(&'static str),
    Agent(&'static str),
}
use Line::{Agent, Customer};

/// One past conversation: how long ago it started, its lines, an optional note, and the
/// wrap-up code it ended with (one of the demo queue's, or none).
struct Past {
    customer: &'static str,
    days_ago: i64,
    lines: &'static [Line],
    note: Option<&'static str>,
    wrap_up: Option<&'static str>,
}

const PAST: &[Past] = &[
    Past {
        customer: super::DEMO_CUSTOMER,
        days_ago: 2,
        lines: &[
            Customer("Hi, my package shows delivered but it is not here"),
            Agent("Sorry about that! Could you send me the order number?"),
            Customer("Order 58213"),
            Agent("Thanks. I opened a claim with the carrier; you will hear back within 24 hours."),
            Customer("Great, thank you!"),
        ],
        note: Some("Prefers texts over calls. Carrier claim opened for order 58213."),
        wrap_up: Some("Follow-up needed"),
    },
    Past {
        customer: super::DEMO_CUSTOMER,
        days_ago: 40,
        lines: &[
            Customer("Can I change the delivery address for order 51877?"),
            Agent("Yes, what is the new address?"),
            Customer("12 Harbor Street, apartment 4"),
            Agent("Done, the courier has the new address."),
        ],
        note: None,
        wrap_up: Some("Resolved"),
    },
    Past {
        customer: super::DEMO_CUSTOMER,
        days_ago: 200,
        lines: &[
            Customer("Do you ship to Canada?"),
            Agent("We do! Shipping to Canada takes 5 to 7 business days."),
        ],
        note: None,
        wrap_up: Some("Sale"),
    },
    Past {
        customer: "+14155550142",
        days_ago: 10,
        lines: &[
            Customer("I was charged twice for my subscription this month"),
            Agent("I see the duplicate charge. I have issued a refund for it."),
            Customer("How long until the refund shows up?"),
            Agent("Usually 3 to 5 business days, depending on your bank."),
        ],
        note: Some("Duplicate subscription charge refunded."),
        wrap_up: Some("Resolved"),
    },
    Past {
        customer: "+14155550142",
        days_ago: 95,
        lines: &[
            Customer("I can't log in, the password reset email never arrives"),
            Agent("I sent a new reset link; please check your spam folder too."),
            Customer("Found it, I'm in. Thanks"),
        ],
        note: None,
        wrap_up: Some("Resolved"),
    },
    Past {
        customer: "+14155550177",
        days_ago: 1,
        lines: &[
            Customer("Can I move my appointment on Friday to next week?"),
            Agent("Of course. Tuesday at 10:00 or Wednesday at 14:30?"),
            Customer("Wednesday please"),
            Agent("Booked: Wednesday at 14:30. See you then!"),
        ],
        note: None,
        wrap_up: Some("Resolved"),
    },
    Past {
        customer: "+14155550177",
        days_ago: 400,
        lines: &[
            Customer("Is the blender still under warranty? I bought it in March"),
            Agent("Yes, the warranty runs for two years from purchase."),
        ],
        note: None,
        wrap_up: None,
    },
];

/// Stores every past conversation (handled by `agents` in turn) and thirty days of traffic
/// (`demo_month`), all in time order, and the Billing queue that traffic transfers to.
pub(super) async fn seed(
    store: &Store,
    our_number: E164,
    support: QueueId,
    follow_ups: CampaignId,
    agents: Vec<(UserId, String)>,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    store
        .write(move |txn| {
            let cast = cast(txn, our_number.clone(), support, follow_ups, &agents)?;
            // Everything goes in in time order, so ids follow time as they do live.
            let mut plan: Vec<(DateTime<Utc>, Option<usize>)> = PAST
                .iter()
                .enumerate()
                .map(|(i, p)| {
                    (
                        demo_month::day_start(now, p.days_ago) + Duration::hours(7),
                        Some(i),
                    )
                })
                .collect();
            // A day's traffic starts at 08:00, after the scripted conversations' 07:00.
            let days = (0..=demo_month::DAYS)
                .map(|d| (demo_month::day_start(now, d) + Duration::hours(8), None));
            plan.extend(days);
            plan.sort_by_key(|(t, _)| *t);
            let mut dice = demo_month::Dice::new();
            let until = now - Duration::minutes(20);
            for (start, past) in plan {
                match past.map(|i| (i, &PAST[i])) {
                    Some((i, past)) => {
                        let Ok(customer) = E164::parse(past.customer) else {
                            continue;
                        };
                        let (agent, agent_name) = &agents[i % agents.len()];
                        record(txn, past, customer, &our_number, *agent, agent_name, start)?;
                    }
                    None => {
                        let midnight = start - Duration::hours(8);
                        demo_month::record_day(txn, &mut dice, &cast, midnight, until)?
                    }
                }
            }
            Ok(())
        })
        .await
}

/// The Billing queue (Bob serves it too) and who the month's traffic is about.
fn cast(
    txn: &store::Txn,
    support_number: E164,
    support: QueueId,
    follow_ups: CampaignId,
    agents: &[(UserId, String)],
) -> Result<demo_month::Cast, StoreError> {
    let billing = store::insert_queue(txn, "Billing", 0, 30)?;
    let codes = WrapUp {
        codes: demo_month::BILLING_CODES
            .iter()
            .map(|c| (*c).to_owned())
            .collect(),
        required: true,
    };
    store::save_queue(txn, Some(billing.id), "Billing", 0, 30, 300, codes)?;
    let (alice, bob) = (agents[0].0, agents[agents.len() - 1].0);
    let settings = AgentSettings {
        queues: vec![support, billing.id],
        ..Default::default()
    };
    store::put_agent_settings(txn, bob, &settings)?;
    let follow_ups = store::campaign_in(txn, follow_ups)?
        .ok_or_else(|| StoreError::Redb("the demo's Follow-ups campaign is missing".into()))?;
    Ok(demo_month::Cast {
        support_number,
        billing: billing.id,
        follow_ups,
        alice,
        bob,
    })
}

fn record(
    txn: &store::Txn,
    past: &Past,
    customer: E164,
    our_number: &E164,
    agent: UserId,
    agent_name: &str,
    start: DateTime<Utc>,
) -> Result<(), StoreError> {
    let mut at = start;
    let mut workitem = None;
    for line in past.lines {
        at += Duration::minutes(2);
        match (line, workitem) {
            (Customer(body), _) => {
                let sms = InboundSms {
                    provider: "demo",
                    provider_id: None,
                    from: customer.clone(),
                    to: our_number.clone(),
                    body: (*body).to_owned(),
                    received_at: at,
                };
                if let Ingested::Stored {
                    workitem: w,
                    new_workitem,
                    ..
                } = store::ingest_inbound(txn, &sms)?
                    && new_workitem
                {
                    store::route_step(txn, w.id, at, EventKind::Accepted { agent })?;
                    workitem = Some((w.id, w.contact));
                }
            }
            (Agent(body), Some((w, _))) => {
                store::insert_past_reply(txn, w, agent, body, at)?;
            }
            (Agent(_), None) => {}
        }
    }
    if let Some((w, contact)) = workitem {
        if let Some(body) = past.note {
            store::add_note(
                txn,
                Note {
                    id: NoteId(0),
                    contact,
                    workitem: Some(w),
                    author: agent,
                    author_name: agent_name.to_owned(),
                    body: body.to_owned(),
                    at,
                },
            )?;
        }
        store::route_step(
            txn,
            w,
            at + Duration::minutes(1),
            EventKind::Terminated {
                agent: Some(agent),
                wrap_up: past.wrap_up.map(str::to_owned),
            },
        )?;
    }
    Ok(())
}
