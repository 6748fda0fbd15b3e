//! Thirty days of past traffic for `--demo` (and today's so far), so the wallboard's figures,
//! reports and exports have something real on the first start: inbound and outbound
//! conversations of both agents, transfers to the Billing queue, wrap-up codes, unanswered
//! ones, and each agent's day (Available, lunch and breaks Away, Offline at night). The same
//! every time (a fixed seed), and stored through the same functions as live traffic, in time
//! order, so ids follow time as they do live.

use chrono::{DateTime, Datelike, Duration, NaiveTime, Utc, Weekday};

use crate::domain::{
    Campaign, E164, EventKind, Presence, PresenceChange, QueueId, UserId, WorkitemId,
};
use crate::store::{self, InboundSms, Ingested, StoreError, Txn};

pub const DAYS: i64 = 30;

/// A small deterministic generator (xorshift): the demo looks the same on every machine.
pub struct Dice(u64);

impl Dice {
    pub fn new() -> Dice {
        Dice(0x9E37_79B9_7F4A_7C15)
    }

    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        x
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }

    fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }

    fn pick<'a>(&mut self, from: &[&'a str]) -> &'a str {
        from[self.below(from.len() as u64) as usize]
    }
}

const OPENERS: &[&str] = &[
    "Hi, where is my order?",
    "Can I move my delivery to Friday?",
    "My invoice looks wrong",
    "I was charged twice this month",
    "Do you have the blue kettle in stock?",
    "How do I return a jacket that does not fit?",
    "The app will not let me log in",
    "Can I pay by bank transfer?",
];
const CUSTOMER_LINES: &[&str] = &[
    "Thanks, that helps",
    "OK, I will wait for the email",
    "Perfect",
    "Could you check once more?",
    "Great, have a nice day",
];
const AGENT_LINES: &[&str] = &[
    "Let me check that for you.",
    "I found it: it ships tomorrow morning.",
    "I have fixed that on our side.",
    "You will get a confirmation by email shortly.",
    "Anything else I can help with?",
];
const BILLING_LINES: &[&str] = &[
    "I can see the double charge; the money is on its way back.",
    "I have sent you a corrected invoice.",
    "Bank transfer works; the details are on your invoice.",
];
const TRANSFER_NOTES: &[&str] = &["Billing question", "Double charge", "Invoice correction"];
const OUTBOUND_LINES: &[&str] = &[
    "Hi, your repair is ready for pickup.",
    "Hi, the item you asked about is back in stock.",
];
pub const SUPPORT_CODES: &[&str] = &[
    "Resolved",
    "Resolved",
    "Resolved",
    "Follow-up needed",
    "Sale",
];
pub const BILLING_CODES: &[&str] = &["Credit issued", "Invoice sent", "Resolved"];

/// Who and what the month is made of.
pub struct Cast {
    pub support_number: E164,
    pub billing: QueueId,
    pub follow_ups: Campaign,
    pub alice: UserId,
    pub bob: UserId,
}

fn at(day: DateTime<Utc>, h: u32, m: u32) -> DateTime<Utc> {
    day + Duration::hours(h as i64) + Duration::minutes(m as i64)
}

/// Each agent's day: (from, presence, reason), in order.
fn shifts(dice: &mut Dice, day: DateTime<Utc>, cast: &Cast) -> Vec<Shift> {
    use Presence::*;
    let mut all = vec![
        (cast.alice, at(day, 8, 0), Available, None),
        (cast.alice, at(day, 12, 0), Away, Some("Lunch")),
        (cast.alice, at(day, 12, 45), Available, None),
        (cast.alice, at(day, 17, 30), Offline, None),
        (cast.bob, at(day, 8, 30), Available, None),
        (cast.bob, at(day, 12, 45), Away, Some("Lunch")),
        (cast.bob, at(day, 13, 30), Available, None),
        (cast.bob, at(day, 17, 30), Offline, None),
    ];
    if dice.chance(40) {
        all.push((cast.alice, at(day, 15, 0), Away, Some("Break")));
        all.push((cast.alice, at(day, 15, 15), Available, None));
    }
    if dice.chance(25) {
        all.push((cast.bob, at(day, 10, 30), Away, Some("Training")));
        all.push((cast.bob, at(day, 11, 30), Available, None));
    }
    all.sort_by_key(|(_, t, ..)| *t);
    all
}

fn available_at(shifts: &[Shift], agent: UserId, t: DateTime<Utc>) -> bool {
    shifts
        .iter()
        .rfind(|(a, from, ..)| *a == agent && *from <= t)
        .is_some_and(|(_, _, p, _)| *p == Presence::Available)
}

/// One day of traffic starting at `day` (its midnight), up to `until`.
pub fn record_day(
    txn: &Txn,
    dice: &mut Dice,
    cast: &Cast,
    day: DateTime<Utc>,
    until: DateTime<Utc>,
) -> Result<(), StoreError> {
    let shifts = shifts(dice, day, cast);
    let mut busy = Vec::new();
    let weekend = matches!(day.weekday(), Weekday::Sat | Weekday::Sun);
    let mut t = at(day, 8, 40);
    let close = at(day, 17, 0).min(until);
    let mut turn = 0;
    loop {
        t += Duration::minutes(if weekend { 40 } else { 8 } + dice.below(30) as i64);
        if t + Duration::minutes(30) > close {
            return record_states(txn, cast, &shifts, busy, until);
        }
        let free: Vec<UserId> = [cast.alice, cast.bob]
            .into_iter()
            .filter(|a| available_at(&shifts, *a, t))
            .collect();
        if free.is_empty() {
            continue;
        }
        turn += 1;
        let agent = free[turn % free.len()];
        let customer = E164::parse(&format!("+1415555{:04}", 300 + dice.below(40)))
            .map_err(|e| StoreError::Redb(e.to_string()))?;
        let bob_free = available_at(&shifts, cast.bob, t);
        let turn = Turn {
            agent,
            bob_free,
            customer,
            at: t,
        };
        t = if dice.chance(10) {
            outbound(txn, dice, cast, turn, &mut busy)?
        } else {
            inbound(txn, dice, cast, turn, &mut busy)?
        };
    }
}

fn customer_writes(
    txn: &Txn,
    customer: &E164,
    to: &E164,
    body: &str,
    t: DateTime<Utc>,
) -> Result<Option<WorkitemId>, StoreError> {
    let sms = InboundSms {
        provider: "demo",
        provider_id: None,
        from: customer.clone(),
        to: to.clone(),
        body: body.to_owned(),
        received_at: t,
    };
    Ok(match store::ingest_inbound(txn, &sms)? {
        Ingested::Stored { workitem, .. } => Some(workitem.id),
        Ingested::Duplicate(_) => None,
    })
}

fn end(
    txn: &Txn,
    w: WorkitemId,
    agent: UserId,
    code: &str,
    t: DateTime<Utc>,
    busy: &mut Vec<Busy>,
) -> Result<DateTime<Utc>, StoreError> {
    let kind = EventKind::Terminated {
        agent: Some(agent),
        wrap_up: Some(code.to_owned()),
    };
    store::route_step(txn, w, t, kind)?;
    busy.push((agent, t, false));
    Ok(t)
}

/// Who has the next conversation, with whom, from when.
struct Turn {
    agent: UserId,
    /// Whether Bob could take a transfer.
    bob_free: bool,
    customer: E164,
    at: DateTime<Utc>,
}

/// A change of an agent's state (`Some`) or of whether they hold work (`Some`), at a time.
type Mark = (
    DateTime<Utc>,
    Option<(Presence, Option<&'static str>)>,
    Option<bool>,
);

/// An agent starting (true) or ending (false) their only active conversation.
type Busy = (UserId, DateTime<Utc>, bool);

type Shift = (UserId, DateTime<Utc>, Presence, Option<&'static str>);

/// Writes each agent's day as the ACD would: a record whenever their state or whether they
/// hold work changes, up to `until`.
fn record_states(
    txn: &Txn,
    cast: &Cast,
    shifts: &[Shift],
    busy: Vec<Busy>,
    until: DateTime<Utc>,
) -> Result<(), StoreError> {
    for agent in [cast.alice, cast.bob] {
        let mut marks: Vec<Mark> = shifts
            .iter()
            .filter(|s| s.0 == agent)
            .map(|(_, t, p, r)| (*t, Some((*p, *r)), None))
            .chain(
                busy.iter()
                    .filter(|b| b.0 == agent)
                    .map(|(_, t, b)| (*t, None, Some(*b))),
            )
            .collect();
        marks.sort_by_key(|m| m.0);
        let (mut presence, mut reason, mut working) = (Presence::Offline, None, false);
        for (at, state, busy) in marks {
            if at > until {
                break;
            }
            if let Some((p, r)) = state {
                (presence, reason) = (p, r);
            }
            if let Some(b) = busy {
                working = b;
            }
            let change = PresenceChange {
                agent,
                at,
                presence,
                reason: reason.map(str::to_owned),
                busy: working,
            };
            store::log_presence(txn, &change)?;
        }
    }
    Ok(())
}

/// A customer writes in; the agent answers (after 5 s to 4 min), perhaps hands it to Bob in
/// Billing, and ends it with a code. Returns when it ended.
fn inbound(
    txn: &Txn,
    dice: &mut Dice,
    cast: &Cast,
    turn: Turn,
    busy: &mut Vec<Busy>,
) -> Result<DateTime<Utc>, StoreError> {
    let Turn {
        agent,
        bob_free,
        customer,
        at: mut t,
    } = turn;
    let customer = &customer;
    let Some(w) = customer_writes(txn, customer, &cast.support_number, dice.pick(OPENERS), t)?
    else {
        return Ok(t);
    };
    store::route_step(
        txn,
        w,
        t + Duration::seconds(2),
        EventKind::Offered { agent },
    )?;
    store::route_step(
        txn,
        w,
        t + Duration::seconds(4),
        EventKind::Accepted { agent },
    )?;
    busy.push((agent, t + Duration::seconds(4), true));
    if dice.chance(6) {
        return end(txn, w, agent, "No answer", t + Duration::minutes(4), busy);
    }
    let first_reply = if dice.chance(70) {
        5 + dice.below(50)
    } else {
        60 + dice.below(180)
    };
    t += Duration::seconds(first_reply as i64);
    store::insert_past_reply(txn, w, agent, dice.pick(AGENT_LINES), t)?;
    let mut holder = agent;
    let mut codes = SUPPORT_CODES;
    for _ in 0..1 + dice.below(2) {
        t += Duration::seconds(40 + dice.below(120) as i64);
        customer_writes(
            txn,
            customer,
            &cast.support_number,
            dice.pick(CUSTOMER_LINES),
            t,
        )?;
        t += Duration::seconds(20 + dice.below(90) as i64);
        store::insert_past_reply(txn, w, holder, dice.pick(AGENT_LINES), t)?;
    }
    if agent == cast.alice && bob_free && dice.chance(12) {
        t += Duration::seconds(30);
        let note = dice.pick(TRANSFER_NOTES).to_owned();
        let moved = EventKind::Transferred {
            by: agent,
            from: agent,
            queue: cast.billing,
            to_agent: Some(cast.bob),
            note: Some(note),
        };
        store::route_step(txn, w, t, moved)?;
        store::route_step(
            txn,
            w,
            t + Duration::seconds(1),
            EventKind::Offered { agent: cast.bob },
        )?;
        busy.push((agent, t, false));
        t += Duration::seconds(15);
        store::route_step(txn, w, t, EventKind::Accepted { agent: cast.bob })?;
        busy.push((cast.bob, t, true));
        t += Duration::seconds(30 + dice.below(60) as i64);
        store::insert_past_reply(txn, w, cast.bob, dice.pick(BILLING_LINES), t)?;
        holder = cast.bob;
        codes = BILLING_CODES;
    }
    let code = dice.pick(codes);
    let at = t + Duration::seconds(30 + dice.below(60) as i64);
    end(txn, w, holder, code, at, busy)
}

/// The agent texts a customer from Follow-ups; most answer, and the agent replies.
fn outbound(
    txn: &Txn,
    dice: &mut Dice,
    cast: &Cast,
    turn: Turn,
    busy: &mut Vec<Busy>,
) -> Result<DateTime<Utc>, StoreError> {
    let Turn {
        agent,
        customer,
        at: mut t,
        ..
    } = turn;
    let customer = &customer;
    let body = dice.pick(OUTBOUND_LINES);
    let Ok(started) = store::start_past_outbound(txn, agent, &cast.follow_ups, customer, body, t)?
    else {
        return Ok(t);
    };
    let w = started.workitem.id;
    busy.push((agent, t, true));
    let mut code = "Follow-up needed";
    if dice.chance(60) {
        let from = &cast.follow_ups.numbers[0];
        t += Duration::minutes(2 + dice.below(8) as i64);
        customer_writes(txn, customer, from, dice.pick(CUSTOMER_LINES), t)?;
        t += Duration::seconds(20 + dice.below(60) as i64);
        store::insert_past_reply(txn, w, agent, dice.pick(AGENT_LINES), t)?;
        code = if dice.chance(50) { "Sale" } else { "Resolved" };
    }
    end(txn, w, agent, code, t + Duration::minutes(1), busy)
}

/// Midnight (UTC) of the day `days_ago` days before `now`.
pub fn day_start(now: DateTime<Utc>, days_ago: i64) -> DateTime<Utc> {
    (now - Duration::days(days_ago))
        .date_naive()
        .and_time(NaiveTime::MIN)
        .and_utc()
}
