use super::*;

fn at(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s)
        .expect("time")
        .with_timezone(&Utc)
}

#[test]
fn bins_are_exact_under_two_minutes_then_coarser() {
    assert_eq!((bin_of(0), bin_of(119)), (0, 119));
    // 5-second bins from 2 to 10 minutes: 96 of them.
    assert_eq!((bin_of(120), bin_of(124), bin_of(125)), (120, 120, 121));
    assert_eq!(bin_of(599), 215);
    // 1-minute bins to 2 hours: 110 of them.
    assert_eq!((bin_of(600), bin_of(659), bin_of(660)), (216, 216, 217));
    assert_eq!(bin_of(7199), 325);
    // 15-minute bins to a day: 88 of them, then the overflow bin.
    assert_eq!((bin_of(7200), bin_of(86_399)), (326, 413));
    assert_eq!((bin_of(86_400), bin_of(10_000_000)), (414, 414));
    for secs in [
        0, 1, 119, 120, 123, 599, 600, 601, 7199, 7200, 86_399, 86_400,
    ] {
        let floor = bin_floor(bin_of(secs));
        assert!(floor <= secs, "{secs} rounds down to {floor}");
        assert_eq!(bin_of(floor), bin_of(secs));
    }
    assert_eq!(
        (
            bin_floor(121),
            bin_floor(217),
            bin_floor(327),
            bin_floor(414)
        ),
        (125, 660, 8100, 86_400)
    );
}

#[test]
fn median_and_p90_by_nearest_rank() {
    let mut h = Histogram::default();
    assert_eq!((h.median(), h.p90()), (None, None));
    // 10, 30, 90 s: the median is the 2nd; p90 is the ⌈2.7⌉ = 3rd.
    for secs in [90, 10, 30] {
        h.record(secs);
    }
    assert_eq!((h.median(), h.p90()), (Some(30), Some(90)));
    // Ten values 1..=10 s: median is the 5th (5), p90 the 9th (9).
    let mut ten = Histogram::default();
    for secs in 1..=10 {
        ten.record(secs);
    }
    assert_eq!((ten.median(), ten.p90()), (Some(5), Some(9)));
    // Above two minutes the answer is the bin's lower bound: 7 min 33 s → 7 min 30 s;
    // 3 h 20 min → 3 h 15 min. A negative time counts as zero.
    let mut long = Histogram::default();
    long.record(453);
    assert_eq!(long.median(), Some(450));
    long.record(12_000);
    long.record(-4);
    assert_eq!((long.median(), long.p90()), (Some(450), Some(11_700)));
    assert_eq!(long.count(), 3);
}

#[test]
fn tallies_merge_and_store_only_what_is_counted() {
    let mut a = Tally {
        received: 2,
        answered: 2,
        answered_in_sla: 1,
        ..Tally::default()
    };
    a.first_response.record(10);
    a.wrap_up.insert("Sale".into(), 1);
    let mut b = Tally {
        received: 1,
        answered: 1,
        answered_in_sla: 1,
        terminated: 1,
        ..Tally::default()
    };
    b.first_response.record(10);
    b.first_response.record(200);
    b.wrap_up.insert("Sale".into(), 2);
    b.wrap_up.insert("No sale".into(), 1);
    a.merge(&b);
    assert_eq!((a.received, a.answered, a.answered_in_sla), (3, 3, 2));
    assert_eq!(a.first_response.count(), 3);
    assert_eq!(a.first_response.median(), Some(10));
    assert_eq!(a.wrap_up["Sale"], 3);
    assert_eq!(a.wrap_up["No sale"], 1);
    // 2 of 3 → 67 %.
    assert_eq!(a.in_sla_percent(), Some(67));
    assert_eq!(Tally::default().in_sla_percent(), None);
    // An empty tally is stored as `{}`; a stored one reads back the same.
    assert_eq!(serde_json::to_string(&Tally::default()).unwrap(), "{}");
    let json = serde_json::to_string(&a).unwrap();
    assert_eq!(serde_json::from_str::<Tally>(&json).unwrap(), a);
    let old: Tally = serde_json::from_str(r#"{"received":4}"#).unwrap();
    assert_eq!(old.received, 4);
}

#[test]
fn buckets_are_quarter_hours_of_unix_time() {
    let t = at("2026-03-08T09:14:59Z");
    assert_eq!(bucket_of(t), t.timestamp() / 900);
    assert_eq!(bucket_start(bucket_of(t)), at("2026-03-08T09:00:00Z"));
    assert_eq!(bucket_of(at("2026-03-08T09:15:00Z")), bucket_of(t) + 1);
}

#[test]
fn midnight_is_taken_on_the_local_calendar() {
    let ny = chrono_tz::America::New_York;
    // 8 March 2026: New York springs forward at 02:00, a 23-hour day. At 12:00 EDT (16:00
    // UTC) the day began at 00:00 EST = 05:00 UTC, 11 hours earlier, not 12.
    assert_eq!(
        local_midnight(at("2026-03-08T16:00:00Z"), ny),
        at("2026-03-08T05:00:00Z")
    );
    // 1 November 2026: falls back at 02:00, a 25-hour day; midnight was 00:00 EDT.
    assert_eq!(
        local_midnight(at("2026-11-01T23:00:00Z"), ny),
        at("2026-11-01T04:00:00Z")
    );
    // Just before local midnight it is still the previous day.
    assert_eq!(
        local_midnight(at("2026-03-09T03:59:00Z"), ny),
        at("2026-03-08T05:00:00Z")
    );
    assert_eq!(
        local_midnight(at("2026-03-08T16:00:00Z"), Tz::UTC),
        at("2026-03-08T00:00:00Z")
    );
    // Where the clocks jump at midnight (Santiago, 6 Sep 2026: 00:00 → 01:00), the day
    // starts at 01:00 local.
    assert_eq!(
        local_midnight(at("2026-09-06T12:00:00Z"), chrono_tz::America::Santiago),
        at("2026-09-06T04:00:00Z")
    );
}
