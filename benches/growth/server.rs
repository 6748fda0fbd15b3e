//! The growth bench's server: the release binary in its own process, started and timed.

use super::*;

/// A server in its own process: killed when dropped.
pub(super) struct Process {
    child: Child,
    pub(super) url: String,
    /// What it printed before it served (the demo's logins).
    pub(super) printed: Vec<String>,
}

impl Process {
    /// Starts `command`; returns once it prints the line with its URL.
    pub(super) fn start(mut command: Command) -> Res<Process> {
        let (child, url, printed) = spawn_serving(&mut command)?;
        Ok(Process {
            child,
            url,
            printed,
        })
    }

    pub(super) fn pid(&self) -> String {
        self.child.id().to_string()
    }

    pub(super) fn rss(&self) -> u64 {
        status_bytes_of(&self.pid(), "VmRSS")
    }

    /// Its resident memory: all of it, anonymous, file-backed (one read of its status).
    pub(super) fn memory(&self) -> [u64; 3] {
        status_fields_of(&self.pid(), ["VmRSS", "RssAnon", "RssFile"])
    }

    pub(super) fn addr(&self) -> Res<SocketAddr> {
        Ok(self.url.trim_start_matches("http://").parse()?)
    }
}

impl Process {
    /// Stops it as an operator would (SIGTERM) and waits for it to exit.
    pub(super) fn stop(mut self) -> Res<()> {
        let pid = rustix::process::Pid::from_raw(self.child.id() as i32).ok_or("no pid")?;
        rustix::process::kill_process(pid, rustix::process::Signal::TERM)?;
        let status = self.child.wait()?;
        if !status.success() {
            return Err(format!("the server stopped with {status}").into());
        }
        Ok(())
    }
}

impl Drop for Process {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub(super) fn parley_on(dir: &Path) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_parley"));
    command
        .args(["--listen", "127.0.0.1:0", "--data-dir"])
        .arg(dir)
        .env("PARLEY_SMS__TWILIO__AUTH_TOKEN", TWILIO_TOKEN)
        .env("PARLEY_PUBLIC_URL", PUBLIC)
        .env("PARLEY_METRICS__ENABLED", "true");
    command
}

/// Seconds from spawning `command` to its first `GET /healthz` answer.
pub(super) async fn cold_start(command: Command) -> Res<(Process, f64)> {
    let t = Instant::now();
    let server = Process::start(command)?;
    let http = reqwest::Client::new();
    let url = format!("{}/healthz", server.url);
    loop {
        if http
            .get(&url)
            .send()
            .await
            .is_ok_and(|r| r.status().is_success())
        {
            return Ok((server, t.elapsed().as_secs_f64()));
        }
        if t.elapsed() > Duration::from_secs(120) {
            return Err("/healthz did not answer within 2 minutes".into());
        }
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
}

/// A cold start on `dir`: the server, its seconds to `/healthz` and its resident memory ten
/// seconds after it was started.
pub(super) async fn start_and_settle(dir: &Path) -> Res<(Process, f64, u64)> {
    ten_seconds_on(cold_start(parley_on(dir)).await?).await
}

/// [`start_and_settle`] with the store's opening steps logged; also returns them, each as
/// `what (its ms) at ms from the spawn`, so a slow start shows where its time went.
pub(super) async fn start_and_settle_logged(dir: &Path) -> Res<(Process, f64, u64, String)> {
    let mut command = parley_on(dir);
    command
        .env("PARLEY_LOG", "error,parley::store::open=debug")
        .env("PARLEY_LOG_FORMAT", "json");
    let spawned = chrono::Utc::now();
    let (server, secs) = cold_start(command).await?;
    let steps = opening_steps(&server.printed, spawned)?;
    let (server, secs, rss) = ten_seconds_on((server, secs)).await?;
    Ok((server, secs, rss, steps))
}

/// The store's opening steps in the JSON log lines printed before serving.
fn opening_steps(printed: &[String], spawned: chrono::DateTime<chrono::Utc>) -> Res<String> {
    let mut steps = Vec::new();
    for line in printed {
        let Ok(entry) = serde_json::from_str::<serde_json::Value>(line) else {
            continue;
        };
        let at: chrono::DateTime<chrono::Utc> = entry["timestamp"]
            .as_str()
            .ok_or("a log line without its time")?
            .parse()?;
        let fields = &entry["fields"];
        let what = fields["message"].as_str().unwrap_or_default();
        // The step's other figures, such as how many writes a replay applied.
        let figures: String = fields
            .as_object()
            .into_iter()
            .flatten()
            .filter(|(name, _)| !["message", "ms"].contains(&name.as_str()))
            .map(|(name, value)| format!(", {name} {value}"))
            .collect();
        steps.push(format!(
            "{what} ({} ms{figures}) at {} ms",
            fields["ms"].as_u64().unwrap_or_default(),
            (at - spawned).num_milliseconds()
        ));
    }
    Ok(steps.join("; "))
}

/// The server ten seconds after it was started: its resident memory then.
async fn ten_seconds_on((server, secs): (Process, f64)) -> Res<(Process, f64, u64)> {
    tokio::time::sleep(Duration::from_secs_f64((10.0 - secs).max(0.0))).await;
    let rss = server.rss();
    Ok((server, secs, rss))
}

/// Waits until `/metrics` says the search index holds every change in the store.
pub(super) async fn index_caught_up(server: &Process) -> Res<()> {
    let t = Instant::now();
    loop {
        let lag = scrape(server).await?.gauge("parley_search_index_lag")?;
        if lag == 0.0 {
            return Ok(());
        }
        if t.elapsed() > Duration::from_secs(3600) {
            return Err(format!("the index was still {lag} changes behind after an hour").into());
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
}

/// Bytes the kernel holds that are not yet on disk (`Dirty` and `Writeback` in
/// `/proc/meminfo`): a store's first sync after a crash waits for its share of them.
pub(super) fn unwritten_pages() -> Res<u64> {
    let meminfo = std::fs::read_to_string("/proc/meminfo")?;
    ["Dirty", "Writeback"].iter().try_fold(0, |sum, field| {
        Ok(sum
            + parley::allocator::status_bytes(&meminfo, field)
                .ok_or(format!("no {field} in /proc/meminfo"))?)
    })
}
