//! The local admin socket, `parley.sock` in the data dir: how `parley backup` asks the
//! running server for a backup, so the store keeps its single writer (redb lets one process
//! open it) and ingest goes on.
//!
//! Who may ask is who may reach the socket: it is created owner-only (mode 0600) in the data
//! dir, and a peer whose user is not the socket's owner (or root) is refused; those are the
//! people who can copy `parley.redb` anyway. So no API token is needed, and API tokens stay
//! the read-only keys for integrations they are (a backup holds every password hash).
//!
//! The protocol is one request line, `backup`, answered by `ok <bytes>` and the backup's bytes,
//! or by `error <message>`; the byte count lets the client tell a whole copy from a cut one.

use std::os::unix::fs::{MetadataExt as _, PermissionsExt as _};
use std::path::{Path, PathBuf};
use std::time::Duration;

use tokio::io::{AsyncBufReadExt as _, AsyncReadExt as _, AsyncWriteExt as _, BufReader};
use tokio::net::{UnixListener, UnixStream};

use crate::domain::AuditKind;
use crate::store::{PacedWrites, Store};
use crate::tasks::{Shutdown, Tasks};

/// The socket's name inside the data dir.
pub const SOCKET_FILE: &str = "parley.sock";
/// How long a client may take to send its request line.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(5);
/// The longest request line read.
const MAX_REQUEST: u64 = 64;

pub fn socket_path(data_dir: &Path) -> PathBuf {
    data_dir.join(SOCKET_FILE)
}

/// Listens on the data dir's socket until shutdown. The store is already open, which no
/// other process can do at the same time, so a socket file left there is a stale one. A
/// socket that cannot be made (a path too long for one) leaves the server without it.
pub fn spawn(data_dir: &Path, store: Store, shutdown: Shutdown, tasks: &mut Tasks) {
    let path = socket_path(data_dir);
    let _ = std::fs::remove_file(&path);
    let listener = match UnixListener::bind(&path).and_then(|l| {
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600))?;
        Ok(l)
    }) {
        Ok(l) => l,
        Err(e) => {
            tracing::warn!(
                path = %path.display(),
                error = %e,
                "no local socket: `parley backup` cannot reach this server (/admin/backup can)"
            );
            return;
        }
    };
    let data_dir = data_dir.to_owned();
    tasks.spawn("local-socket", async move {
        loop {
            let stream = tokio::select! {
                _ = shutdown.wait() => break,
                accepted = listener.accept() => match accepted {
                    Ok((stream, _)) => stream,
                    Err(e) => {
                        tracing::warn!(error = %e, "local socket accept failed");
                        continue;
                    }
                },
            };
            // One request at a time: backups are rare, and a stop must not wait on a
            // slow reader, so it cuts the answer short.
            tokio::select! {
                _ = shutdown.wait() => break,
                served = serve(stream, &path, &data_dir, &store) => {
                    if let Err(e) = served {
                        tracing::warn!(error = %e, "local socket request failed");
                    }
                }
            }
        }
        let _ = std::fs::remove_file(&path);
    });
}

async fn serve(
    mut stream: UnixStream,
    path: &Path,
    data_dir: &Path,
    store: &Store,
) -> std::io::Result<()> {
    let owner = std::fs::metadata(path)?.uid();
    let peer = stream.peer_cred()?.uid();
    if peer != owner && peer != 0 {
        return refuse(
            &mut stream,
            "this socket serves only the user Parley runs as",
        )
        .await;
    }
    let mut line = String::new();
    let mut reader = BufReader::new((&mut stream).take(MAX_REQUEST));
    match tokio::time::timeout(REQUEST_TIMEOUT, reader.read_line(&mut line)).await {
        Ok(read) => read?,
        Err(_) => return refuse(&mut stream, "no request").await,
    };
    if line.trim() != "backup" {
        return refuse(
            &mut stream,
            "unknown request (this socket answers `backup`)",
        )
        .await;
    }
    let started = std::time::Instant::now();
    let dir = data_dir.to_owned();
    let taking = store.clone();
    let backup = tokio::task::spawn_blocking(move || taking.backup(&dir))
        .await
        .map_err(std::io::Error::other)?;
    let backup = match backup {
        Ok(b) => b,
        Err(e) => {
            tracing::error!(error = %e, "backup failed");
            return refuse(&mut stream, &format!("the backup failed: {e}")).await;
        }
    };
    tracing::info!(
        bytes = backup.bytes,
        rows = backup.rows,
        ms = started.elapsed().as_millis() as u64,
        "backup written for the local socket"
    );
    // Recorded before it is sent, as the web's audit layer does.
    let detail = format!("{} bytes, {} rows", backup.bytes, backup.rows);
    if let Err(e) = crate::bootstrap::audit_command_line(
        store,
        AuditKind::BackupTaken,
        "parley backup",
        &detail,
    )
    .await
    {
        tracing::error!(error = %e, "cannot record an audit entry");
    }
    stream
        .write_all(format!("ok {}\n", backup.bytes).as_bytes())
        .await?;
    let mut file = tokio::fs::File::from_std(backup.file);
    tokio::io::copy(&mut file, &mut stream).await?;
    stream.shutdown().await?;
    Ok(())
}

async fn refuse(stream: &mut UnixStream, why: &str) -> std::io::Result<()> {
    stream
        .write_all(format!("error {}\n", why.replace('\n', " ")).as_bytes())
        .await?;
    stream.shutdown().await
}

/// Asks the server on `data_dir` for a backup and writes it to `out` (created; refused if
/// it exists). `Ok(None)`: no server listens there. Returns the bytes written.
pub async fn request_backup(data_dir: &Path, out: &Path) -> Result<Option<u64>, String> {
    let path = socket_path(data_dir);
    let mut stream = match UnixStream::connect(&path).await {
        Ok(s) => s,
        Err(e)
            if matches!(
                e.kind(),
                std::io::ErrorKind::NotFound | std::io::ErrorKind::ConnectionRefused
            ) =>
        {
            return Ok(None);
        }
        Err(e) => return Err(format!("cannot reach Parley on {}: {e}", path.display())),
    };
    let cut = |e: std::io::Error| format!("the backup from {} broke off: {e}", path.display());
    stream.write_all(b"backup\n").await.map_err(cut)?;
    let mut reader = BufReader::new(stream);
    let mut head = String::new();
    reader.read_line(&mut head).await.map_err(cut)?;
    let head = head.trim_end();
    let bytes: u64 = match head.split_once(' ') {
        Some(("ok", n)) => n
            .parse()
            .map_err(|_| format!("unexpected answer from Parley: {head}"))?,
        Some(("error", why)) => return Err(format!("Parley refused the backup: {why}")),
        _ => return Err(format!("unexpected answer from Parley: {head:?}")),
    };
    let file = std::fs::File::create_new(out)
        .map_err(|e| format!("cannot create {}: {e}", out.display()))?;
    // The bytes the reader took past the head line, then the rest, copied off the runtime.
    let head = reader.buffer().to_vec();
    let stream = reader.into_inner().into_std().map_err(cut)?;
    stream.set_nonblocking(false).map_err(cut)?;
    let input = std::io::Read::take(
        std::io::Read::chain(std::io::Cursor::new(head), stream),
        bytes,
    );
    let written = tokio::task::spawn_blocking(move || write_paced(input, &file))
        .await
        .map_err(|e| format!("the backup copy failed: {e}"))?
        .map_err(|e| match e {
            Copying::Read(e) => cut(e),
            Copying::Write(e) => format!("cannot write {}: {e}", out.display()),
        })?;
    if written != bytes {
        return Err(format!(
            "the backup broke off after {written} of {bytes} bytes"
        ));
    }
    Ok(Some(written))
}

/// Where a copy failed: reading the server's answer, or writing the file.
enum Copying {
    Read(std::io::Error),
    Write(std::io::Error),
}

/// Copies `input` into `out` a slice at a time, so the disk has room for the server's
/// writes meanwhile (see [`PacedWrites`]), and syncs it; returns the bytes copied. Blocking.
fn write_paced(mut input: impl std::io::Read, mut out: &std::fs::File) -> Result<u64, Copying> {
    use std::io::Write as _;
    let mut paced = PacedWrites::new(out);
    let mut buf = vec![0; 1 << 20];
    let mut written = 0;
    loop {
        let n = match input.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(Copying::Read(e)),
        };
        out.write_all(&buf[..n]).map_err(Copying::Write)?;
        paced.wrote(n as u64).map_err(Copying::Write)?;
        written += n as u64;
    }
    out.sync_all().map_err(Copying::Write)?;
    Ok(written)
}
