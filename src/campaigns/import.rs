//! Reading a lead list (CSV): which column holds what (guessed from the headers, or given),
//! each row checked on its own, and a report of the refused rows that can be downloaded as
//! CSV. Nothing here touches the store.

use std::collections::HashSet;

use crate::domain::contact_form::parse_time_zone;
use crate::domain::{ChannelPreference, E164, csv_cell};

/// What a column of the file holds.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Column {
    Phone,
    FirstName,
    LastName,
    TimeZone,
    Channel,
    /// Kept on the lead under this name (usable as a `{placeholder}` in the campaign).
    Custom(String),
    Ignore,
}

impl Column {
    /// Reads a mapping target as the CLI and the form spell it.
    pub fn parse(s: &str) -> Result<Column, String> {
        Ok(match s.trim().to_ascii_lowercase().as_str() {
            "phone" => Column::Phone,
            "first_name" => Column::FirstName,
            "last_name" => Column::LastName,
            "time_zone" => Column::TimeZone,
            "channel" => Column::Channel,
            "ignore" => Column::Ignore,
            other => match other.strip_prefix("custom:") {
                Some(name) if valid_field_name(name) => Column::Custom(name.to_owned()),
                _ => {
                    return Err(format!(
                        "“{s}” is not a lead field: use phone, first_name, last_name, time_zone, \
                         channel, ignore or custom:NAME (letters, digits, _)"
                    ));
                }
            },
        })
    }
}

fn valid_field_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 40
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// A column per header, in the file's order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Mapping {
    pub columns: Vec<Column>,
}

impl Mapping {
    /// Guesses from the header names: phone/mobile/number, first/last name, time zone,
    /// channel; every other column becomes a custom field named after its header.
    pub fn guess(headers: &[String]) -> Mapping {
        let mut columns = Vec::new();
        let mut taken = HashSet::new();
        for header in headers {
            let key: String = header
                .trim()
                .to_ascii_lowercase()
                .chars()
                .filter(|c| c.is_ascii_alphanumeric())
                .collect();
            let guess = match key.as_str() {
                "phone" | "mobile" | "phonenumber" | "mobilenumber" | "number" | "msisdn"
                | "cell" => Column::Phone,
                "firstname" | "first" | "givenname" => Column::FirstName,
                "lastname" | "last" | "surname" | "familyname" => Column::LastName,
                "timezone" | "tz" | "zone" => Column::TimeZone,
                "channel" | "channelpreference" | "preferredchannel" => Column::Channel,
                _ => custom_name(header).map_or(Column::Ignore, Column::Custom),
            };
            // A second column guessed as the same field is kept as a custom field instead.
            let guess = match &guess {
                Column::Custom(_) | Column::Ignore => guess,
                known if !taken.insert(format!("{known:?}")) => {
                    custom_name(header).map_or(Column::Ignore, Column::Custom)
                }
                _ => guess,
            };
            columns.push(guess);
        }
        Mapping { columns }
    }

    /// Changes the column headed `header` (case-insensitive) to `column`.
    pub fn set(&mut self, headers: &[String], header: &str, column: Column) -> Result<(), String> {
        let at = headers
            .iter()
            .position(|h| h.trim().eq_ignore_ascii_case(header.trim()))
            .ok_or_else(|| format!("the file has no column “{header}”"))?;
        self.columns[at] = column;
        Ok(())
    }

    /// Exactly one phone column, and no field twice.
    pub fn check(&self) -> Result<(), String> {
        let phones = self.columns.iter().filter(|c| **c == Column::Phone).count();
        if phones != 1 {
            return Err(format!("map exactly one column to phone (now {phones})"));
        }
        let mut seen = HashSet::new();
        for c in &self.columns {
            if *c != Column::Ignore && !seen.insert(c) {
                return Err(format!("two columns are mapped to {c:?}"));
            }
        }
        Ok(())
    }
}

/// A header as a custom field name: lower case, spaces and dashes as `_`, other characters
/// dropped; `None` when nothing is left.
fn custom_name(header: &str) -> Option<String> {
    let name: String = header
        .trim()
        .to_ascii_lowercase()
        .chars()
        .filter_map(|c| match c {
            'a'..='z' | '0'..='9' | '_' => Some(c),
            ' ' | '-' => Some('_'),
            _ => None,
        })
        .collect();
    valid_field_name(&name).then_some(name)
}

/// One row read and checked.
#[derive(Clone, Debug, PartialEq)]
pub struct LeadRow {
    /// The row's line in the file (the header is line 1).
    pub line: u64,
    pub phone: E164,
    pub first_name: String,
    pub last_name: String,
    /// A valid IANA zone, or empty.
    pub time_zone: String,
    pub channel: ChannelPreference,
    pub fields: Vec<(String, String)>,
}

/// A refused row, for the report.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RowError {
    pub line: u64,
    /// The phone cell as written.
    pub phone: String,
    pub reason: String,
}

impl RowError {
    /// The kind of refusal, for the campaign's counters: the reason up to its details.
    pub fn kind(&self) -> &'static str {
        const KINDS: [&str; 4] = [
            "bad phone",
            "unknown time zone",
            "unknown channel",
            "duplicate",
        ];
        KINDS
            .into_iter()
            .find(|k| self.reason.starts_with(k))
            .unwrap_or("other")
    }
}

/// Checks one row against the mapping; `seen` holds the numbers of the rows before it, so a
/// number's second row is refused as a duplicate.
pub fn read_row(
    line: u64,
    cells: &[&str],
    mapping: &Mapping,
    seen: &mut HashSet<E164>,
) -> Result<LeadRow, RowError> {
    let cell = |want: &Column| {
        mapping
            .columns
            .iter()
            .position(|c| c == want)
            .and_then(|i| cells.get(i))
            .map(|s| s.trim())
            .unwrap_or("")
    };
    let raw_phone = cell(&Column::Phone);
    let refuse = |reason: String| RowError {
        line,
        phone: raw_phone.to_owned(),
        reason,
    };
    let phone = E164::parse(raw_phone).map_err(|e| refuse(format!("bad phone: {e}")))?;
    let time_zone = parse_time_zone(cell(&Column::TimeZone))
        .map_err(|e| refuse(format!("unknown time zone: {e}")))?;
    let raw_channel = cell(&Column::Channel);
    let channel = match raw_channel {
        "" => ChannelPreference::Unknown,
        c => ChannelPreference::parse(&c.to_ascii_lowercase())
            .ok_or_else(|| refuse(format!("unknown channel “{c}” (sms, email, voice, none)")))?,
    };
    if !seen.insert(phone.clone()) {
        return Err(refuse(format!("duplicate: {phone} is on an earlier row")));
    }
    let fields = mapping
        .columns
        .iter()
        .zip(cells)
        .filter_map(|(c, v)| match c {
            Column::Custom(name) => Some((name.clone(), v.trim().to_owned())),
            _ => None,
        })
        .collect();
    Ok(LeadRow {
        line,
        phone,
        first_name: cell(&Column::FirstName).to_owned(),
        last_name: cell(&Column::LastName).to_owned(),
        time_zone,
        channel,
        fields,
    })
}

/// The refused rows as CSV (`line,phone,reason`), for download.
pub fn errors_csv(errors: &[RowError]) -> String {
    let mut out = String::from("line,phone,reason\r\n");
    for e in errors {
        out.push_str(&format!(
            "{},{},{}\r\n",
            e.line,
            csv_cell(&e.phone),
            csv_cell(&e.reason)
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(h: &[&str]) -> Vec<String> {
        h.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn headers_are_guessed_and_the_rest_kept_as_custom_fields() {
        let h = headers(&[
            "Mobile",
            "First Name",
            "last_name",
            "TZ",
            "Channel",
            "Plan Tier",
            "€",
        ]);
        let m = Mapping::guess(&h);
        assert_eq!(
            m.columns,
            vec![
                Column::Phone,
                Column::FirstName,
                Column::LastName,
                Column::TimeZone,
                Column::Channel,
                Column::Custom("plan_tier".into()),
                Column::Ignore,
            ]
        );
        assert!(m.check().is_ok());
        // Two phone-like columns: the second is kept as a custom field.
        let m = Mapping::guess(&headers(&["phone", "mobile"]));
        assert_eq!(m.columns[1], Column::Custom("mobile".into()));
        assert!(Mapping::guess(&headers(&["name"])).check().is_err());
    }

    #[test]
    fn a_mapping_can_be_given_by_hand() {
        let h = headers(&["Tel", "Who"]);
        let mut m = Mapping::guess(&h);
        assert!(m.check().is_err(), "no phone column guessed");
        m.set(&h, "tel", Column::Phone).unwrap();
        m.set(&h, "WHO", Column::parse("first_name").unwrap())
            .unwrap();
        assert!(m.check().is_ok());
        assert!(m.set(&h, "Email", Column::Phone).is_err());
        assert_eq!(
            Column::parse("custom:plan").unwrap(),
            Column::Custom("plan".into())
        );
        assert!(Column::parse("custom:bad name").is_err());
        assert!(Column::parse("postcode").is_err());
    }

    #[test]
    fn rows_are_checked_one_by_one() {
        let m = Mapping::guess(&headers(&[
            "phone",
            "first_name",
            "time_zone",
            "channel",
            "plan",
        ]));
        let mut seen = HashSet::new();
        let ok = read_row(
            2,
            &["(415) 555-0142", " Ana ", "Europe/Berlin", "SMS", "gold"],
            &m,
            &mut seen,
        )
        .unwrap();
        assert_eq!(ok.phone.as_str(), "+14155550142");
        assert_eq!(ok.first_name, "Ana");
        assert_eq!(ok.time_zone, "Europe/Berlin");
        assert_eq!(ok.channel, ChannelPreference::Sms);
        assert_eq!(ok.fields, vec![("plan".to_owned(), "gold".to_owned())]);
        let reason = |cells: &[&str], seen: &mut HashSet<E164>| {
            read_row(3, cells, &m, seen).unwrap_err().reason
        };
        assert!(reason(&["12", "", "", "", ""], &mut seen).starts_with("bad phone"));
        assert!(
            reason(&["+14155550143", "", "Mars/Base", "", ""], &mut seen)
                .starts_with("unknown time zone")
        );
        assert!(
            reason(&["+14155550144", "", "", "fax", ""], &mut seen).starts_with("unknown channel")
        );
        assert!(reason(&["+1 415 555 0142", "", "", "", ""], &mut seen).starts_with("duplicate"));
        // A short row reads the missing cells as empty.
        assert!(read_row(4, &["+14155550145"], &m, &mut seen).is_ok());
    }

    #[test]
    fn the_error_report_is_csv() {
        let report = errors_csv(&[
            RowError {
                line: 3,
                phone: "12".into(),
                reason: "bad phone: too short".into(),
            },
            RowError {
                line: 9,
                phone: "=cmd".into(),
                reason: "say \"no\", twice".into(),
            },
        ]);
        assert_eq!(
            report,
            "line,phone,reason\r\n3,12,bad phone: too short\r\n9,'=cmd,\"say \"\"no\"\", twice\"\r\n"
        );
    }
}
