//! The real binary and the store opened directly, as the CLI commands use them.

/// Opens the store of the data dir `dir` directly, as the CLI does (no server running).
pub fn open_store_at(dir: &std::path::Path) -> (parley::store::Store, std::thread::JoinHandle<()>) {
    let config = parley::config::Config {
        data_dir: dir.to_owned(),
        ..Default::default()
    };
    parley::open_store(&config).unwrap()
}

/// Closes a store opened with [`open_store_at`], once every write is on disk.
pub async fn close_store(store: parley::store::Store, writer: std::thread::JoinHandle<()>) {
    drop(store);
    tokio::task::spawn_blocking(move || writer.join().unwrap())
        .await
        .unwrap();
}

/// The real binary on the data dir `data_dir` (quiet logs), to run a command or the server.
pub fn parley_binary(data_dir: &std::path::Path) -> std::process::Command {
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_parley"));
    cmd.arg("--data-dir")
        .arg(data_dir)
        .env("PARLEY_LOG", "warn");
    cmd
}

/// Runs a command of the binary to completion with `stdin` as its input; its output.
pub fn parley_command(
    data_dir: &std::path::Path,
    args: &[&str],
    stdin: &str,
) -> std::process::Output {
    use std::io::Write as _;
    use std::process::Stdio;
    let mut child = parley_binary(data_dir)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}
