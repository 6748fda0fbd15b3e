use super::*;
use crate::acd::FloorQueue;
use chrono::TimeZone;

const Q: QueueId = QueueId(1);
const A: UserId = UserId(10);
const B: UserId = UserId(11);

fn t(secs: i64) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 1, 1, 9, 0, 0).unwrap() + Duration::seconds(secs)
}

fn engine() -> Engine {
    Engine::new(3, Duration::seconds(20), Duration::seconds(120))
}

fn item(id: u64, priority: i32, created: i64) -> Routable {
    Routable {
        id: WorkitemId(id),
        queue: Q,
        priority,
        created_at: t(created),
    }
}

/// An agent in queue Q, connected, Available at `at`.
fn ready(e: &mut Engine, agent: UserId, at: i64) {
    e.configure_agent(agent, &[Q], None, t(at));
    e.connect(agent, t(at));
    e.set_presence(agent, Presence::Available, None, t(at));
}

fn offers(effects: &[Effect]) -> Vec<(UserId, u64)> {
    effects
        .iter()
        .filter_map(|e| match e {
            Effect::Offered {
                agent, workitem, ..
            } => Some((*agent, workitem.0)),
            _ => None,
        })
        .collect()
}

#[test]
fn longest_idle_agent_gets_the_offer() {
    let mut e = engine();
    ready(&mut e, B, 5);
    ready(&mut e, A, 1);
    // A became available first, although B was configured first.
    let mut e2 = engine();
    ready(&mut e2, A, 5);
    ready(&mut e2, B, 1);
    assert_eq!(offers(&e.enqueue(item(1, 0, 10), t(10))), vec![(A, 1)]);
    assert_eq!(offers(&e2.enqueue(item(1, 0, 10), t(10))), vec![(B, 1)]);
    // The next one goes to the other agent, who has now been idle longer.
    assert_eq!(offers(&e2.enqueue(item(2, 0, 11), t(11))), vec![(A, 2)]);
}

#[test]
fn capacity_is_respected() {
    let mut e = engine();
    e.configure_agent(A, &[Q], Some(2), t(0));
    e.connect(A, t(0));
    e.set_presence(A, Presence::Available, None, t(0));
    assert_eq!(offers(&e.enqueue(item(1, 0, 1), t(1))).len(), 1);
    assert_eq!(offers(&e.enqueue(item(2, 0, 2), t(2))).len(), 1);
    assert!(offers(&e.enqueue(item(3, 0, 3), t(3))).is_empty());
    e.accept(A, WorkitemId(1), t(4)).unwrap();
    let done = e.terminate(A, WorkitemId(1), None, t(5)).unwrap();
    assert_eq!(offers(&done), vec![(A, 3)]);
}

#[test]
fn priority_then_age() {
    let mut e = engine();
    e.enqueue(item(1, 0, 1), t(1));
    e.enqueue(item(2, 5, 3), t(3));
    e.enqueue(item(3, 5, 2), t(3));
    e.configure_agent(A, &[Q], Some(1), t(4));
    e.connect(A, t(4));
    let got = offers(&e.set_presence(A, Presence::Available, None, t(4)));
    assert_eq!(got, vec![(A, 3)]);
    assert_eq!(e.waiting().map(|w| w.0).collect::<Vec<_>>(), vec![2, 1]);
}

#[test]
fn timeout_reoffers_to_next_agent_and_skips_the_lapsed_one() {
    let mut e = engine();
    ready(&mut e, A, 0);
    ready(&mut e, B, 1);
    assert_eq!(offers(&e.enqueue(item(1, 0, 2), t(2))), vec![(A, 1)]);
    assert_eq!(e.next_deadline(), Some(t(22)));
    assert!(e.tick(t(21)).is_empty());
    let fx = e.tick(t(22));
    assert!(fx.contains(&Effect::Withdrawn {
        agent: A,
        workitem: WorkitemId(1),
        reason: WithdrawReason::TimedOut
    }));
    assert_eq!(offers(&fx), vec![(B, 1)]);
    // B lets it lapse too: A is still skipped, so it waits.
    let fx = e.tick(t(42));
    assert!(offers(&fx).is_empty());
    // After A's skip ends (22 + 120), A may get it again.
    assert_eq!(e.next_deadline(), Some(t(142)));
    assert_eq!(offers(&e.tick(t(142))), vec![(A, 1)]);
}

#[test]
fn reject_moves_on_at_once() {
    let mut e = engine();
    ready(&mut e, A, 0);
    ready(&mut e, B, 1);
    e.enqueue(item(1, 0, 2), t(2));
    assert_eq!(e.accept(B, WorkitemId(1), t(3)), Err(AcdError::NotOffered));
    let fx = e.reject(A, WorkitemId(1), t(3)).unwrap();
    assert_eq!(offers(&fx), vec![(B, 1)]);
    assert_eq!(e.reject(A, WorkitemId(1), t(3)), Err(AcdError::NotOffered));
}

#[test]
fn disconnect_withdraws_offers_but_keeps_accepted_work() {
    let mut e = engine();
    ready(&mut e, A, 0);
    ready(&mut e, B, 1);
    e.enqueue(item(1, 0, 2), t(2));
    e.accept(A, WorkitemId(1), t(3)).unwrap();
    assert_eq!(offers(&e.enqueue(item(2, 0, 4), t(4))), vec![(B, 2)]);
    assert_eq!(offers(&e.enqueue(item(3, 0, 5), t(5))), vec![(A, 3)]);
    let fx = e.disconnect(A, t(6));
    assert_eq!(offers(&fx), vec![(B, 3)]);
    assert_eq!(e.phase(WorkitemId(1)), Some(Phase::Active { agent: A }));
    assert!(e.view(A).offers.is_empty());
    assert_eq!(e.view(A).active, vec![WorkitemId(1)]);
}

#[test]
fn two_tabs_keep_the_agent_connected() {
    let mut e = engine();
    ready(&mut e, A, 0);
    e.connect(A, t(0));
    e.enqueue(item(1, 0, 1), t(1));
    assert!(e.disconnect(A, t(2)).is_empty());
    assert_eq!(e.view(A).offers.len(), 1);
}

#[test]
fn away_and_offline_get_no_offers() {
    let mut e = engine();
    ready(&mut e, A, 0);
    e.enqueue(item(1, 0, 1), t(1));
    let fx = e.set_presence(A, Presence::Away, Some("lunch".into()), t(2));
    assert!(fx.iter().any(|f| matches!(
        f,
        Effect::Withdrawn {
            reason: WithdrawReason::AgentLeft,
            ..
        }
    )));
    assert_eq!(e.view(A).away_reason.as_deref(), Some("lunch"));
    assert!(offers(&e.enqueue(item(2, 0, 3), t(3))).is_empty());
    // Back to Available: the waiting work is offered; withdrawal did not skip the agent.
    let fx = e.set_presence(A, Presence::Available, None, t(4));
    assert_eq!(offers(&fx), vec![(A, 1), (A, 2)]);
}

#[test]
fn only_agents_of_the_queue_get_offers() {
    let mut e = engine();
    e.configure_agent(A, &[QueueId(2)], None, t(0));
    e.connect(A, t(0));
    e.set_presence(A, Presence::Available, None, t(0));
    assert!(offers(&e.enqueue(item(1, 0, 1), t(1))).is_empty());
    assert_eq!(
        offers(&e.configure_agent(A, &[Q, QueueId(2)], None, t(2))),
        vec![(A, 1)]
    );
}

#[test]
fn terminate_needs_the_owner() {
    let mut e = engine();
    ready(&mut e, A, 0);
    ready(&mut e, B, 1);
    e.enqueue(item(1, 0, 2), t(2));
    assert_eq!(
        e.terminate(A, WorkitemId(1), None, t(3)),
        Err(AcdError::NotYours)
    );
    e.accept(A, WorkitemId(1), t(3)).unwrap();
    assert_eq!(
        e.terminate(B, WorkitemId(1), None, t(4)),
        Err(AcdError::NotYours)
    );
    assert!(e.terminate(A, WorkitemId(1), None, t(4)).is_ok());
    assert_eq!(e.phase(WorkitemId(1)), None);
}

#[test]
fn a_released_agent_goes_offline_and_their_work_goes_to_others() {
    let mut e = engine();
    ready(&mut e, A, 1);
    ready(&mut e, B, 2);
    assert_eq!(offers(&e.enqueue(item(1, 0, 10), t(10))), vec![(A, 1)]);
    e.accept(A, WorkitemId(1), t(11)).unwrap();
    assert_eq!(offers(&e.enqueue(item(2, 0, 12), t(12))), vec![(B, 2)]);
    assert_eq!(offers(&e.enqueue(item(3, 0, 13), t(13))), vec![(A, 3)]);

    let fx = e.release_agent(A, "disabled", t(20));
    assert!(fx.contains(&Effect::Returned {
        agent: A,
        workitem: WorkitemId(1),
        reason: "disabled".into(),
    }));
    assert!(fx.contains(&Effect::Withdrawn {
        agent: A,
        workitem: WorkitemId(3),
        reason: WithdrawReason::AgentLeft,
    }));
    // Both go to B, who has room; A gets nothing more.
    let mut got = offers(&fx);
    got.sort();
    assert_eq!(got, vec![(B, 1), (B, 3)]);
    let view = e.view(A);
    assert_eq!(view.presence, Presence::Offline);
    assert!(view.active.is_empty() && view.offers.is_empty());
    assert_eq!(
        e.phase(WorkitemId(1)),
        Some(Phase::Offered {
            agent: B,
            expires_at: t(40)
        })
    );
}

#[test]
fn the_floor_shows_states_work_and_each_queues_line() {
    let mut e = engine();
    ready(&mut e, A, 1);
    e.configure_agent(B, &[Q], Some(1), t(2));
    e.set_presence(B, Presence::Away, Some("Lunch".into()), t(3));
    // The same state again keeps its start; a new reason starts it anew.
    e.set_presence(B, Presence::Away, Some("Lunch".into()), t(4));
    e.enqueue(item(1, 0, 10), t(10));
    e.accept(A, WorkitemId(1), t(11)).expect("accept");
    // A (capacity 3) is offered 2 and 3; 4 waits behind nobody free.
    e.set_presence(A, Presence::Available, None, t(12));
    e.enqueue(item(2, 0, 20), t(20));
    e.enqueue(item(3, 0, 21), t(21));
    e.enqueue(item(4, 0, 22), t(22));
    let floor = e.floor(t(30), |w, _| (format!("customer {w}"), "Support".into()));
    assert_eq!(floor.at, t(30));
    let [a, b] = &floor.agents[..] else {
        panic!("two agents: {:?}", floor.agents);
    };
    assert_eq!(
        (a.id, a.presence, a.since, a.connected),
        (A, Presence::Available, t(1), true)
    );
    assert_eq!((a.capacity, a.offers), (3, 2));
    assert_eq!(a.active.len(), 1);
    assert_eq!(
        (
            a.active[0].id,
            a.active[0].customer.as_str(),
            a.active[0].queue_name.as_str()
        ),
        (WorkitemId(1), "customer 1", "Support")
    );
    assert_eq!(a.active[0].created_at, t(10));
    assert_eq!(
        (b.presence, b.away_reason.as_deref(), b.since, b.connected),
        (Presence::Away, Some("Lunch"), t(3), false)
    );
    assert_eq!(
        floor.queues,
        vec![FloorQueue {
            id: Q,
            waiting: 1,
            oldest_waiting: Some(t(22)),
            offers_out: 2,
            available_agents: 1,
        }]
    );
    e.set_presence(B, Presence::Away, Some("Meeting".into()), t(40));
    let floor = e.floor(t(41), |_, _| (String::new(), String::new()));
    assert_eq!(floor.agents[1].since, t(40));
}

fn to(target: TransferTarget, by: UserId) -> Transfer {
    Transfer {
        by,
        by_name: "giver".into(),
        target,
        target_name: "receiver".into(),
        note: None,
    }
}

/// A and B ready; workitem 1 offered to and accepted by A.
fn a_holds_one() -> Engine {
    let mut e = engine();
    ready(&mut e, A, 0);
    ready(&mut e, B, 1);
    e.enqueue(item(1, 0, 2), t(2));
    e.accept(A, WorkitemId(1), t(3)).unwrap();
    e
}

#[test]
fn transfer_to_an_agent_offers_it_to_them_and_frees_the_giver() {
    let mut e = a_holds_one();
    let fx = e
        .transfer(
            WorkitemId(1),
            Some(A),
            to(TransferTarget::Agent(B), A),
            t(4),
        )
        .unwrap();
    assert!(matches!(fx[0], Effect::HandedOff { from: A, .. }));
    assert_eq!(offers(&fx), vec![(B, 1)]);
    assert!(e.view(A).active.is_empty());
    e.accept(B, WorkitemId(1), t(5)).unwrap();
    assert_eq!(e.phase(WorkitemId(1)), Some(Phase::Active { agent: B }));
}

#[test]
fn a_named_agent_who_rejects_or_lets_it_lapse_sends_it_to_the_queue() {
    let c = UserId(12);
    for lapse in [false, true] {
        let mut e = a_holds_one();
        ready(&mut e, c, 1);
        e.transfer(
            WorkitemId(1),
            Some(A),
            to(TransferTarget::Agent(B), A),
            t(4),
        )
        .unwrap();
        let fx = if lapse {
            e.tick(t(24))
        } else {
            e.reject(B, WorkitemId(1), t(5)).unwrap()
        };
        // Neither the giver (A) nor the one who declined (B) gets it: C does.
        assert_eq!(offers(&fx), vec![(c, 1)], "lapse: {lapse}");
    }
}

#[test]
fn transfer_to_an_agent_who_cannot_take_it_is_refused_and_changes_nothing() {
    let mut e = a_holds_one();
    e.configure_agent(B, &[Q], Some(1), t(4));
    e.enqueue(item(2, 0, 4), t(4));
    // B holds an offer: at capacity.
    let refused = e.transfer(
        WorkitemId(1),
        Some(A),
        to(TransferTarget::Agent(B), A),
        t(5),
    );
    assert_eq!(refused, Err(AcdError::TargetAtCapacity));
    assert_eq!(e.phase(WorkitemId(1)), Some(Phase::Active { agent: A }));
    e.set_presence(B, Presence::Away, None, t(6));
    let refused = e.transfer(
        WorkitemId(1),
        Some(A),
        to(TransferTarget::Agent(B), A),
        t(6),
    );
    assert_eq!(refused, Err(AcdError::TargetNotAvailable));
    let mine = e.transfer(
        WorkitemId(1),
        Some(A),
        to(TransferTarget::Agent(A), A),
        t(6),
    );
    assert_eq!(mine, Err(AcdError::AlreadyTheirs));
    // Only the holder (or a supervisor, `None`) may move it.
    let theirs = e.transfer(
        WorkitemId(1),
        Some(B),
        to(TransferTarget::Queue(Q), B),
        t(6),
    );
    assert_eq!(theirs, Err(AcdError::NotYours));
}

#[test]
fn transfer_to_a_queue_keeps_the_customers_place_in_line() {
    let q2 = QueueId(2);
    let mut e = a_holds_one();
    e.enqueue(
        Routable {
            id: WorkitemId(2),
            queue: q2,
            priority: 0,
            created_at: t(3),
        },
        t(3),
    );
    let fx = e
        .transfer(
            WorkitemId(1),
            None,
            to(TransferTarget::Queue(q2), UserId(99)),
            t(4),
        )
        .unwrap();
    assert!(offers(&fx).is_empty(), "nobody serves q2 yet");
    assert_eq!(e.queue_of(WorkitemId(1)), Some(q2));
    assert_eq!(e.waiting().map(|w| w.0).collect::<Vec<_>>(), vec![1, 2]);
    // B joins q2: the transferred customer, older, is offered first.
    assert_eq!(
        offers(&e.configure_agent(B, &[Q, q2], None, t(5))),
        vec![(B, 1), (B, 2)]
    );
}

#[test]
fn a_supervisor_takes_over_whatever_their_capacity() {
    let sup = UserId(50);
    let mut e = a_holds_one();
    let fx = e.take_over(WorkitemId(1), sup, "Sam".into(), t(4)).unwrap();
    assert!(matches!(fx[0], Effect::TakenOver { from: A, by, .. } if by == sup));
    assert_eq!(e.phase(WorkitemId(1)), Some(Phase::Active { agent: sup }));
    assert_eq!(e.view(sup).active, vec![WorkitemId(1)]);
    assert!(e.view(A).active.is_empty());
    assert_eq!(
        e.take_over(WorkitemId(1), sup, "Sam".into(), t(5)),
        Err(AcdError::AlreadyTheirs)
    );
    e.terminate(sup, WorkitemId(1), None, t(6)).unwrap();
}

fn busy_changes(effects: &[Effect]) -> Vec<(UserId, bool)> {
    effects
        .iter()
        .filter_map(|e| match e {
            Effect::BusyChanged { agent, busy } => Some((*agent, *busy)),
            _ => None,
        })
        .collect()
}

#[test]
fn busy_is_reported_when_the_first_work_comes_and_the_last_goes() {
    let mut e = engine();
    ready(&mut e, A, 0);
    ready(&mut e, B, 1);
    e.enqueue(item(1, 0, 2), t(2));
    assert_eq!(
        busy_changes(&e.accept(A, WorkitemId(1), t(3)).unwrap()),
        [(A, true)]
    );
    e.enqueue(item(2, 0, 4), t(4));
    e.enqueue(item(3, 0, 4), t(4));
    let second = e.accept(A, WorkitemId(3), t(5)).unwrap();
    assert!(busy_changes(&second).is_empty(), "already busy");
    let one_left = e.terminate(A, WorkitemId(1), None, t(6)).unwrap();
    assert!(busy_changes(&one_left).is_empty(), "still holds one");
    // Handing the last one on leaves the giver idle and makes the taker busy.
    let fx = e
        .transfer(
            WorkitemId(3),
            Some(A),
            to(TransferTarget::Queue(Q), A),
            t(7),
        )
        .unwrap();
    assert_eq!(busy_changes(&fx), [(A, false)]);
    let fx = e.take_over(WorkitemId(3), UserId(50), "Sam".into(), t(8));
    assert!(fx.is_err(), "no longer active");
}
