//! The per-call cost of single steps of a webhook, for finding the bottleneck.

use super::*;

pub(crate) struct Micro {
    pub(crate) phone_parse: Duration,
    pub(crate) signature: Duration,
    /// The ACD task's per-command scan for its next timer, with this many workitems queued.
    pub(crate) deadline_scan: (usize, Duration),
}

pub(crate) fn micro_costs(numbers: &[String]) -> Res<Micro> {
    let per_op = |budget: Duration, mut f: Box<dyn FnMut(usize) -> bool>| -> Res<Duration> {
        let start = Instant::now();
        let mut n = 0usize;
        while start.elapsed() < budget {
            for _ in 0..64 {
                if !f(n) {
                    return Err("a micro benchmark step failed".into());
                }
                n += 1;
            }
        }
        Ok(start.elapsed() / n as u32)
    };
    let nums = numbers.to_vec();
    let phone_parse = per_op(
        Duration::from_millis(300),
        Box::new(move |i| E164::parse(&nums[i % nums.len()]).is_ok()),
    )?;
    let params = twilio_params(&message_sid(0, 1), &numbers[0], &message_body(1));
    let url = "http://127.0.0.1:8080/webhooks/twilio/sms".to_owned();
    let signature = per_op(
        Duration::from_millis(300),
        Box::new(move |_| !parley::sms::twilio::signature(TWILIO_TOKEN, &url, &params).is_empty()),
    )?;
    let queued = THROUGHPUT_CUSTOMERS;
    let mut engine = parley::acd::Engine::new(
        3,
        chrono::Duration::seconds(20),
        chrono::Duration::seconds(120),
    );
    let now = chrono::Utc::now();
    for i in 0..queued as u64 {
        engine.enqueue(
            parley::acd::Routable {
                id: parley::domain::WorkitemId(i + 1),
                queue: parley::domain::QueueId(1),
                priority: 0,
                created_at: now,
            },
            now,
        );
    }
    let scan = per_op(
        Duration::from_millis(300),
        Box::new(move |_| engine.next_deadline().is_none()),
    )?;
    Ok(Micro {
        phone_parse,
        signature,
        deadline_scan: (queued, scan),
    })
}
