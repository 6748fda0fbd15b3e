//! `parley check`'s look at the store: every row of every table decodes (each JSON table as
//! its domain type), every index agrees with the table it indexes (`check_indexes.rs`), and
//! every id counter is past the largest id it gave. Read-only, from one snapshot.

use std::collections::BTreeMap;

use redb::{
    Key, MultimapTableDefinition, ReadTransaction, ReadableMultimapTable, ReadableTable,
    ReadableTableMetadata as _, TableDefinition, TableHandle as _, Value,
};
use serde::de::DeserializeOwned;

use super::tables::{TableVisitor, each_table};
use super::*;

/// Examples of a problem shown per table or index; the rest are counted.
const EXAMPLES: usize = 3;

/// What the check found.
#[derive(Debug, Default)]
pub struct CheckReport {
    pub tables: usize,
    pub rows: u64,
    /// What was checked and agrees, one line each.
    pub passed: Vec<String>,
    /// What disagrees, one line each, naming the table or index; empty when sound.
    pub problems: Vec<String>,
    /// The records the search index holds a document for, by kind.
    pub searchable: Searchable,
    /// The store sequence of the last change the search index must see.
    pub last_change: u64,
}

/// How many records of each searchable kind the store holds.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Searchable {
    pub messages: u64,
    pub notes: u64,
    pub surveys: u64,
    pub contacts: u64,
}

/// Checks the store as `txn` sees it.
pub fn check_store(txn: &ReadTransaction) -> Result<CheckReport, StoreError> {
    let mut report = CheckReport::default();
    let mut decode = DecodeEach {
        txn,
        report: &mut report,
    };
    each_table(&mut decode)?;
    let problems = report.problems.len();
    report.passed.push(format!(
        "{} tables, {} rows: {}",
        report.tables,
        report.rows,
        if report.problems.is_empty() {
            "every row decodes"
        } else {
            "some rows do not decode (above)"
        }
    ));
    super::check_indexes::indexes(txn, &mut report)?;
    counters(txn, &mut report)?;
    report.searchable = Searchable {
        messages: txn.open_table(MESSAGES)?.len()?,
        notes: txn.open_table(NOTES)?.len()?,
        surveys: txn.open_table(SURVEY_RESPONSES)?.len()?,
        contacts: txn.open_table(CONTACTS)?.len()?,
    };
    report.last_change = last_change_seq(txn)?;
    tracing::debug!(
        problems = report.problems.len() - problems,
        "indexes and counters checked"
    );
    Ok(report)
}

/// Reads every row of each table; JSON rows are decoded as their type.
struct DecodeEach<'a> {
    txn: &'a ReadTransaction,
    report: &'a mut CheckReport,
}

impl TableVisitor for DecodeEach<'_> {
    fn table<K: Key + 'static, V: Value + 'static>(
        &mut self,
        def: TableDefinition<'static, K, V>,
    ) -> Result<(), StoreError> {
        self.report.tables += 1;
        for row in self.txn.open_table(def)?.iter()? {
            let (k, v) = row?;
            // Reading the values is what decodes them.
            let _ = (k.value(), v.value());
            self.report.rows += 1;
        }
        Ok(())
    }

    fn multimap<K: Key + 'static, V: Key + 'static>(
        &mut self,
        def: MultimapTableDefinition<'static, K, V>,
    ) -> Result<(), StoreError> {
        self.report.tables += 1;
        for row in self.txn.open_multimap_table(def)?.iter()? {
            let (k, values) = row?;
            let _ = k.value();
            for v in values {
                let _ = v?.value();
                self.report.rows += 1;
            }
        }
        Ok(())
    }

    fn json<K: Key + 'static, T: DeserializeOwned>(
        &mut self,
        def: TableDefinition<'static, K, &'static [u8]>,
    ) -> Result<(), StoreError> {
        self.report.tables += 1;
        let mut bad = Vec::new();
        let mut count = 0u64;
        for row in self.txn.open_table(def)?.iter()? {
            let (k, v) = row?;
            count += 1;
            if let Err(e) = serde_json::from_slice::<T>(v.value()) {
                bad.push(format!("{:?} ({e})", k.value()));
            }
        }
        self.report.rows += count;
        if !bad.is_empty() {
            self.report.problems.push(format!(
                "{}: {} of {count} rows do not decode as {}: {}",
                def.name(),
                bad.len(),
                short_type_name::<T>(),
                examples(&bad)
            ));
        }
        Ok(())
    }
}

fn short_type_name<T>() -> &'static str {
    let full = std::any::type_name::<T>();
    full.rsplit("::").next().unwrap_or(full)
}

pub(super) fn examples(items: &[String]) -> String {
    let shown: Vec<&str> = items.iter().take(EXAMPLES).map(String::as_str).collect();
    match items.len().saturating_sub(EXAMPLES) {
        0 => shown.join(", "),
        more => format!("{}, and {more} more", shown.join(", ")),
    }
}

/// Each id counter in `meta` against the largest id in the table it numbers: the next id
/// must be past it, or a new record would overwrite an old one.
fn counters(txn: &ReadTransaction, report: &mut CheckReport) -> Result<(), StoreError> {
    let tables: [(&str, TableDefinition<u64, &[u8]>); 14] = [
        ("next_user", USERS),
        ("next_queue", QUEUES),
        ("next_campaign", CAMPAIGNS),
        ("next_contact", CONTACTS),
        ("next_workitem", WORKITEMS),
        ("next_message", MESSAGES),
        ("next_event", EVENTS),
        ("next_class", CLASSES),
        ("next_template", RESPONSE_TEMPLATES),
        ("next_note", NOTES),
        ("next_survey", SURVEYS),
        ("next_consent", CONSENT_LEDGER),
        ("next_lead", LEADS),
        (changes::NEXT_CHANGE, CHANGES),
    ];
    let meta = txn.open_table(META)?;
    let mut wrong = Vec::new();
    let mut largest: BTreeMap<&str, u64> = BTreeMap::new();
    for (counter, def) in tables {
        let Some(last) = txn.open_table(def)?.last()?.map(|(k, _)| k.value()) else {
            continue;
        };
        largest.insert(counter, last);
        match meta.get(counter)?.map(|v| v.value()) {
            Some(next) if next > last => {}
            Some(next) => wrong.push(format!(
                "{counter} is {next}, but {} holds id {last}",
                def.name()
            )),
            None => wrong.push(format!(
                "{counter} is missing, but {} holds id {last}",
                def.name()
            )),
        }
    }
    if wrong.is_empty() {
        report.passed.push(format!(
            "{} id counters are past the largest id of their tables",
            largest.len()
        ));
    } else {
        report.problems.push(format!("meta: {}", wrong.join("; ")));
    }
    Ok(())
}
