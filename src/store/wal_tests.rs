//! The log on a real file: order, epochs, torn and damaged records, the two regions.

use super::*;

fn payloads(range: std::ops::RangeInclusive<u8>) -> Vec<Vec<u8>> {
    range.map(|i| vec![i; 100 + usize::from(i)]).collect()
}

/// A new log at epoch 7 in a directory of its own (kept while the first value lives).
fn new_log() -> (tempfile::TempDir, std::path::PathBuf, Wal) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("t.wal");
    let (wal, pending) = Wal::open(&path, 7).unwrap();
    assert!(pending.is_empty());
    (dir, path, wal)
}

fn payloads_of(records: Vec<Record>) -> Vec<Vec<u8>> {
    records.into_iter().map(|r| r.payload).collect()
}

/// Cuts the log at every offset from `first` to `end` (what follows the cut, up to `end`,
/// never reached the disk: it reads as the preallocated zeros, or as garbage) and checks
/// that the store at epoch 7 then gets `payloads(1..=kept(cut))`.
fn assert_every_cut(path: &std::path::Path, first: u64, end: u64, kept: impl Fn(u64) -> u8) {
    let file = OpenOptions::new()
        .read(true)
        .write(true)
        .open(path)
        .unwrap();
    let mut written = vec![0; (end - first) as usize];
    file.read_exact_at(&mut written, first).unwrap();
    for cut in first..=end {
        for fill in [0u8, 0xa5] {
            let mut tail = written.clone();
            tail[(cut - first) as usize..].fill(fill);
            file.write_all_at(&tail, first).unwrap();
            let (_, pending) = Wal::open(path, 7).unwrap();
            assert_eq!(
                payloads_of(pending),
                payloads(1..=kept(cut)),
                "cut at {cut}, fill {fill:#x}"
            );
        }
    }
}

/// The (epoch, seq) of each record read back.
fn positions(records: &[Record]) -> Vec<(u64, u64)> {
    records.iter().map(|r| (r.epoch, r.seq)).collect()
}

#[test]
fn the_epochs_records_come_back_in_order() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("t.wal");
    let (mut wal, pending) = Wal::open(&path, 7).unwrap();
    assert!(pending.is_empty());
    wal.append(&payloads(1..=3)).unwrap();
    wal.append(&payloads(4..=5)).unwrap();
    drop(wal);
    let (_, pending) = Wal::open(&path, 7).unwrap();
    assert_eq!(payloads_of(pending), payloads(1..=5));
    // Another epoch's store gets none of them.
    let (_, pending) = Wal::open(&path, 8).unwrap();
    assert!(pending.is_empty());
}

#[test]
fn after_a_checkpoint_the_older_epoch_is_not_read_again() {
    let (_dir, path, mut wal) = new_log();
    wal.append(&payloads(1..=6)).unwrap();
    wal.checkpointed(9);
    // Shorter than what it overwrites: the rest of the older epoch stays in the file.
    wal.append(&[vec![42; 10]]).unwrap();
    drop(wal);
    let (_, pending) = Wal::open(&path, 9).unwrap();
    assert_eq!(payloads_of(pending), vec![vec![42; 10]]);
    let (_, pending) = Wal::open(&path, 7).unwrap();
    assert!(
        pending.is_empty(),
        "the older epoch starts with a record of the newer"
    );
}

#[test]
fn a_torn_or_damaged_record_ends_the_log() {
    let (_dir, path, mut wal) = new_log();
    wal.append(&payloads(1..=3)).unwrap();
    drop(wal);
    // Flip one byte of the second record's payload.
    let file = OpenOptions::new().write(true).open(&path).unwrap();
    let second = (HEADER + 101 + HEADER + 10) as u64;
    file.write_all_at(&[0xff], second).unwrap();
    let (_, pending) = Wal::open(&path, 7).unwrap();
    assert_eq!(payloads_of(pending), payloads(1..=1));
}

#[test]
fn a_torn_append_cannot_damage_the_records_before_it() {
    let (_dir, path, mut wal) = new_log();
    wal.append(&payloads(1..=1)).unwrap();
    let second = wal.written();
    wal.append(&payloads(2..=2)).unwrap();
    drop(wal);
    // The disk tore the block the second append started in: all of it is garbage.
    let block_start = second / BLOCK * BLOCK;
    let file = OpenOptions::new().write(true).open(&path).unwrap();
    file.write_all_at(&[0xa5; BLOCK as usize], block_start)
        .unwrap();
    let (_, pending) = Wal::open(&path, 7).unwrap();
    assert_eq!(payloads_of(pending), payloads(1..=1));
}

#[test]
fn a_log_cut_anywhere_in_its_last_two_records_keeps_the_whole_ones() {
    let (_dir, path, mut wal) = new_log();
    wal.append(&payloads(1..=2)).unwrap();
    let third = wal.written();
    wal.append(&payloads(3..=4)).unwrap();
    drop(wal);
    let fourth = third + (HEADER + 103) as u64;
    let end = fourth + (HEADER + 104) as u64;
    assert_every_cut(&path, third, end, |cut| match cut {
        _ if cut == end => 4,
        _ if cut >= fourth => 3,
        _ => 2,
    });
}

#[test]
fn a_new_log_is_preallocated() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("t.wal");
    Wal::open(&path, 0).unwrap();
    assert_eq!(std::fs::metadata(&path).unwrap().len(), PREALLOCATE);
}

#[test]
fn a_switched_epoch_follows_its_predecessor_until_that_is_checkpointed() {
    let (_dir, path, mut wal) = new_log();
    wal.append(&payloads(1..=2)).unwrap();
    wal.switch(9);
    wal.append(&payloads(3..=3)).unwrap();
    wal.append(&payloads(4..=4)).unwrap();
    drop(wal);
    // The checkpoint of 9 did not become durable: the store is still at 7.
    let (_, pending) = Wal::open(&path, 7).unwrap();
    assert_eq!(positions(&pending), [(7, 1), (7, 2), (9, 1), (9, 2)]);
    assert_eq!(payloads_of(pending), payloads(1..=4));
    // It did: only 9's records.
    let (_, pending) = Wal::open(&path, 9).unwrap();
    assert_eq!(payloads_of(pending), payloads(3..=4));
}

#[test]
fn the_next_switch_reuses_the_first_region_and_breaks_the_old_chain() {
    let (_dir, path, mut wal) = new_log();
    wal.append(&payloads(1..=3)).unwrap();
    wal.switch(9);
    wal.append(&payloads(4..=4)).unwrap();
    wal.switch(11);
    wal.append(&payloads(5..=5)).unwrap();
    drop(wal);
    let (_, pending) = Wal::open(&path, 9).unwrap();
    assert_eq!(positions(&pending), [(9, 1), (11, 1)]);
    // 7's region now starts with 11's link: 7 reads as empty, and nothing links to that.
    let (_, pending) = Wal::open(&path, 7).unwrap();
    assert!(pending.is_empty());
}

#[test]
fn a_link_to_another_record_than_the_last_is_not_followed() {
    let (_dir, path, mut wal) = new_log();
    wal.append(&payloads(1..=2)).unwrap();
    wal.switch(9);
    wal.append(&payloads(3..=3)).unwrap();
    drop(wal);
    // 7's second record is lost (as a torn tail would lose it): 9 followed a record that
    // is not there, so nothing after the first is applied.
    let file = OpenOptions::new().write(true).open(&path).unwrap();
    file.write_all_at(&[0xff], (HEADER + 101 + HEADER + 10) as u64)
        .unwrap();
    let (_, pending) = Wal::open(&path, 7).unwrap();
    assert_eq!(positions(&pending), [(7, 1)]);
}

#[test]
fn a_full_region_refuses_the_append_and_keeps_what_it_holds() {
    let (_dir, path, mut wal) = new_log();
    let big = vec![1u8; (REGION / 2) as usize];
    wal.append(std::slice::from_ref(&big)).unwrap();
    assert!(matches!(
        wal.append(std::slice::from_ref(&big)),
        Err(AppendError::NoRoom)
    ));
    assert!(matches!(
        wal.append(&[vec![0; REGION as usize + 1]]),
        Err(AppendError::NoRoom)
    ));
    wal.append(&payloads(2..=2)).unwrap();
    drop(wal);
    let (_, pending) = Wal::open(&path, 7).unwrap();
    assert_eq!(positions(&pending), [(7, 1), (7, 2)]);
    // The next epoch starts in the other region.
    let (mut wal, _) = Wal::open(&path, 7).unwrap();
    wal.checkpointed(7);
    wal.switch(9);
    wal.append(std::slice::from_ref(&big)).unwrap();
}

#[test]
fn a_log_cut_anywhere_in_the_first_append_of_a_switched_epoch_keeps_the_whole_records() {
    let (_dir, path, mut wal) = new_log();
    wal.append(&payloads(1..=2)).unwrap();
    wal.switch(9);
    // The link record and two records, in one append.
    wal.append(&payloads(3..=4)).unwrap();
    drop(wal);
    let start = REGION;
    let third = start + (HEADER + LINK) as u64;
    let fourth = third + (HEADER + 103) as u64;
    let end = fourth + (HEADER + 104) as u64;
    assert_every_cut(&path, start, end, |cut| match cut {
        _ if cut == end => 4,
        _ if cut >= fourth => 3,
        // Without its whole link, the new epoch does not follow the old one.
        _ => 2,
    });
}
