//! Where the server's time goes during a window, thread by thread: how long each kind of
//! thread ran on a CPU and how long it waited for one (`/proc/PID/task/*/schedstat`). Read
//! from outside the process, so it costs the server nothing, unlike a profiler attached to
//! it (which slowed the webhooks at 0 messages by a third).

use std::collections::BTreeMap;

/// Nanoseconds run on a CPU and waited in the run queue, summed by kind of thread.
#[derive(Clone, Default)]
pub(super) struct ThreadTimes(BTreeMap<String, (u64, u64)>);

impl ThreadTimes {
    /// The server's threads as they are now. A thread that ends within a window is left
    /// out of it: the store's threads and the tokio workers last, but the blocking pool's
    /// and the search index's may not, so their figures are a floor.
    pub(super) fn of(pid: &str) -> ThreadTimes {
        let mut kinds = BTreeMap::new();
        let Ok(tasks) = std::fs::read_dir(format!("/proc/{pid}/task")) else {
            return ThreadTimes(kinds);
        };
        for task in tasks.flatten() {
            let path = task.path();
            let (Ok(comm), Ok(schedstat)) = (
                std::fs::read_to_string(path.join("comm")),
                std::fs::read_to_string(path.join("schedstat")),
            ) else {
                continue;
            };
            let mut fields = schedstat.split_whitespace().map(|n| n.parse::<u64>());
            let (Some(Ok(ran)), Some(Ok(waited))) = (fields.next(), fields.next()) else {
                continue;
            };
            let entry = kinds.entry(kind(comm.trim())).or_insert((0, 0));
            entry.0 += ran;
            entry.1 += waited;
        }
        ThreadTimes(kinds)
    }

    /// What each kind of thread spent since `before`.
    pub(super) fn since(&self, before: &ThreadTimes) -> ThreadTimes {
        ThreadTimes(
            (self.0.iter())
                .map(|(kind, &(ran, waited))| {
                    let (r, w) = before.0.get(kind).copied().unwrap_or((0, 0));
                    (
                        kind.clone(),
                        (ran.saturating_sub(r), waited.saturating_sub(w)),
                    )
                })
                .filter(|(_, (ran, _))| *ran > 0)
                .collect(),
        )
    }

    /// Each kind's CPU time per message, in µs, with its run-queue wait in brackets,
    /// busiest first: "tokio-runtime-w 31.2 (4.1), …".
    pub(super) fn per_message(&self, messages: u64) -> String {
        let per = |ns: u64| ns as f64 / 1e3 / messages.max(1) as f64;
        let mut kinds: Vec<_> = self.0.iter().collect();
        kinds.sort_by_key(|&(_, &(ran, _))| std::cmp::Reverse(ran));
        let each: Vec<String> = (kinds.iter())
            .map(|&(kind, &(ran, waited))| format!("{kind} {:.1} ({:.1})", per(ran), per(waited)))
            .collect();
        let (ran, waited) = (self.0.values()).fold((0, 0), |(r, w), &(a, b)| (r + a, w + b));
        format!(
            "{:.1} ({:.1}) in all: {}",
            per(ran),
            per(waited),
            each.join(", ")
        )
    }
}

/// A thread's kind: its name without the number that tells threads of a pool apart.
fn kind(comm: &str) -> String {
    comm.trim_end_matches(|c: char| c.is_ascii_digit() || c == '-')
        .to_owned()
}
