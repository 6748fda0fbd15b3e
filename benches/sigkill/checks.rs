//! What is checked after each restart, through the CSV exports: every acknowledged act
//! stored exactly once, and no lead messaged twice.

use super::*;

/// Reads an export: for each row, the cells of the named `columns`, in that order. Only those
/// are kept, so a check late in a long run does not build a map per row of a large export.
pub(crate) async fn export<const N: usize>(
    http: &reqwest::Client,
    url: &str,
    columns: [&str; N],
) -> Res<Vec<[String; N]>> {
    let text = http
        .get(url)
        .send()
        .await?
        .error_for_status()?
        .text()
        .await?;
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let headers = reader.headers()?.clone();
    let mut at = [0; N];
    for (i, name) in columns.iter().enumerate() {
        at[i] = headers
            .iter()
            .position(|h| h == *name)
            .ok_or_else(|| format!("{url} has no column {name:?}"))?;
    }
    let mut rows = Vec::new();
    for record in reader.records() {
        let record = record?;
        rows.push(at.map(|i| record.get(i).unwrap_or_default().to_owned()));
    }
    Ok(rows)
}

/// Checks the invariants through the API; the first that fails, or how many leads the
/// predictive campaign has messaged so far.
pub(crate) async fn check(url: &str, admin: &reqwest::Client, acked: &Acked) -> Res<usize> {
    let today = chrono::Utc::now().date_naive();
    let range = format!("from={}&to={}", today - chrono::Duration::days(1), today);
    let messages = export(
        admin,
        &format!("{url}/reports/messages.csv?{range}"),
        ["body", "customer"],
    )
    .await?;
    let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
    let mut per_lead: BTreeMap<&str, usize> = BTreeMap::new();
    for [body, customer] in &messages {
        *counts.entry(body).or_default() += 1;
        if body.starts_with("Offer for Lead") {
            *per_lead.entry(customer).or_default() += 1;
        }
    }
    for b in &acked.bodies {
        let n = counts.get(b.as_str()).copied().unwrap_or(0);
        if n != 1 {
            return Err(format!("acknowledged message {b:?} stored {n} times").into());
        }
    }
    for (b, n) in &counts {
        let ours = ["in-", "re-", "ob-"].iter().any(|p| b.starts_with(p));
        if ours && *n > 1 {
            return Err(format!("message {b:?} stored {n} times").into());
        }
    }
    if let Some((lead, n)) = per_lead.iter().find(|(_, n)| **n > 1) {
        return Err(format!("lead {lead} messaged {n} times").into());
    }
    let workitems = export(
        admin,
        &format!("{url}/reports/workitems.csv?{range}"),
        ["id", "state"],
    )
    .await?;
    let state: BTreeMap<u64, &str> = workitems
        .iter()
        .filter_map(|[id, state]| Some((id.parse().ok()?, state.as_str())))
        .collect();
    for w in &acked.accepted {
        if matches!(state.get(w), None | Some(&"queued") | Some(&"offered")) {
            return Err(format!("accepted workitem {w} is {:?}", state.get(w)).into());
        }
    }
    for w in &acked.terminated {
        if state.get(w) != Some(&"terminated") {
            return Err(format!("terminated workitem {w} is {:?}", state.get(w)).into());
        }
    }
    Ok(per_lead.len())
}
