//! Throttling of failed logins, per (user name, client address) and per client address. Pure:
//! the caller passes the time in and keeps the state behind a lock.
//!
//! After [`PAIR_THRESHOLD`] failures of one name from one address, or [`ADDRESS_THRESHOLD`]
//! failures from one address across any names, each with less than [`WINDOW`] since the one
//! before, that key's attempts wait [`FIRST_WAIT`] after its last failure; each further failure
//! doubles the wait, up to [`MAX_WAIT`]. Counts are forgotten [`WINDOW`] after the last failure
//! or the end of its wait, whichever is later, and a success clears the name's and the
//! address's counts. Names are never counted across addresses, so guessing from one address
//! cannot lock an account out for everyone else.

use std::collections::HashMap;
use std::hash::{BuildHasher, Hash, RandomState};
use std::net::{IpAddr, Ipv6Addr};

use chrono::{DateTime, Duration, Utc};

/// Failures of one name from one address before its attempts wait.
pub const PAIR_THRESHOLD: u32 = 5;
/// Failures from one address, across all names, before its attempts wait. Higher than the
/// pair's because a whole office may sit behind one address and a few people mistyping must not
/// lock the others out; 20 still stops guessing many names from one address early.
pub const ADDRESS_THRESHOLD: u32 = 20;
/// A failure this long after the one before starts the count again.
pub const WINDOW: Duration = Duration::minutes(15);
/// The wait after the failure that reaches a threshold.
pub const FIRST_WAIT: Duration = Duration::minutes(1);
/// The longest wait, however many failures.
pub const MAX_WAIT: Duration = Duration::minutes(15);
/// Entries kept per kind of key, so a flood of distinct names or addresses cannot grow memory
/// without bound: when full, forgotten entries go first, then those whose wait ends soonest.
pub const MAX_ENTRIES: usize = 10_000;

/// The failed-login counts of recent clients.
pub struct LoginThrottle {
    pairs: Counters<(IpAddr, u64)>,
    addresses: Counters<IpAddr>,
    /// Names are kept as keyed hashes: a typed name may be long, and it is not needed back.
    names: RandomState,
}

impl Default for LoginThrottle {
    fn default() -> Self {
        LoginThrottle {
            pairs: Counters::new(PAIR_THRESHOLD),
            addresses: Counters::new(ADDRESS_THRESHOLD),
            names: RandomState::new(),
        }
    }
}

impl LoginThrottle {
    /// How much longer an attempt of `name` from `addr` must wait, if it must (the longer of
    /// the name's and the address's waits).
    pub fn wait(&mut self, name: &str, addr: IpAddr, now: DateTime<Utc>) -> Option<Duration> {
        let (pair, addr) = self.keys(name, addr);
        let waits = [self.pairs.wait(&pair, now), self.addresses.wait(&addr, now)];
        waits.into_iter().flatten().max()
    }

    /// Lets an attempt go ahead, counting it as a failure until [`succeeded`] or
    /// [`not_a_guess`] says otherwise, or refuses it with the wait. Counting before the
    /// password is checked means many attempts sent at once cannot all pass before the first
    /// of them fails.
    ///
    /// [`succeeded`]: LoginThrottle::succeeded
    /// [`not_a_guess`]: LoginThrottle::not_a_guess
    pub fn attempt(
        &mut self,
        name: &str,
        addr: IpAddr,
        now: DateTime<Utc>,
    ) -> Result<(), Duration> {
        match self.wait(name, addr, now) {
            Some(wait) => Err(wait),
            None => {
                self.failed(name, addr, now);
                Ok(())
            }
        }
    }

    /// Counts a wrong password (or unknown name) of `name` from `addr`.
    pub fn failed(&mut self, name: &str, addr: IpAddr, now: DateTime<Utc>) {
        let (pair, addr) = self.keys(name, addr);
        self.pairs.fail(pair, now);
        self.addresses.fail(addr, now);
    }

    /// Takes back the count of an attempt that guessed nothing (no name or password given, the
    /// store failed, or the right password of a disabled account).
    pub fn not_a_guess(&mut self, name: &str, addr: IpAddr) {
        let (pair, addr) = self.keys(name, addr);
        self.pairs.take_back(&pair);
        self.addresses.take_back(&addr);
    }

    /// Clears the counts of `name` from `addr` and of `addr` after a successful login.
    pub fn succeeded(&mut self, name: &str, addr: IpAddr) {
        let (pair, addr) = self.keys(name, addr);
        self.pairs.entries.remove(&pair);
        self.addresses.entries.remove(&addr);
    }

    /// Entries held (pairs, addresses).
    pub fn len(&self) -> (usize, usize) {
        (self.pairs.entries.len(), self.addresses.entries.len())
    }

    fn keys(&self, name: &str, addr: IpAddr) -> ((IpAddr, u64), IpAddr) {
        let addr = address_key(addr);
        let name = self.names.hash_one(name.trim().to_ascii_lowercase());
        ((addr, name), addr)
    }
}

/// IPv6 clients are counted per /64, the block one subscriber usually gets: otherwise every
/// address in it would get its own count.
fn address_key(addr: IpAddr) -> IpAddr {
    match addr.to_canonical() {
        IpAddr::V6(v6) => {
            let bits = u128::from(v6) & !((1u128 << 64) - 1);
            IpAddr::V6(Ipv6Addr::from(bits))
        }
        v4 => v4,
    }
}

/// How long a key waits after its failure number `failures` (None below the threshold).
fn wait_after(failures: u32, threshold: u32) -> Option<Duration> {
    let doublings = failures.checked_sub(threshold)?;
    // 2^4 minutes is already past the cap.
    let wait = FIRST_WAIT * (1i32 << doublings.min(4));
    Some(wait.min(MAX_WAIT))
}

#[derive(Clone, Copy)]
struct Entry {
    failures: u32,
    last_failure: DateTime<Utc>,
}

impl Entry {
    fn locked_until(&self, threshold: u32) -> Option<DateTime<Utc>> {
        wait_after(self.failures, threshold).map(|w| self.last_failure + w)
    }

    /// When the entry is forgotten.
    fn expires(&self, threshold: u32) -> DateTime<Utc> {
        self.locked_until(threshold).unwrap_or(self.last_failure) + WINDOW
    }
}

struct Counters<K> {
    threshold: u32,
    entries: HashMap<K, Entry>,
}

impl<K: Hash + Eq + Copy> Counters<K> {
    fn new(threshold: u32) -> Self {
        Counters {
            threshold,
            entries: HashMap::new(),
        }
    }

    fn wait(&mut self, key: &K, now: DateTime<Utc>) -> Option<Duration> {
        let entry = *self.entries.get(key)?;
        if entry.expires(self.threshold) <= now {
            self.entries.remove(key);
            return None;
        }
        let until = entry.locked_until(self.threshold)?;
        (until > now).then(|| until - now)
    }

    fn fail(&mut self, key: K, now: DateTime<Utc>) {
        let threshold = self.threshold;
        if let Some(entry) = self.entries.get_mut(&key)
            && entry.expires(threshold) > now
        {
            entry.failures = entry.failures.saturating_add(1);
            entry.last_failure = now;
            return;
        }
        if !self.entries.contains_key(&key) && self.entries.len() >= MAX_ENTRIES {
            self.make_room(now);
        }
        self.entries.insert(
            key,
            Entry {
                failures: 1,
                last_failure: now,
            },
        );
    }

    fn take_back(&mut self, key: &K) {
        if let Some(entry) = self.entries.get_mut(key) {
            entry.failures = entry.failures.saturating_sub(1);
            if entry.failures == 0 {
                self.entries.remove(key);
            }
        }
    }

    /// Drops forgotten entries; if that frees too little, also the tenth whose wait ends (or
    /// which would be forgotten) soonest, so a flood pays for this once per many new keys.
    fn make_room(&mut self, now: DateTime<Utc>) {
        let threshold = self.threshold;
        self.entries.retain(|_, e| e.expires(threshold) > now);
        if self.entries.len() < MAX_ENTRIES * 9 / 10 {
            return;
        }
        let mut expiries: Vec<DateTime<Utc>> = self
            .entries
            .values()
            .map(|e| e.expires(threshold))
            .collect();
        let cut = MAX_ENTRIES / 10;
        let (_, &mut cutoff, _) = expiries.select_nth_unstable(cut);
        self.entries.retain(|_, e| e.expires(threshold) > cutoff);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::utc;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    const T0: &str = "2026-12-04T09:00:00Z";

    fn fail_n(t: &mut LoginThrottle, name: &str, addr: &str, n: u32, now: DateTime<Utc>) {
        for _ in 0..n {
            assert_eq!(t.wait(name, ip(addr), now), None);
            t.failed(name, ip(addr), now);
        }
    }

    #[test]
    fn the_fifth_failure_makes_the_name_wait_from_that_address_only() {
        let mut t = LoginThrottle::default();
        let now = utc(T0);
        fail_n(&mut t, "admin", "10.0.0.1", 4, now);
        assert_eq!(t.wait("admin", ip("10.0.0.1"), now), None, "four are fine");
        t.failed("admin", ip("10.0.0.1"), now);
        assert_eq!(t.wait("admin", ip("10.0.0.1"), now), Some(FIRST_WAIT));
        assert_eq!(
            t.wait(" Admin ", ip("10.0.0.1"), now + Duration::seconds(20)),
            Some(Duration::seconds(40)),
            "the name as typed, counted as logged in"
        );
        assert_eq!(
            t.wait("admin", ip("10.0.0.2"), now),
            None,
            "another address"
        );
        assert_eq!(t.wait("alice", ip("10.0.0.1"), now), None, "another name");
    }

    #[test]
    fn each_further_failure_doubles_the_wait_up_to_fifteen_minutes() {
        let mut t = LoginThrottle::default();
        let mut now = utc(T0);
        fail_n(&mut t, "admin", "10.0.0.1", 5, now);
        let mut waits = Vec::new();
        for _ in 0..6 {
            let wait = t.wait("admin", ip("10.0.0.1"), now).unwrap();
            waits.push(wait.num_minutes());
            now += wait;
            assert_eq!(
                t.wait("admin", ip("10.0.0.1"), now),
                None,
                "the wait is over"
            );
            t.failed("admin", ip("10.0.0.1"), now);
        }
        assert_eq!(waits, [1, 2, 4, 8, 15, 15]);
    }

    #[test]
    fn counts_are_forgotten_after_a_quiet_window_and_cleared_by_a_success() {
        let mut t = LoginThrottle::default();
        let now = utc(T0);
        fail_n(&mut t, "admin", "10.0.0.1", 4, now);
        // Fifteen quiet minutes: the fifth failure starts a new count.
        let later = now + WINDOW;
        fail_n(&mut t, "admin", "10.0.0.1", 4, later);
        assert_eq!(t.len(), (1, 1));
        t.succeeded("admin", ip("10.0.0.1"));
        assert_eq!(t.len(), (0, 0));
        fail_n(&mut t, "admin", "10.0.0.1", 4, later);
        // A key that waited is kept until WINDOW after its wait: retrying right after the
        // wait and failing doubles it rather than starting again.
        t.failed("admin", ip("10.0.0.1"), later);
        let after_wait = later + FIRST_WAIT;
        t.failed("admin", ip("10.0.0.1"), after_wait);
        assert_eq!(
            t.wait("admin", ip("10.0.0.1"), after_wait),
            Some(Duration::minutes(2))
        );
        let forgotten = after_wait + Duration::minutes(2) + WINDOW;
        assert_eq!(t.wait("admin", ip("10.0.0.1"), forgotten), None);
        assert_eq!(t.len().0, 0, "dropped when found forgotten");
    }

    #[test]
    fn attempts_count_before_their_outcome_and_non_guesses_are_taken_back() {
        let mut t = LoginThrottle::default();
        let now = utc(T0);
        // Five sent at once all start; the sixth waits although none has failed yet.
        for _ in 0..PAIR_THRESHOLD {
            assert_eq!(t.attempt("admin", ip("10.0.0.1"), now), Ok(()));
        }
        assert_eq!(t.attempt("admin", ip("10.0.0.1"), now), Err(FIRST_WAIT));
        // One of them turns out to guess nothing (say, a disabled account): back under.
        t.not_a_guess("admin", ip("10.0.0.1"));
        assert_eq!(t.attempt("admin", ip("10.0.0.1"), now), Ok(()));
        t.succeeded("admin", ip("10.0.0.1"));
        assert_eq!(t.len(), (0, 0));
        t.attempt("bob", ip("10.0.0.1"), now).unwrap();
        t.not_a_guess("bob", ip("10.0.0.1"));
        assert_eq!(t.len(), (0, 0), "an entry at zero is dropped");
    }

    #[test]
    fn an_address_guessing_many_names_waits_after_twenty() {
        let mut t = LoginThrottle::default();
        let now = utc(T0);
        for i in 0..ADDRESS_THRESHOLD {
            fail_n(&mut t, &format!("user{i}"), "10.0.0.1", 1, now);
        }
        assert_eq!(t.wait("user99", ip("10.0.0.1"), now), Some(FIRST_WAIT));
        assert_eq!(t.wait("user99", ip("10.0.0.2"), now), None);
    }

    #[test]
    fn ipv6_clients_count_per_64_block() {
        let mut t = LoginThrottle::default();
        let now = utc(T0);
        for i in 0..PAIR_THRESHOLD {
            t.failed("admin", ip(&format!("2001:db8:1:2::{i:x}")), now);
        }
        assert!(t.wait("admin", ip("2001:db8:1:2:ffff::1"), now).is_some());
        assert_eq!(t.wait("admin", ip("2001:db8:1:3::1"), now), None);
        // An IPv4 client seen through a dual-stack socket is the IPv4 client.
        t.failed("bob", ip("10.0.0.9"), now);
        assert_eq!(t.len().1, 2);
        t.failed("bob", ip("::ffff:10.0.0.9"), now);
        assert_eq!(t.len().1, 2);
    }

    #[test]
    fn memory_stays_bounded_under_a_flood_of_new_keys() {
        let mut t = LoginThrottle::default();
        let now = utc(T0);
        // A locked pair, then a flood of distinct addresses and names.
        fail_n(&mut t, "admin", "10.0.0.1", PAIR_THRESHOLD, now);
        for i in 0..(3 * MAX_ENTRIES as u32) {
            let addr = IpAddr::from(std::net::Ipv4Addr::from(0x0b00_0000u32 + i));
            t.failed(&format!("n{i}"), addr, now + Duration::seconds(1));
        }
        let (pairs, addresses) = t.len();
        assert!(
            pairs <= MAX_ENTRIES && addresses <= MAX_ENTRIES,
            "{pairs} {addresses}"
        );
        let soon = now + Duration::seconds(2);
        assert!(
            t.wait("admin", ip("10.0.0.1"), soon).is_some(),
            "the waiting pair stays"
        );
        // Forgotten entries go first once time has moved on.
        let later = now + MAX_WAIT + WINDOW + Duration::seconds(2);
        t.failed("x", ip("10.9.9.9"), later);
        t.failed("y", ip("10.9.9.8"), later);
        assert!(t.len().0 <= MAX_ENTRIES);
    }
}
