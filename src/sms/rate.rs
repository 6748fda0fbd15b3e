//! Token buckets: each of our numbers sends at most its campaign's rate, with a burst of one
//! second's worth, as carriers meter it.

use chrono::{DateTime, Duration, Utc};

#[derive(Clone, Debug)]
pub struct Bucket {
    tokens: f64,
    at: DateTime<Utc>,
}

impl Bucket {
    /// A full bucket.
    pub fn new(rate: f64, now: DateTime<Utc>) -> Bucket {
        Bucket {
            tokens: capacity(rate),
            at: now,
        }
    }

    /// Takes one send, or says when one will be free. `rate` is read on every call, so an
    /// admin's change applies to the next message.
    pub fn take(&mut self, now: DateTime<Utc>, rate: f64) -> Result<(), DateTime<Utc>> {
        let rate = rate.max(f64::MIN_POSITIVE);
        let elapsed = (now - self.at)
            .num_microseconds()
            .unwrap_or(i64::MAX)
            .max(0) as f64
            / 1e6;
        self.tokens = (self.tokens + elapsed * rate).min(capacity(rate));
        self.at = now;
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            return Ok(());
        }
        let wait_secs = (1.0 - self.tokens) / rate;
        Err(now + Duration::microseconds((wait_secs * 1e6).ceil() as i64))
    }
}

/// The most sends a number may make at once: one second's worth, at least one.
fn capacity(rate: f64) -> f64 {
    rate.max(1.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t0() -> DateTime<Utc> {
        DateTime::from_timestamp(1_700_000_000, 0).expect("time")
    }

    /// Counts sends a bucket allows when asked every 10 ms for `secs` seconds.
    fn allowed(rate: f64, secs: i64) -> usize {
        let mut b = Bucket::new(rate, t0());
        let mut n = 0;
        for step in 0..=(secs * 100) {
            let now = t0() + Duration::milliseconds(step * 10);
            while b.take(now, rate).is_ok() {
                n += 1;
            }
        }
        n
    }

    #[test]
    fn holds_the_rate_with_a_one_second_burst() {
        // A full second's burst, then the rate: rate × (secs + 1) at most.
        assert_eq!(allowed(1.0, 10), 11);
        assert_eq!(allowed(5.0, 10), 55);
        assert_eq!(allowed(0.5, 10), 6);
    }

    #[test]
    fn says_when_the_next_send_is_free() {
        let mut b = Bucket::new(2.0, t0());
        assert!(b.take(t0(), 2.0).is_ok());
        assert!(b.take(t0(), 2.0).is_ok());
        assert_eq!(b.take(t0(), 2.0), Err(t0() + Duration::milliseconds(500)));
        assert!(b.take(t0() + Duration::milliseconds(500), 2.0).is_ok());
    }
}
