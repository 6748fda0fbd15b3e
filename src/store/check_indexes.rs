//! `parley check`'s second pass: every index agrees with the table it indexes, and every
//! table keyed by message names a message that exists.

use std::fmt::Display;

use redb::{
    MultimapTableDefinition, ReadTransaction, ReadableMultimapTable, ReadableTable, TableDefinition,
};
use serde::de::DeserializeOwned;

use super::check::{CheckReport, examples};
use super::conversations::open_key;
use super::leads::number_key;
use super::*;
use crate::domain::{
    Campaign, ConsentEntry, Contact, Event, Lead, Message, Note, User, Workitem, WorkitemState,
};

/// Calls `each` with every row of a JSON table keyed by id that decodes (those that do not
/// are reported by the decoding pass).
fn each_json<T: DeserializeOwned>(
    txn: &ReadTransaction,
    def: TableDefinition<u64, &[u8]>,
    mut each: impl FnMut(u64, T),
) -> Result<(), StoreError> {
    for row in txn.open_table(def)?.iter()? {
        let (k, v) = row?;
        if let Ok(value) = serde_json::from_slice(v.value()) {
            each(k.value(), value);
        }
    }
    Ok(())
}

fn multimap_pairs(
    txn: &ReadTransaction,
    def: MultimapTableDefinition<u64, u64>,
) -> Result<Vec<(u64, u64)>, StoreError> {
    let mut out = Vec::new();
    for row in txn.open_multimap_table(def)?.iter()? {
        let (k, values) = row?;
        for v in values {
            out.push((k.value(), v?.value()));
        }
    }
    Ok(out)
}

fn text_pairs(
    txn: &ReadTransaction,
    def: TableDefinition<&str, u64>,
) -> Result<Vec<(String, u64)>, StoreError> {
    let mut out = Vec::new();
    for row in txn.open_table(def)?.iter()? {
        let (k, v) = row?;
        out.push((k.value().to_owned(), v.value()));
    }
    Ok(out)
}

/// One index against what its table says it should hold.
struct IndexCheck<'a> {
    /// The index's table name.
    index: &'a str,
    /// The table it indexes.
    table: &'a str,
    /// How to name a key and a value in a message ("workitem", "message").
    key: &'a str,
    value: &'a str,
}

impl IndexCheck<'_> {
    /// Compares as sets: entries the table implies but the index lacks, and entries the
    /// index holds that no row of the table backs.
    fn compare<K: Ord + Display>(
        &self,
        mut expected: Vec<(K, u64)>,
        mut actual: Vec<(K, u64)>,
        report: &mut CheckReport,
    ) {
        expected.sort();
        expected.dedup();
        actual.sort();
        let (mut missing, mut extra) = (Vec::new(), Vec::new());
        let (mut e, mut a) = (expected.iter().peekable(), actual.iter().peekable());
        loop {
            match (e.peek(), a.peek()) {
                (Some(x), Some(y)) if x == y => {
                    e.next();
                    a.next();
                }
                (Some(x), Some(y)) if x < y => {
                    missing.push(self.entry(x));
                    e.next();
                }
                (Some(x), None) => {
                    missing.push(self.entry(x));
                    e.next();
                }
                (_, Some(y)) => {
                    extra.push(self.entry(y));
                    a.next();
                }
                (None, None) => break,
            }
        }
        if !missing.is_empty() {
            report.problems.push(format!(
                "{}: {} entries missing for rows of {}: {}",
                self.index,
                missing.len(),
                self.table,
                examples(&missing)
            ));
        }
        if !extra.is_empty() {
            report.problems.push(format!(
                "{}: {} entries that no row of {} backs: {}",
                self.index,
                extra.len(),
                self.table,
                examples(&extra)
            ));
        }
        if missing.is_empty() && extra.is_empty() {
            report.passed.push(format!(
                "{} agrees with {} ({} entries)",
                self.index,
                self.table,
                actual.len()
            ));
        }
    }

    fn entry<K: Display>(&self, (k, v): &(K, u64)) -> String {
        format!("{} {k} → {} {v}", self.key, self.value)
    }
}

fn check<'a>(index: &'a str, table: &'a str, key: &'a str, value: &'a str) -> IndexCheck<'a> {
    IndexCheck {
        index,
        table,
        key,
        value,
    }
}

pub(super) fn indexes(txn: &ReadTransaction, report: &mut CheckReport) -> Result<(), StoreError> {
    let mut expected = Vec::new();
    each_json(txn, MESSAGES, |id, m: Message| {
        expected.push((m.workitem.0, id))
    })?;
    check("messages_by_workitem", "messages", "workitem", "message").compare(
        std::mem::take(&mut expected),
        multimap_pairs(txn, MESSAGES_BY_WORKITEM)?,
        report,
    );
    each_json(txn, EVENTS, |id, e: Event| {
        expected.push((e.workitem.0, id))
    })?;
    check("events_by_workitem", "events", "workitem", "event").compare(
        std::mem::take(&mut expected),
        multimap_pairs(txn, EVENTS_BY_WORKITEM)?,
        report,
    );
    let mut open = Vec::new();
    each_json(txn, WORKITEMS, |id, w: Workitem| {
        expected.push((w.contact.0, id));
        if w.state != WorkitemState::Terminated {
            open.push((open_key(&w.customer, &w.our_number), id));
        }
    })?;
    check("workitems_by_contact", "workitems", "contact", "workitem").compare(
        std::mem::take(&mut expected),
        multimap_pairs(txn, WORKITEMS_BY_CONTACT)?,
        report,
    );
    check(
        "open_workitems",
        "workitems not terminated",
        "conversation",
        "workitem",
    )
    .compare(open, text_pairs(txn, OPEN_WORKITEMS)?, report);
    each_json(txn, NOTES, |id, n: Note| expected.push((n.contact.0, id)))?;
    check("notes_by_contact", "notes", "contact", "note").compare(
        std::mem::take(&mut expected),
        multimap_pairs(txn, NOTES_BY_CONTACT)?,
        report,
    );
    let mut by_campaign = Vec::new();
    let mut by_number = Vec::new();
    each_json(txn, LEADS, |id, l: Lead| {
        by_campaign.push((l.campaign.0, id));
        by_number.push((number_key(l.campaign, &l), id));
    })?;
    check("campaign_leads", "leads", "campaign", "lead").compare(
        by_campaign,
        multimap_pairs(txn, CAMPAIGN_LEADS)?,
        report,
    );
    check("leads_by_number", "leads", "campaign and number", "lead").compare(
        by_number,
        text_pairs(txn, LEADS_BY_NUMBER)?,
        report,
    );
    let mut text = Vec::new();
    each_json(txn, USERS, |id, u: User| text.push((u.username, id)))?;
    check("users_by_name", "users", "name", "user").compare(
        std::mem::take(&mut text),
        text_pairs(txn, USERS_BY_NAME)?,
        report,
    );
    each_json(txn, CONTACTS, |id, c: Contact| {
        text.push((c.mobile.as_str().to_owned(), id))
    })?;
    check("contacts_by_phone", "contacts", "number", "contact").compare(
        std::mem::take(&mut text),
        text_pairs(txn, CONTACTS_BY_PHONE)?,
        report,
    );
    each_json(txn, CAMPAIGNS, |id, c: Campaign| {
        text.extend(c.numbers.iter().map(|n| (n.as_str().to_owned(), id)))
    })?;
    check("campaign_numbers", "campaigns", "number", "campaign").compare(
        std::mem::take(&mut text),
        text_pairs(txn, CAMPAIGN_NUMBERS)?,
        report,
    );
    each_json(txn, CONSENT_LEDGER, |id, e: ConsentEntry| {
        text.push((e.phone.as_str().to_owned(), id))
    })?;
    let mut actual = Vec::new();
    for row in txn.open_multimap_table(CONSENT_BY_PHONE)?.iter()? {
        let (k, values) = row?;
        for v in values {
            actual.push((k.value().to_owned(), v?.value()));
        }
    }
    check("consent_by_phone", "consent_ledger", "number", "entry").compare(
        std::mem::take(&mut text),
        actual,
        report,
    );
    points_at_messages(txn, report)
}

/// The tables keyed by message id only for some messages: each row must name a message.
fn points_at_messages(txn: &ReadTransaction, report: &mut CheckReport) -> Result<(), StoreError> {
    let messages = txn.open_table(MESSAGES)?;
    let mut orphans = Vec::new();
    let mut rows = 0;
    let mut prints = Vec::new();
    for row in txn.open_table(PROVIDER_IDS)?.iter()? {
        let (k, _) = row?;
        let (message, id) = k.value();
        rows += 1;
        if messages.get(message)?.is_none() {
            orphans.push(format!("message {message} ({id})"));
        }
        prints.push((super::provider_ids::fingerprint(id), message));
    }
    note_orphans(
        "provider_ids_by_message",
        "messages",
        rows,
        &orphans,
        report,
    );
    let mut actual = Vec::new();
    for row in txn.open_table(PROVIDER_PRINTS)?.iter()? {
        actual.push(row?.0.value());
    }
    // The newest fingerprints are listed by message instead (see `recent_prints.rs`); rows
    // below the mark are left over, waiting to be deleted.
    let pending_from = txn
        .open_table(META)?
        .get(super::recent_prints::PENDING_FROM)?
        .map_or(u64::MAX, |v| v.value());
    for row in txn
        .open_table(PROVIDER_PRINTS_PENDING)?
        .range((pending_from, 0)..)?
    {
        let (message, print) = row?.0.value();
        actual.push((print, message));
    }
    actual.sort_unstable();
    actual.dedup();
    check(
        "provider_id_prints",
        "provider_ids_by_message",
        "fingerprint",
        "message",
    )
    .compare(prints, actual, report);
    let (mut orphans, mut rows) = (Vec::new(), 0);
    for row in txn.open_table(CAMPAIGN_MESSAGES)?.iter()? {
        let (k, _) = row?;
        rows += 1;
        if messages.get(k.value())?.is_none() {
            orphans.push(format!("message {}", k.value()));
        }
    }
    note_orphans("campaign_messages", "messages", rows, &orphans, report);
    Ok(())
}

fn note_orphans(
    index: &str,
    table: &str,
    rows: usize,
    orphans: &[String],
    report: &mut CheckReport,
) {
    if orphans.is_empty() {
        report
            .passed
            .push(format!("{index}: each of {rows} rows names one of {table}"));
    } else {
        report.problems.push(format!(
            "{index}: {} rows name no row of {table}: {}",
            orphans.len(),
            examples(orphans)
        ));
    }
}
