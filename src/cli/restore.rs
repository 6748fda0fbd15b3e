//! `parley restore FILE`: puts a backup in place of the data dir's store (Parley stopped);
//! `main` then rebuilds the search index from it.

use std::path::Path;

use parley::config::Config;

use super::CliResult;

pub fn restore(config: &Config, file: &Path) -> CliResult {
    let db = config.data_dir.join(parley::DB_FILE);
    let done = parley::store::restore(file, &db)?;
    println!(
        "Restored {} into {}: {} users, {} workitems, {} messages.",
        file.display(),
        config.data_dir.display(),
        done.info.users,
        done.info.workitems,
        done.info.messages
    );
    if let Some(old) = &done.old_store {
        println!("The store it replaced is kept as {}.", old.display());
    }
    if let Some(old) = &done.old_log {
        println!("Its write-ahead log is kept as {}.", old.display());
    }
    println!("Rebuilding the search index…");
    Ok(())
}
