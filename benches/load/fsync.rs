//! (a): the disk's own fsync rate, appending and overwriting in place.

use super::*;

pub(crate) struct Fsync {
    pub(crate) append: f64,
    pub(crate) overwrite: f64,
    /// p50, p99, max of one write + fdatasync, per loop.
    pub(crate) append_latency: [Duration; 3],
    pub(crate) overwrite_latency: [Duration; 3],
}

impl Fsync {
    /// The reference for (b)'s ratio: the faster of the two loops, so the ratio is not
    /// flattered by the slower one.
    pub(crate) fn reference(&self) -> f64 {
        self.append.max(self.overwrite)
    }
}

pub(crate) fn fsync_rate(dir: &Path, duration: Duration) -> Res<Fsync> {
    let block = [0x5au8; 4096];
    // Appending: each fdatasync also commits the file's new size (like a log).
    let path = dir.join("fsync-append.bin");
    let mut file = std::fs::File::create(&path)?;
    let mut samples = Vec::new();
    let start = Instant::now();
    while start.elapsed() < duration {
        let t = Instant::now();
        file.write_all(&block)?;
        file.sync_data()?;
        samples.push(t.elapsed());
    }
    let append = samples.len() as f64 / start.elapsed().as_secs_f64();
    let append_latency = spread(&mut samples);
    drop(file);
    std::fs::remove_file(&path)?;

    // Overwriting one allocated block: data only, no metadata to commit.
    let path = dir.join("fsync-overwrite.bin");
    let file = std::fs::File::create(&path)?;
    file.write_all_at(&block, 0)?;
    file.sync_all()?;
    let mut samples = Vec::new();
    let start = Instant::now();
    while start.elapsed() < duration {
        let t = Instant::now();
        file.write_all_at(&block, 0)?;
        file.sync_data()?;
        samples.push(t.elapsed());
    }
    let overwrite = samples.len() as f64 / start.elapsed().as_secs_f64();
    let overwrite_latency = spread(&mut samples);
    drop(file);
    std::fs::remove_file(&path)?;
    Ok(Fsync {
        append,
        overwrite,
        append_latency,
        overwrite_latency,
    })
}
