//! Importing a lead list into a predictive campaign: the whole file is read and checked
//! first (a bad file changes nothing), then the good rows are stored in batches, each batch
//! one durable transaction, with progress reported after each.

use chrono::{DateTime, Utc};

use super::import::{Column, LeadRow, Mapping, RowError, read_row};
use crate::domain::{CampaignId, CampaignKind, ContactId, Lead, LeadId};
use crate::store::{self, Imported, Store, StoreError};

/// Rows stored per transaction.
const BATCH: usize = 2_000;

#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error("the file is empty: the first line must name the columns")]
    NoHeader,
    #[error("the file is not readable CSV: {0}")]
    Csv(String),
    #[error("column mapping: {0}")]
    Mapping(String),
    #[error("no campaign called “{0}”")]
    UnknownCampaign(String),
    #[error("“{0}” is not a predictive campaign; leads belong to predictive campaigns")]
    NotPredictive(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// A file read and checked, nothing stored yet.
#[derive(Debug)]
pub struct Parsed {
    pub headers: Vec<String>,
    pub mapping: Mapping,
    pub rows: Vec<LeadRow>,
    pub errors: Vec<RowError>,
}

/// Reads the whole file: the mapping is guessed from the headers, then `overrides`
/// (header → field) applied and checked; every row is checked on its own.
pub fn parse(bytes: &[u8], overrides: &[(String, Column)]) -> Result<Parsed, ImportError> {
    let (mut reader, headers) = open_csv(bytes)?;
    let mut mapping = Mapping::guess(&headers);
    for (header, column) in overrides {
        mapping
            .set(&headers, header, column.clone())
            .map_err(ImportError::Mapping)?;
    }
    mapping.check().map_err(ImportError::Mapping)?;
    let mut rows = Vec::new();
    let mut errors = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for record in reader.records() {
        let record = record.map_err(|e| ImportError::Csv(e.to_string()))?;
        let line = record.position().map_or(0, |p| p.line());
        let cells: Vec<&str> = record.iter().collect();
        if cells.iter().all(|c| c.is_empty()) {
            continue;
        }
        match read_row(line, &cells, &mapping, &mut seen) {
            Ok(row) => rows.push(row),
            Err(e) => errors.push(e),
        }
    }
    Ok(Parsed {
        headers,
        mapping,
        rows,
        errors,
    })
}

/// A reader over the file's rows and its header line (a leading byte-order mark dropped);
/// refuses a file whose first line names no column.
pub fn open_csv(bytes: &[u8]) -> Result<(csv::Reader<&[u8]>, Vec<String>), ImportError> {
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .trim(csv::Trim::Fields)
        .from_reader(bytes);
    let headers: Vec<String> = reader
        .headers()
        .map_err(|e| ImportError::Csv(e.to_string()))?
        .iter()
        .map(|h| h.trim_start_matches('\u{feff}').to_owned())
        .collect();
    if headers.iter().all(|h| h.trim().is_empty()) {
        return Err(ImportError::NoHeader);
    }
    Ok((reader, headers))
}

/// What an import did.
#[derive(Debug, Default)]
pub struct Report {
    pub added: u64,
    /// Refused rows (bad phone, unknown zone or channel, duplicate), in file order.
    pub errors: Vec<RowError>,
}

/// Finds the predictive campaign called `name` (ignoring case).
pub async fn predictive_campaign(store: &Store, name: &str) -> Result<CampaignId, ImportError> {
    let wanted = name.trim().to_lowercase();
    let campaigns = store.read(store::all_campaigns).await?;
    let c = campaigns
        .into_iter()
        .find(|c| c.name.to_lowercase() == wanted)
        .ok_or_else(|| ImportError::UnknownCampaign(name.trim().to_owned()))?;
    if c.kind != CampaignKind::Predictive {
        return Err(ImportError::NotPredictive(c.name));
    }
    Ok(c.id)
}

/// Stores the checked rows for `campaign`; numbers the campaign already has are added to the
/// refused rows as duplicates, and the refusals are counted on the campaign's page. `progress(done, total)` follows each stored batch.
pub async fn store_rows(
    store: &Store,
    campaign: CampaignId,
    parsed: Parsed,
    at: DateTime<Utc>,
    mut progress: impl FnMut(u64, u64),
) -> Result<Report, ImportError> {
    let total = parsed.rows.len() as u64;
    let mut report = Report {
        added: 0,
        errors: parsed.errors,
    };
    let mut done = 0;
    let mut rows = parsed.rows.into_iter().peekable();
    while rows.peek().is_some() {
        let batch: Vec<LeadRow> = rows.by_ref().take(BATCH).collect();
        let leads: Vec<Lead> = batch.iter().map(|r| draft(campaign, r, at)).collect();
        let outcome = store
            .write(move |txn| store::insert_leads(txn, leads, at))
            .await?;
        for (row, imported) in batch.iter().zip(outcome) {
            match imported {
                Imported::Added(_) => report.added += 1,
                Imported::Duplicate => report.errors.push(RowError {
                    line: row.line,
                    phone: row.phone.to_string(),
                    reason: "duplicate: already a lead of this campaign".into(),
                }),
            }
        }
        done += batch.len() as u64;
        progress(done, total);
    }
    report.errors.sort_by_key(|e| e.line);
    let mut refused: Vec<(String, u64)> = Vec::new();
    for e in &report.errors {
        match refused.iter_mut().find(|(k, _)| k == e.kind()) {
            Some((_, n)) => *n += 1,
            None => refused.push((e.kind().to_owned(), 1)),
        }
    }
    if !refused.is_empty() {
        store
            .write(move |txn| store::count_refused(txn, campaign, &refused))
            .await?;
    }
    Ok(report)
}

fn draft(campaign: CampaignId, row: &LeadRow, at: DateTime<Utc>) -> Lead {
    Lead {
        id: LeadId(0),
        campaign,
        phone: row.phone.clone(),
        contact: ContactId(0),
        first_name: row.first_name.clone(),
        last_name: row.last_name.clone(),
        time_zone: row.time_zone.clone(),
        channel: row.channel,
        fields: row.fields.clone(),
        imported_at: at,
    }
}
