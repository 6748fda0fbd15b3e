//! A process from outside: its CPU time and memory from /proc, and a server process started
//! and read until it serves.

use super::*;

/// CPU time (user + system) of the process, or of one of its threads, from /proc.
pub fn cpu_time(stat_path: &str) -> Option<Duration> {
    let stat = std::fs::read_to_string(stat_path).ok()?;
    // Fields after the command name (which may contain spaces) start at field 3.
    let rest = &stat[stat.rfind(')')? + 2..];
    let f: Vec<&str> = rest.split_whitespace().collect();
    let ticks: u64 = f.get(11)?.parse::<u64>().ok()? + f.get(12)?.parse::<u64>().ok()?;
    // USER_HZ is 100 on every Linux architecture Parley targets.
    Some(Duration::from_millis(ticks * 10))
}

/// The /proc stat path of the store's writer thread.
pub fn writer_thread_stat() -> Option<String> {
    let tasks = std::fs::read_dir("/proc/self/task").ok()?;
    for task in tasks.flatten() {
        let comm = std::fs::read_to_string(task.path().join("comm")).unwrap_or_default();
        // Thread names are cut to 15 bytes: "parley-store-wr".
        if comm.trim().starts_with("parley-store-w") {
            return Some(task.path().join("stat").to_string_lossy().into_owned());
        }
    }
    None
}

/// A field of `/proc/{pid}/status` in bytes (`pid` "self" for this process): `VmRSS` (all
/// resident memory) or `RssAnon` (the heap and stacks, without mapped files).
pub fn status_bytes_of(pid: &str, field: &str) -> u64 {
    let [bytes] = status_fields_of(pid, [field]);
    bytes
}

/// Several fields of `/proc/{pid}/status` in bytes, from one read of it (0 for a missing one).
pub fn status_fields_of<const N: usize>(pid: &str, fields: [&str; N]) -> [u64; N] {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    fields.map(|field| parley::allocator::status_bytes(&status, field).unwrap_or(0))
}

/// [`status_bytes_of`] this process.
pub fn status_bytes(field: &str) -> u64 {
    parley::allocator::resident(field).unwrap_or(0)
}

/// Waits until `pid`'s anonymous memory has stayed within 1 MB for 15 s (threads that end
/// after a burst of work hand their memory back some seconds later), so that what is
/// measured next grows from a still start; returns the seconds waited.
pub async fn settle(pid: &str) -> Res<f64> {
    let t = std::time::Instant::now();
    let mut window = std::collections::VecDeque::new();
    loop {
        window.push_back(status_bytes_of(pid, "RssAnon"));
        if window.len() > 15 {
            window.pop_front();
            let (lo, hi) = (window.iter().min(), window.iter().max());
            if let (Some(lo), Some(hi)) = (lo, hi)
                && hi - lo < 1_000_000
            {
                return Ok(t.elapsed().as_secs_f64());
            }
        }
        if t.elapsed() > Duration::from_secs(600) {
            return Err(
                format!("the memory of process {pid} did not settle within 10 minutes").into(),
            );
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
}

/// Spawns a server process (the release binary, or a stand-in that prints the same line) with
/// its logs off (unless `command` sets `PARLEY_LOG`) and returns once it prints `Parley is
/// running at URL`: the child, the URL, and the lines printed before it. Later output is
/// passed on to stderr, so a full pipe never blocks it.
pub fn spawn_serving(
    command: &mut std::process::Command,
) -> Res<(std::process::Child, String, Vec<String>)> {
    use std::io::BufRead as _;
    if !command.get_envs().any(|(name, _)| name == "PARLEY_LOG") {
        command.env("PARLEY_LOG", "error");
    }
    let mut child = command
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()?;
    let stdout = child.stdout.take().ok_or("no stdout")?;
    let mut lines = std::io::BufReader::new(stdout).lines();
    let mut printed = Vec::new();
    let url = loop {
        let line = lines.next().ok_or("the server exited before serving")??;
        if let Some(rest) = line.strip_prefix("Parley is running at ") {
            break rest
                .split_whitespace()
                .next()
                .unwrap_or_default()
                .to_owned();
        }
        printed.push(line);
    };
    // What it logs from then on (errors only, unless `PARLEY_LOG` says more) goes to this
    // process's stderr, so a failure in a run shows the server's side of it.
    std::thread::spawn(move || {
        lines
            .map_while(Result::ok)
            .for_each(|l| eprintln!("server: {l}"))
    });
    Ok((child, url, printed))
}

/// `pid`'s resident file-backed memory by what is mapped: its own binary, files under
/// `index_dir` (the search index's segments), those of them already deleted (segments merged
/// away that a reader still maps), and every other file (shared libraries), in bytes, from
/// `/proc/{pid}/smaps`.
pub fn file_backed_parts(pid: &str, index_dir: &Path) -> [u64; 4] {
    let exe = std::fs::read_link(format!("/proc/{pid}/exe")).unwrap_or_default();
    // The kernel names mapped files by their absolute path.
    let index_dir = std::fs::canonicalize(index_dir).unwrap_or_default();
    let smaps = std::fs::read_to_string(format!("/proc/{pid}/smaps")).unwrap_or_default();
    let mut parts = [0u64; 4];
    let mut part = None;
    for line in smaps.lines() {
        let mut fields = line.split_whitespace();
        let first = fields.next().unwrap_or_default();
        if first == "Rss:" {
            let kib: u64 = fields.next().and_then(|n| n.parse().ok()).unwrap_or(0);
            if let Some(part) = part {
                parts[part] += kib * 1024;
            }
        } else if first.contains('-') && !first.ends_with(':') {
            // A mapping's header: address range, perms, offset, device, inode, path.
            let path = fields.nth(4).map(Path::new);
            let deleted = fields.next() == Some("(deleted)");
            part = match path {
                Some(p) if p == exe => Some(0),
                Some(p) if p.starts_with(&index_dir) => Some(if deleted { 2 } else { 1 }),
                Some(p) if p.is_absolute() => Some(3),
                _ => None,
            };
        }
    }
    parts
}
