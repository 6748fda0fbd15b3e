//! The local admin socket, `parley.sock` in the data dir: how `parley backup` asks the
//! running server for a backup, so the store keeps its single writer (redb lets one process
//! open it) and ingest goes on.
//!
//! Who may ask is who may reach the socket: it is created owner-only (mode 0600) in the data
//! dir, and a peer whose user is not the socket's owner (or root) is refused; those are the
//! people who can copy `parley.redb` anyway. So no API token is needed, and API tokens stay
//! the read-only keys for integrations they are (a backup holds every password hash).
//!
//! The protocol is one request line, `backup`, sent with the file to write into attached
//! (`SCM_RIGHTS`): the client creates the file with its own rights, and the server writes the
//! copy straight into it, once, at the backup's low priority. The answer is `ok <bytes>` once
//! the copy is whole and durable, or `error <message>`; the byte count lets the client tell a
//! whole copy from a cut one.

use std::io::{IoSlice, IoSliceMut};
use std::mem::MaybeUninit;
use std::os::unix::fs::{MetadataExt as _, PermissionsExt as _};
use std::path::{Path, PathBuf};
use std::time::Duration;

use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::{UnixListener, UnixStream};

use crate::domain::AuditKind;
use crate::store::Store;
use crate::tasks::{Shutdown, Tasks};

/// The socket's name inside the data dir.
pub const SOCKET_FILE: &str = "parley.sock";
/// How long a client may take to send its request line.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(5);
/// The longest request line read.
const MAX_REQUEST: usize = 64;
/// The longest answer read.
const MAX_ANSWER: u64 = 4096;

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
                served = serve(stream, &path, &store) => {
                    if let Err(e) = served {
                        tracing::warn!(error = %e, "local socket request failed");
                    }
                }
            }
        }
        let _ = std::fs::remove_file(&path);
    });
}

async fn serve(mut stream: UnixStream, path: &Path, store: &Store) -> std::io::Result<()> {
    let owner = std::fs::metadata(path)?.uid();
    let peer = stream.peer_cred()?.uid();
    if peer != owner && peer != 0 {
        return refuse(
            &mut stream,
            "this socket serves only the user Parley runs as",
        )
        .await;
    }
    let (line, file) = match tokio::time::timeout(REQUEST_TIMEOUT, read_request(&stream)).await {
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
    let Some(file) = file else {
        return refuse(
            &mut stream,
            "a backup request carries the file to write into (use this Parley's `parley backup`)",
        )
        .await;
    };
    let started = std::time::Instant::now();
    let taking = store.clone();
    let backup = tokio::task::spawn_blocking(move || taking.backup_into(&file))
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
        "backup written into the file `parley backup` sent"
    );
    // Recorded before the answer, as the web's audit layer records before it sends one.
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
    stream.shutdown().await?;
    Ok(())
}

/// Reads the request line (up to [`MAX_REQUEST`] bytes) and the file sent along with it, if
/// any (`SCM_RIGHTS`; a request is one `sendmsg`, so the file comes with its first bytes).
async fn read_request(stream: &UnixStream) -> std::io::Result<(String, Option<std::fs::File>)> {
    use rustix::net::{RecvAncillaryBuffer, RecvAncillaryMessage, RecvFlags, recvmsg};
    let mut line = Vec::new();
    let mut file = None;
    while !line.contains(&b'\n') && line.len() < MAX_REQUEST {
        let mut buf = [0u8; MAX_REQUEST];
        let read = stream
            .async_io(tokio::io::Interest::READABLE, || {
                let mut space = [MaybeUninit::uninit(); rustix::cmsg_space!(ScmRights(1))];
                let mut control = RecvAncillaryBuffer::new(&mut space);
                let got = recvmsg(
                    stream,
                    &mut [IoSliceMut::new(&mut buf)],
                    &mut control,
                    RecvFlags::CMSG_CLOEXEC,
                )?;
                // Only the first file is kept; any other is closed as it is dropped.
                for message in control.drain() {
                    if let RecvAncillaryMessage::ScmRights(mut fds) = message
                        && file.is_none()
                    {
                        file = fds.next().map(std::fs::File::from);
                    }
                }
                Ok(got.bytes)
            })
            .await?;
        if read == 0 {
            break;
        }
        line.extend_from_slice(&buf[..read]);
    }
    Ok((String::from_utf8_lossy(&line).into_owned(), file))
}

async fn refuse(stream: &mut UnixStream, why: &str) -> std::io::Result<()> {
    stream
        .write_all(format!("error {}\n", why.replace('\n', " ")).as_bytes())
        .await?;
    stream.shutdown().await
}

/// Asks the server on `data_dir` for a backup written into `out` (a new file, owner-only,
/// handed to the server with the request, so the copy is written once and straight where it
/// belongs). `Ok(None)`: no server listens there. Returns the bytes written.
pub async fn request_backup(data_dir: &Path, out: &Path) -> Result<Option<u64>, String> {
    use std::os::unix::fs::OpenOptionsExt as _;
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
    let file = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(out)
        .map_err(|e| format!("cannot create {}: {e}", out.display()))?;
    send_request(&stream, b"backup\n", &file)
        .await
        .map_err(cut)?;
    let mut answer = String::new();
    (&mut stream)
        .take(MAX_ANSWER)
        .read_to_string(&mut answer)
        .await
        .map_err(cut)?;
    let answer = answer.trim_end();
    let bytes: u64 = match answer.split_once(' ') {
        Some(("ok", n)) => n
            .parse()
            .map_err(|_| format!("unexpected answer from Parley: {answer}"))?,
        Some(("error", why)) => return Err(format!("Parley refused the backup: {why}")),
        _ => return Err(format!("unexpected answer from Parley: {answer:?}")),
    };
    let written = file
        .metadata()
        .map_err(|e| format!("cannot read {}: {e}", out.display()))?
        .len();
    if written != bytes {
        return Err(format!(
            "Parley wrote {bytes} bytes but {} holds {written}",
            out.display()
        ));
    }
    Ok(Some(written))
}

/// Sends `request` with `file` attached (`SCM_RIGHTS`), in one `sendmsg`.
async fn send_request(
    stream: &UnixStream,
    request: &[u8],
    file: &std::fs::File,
) -> std::io::Result<()> {
    use rustix::net::{SendAncillaryBuffer, SendAncillaryMessage, SendFlags, sendmsg};
    use std::os::fd::AsFd as _;
    let sent = stream
        .async_io(tokio::io::Interest::WRITABLE, || {
            let mut space = [MaybeUninit::uninit(); rustix::cmsg_space!(ScmRights(1))];
            let mut control = SendAncillaryBuffer::new(&mut space);
            let fds = [file.as_fd()];
            control.push(SendAncillaryMessage::ScmRights(&fds));
            Ok(sendmsg(
                stream,
                &[IoSlice::new(request)],
                &mut control,
                SendFlags::empty(),
            )?)
        })
        .await?;
    if sent != request.len() {
        return Err(std::io::Error::other("the request was cut short"));
    }
    Ok(())
}
