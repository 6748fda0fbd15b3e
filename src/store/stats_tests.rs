//! The aggregates as the live writes keep them, and the rebuild from history giving the same
//! rows, on a real store in a temp dir.

use chrono::{Duration, TimeZone};
use redb::{Database, ReadableDatabase, TableHandle};

use super::super::codec::put_json;
use super::super::{
    InboundSms, Ingested, META, Txn, WORKITEMS, ingest_inbound, insert_outbound, route_step,
};
use super::*;
use crate::domain::WorkitemId;
use crate::store::start_outbound;

const ALICE: UserId = UserId(7);
const BOB: UserId = UserId(8);

fn t(secs: i64) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 1, 9, 0, 0).unwrap() + Duration::seconds(secs)
}

struct Fixture {
    _dir: tempfile::TempDir,
    db: Database,
}

impl Fixture {
    /// A new store in a temp dir, its tables created.
    fn new() -> Fixture {
        let dir = tempfile::tempdir().unwrap();
        let db = Database::create(dir.path().join("t.redb")).unwrap();
        super::super::init(&db).unwrap();
        Fixture { _dir: dir, db }
    }

    fn write<R>(&self, f: impl FnOnce(&Txn) -> R) -> R {
        let txn = self.db.begin_write().unwrap();
        let out = f(&Txn::new(&txn));
        txn.commit().unwrap();
        out
    }

    fn text(&self, from: &str, at: DateTime<Utc>) -> Workitem {
        let sms = InboundSms::texted(from, "hello", at);
        match self.write(|txn| ingest_inbound(txn, &sms).unwrap()) {
            Ingested::Stored { workitem, .. } => workitem,
            Ingested::Duplicate(_) => panic!("duplicate"),
        }
    }

    fn step(&self, w: WorkitemId, secs: i64, kind: EventKind) {
        self.write(|txn| route_step(txn, w, t(secs), kind).unwrap());
    }

    fn reply(&self, w: WorkitemId, agent: UserId, secs: i64) {
        self.write(|txn| insert_outbound(txn, w, agent, "hi", t(secs)).unwrap());
    }

    fn rows(&self) -> Vec<TallyRow> {
        let txn = self.db.begin_read().unwrap();
        tallies(&txn, 0, i64::MAX, TallyFilter::default()).unwrap()
    }

    fn hourly_rows(&self) -> Vec<TallyRow> {
        let txn = self.db.begin_read().unwrap();
        hourly_tallies(&txn, 0, i64::MAX - 3, TallyFilter::default()).unwrap()
    }
}

/// The quarter-hour rows summed per hour, as the hourly table should hold them.
fn per_hour(rows: &[TallyRow]) -> Vec<TallyRow> {
    type Key = (i64, QueueId, Option<UserId>, Option<CampaignId>, bool);
    let mut sums: BTreeMap<Key, Tally> = BTreeMap::new();
    for r in rows {
        let key = (
            r.bucket.div_euclid(4) * 4,
            r.queue,
            r.agent,
            r.campaign,
            r.outbound,
        );
        sums.entry(key).or_default().merge(&r.tally);
    }
    sums.into_iter()
        .map(
            |((bucket, queue, agent, campaign, outbound), tally)| TallyRow {
                bucket,
                queue,
                agent,
                campaign,
                outbound,
                tally,
            },
        )
        .collect()
}

fn tally(f: impl FnOnce(&mut Tally)) -> Tally {
    let mut t = Tally::default();
    f(&mut t);
    t
}

#[test]
fn live_writes_count_each_change_and_a_rebuild_from_history_agrees() {
    let fx = Fixture::new();
    // 09:00: answered by Alice after 10 s, ended 95 s after she accepted it, coded "Sale".
    let w1 = fx.text("+14155550101", t(0));
    fx.step(w1.id, 5, EventKind::Accepted { agent: ALICE });
    fx.reply(w1.id, ALICE, 10);
    fx.reply(w1.id, ALICE, 20);
    let end = |agent, code: Option<&str>| EventKind::Terminated {
        agent,
        wrap_up: code.map(str::to_owned),
    };
    fx.step(w1.id, 100, end(Some(ALICE), Some("Sale")));
    // 09:01: ended unanswered while still queued.
    let w2 = fx.text("+14155550102", t(60));
    fx.step(w2.id, 120, end(None, None));
    // 09:16:40 (the next bucket): Alice transfers it, Bob answers 90 s after the customer
    // wrote, past the 60 s service level.
    let w3 = fx.text("+14155550103", t(1000));
    fx.step(w3.id, 1010, EventKind::Accepted { agent: ALICE });
    fx.step(
        w3.id,
        1020,
        EventKind::Transferred {
            by: ALICE,
            from: ALICE,
            queue: w3.queue,
            to_agent: None,
            note: None,
        },
    );
    fx.step(w3.id, 1030, EventKind::Accepted { agent: BOB });
    fx.reply(w3.id, BOB, 1090);

    let b0 = bucket_of(t(0));
    let q = w1.queue;
    let mut handled = tally(|t| {
        t.answered = 1;
        t.answered_in_sla = 1;
        t.terminated = 1;
        t.wrap_up.insert("Sale".into(), 1);
    });
    handled.first_response.record(10);
    handled.handle_time.record(95);
    let mut late = tally(|t| t.answered = 1);
    late.first_response.record(90);
    let row = |bucket, agent, tally| TallyRow {
        bucket,
        queue: q,
        agent,
        campaign: w1.campaign,
        outbound: false,
        tally,
    };
    let expected = vec![
        row(
            b0,
            None,
            tally(|t| {
                t.received = 2;
                t.terminated = 1;
                t.terminated_unanswered = 1;
            }),
        ),
        row(b0, Some(ALICE), handled),
        row(b0 + 1, None, tally(|t| t.received = 1)),
        row(b0 + 1, Some(ALICE), tally(|t| t.transfers = 1)),
        row(b0 + 1, Some(BOB), late),
    ];
    assert_eq!(fx.rows(), expected);
    assert_eq!(fx.hourly_rows(), per_hour(&expected));
    let read = fx.db.begin_read().unwrap();
    let today = tallies(
        &read,
        b0,
        b0 + 1,
        TallyFilter {
            queue: Some(q),
            agent: Some(Some(ALICE)),
            ..TallyFilter::default()
        },
    )
    .unwrap();
    assert_eq!(today.len(), 1);
    let summed = sum_per_queue(&fx.rows());
    assert_eq!((summed[&q].received, summed[&q].answered), (3, 2));
    assert_eq!(summed[&q].first_response.median(), Some(10));
    assert_eq!(sum_per_bucket(&fx.rows()).len(), 2);
    drop(read);

    // A data dir from before the statistics: no rows, no marker, no first reply times.
    fx.write(|txn| {
        txn.delete_table(STATS).unwrap();
        txn.open_table(META)
            .unwrap()
            .remove("stats_version")
            .unwrap();
        let mut old = w1.clone();
        old.state = crate::domain::WorkitemState::Terminated;
        put_json(&mut txn.open_table(WORKITEMS).unwrap(), old.id.0, &old).unwrap();
    });
    super::super::init(&fx.db).unwrap();
    assert_eq!(fx.rows(), expected);
    assert_eq!(fx.hourly_rows(), per_hour(&expected));
    // Counted before the hourly sums were kept (version 1): counted again, with them.
    fx.write(|txn| {
        txn.delete_table(STATS_HOURLY).unwrap();
        txn.open_table(META)
            .unwrap()
            .insert("stats_version", 1)
            .unwrap();
    });
    super::super::init(&fx.db).unwrap();
    assert_eq!(fx.rows(), expected);
    assert_eq!(fx.hourly_rows(), per_hour(&expected));
    let read = fx.db.begin_read().unwrap();
    let w = super::super::workitem(&read, w1.id).unwrap().unwrap();
    assert_eq!(w.first_reply_at, Some(t(10)));
}

#[test]
fn rows_are_kept_per_campaign_and_direction_and_a_version_2_store_is_counted_again() {
    let fx = Fixture::new();
    let inbound = fx.text("+14155550101", t(0));
    let mut spring = crate::domain::Campaign::new(
        CampaignId(5),
        "Spring",
        crate::domain::CampaignKind::Outbound,
        inbound.queue,
    );
    spring.numbers = vec![crate::domain::E164::parse("+14155550999").unwrap()];
    let to = crate::domain::E164::parse("+14155550102").unwrap();
    let out = fx.write(|txn| {
        start_outbound(txn, ALICE, &spring, &to, "Spring sale", t(30))
            .unwrap()
            .unwrap()
    });
    assert_eq!(out.workitem.campaign, Some(CampaignId(5)));
    let all = fx.rows();
    let read = fx.db.begin_read().unwrap();
    let only = |filter| tallies(&read, 0, i64::MAX, filter).unwrap();
    let outbound = only(TallyFilter {
        direction: Some(Direction::Out),
        ..TallyFilter::default()
    });
    assert_eq!(outbound.len(), 1);
    assert_eq!(
        (outbound[0].campaign, outbound[0].outbound),
        (Some(CampaignId(5)), true)
    );
    assert_eq!(outbound[0].tally.outbound, 1);
    assert_eq!(outbound[0].tally.received, 0);
    let inbound_rows = only(TallyFilter {
        direction: Some(Direction::In),
        ..TallyFilter::default()
    });
    assert_eq!(inbound_rows.len(), 1);
    assert_eq!(inbound_rows[0].tally.received, 1);
    assert_eq!(inbound_rows[0].campaign, inbound.campaign);
    let spring_rows = only(TallyFilter {
        campaign: Some(CampaignId(5)),
        ..TallyFilter::default()
    });
    assert_eq!(spring_rows, outbound);
    assert!(
        only(TallyFilter {
            campaign: Some(CampaignId(6)),
            ..TallyFilter::default()
        })
        .is_empty()
    );
    assert_eq!(fx.hourly_rows(), per_hour(&all));
    drop(read);

    // A data dir of version 2: tables keyed (bucket, queue, agent) under the old names.
    let old_quarter: redb::TableDefinition<(i64, u64, u64), &[u8]> =
        redb::TableDefinition::new("stats_15min");
    fx.write(|txn| {
        txn.delete_table(STATS).unwrap();
        txn.delete_table(STATS_HOURLY).unwrap();
        let stale = crate::store::codec::encode(&tally(|t| t.received = 9));
        txn.open_table(old_quarter)
            .unwrap()
            .insert((bucket_of(t(0)), inbound.queue.0, 0), stale.as_slice())
            .unwrap();
        txn.open_table(META)
            .unwrap()
            .insert("stats_version", 2)
            .unwrap();
    });
    super::super::init(&fx.db).unwrap();
    assert_eq!(fx.rows(), all);
    assert_eq!(fx.hourly_rows(), per_hour(&all));
    let read = fx.db.begin_read().unwrap();
    let names: Vec<String> = read
        .list_tables()
        .unwrap()
        .map(|t| t.name().to_owned())
        .collect();
    assert!(!names.iter().any(|n| n == "stats_15min"), "{names:?}");
}
