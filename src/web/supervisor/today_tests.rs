use super::*;

fn at(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s)
        .expect("time")
        .with_timezone(&Utc)
}

fn received(n: u32, frt: &[i64]) -> Tally {
    let mut t = Tally {
        received: n,
        ..Tally::default()
    };
    for s in frt {
        t.first_response.record(*s);
    }
    t
}

#[test]
fn today_starts_at_local_midnight_and_ends_with_now() {
    let now = at("2026-03-08T16:07:00Z");
    let (from, to) = today_buckets(now, chrono_tz::America::New_York);
    assert_eq!(bucket_start(from), at("2026-03-08T05:00:00Z"));
    assert_eq!(bucket_start(to), at("2026-03-08T16:15:00Z"));
}

#[test]
fn the_chart_spans_the_local_day_with_bars_and_median_dots() {
    let ny = chrono_tz::America::New_York;
    // The spring-forward day has 23 hours: 92 columns, labels every three local hours
    // (03:00 comes one hour after 00:00 on the wall clock: 02:00 does not exist).
    let now = at("2026-03-08T16:07:00Z");
    let nine = bucket_of(at("2026-03-08T13:00:00Z"));
    let yesterday = bucket_of(at("2026-03-08T04:45:00Z"));
    let buckets = BTreeMap::from([
        (yesterday, received(9, &[5])),
        (nine, received(4, &[10, 30, 90])),
        (nine + 1, received(2, &[])),
    ]);
    let c = chart(&buckets, now, ny);
    let labels: Vec<&str> = c.time_ticks.iter().map(|t| t.label.as_str()).collect();
    assert_eq!(
        labels,
        [
            "00:00", "03:00", "06:00", "09:00", "12:00", "15:00", "18:00", "21:00"
        ]
    );
    // Yesterday's bucket is left out; two bars, the tallest reaching the top of a 0–4 axis.
    assert_eq!(c.bars.len(), 2);
    assert_eq!(c.bars[0].title, "09:00 · 4 received");
    assert!((c.bars[0].height - (c.bottom - c.top)).abs() < 0.1);
    assert_eq!(c.dots.len(), 1);
    assert_eq!(c.dots[0].title, "09:00 · median first response 30 s");
    let column = (c.right - c.left) / 92.0;
    assert!((c.bars[1].x - c.bars[0].x - column).abs() < 0.2);
    assert!(c.summary.contains("6 received") && c.summary.contains("America/New_York"));
    // A quiet day still draws its axes.
    let quiet = chart(&BTreeMap::new(), now, Tz::UTC);
    assert!(quiet.bars.is_empty() && quiet.count_ticks.len() == 2);
    assert!(quiet.summary.contains("none answered yet"));
}
