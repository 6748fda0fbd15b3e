//! `parley check [--repair]` (Parley stopped): the store (every table decodes, indexes and
//! counters agree) and the search index (documents per kind against the store). A short
//! report; an error when anything disagrees, so the exit code says it.

use parley::config::Config;
use parley::store::{SetAside, Store, StoreError};

use super::CliResult;

pub async fn check(config: Config, repair: bool) -> CliResult {
    let db = config.data_dir.join(parley::DB_FILE);
    if !db.exists() {
        return Err(format!("there is no store in {}", config.data_dir.display()).into());
    }
    let opened = if repair {
        Store::open_repairing(&db)
    } else {
        Store::open(&db).map(|(store, writer)| (store, writer, Vec::new()))
    };
    let (store, writer, set_aside) = match opened {
        Ok(o) => o,
        Err(StoreError::InUse) => {
            return Err(format!(
                "Parley is running on {} (its store is open): stop it before checking",
                config.data_dir.display()
            )
            .into());
        }
        Err(e) => return Err(e.into()),
    };
    print_set_aside(&set_aside);
    let snapshot = store.clone();
    let report = tokio::task::spawn_blocking(move || {
        let txn = snapshot.snapshot()?;
        parley::store::check_store(&txn)
    })
    .await?;
    drop(store);
    writer.join().ok();
    let report = report?;
    println!("Store {}:", db.display());
    for line in &report.passed {
        println!("  ok       {line}");
    }
    for line in &report.problems {
        println!("  PROBLEM  {line}");
    }
    let dir = parley::search::index_dir(&config.data_dir);
    let index = parley::search::check_index(&dir, report.searchable, report.last_change);
    println!("Search index {}:", dir.display());
    for line in &index.passed {
        println!("  ok       {line}");
    }
    for line in &index.remarks {
        println!("  note     {line}");
    }
    for line in &index.problems {
        println!("  PROBLEM  {line}");
    }
    match report.problems.len() + index.problems.len() {
        0 => {
            println!("Check passed.");
            Ok(())
        }
        n => Err(format!("the check found {n} problem(s), listed above").into()),
    }
}

fn print_set_aside(set_aside: &[SetAside]) {
    for s in set_aside {
        println!(
            "Set aside the write-ahead log's record {} of epoch {} ({}) into {}; the \
             records after it were applied.",
            s.seq,
            s.epoch,
            s.reason,
            s.file.display()
        );
    }
}
