//! `GET /admin/backup` (admins): a consistent copy of the whole store as a download, taken
//! while Parley serves (see `store/backup.rs`); ingest goes on meanwhile. Recorded in the
//! audit log.

use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::header;
use axum::response::Response;
use tokio::io::AsyncReadExt as _;

use crate::domain::AuditKind;
use crate::state::AppState;
use crate::store::Backup;
use crate::web::audit::AuditNote;
use crate::web::auth::AdminUser;
use crate::web::error::PageError;

/// Bytes read from the backup file per chunk of the answer.
const CHUNK: usize = 256 * 1024;

#[tracing::instrument(skip_all, fields(admin = %admin.user.username))]
pub async fn backup_get(
    State(state): State<AppState>,
    admin: AdminUser,
) -> Result<Response, PageError> {
    let store = state.store.clone();
    let dir = state.config.data_dir.clone();
    let started = std::time::Instant::now();
    let backup = tokio::task::spawn_blocking(move || store.backup(&dir))
        .await
        .map_err(|e| PageError::internal(format!("backup task failed: {e}")))??;
    tracing::info!(
        bytes = backup.bytes,
        rows = backup.rows,
        ms = started.elapsed().as_millis() as u64,
        "backup written"
    );
    let name = format!(
        "parley-backup-{}.redb",
        state.clock.now().format("%Y-%m-%d-%H%M%S")
    );
    let note = AuditNote::new(
        AuditKind::BackupTaken,
        name.clone(),
        format!("{} bytes, {} rows", backup.bytes, backup.rows),
    );
    Ok(note.on((
        [
            (header::CONTENT_TYPE, "application/octet-stream".to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{name}\""),
            ),
            (header::CONTENT_LENGTH, backup.bytes.to_string()),
        ],
        Body::from_stream(chunks(backup)),
    )))
}

/// The backup file's bytes, read as the client takes them.
fn chunks(backup: Backup) -> impl futures_util::Stream<Item = std::io::Result<Bytes>> {
    let file = tokio::fs::File::from_std(backup.file);
    futures_util::stream::try_unfold(file, |mut file| async move {
        let mut buf = vec![0u8; CHUNK];
        let n = file.read(&mut buf).await?;
        if n == 0 {
            return Ok(None);
        }
        buf.truncate(n);
        Ok(Some((Bytes::from(buf), file)))
    })
}
