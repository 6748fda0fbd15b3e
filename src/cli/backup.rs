//! `parley backup FILE`: asks the running server for a consistent copy over the data dir's
//! local socket (see `local_socket.rs`); with Parley stopped, copies the store itself.

use std::path::{Path, PathBuf};

use parley::config::Config;
use parley::domain::AuditKind;
use parley::store::StoreError;

use super::CliResult;

pub async fn backup(config: Config, file: &Path) -> CliResult {
    // A backup never replaces a file: the one there may be the only good copy. Checked
    // before the copy (which takes minutes on a large store) and again, atomically, at the end.
    if file.exists() {
        return Err(exists(file).into());
    }
    // Written beside the target and renamed once whole, so a failed backup never leaves a
    // file that looks like one.
    let partial = {
        let mut p = file.as_os_str().to_owned();
        p.push(".partial");
        PathBuf::from(p)
    };
    let _ = std::fs::remove_file(&partial);
    let result = write(&config, &partial).await;
    let how = match result {
        Ok(how) => how,
        Err(e) => {
            let _ = std::fs::remove_file(&partial);
            return Err(e);
        }
    };
    keep_as(&partial, file)?;
    let bytes = std::fs::metadata(file).map(|m| m.len()).unwrap_or(0);
    println!("{how}: {} ({bytes} bytes).", file.display());
    println!("`parley restore {}` puts it back.", file.display());
    Ok(())
}

/// Names the finished `partial` `file`, never replacing a file that appeared meanwhile: a
/// hard link fails where a rename would replace. Where the file system has no hard links
/// (FAT, some network shares) it renames, having looked once more.
fn keep_as(partial: &Path, file: &Path) -> Result<(), String> {
    let kept = match std::fs::hard_link(partial, file) {
        Ok(()) => std::fs::remove_file(partial),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists || file.exists() => {
            let _ = std::fs::remove_file(partial);
            return Err(exists(file));
        }
        Err(_) => std::fs::rename(partial, file),
    };
    kept.map_err(|e| format!("cannot write {}: {e}", file.display()))
}

fn exists(file: &Path) -> String {
    format!(
        "{} already exists; `parley backup` never overwrites a file: remove it or name another",
        file.display()
    )
}

/// Writes the backup to `out`; says how it was taken.
async fn write(config: &Config, out: &Path) -> Result<&'static str, Box<dyn std::error::Error>> {
    if parley::local_socket::request_backup(&config.data_dir, out)
        .await?
        .is_some()
    {
        return Ok("Backup taken from the running Parley");
    }
    let db = config.data_dir.join(parley::DB_FILE);
    if !db.exists() {
        return Err(format!("there is no store in {}", config.data_dir.display()).into());
    }
    let (store, writer) = match parley::open_store(config) {
        Ok(opened) => opened,
        Err(parley::RunError::Store(StoreError::InUse)) => {
            return Err(format!(
                "Parley runs on {} but does not answer on {}; download a backup from \
                 /admin/backup instead",
                config.data_dir.display(),
                parley::local_socket::socket_path(&config.data_dir).display()
            )
            .into());
        }
        Err(e) => return Err(e.into()),
    };
    let taking = store.clone();
    let target = out.to_owned();
    let copied = tokio::task::spawn_blocking(move || taking.backup_to(&target)).await?;
    let audited = match &copied {
        Ok(written) => {
            let detail = format!("{} bytes, {} rows", written.bytes, written.rows);
            parley::bootstrap::audit_command_line(
                &store,
                AuditKind::BackupTaken,
                "parley backup",
                &detail,
            )
            .await
        }
        Err(_) => Ok(()),
    };
    drop(store);
    writer.join().ok();
    copied?;
    audited?;
    Ok("Parley is not running; backup taken from its store")
}
