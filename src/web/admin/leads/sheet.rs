//! The uploaded file as the page sees it: its headers, its first rows, the mapping chosen in
//! the page (sent as `?map=FIELD` once per column, in the file's order), and the file read
//! and checked with that mapping by the same code as the CLI import.

use crate::campaigns::import::{Column, Mapping};
use crate::campaigns::leads::{self, ImportError, Parsed};

/// Rows shown in the preview.
pub const SAMPLE_ROWS: usize = 10;

#[derive(Debug)]
pub struct Reading {
    pub headers: Vec<String>,
    /// The mapping in use: chosen in the page, else guessed from the headers.
    pub columns: Vec<Column>,
    /// The first rows as written, each as long as the headers.
    pub sample: Vec<Vec<String>>,
    /// The whole file checked, or why it cannot be imported with this mapping.
    pub parsed: Result<Parsed, String>,
}

/// Reads `bytes` with the mapping in `query`. `Err` when there is nothing to map: no header
/// line, unreadable CSV there, or a mapping that does not fit the file.
pub fn read(bytes: &[u8], query: Option<&str>) -> Result<Reading, String> {
    let (headers, sample) = headers_and_sample(bytes).map_err(|e| sentence(&e.to_string()))?;
    let guessed = Mapping::guess(&headers);
    let columns = match chosen(query)? {
        None => guessed.columns.clone(),
        Some(c) if c.len() == headers.len() => c,
        Some(_) => {
            return Err(
                "The mapping does not match the file's columns; choose the file again.".into(),
            );
        }
    };
    // Only the columns changed from the guess are named, so a header that appears twice
    // matters only when one of its columns is changed.
    let overrides: Vec<(String, Column)> = headers
        .iter()
        .zip(&columns)
        .zip(&guessed.columns)
        .filter(|((_, want), guess)| want != guess)
        .map(|((h, want), _)| (h.clone(), want.clone()))
        .collect();
    let parsed = match leads::parse(bytes, &overrides) {
        Ok(p) if p.mapping.columns != columns => Err(
            "Two columns have the same header; give them different names in the file to map \
             them differently."
                .to_owned(),
        ),
        Ok(p) => Ok(p),
        Err(e) => Err(sentence(&e.to_string())),
    };
    Ok(Reading {
        headers,
        columns,
        sample,
        parsed,
    })
}

/// The header line and the first non-empty rows, read as `leads::parse` reads them.
fn headers_and_sample(bytes: &[u8]) -> Result<(Vec<String>, Vec<Vec<String>>), ImportError> {
    let (mut reader, headers) = leads::open_csv(bytes)?;
    let mut sample = Vec::new();
    for record in reader.records() {
        let record = record.map_err(|e| ImportError::Csv(e.to_string()))?;
        if record.iter().all(str::is_empty) {
            continue;
        }
        let mut row: Vec<String> = record.iter().map(str::to_owned).collect();
        row.resize(headers.len(), String::new());
        sample.push(row);
        if sample.len() == SAMPLE_ROWS {
            break;
        }
    }
    Ok((headers, sample))
}

/// The `map` values of the query string, if any.
fn chosen(query: Option<&str>) -> Result<Option<Vec<Column>>, String> {
    let values: Vec<String> = form_urlencoded::parse(query.unwrap_or("").as_bytes())
        .filter(|(k, _)| k == "map")
        .map(|(_, v)| v.into_owned())
        .collect();
    if values.is_empty() {
        return Ok(None);
    }
    values
        .iter()
        .map(|v| Column::parse(v).map_err(|e| sentence(&e)))
        .collect::<Result<Vec<_>, _>>()
        .map(Some)
}

/// How a mapping target is spelled in the form (and by the CLI).
pub fn column_value(c: &Column) -> String {
    match c {
        Column::Phone => "phone".into(),
        Column::FirstName => "first_name".into(),
        Column::LastName => "last_name".into(),
        Column::TimeZone => "time_zone".into(),
        Column::Channel => "channel".into(),
        Column::Custom(name) => format!("custom:{name}"),
        Column::Ignore => "ignore".into(),
    }
}

/// The choices of a column's select: the lead fields, a custom field named after the header
/// (and the one in use, if different), and ignore. (value, label) pairs.
pub fn column_choices(header: &str, current: &Column) -> Vec<(String, String)> {
    let mut choices: Vec<(String, String)> = [
        ("phone", "Phone"),
        ("first_name", "First name"),
        ("last_name", "Last name"),
        ("time_zone", "Time zone"),
        ("channel", "Channel"),
    ]
    .iter()
    .map(|(v, l)| ((*v).to_owned(), (*l).to_owned()))
    .collect();
    let mut customs: Vec<String> = Vec::new();
    if let Ok(Column::Custom(name)) = Column::parse(&format!("custom:{}", field_name(header))) {
        customs.push(name);
    }
    if let Column::Custom(name) = current
        && !customs.contains(name)
    {
        customs.push(name.clone());
    }
    for name in customs {
        choices.push((format!("custom:{name}"), format!("Custom field “{name}”")));
    }
    choices.push(("ignore".into(), "Ignore".into()));
    choices
}

/// A header as a custom field name, as the guess spells it: lower case, spaces and dashes
/// as `_`, other characters dropped.
fn field_name(header: &str) -> String {
    header
        .trim()
        .to_ascii_lowercase()
        .chars()
        .filter_map(|c| match c {
            'a'..='z' | '0'..='9' | '_' => Some(c),
            ' ' | '-' => Some('_'),
            _ => None,
        })
        .collect()
}

/// A message starting with a capital and ending with a full stop.
fn sentence(message: &str) -> String {
    let mut s: String = message
        .chars()
        .take(1)
        .flat_map(char::to_uppercase)
        .collect();
    s.push_str(&message.chars().skip(1).collect::<String>());
    if !s.ends_with(['.', ')', '?', '!']) {
        s.push('.');
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_page_mapping_overrides_the_guess() {
        let file = b"Tel,Who\n+14155550101,Ana\n12,Ben\n";
        let r = read(file, None).unwrap();
        assert_eq!(
            r.columns,
            vec![Column::Custom("tel".into()), Column::Custom("who".into())]
        );
        assert!(
            r.parsed
                .unwrap_err()
                .contains("map exactly one column to phone")
        );
        let r = read(file, Some("map=phone&map=first_name")).unwrap();
        let parsed = r.parsed.unwrap();
        assert_eq!((parsed.rows.len(), parsed.errors.len()), (1, 1));
        assert_eq!(r.sample.len(), 2);
        assert!(read(file, Some("map=phone")).is_err());
        assert!(read(file, Some("map=phone&map=postcode")).is_err());
        assert!(
            read(b"", None)
                .unwrap_err()
                .starts_with("The file is empty")
        );
    }

    #[test]
    fn every_column_can_become_a_custom_field_named_after_it() {
        let values: Vec<String> = column_choices("Plan Tier", &Column::Phone)
            .into_iter()
            .map(|(v, _)| v)
            .collect();
        assert!(values.contains(&"custom:plan_tier".to_owned()));
        assert_eq!(values.last().map(String::as_str), Some("ignore"));
        for c in [Column::Phone, Column::Custom("x_1".into()), Column::Ignore] {
            assert_eq!(Column::parse(&column_value(&c)), Ok(c));
        }
    }
}
