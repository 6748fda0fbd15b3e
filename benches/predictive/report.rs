//! The printed report: a table of targets and a few lines of detail.

use std::fmt::Write as _;
use std::time::Duration;

use chrono::Utc;
use chrono_tz::Tz;

use crate::checks::{Breaches, Windows, spread_over_numbers};
use crate::common::{Machine, thousands, verdict};
use crate::leads::{LEAD_BATCH, NUMBERS, Zones, send_rate};
use crate::phases::{BASELINE_WORKITEMS, CampaignRun, GRACE};
use crate::server::Cost;

/// The lead list's make-up.
pub struct Mix {
    pub leads: usize,
    /// SMS leads inside their hours (their own zone or the campaign's).
    pub to_message: usize,
    pub campaign_zone: usize,
    pub closed: usize,
    pub other_channel: usize,
}

pub fn describe_mix(mix: &Mix, zones: &Zones) -> String {
    let now = Utc::now();
    let list = |zs: &[(Tz, Duration)]| {
        zs.iter()
            .map(|(z, d)| {
                format!(
                    "{} {} for {} h {:02} min",
                    z.name(),
                    now.with_timezone(z).format("%H:%M"),
                    d.as_secs() / 3600,
                    d.as_secs() / 60 % 60
                )
            })
            .collect::<Vec<_>>()
            .join(", ")
    };
    let n = |x: usize| thousands(x as f64);
    format!(
        "Leads: {} — {} SMS inside their hours ({} of them with no zone, read in the campaign's, {}), \
         {} SMS outside their hours, {} preferring email, unknown or none (in open zones). \
         Open zones (local time now, stays open): {}. Closed zones (stays closed): {}.",
        n(mix.leads),
        n(mix.to_message),
        n(mix.campaign_zone),
        zones.open[0].0.name(),
        n(mix.closed),
        n(mix.other_channel),
        list(&zones.open),
        list(&zones.closed),
    )
}

pub struct Report<'a> {
    pub pace: f64,
    pub machine: &'a Machine,
    pub mix_line: &'a str,
    pub mix: &'a Mix,
    pub stored_in: Duration,
    pub base: &'a Cost,
    pub base_windows: &'a Windows,
    pub run: &'a CampaignRun,
    pub windows: &'a Windows,
    pub breaches: &'a Breaches,
    pub first_send: Option<Duration>,
}

impl Report<'_> {
    pub fn render(&self) -> String {
        let (pace, m, run, b) = (self.pace, self.machine, self.run, self.breaches);
        let mut r = String::new();
        let _ = writeln!(r, "## Predictive campaign benchmark\n");
        let env: Vec<String> = ["PARLEY_BENCH_PACE", "PARLEY_BENCH_LEADS"]
            .iter()
            .filter_map(|k| std::env::var(k).ok().map(|v| format!("{k}={v} ")))
            .collect();
        let _ = writeln!(
            r,
            "Command: `{}cargo bench --bench predictive`\n",
            env.concat()
        );
        let _ = writeln!(
            r,
            "Machine: {} CPUs ({}), Linux {}; data dir on {} ({}).\n",
            m.cpus, m.cpu_model, m.kernel, m.device, m.fs_type
        );
        let _ = writeln!(
            r,
            "Campaign: pace {}/min, 09:00–20:00 in each lead's zone, {NUMBERS} numbers × {}/s. {}\n",
            thousands(pace),
            send_rate(pace),
            self.mix_line
        );
        let _ = writeln!(r, "| Measure | Result | Target | |");
        let _ = writeln!(r, "|---|---|---|---|");
        let rate_row = |r: &mut String, what: String, n: usize| {
            let ratio = n as f64 / pace;
            let _ = writeln!(
                r,
                "| {what} | {} sends = {ratio:.4} × pace | ±1 % | {} |",
                thousands(n as f64),
                verdict((ratio - 1.0).abs() <= 0.01)
            );
        };
        for (k, n) in self.windows.tumbling.iter().enumerate() {
            rate_row(
                &mut r,
                format!(
                    "Sends in 60 s window {} ({}–{} s after the first)",
                    k + 1,
                    k * 60,
                    k * 60 + 60
                ),
                *n,
            );
        }
        let full = self.windows.tumbling.len();
        let _ = writeln!(
            r,
            "| Full 60 s windows | {full} | ≥ 3 | {} |",
            verdict(full >= 3)
        );
        if let Some((lo, hi)) = self.windows.sliding {
            rate_row(&mut r, "Sliding 60 s window, lowest".into(), lo);
            rate_row(&mut r, "Sliding 60 s window, highest".into(), hi);
        }
        let rule = |r: &mut String, what: &str, n: usize| {
            let _ = writeln!(
                r,
                "| {what} | {} | 0 | {} |",
                thousands(n as f64),
                if n == 0 { "PASS" } else { "FAIL" }
            );
        };
        let sent = run.calls.len();
        let _ = writeln!(
            r,
            "| Sends outside the recipient's hours (in its own zone) | {} of {} | 0 | {} |",
            b.outside_hours,
            thousands(sent as f64),
            if b.outside_hours == 0 { "PASS" } else { "FAIL" }
        );
        rule(&mut r, "Sends to leads in closed zones", b.to_closed_zone);
        rule(
            &mut r,
            "Sends to leads preferring another channel",
            b.to_other_channel,
        );
        rule(&mut r, "Sends to numbers that are no lead", b.to_non_lead);
        rule(&mut r, "Leads messaged more than once", b.repeated);
        rule(
            &mut r,
            &format!(
                "Sends in the {} s after the last expected one",
                GRACE.as_secs()
            ),
            run.stray,
        );
        let _ = writeln!(
            r,
            "| Leads inside their hours messaged | {} of {} in {:.1} s | all | {} |",
            thousands(run.stats.messaged as f64),
            thousands(self.mix.to_message as f64),
            run.cost.wall.as_secs_f64(),
            if run.finished { "PASS" } else { "FAIL" }
        );
        let per = |c: &Cost| {
            c.cpu_per_1000()
                .map_or("n/a".to_owned(), |ms| format!("{ms:.0} ms"))
        };
        let _ = writeln!(
            r,
            "| Process CPU per 1,000 sends, campaign run | {} | — | |",
            per(&run.cost)
        );
        let _ = writeln!(
            r,
            "| Process CPU per 1,000 sends, outbox alone (baseline, same count and pace) | {} | — | |",
            per(self.base)
        );
        let scheduler = match (run.cost.cpu_per_1000(), self.base.cpu_per_1000()) {
            (Some(c), Some(b)) => format!("{:.0} ms (campaign ÷ baseline = {:.2}×)", c - b, c / b),
            _ => "n/a".into(),
        };
        let _ = writeln!(
            r,
            "| Scheduler CPU per 1,000 sends (the difference) | {scheduler} | — | |"
        );
        self.details(&mut r);
        r
    }

    pub fn details(&self, r: &mut String) {
        let (run, base) = (self.run, self.base);
        let _ = writeln!(r, "\nDetails:\n");
        let avg = |w: &Windows, n: usize| {
            n.saturating_sub(1) as f64 / w.span.as_secs_f64().max(1e-9) * 60.0
        };
        let _ = writeln!(
            r,
            "- Campaign: first send {} after the start (the scheduler loads the leads and records the channel skips first); \
             {} sends over {:.1} s, {}/min on average; sends per number {}.",
            self.first_send
                .map_or("never".into(), |d| format!("{:.2} s", d.as_secs_f64())),
            thousands(run.calls.len() as f64),
            self.windows.span.as_secs_f64(),
            thousands(avg(self.windows, run.calls.len())),
            {
                let (used, lo, hi) = spread_over_numbers(&run.calls);
                format!("{lo}–{hi} on {used} numbers")
            }
        );
        let s = &run.stats;
        let skipped: Vec<String> = s
            .skipped
            .iter()
            .map(|(k, v)| format!("{} {k}", thousands(*v as f64)))
            .collect();
        let _ = writeln!(
            r,
            "- Campaign counters afterwards: {} messaged ({} delivered, {} queued), skipped: {}; {} still waiting for their hours \
             (expected {}); the run was then cancelled.",
            thousands(s.messaged as f64),
            thousands(s.delivered as f64),
            thousands(s.queued as f64),
            if skipped.is_empty() {
                "none".into()
            } else {
                skipped.join(", ")
            },
            thousands(s.waiting(self.mix.leads as u64) as f64),
            thousands(self.mix.closed as f64),
        );
        let phase = |c: &Cost| {
            format!(
                "{:.1} s, process CPU {}, store writer {}, {} commits ({:.1} writes each)",
                c.wall.as_secs_f64(),
                c.cpu
                    .map_or("n/a".into(), |d| format!("{:.1} s", d.as_secs_f64())),
                c.writer
                    .map_or("n/a".into(), |d| format!("{:.1} s", d.as_secs_f64())),
                thousands(c.commits as f64),
                c.writes as f64 / c.commits.max(1) as f64
            )
        };
        let _ = writeln!(
            r,
            "- Baseline: {} agent messages (insert_outbound, at most 64 per transaction as they fell due) on {} workitems over \
             {NUMBERS} other numbers of the same rate, {}/min on average; {}. Campaign: {}. CPU is the whole process \
             (store writer, outbox, search indexer, this harness) from the first message stored or the start to the last send.",
            thousands(base.sends as f64),
            BASELINE_WORKITEMS.min(base.sends),
            thousands(avg(self.base_windows, base.sends)),
            phase(base),
            phase(&run.cost),
        );
        let _ = writeln!(
            r,
            "- Leads stored with store::insert_leads, {} per transaction: {} in {:.1} s.",
            thousands(LEAD_BATCH as f64),
            thousands(self.mix.leads as f64),
            self.stored_in.as_secs_f64()
        );
        if !self.breaches.examples.is_empty() {
            let _ = writeln!(
                r,
                "- Rule breaches, first ones: {}.",
                self.breaches.examples.join("; ")
            );
        }
    }
}
