//! The contact form (mini CRM): the text an agent typed, checked field by field into a
//! [`ContactUpdate`], or a message per bad field so the form can show each one next to its
//! input and keep everything that was typed.

mod fields;

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, Utc};

use super::{ChannelPreference, Contact, ContactId, E164};
pub use fields::{
    check_email, parse_birth_date, parse_case_numbers, parse_other_phones, parse_time_zone,
};
use fields::{parse_degrees, single_line, too_long};

/// Longest single-line text field (names, address lines, customer ID), in characters.
pub const MAX_TEXT: usize = 200;
/// Longest email address (RFC 5321's path limit).
pub const MAX_EMAIL: usize = 254;
pub const MAX_CASE_NUMBER: usize = 100;
pub const MAX_CASE_NUMBERS: usize = 100;
pub const MAX_OTHER_PHONES: usize = 10;
pub const MAX_CUSTOM_KEY: usize = 100;
pub const MAX_CUSTOM_VALUE: usize = 1000;
pub const MAX_CUSTOM_FIELDS: usize = 50;
/// Birth dates before this year are typing mistakes, not customers.
pub const EARLIEST_BIRTH_YEAR: i32 = 1900;

/// Form field names of a custom field row (`custom_key_0`, `custom_value_0`, …).
pub fn custom_key_field(row: usize) -> String {
    format!("custom_key_{row}")
}

pub fn custom_value_field(row: usize) -> String {
    format!("custom_value_{row}")
}

/// What the agent typed, exactly (field names match the HTML form's).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ContactForm {
    pub first_name: String,
    pub last_name: String,
    pub street: String,
    pub city: String,
    pub region: String,
    pub postal_code: String,
    pub country: String,
    pub email: String,
    pub time_zone: String,
    pub latitude: String,
    pub longitude: String,
    pub date_of_birth: String,
    pub customer_id: String,
    /// One per line or comma separated.
    pub case_numbers: String,
    pub mobile: String,
    /// One per line or comma separated.
    pub other_phones: String,
    pub channel_preference: String,
    /// Rows with a key or a value, in form order (blank rows are dropped when parsed).
    pub custom_fields: Vec<(String, String)>,
}

/// A message per form field that was refused, keyed by the field's form name.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct FieldErrors(BTreeMap<String, String>);

impl FieldErrors {
    /// Records a message for `field`; the first message for a field wins.
    pub fn add(&mut self, field: impl Into<String>, message: impl Into<String>) {
        self.0.entry(field.into()).or_insert_with(|| message.into());
    }

    pub fn get(&self, field: &str) -> Option<&str> {
        self.0.get(field).map(String::as_str)
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.0.iter().map(|(k, v)| (k.as_str(), v.as_str()))
    }
}

/// A checked contact: every field of [`Contact`] the agent may change.
#[derive(Clone, Debug, PartialEq)]
pub struct ContactUpdate {
    pub mobile: E164,
    pub first_name: String,
    pub last_name: String,
    pub street: String,
    pub city: String,
    pub region: String,
    pub postal_code: String,
    pub country: String,
    pub email: String,
    pub time_zone: String,
    pub latitude: Option<f64>,
    pub longitude: Option<f64>,
    pub date_of_birth: Option<NaiveDate>,
    pub customer_id: String,
    pub case_numbers: Vec<String>,
    pub other_phones: Vec<E164>,
    pub channel_preference: ChannelPreference,
    pub custom_fields: Vec<(String, String)>,
}

impl ContactUpdate {
    /// Writes every field into `contact` (its id and creation time stay).
    pub fn apply(self, contact: &mut Contact) {
        contact.mobile = self.mobile;
        contact.first_name = self.first_name;
        contact.last_name = self.last_name;
        contact.street = self.street;
        contact.city = self.city;
        contact.region = self.region;
        contact.postal_code = self.postal_code;
        contact.country = self.country;
        contact.email = self.email;
        contact.time_zone = self.time_zone;
        contact.latitude = self.latitude;
        contact.longitude = self.longitude;
        contact.date_of_birth = self.date_of_birth;
        contact.customer_id = self.customer_id;
        contact.case_numbers = self.case_numbers;
        contact.other_phones = self.other_phones;
        contact.channel_preference = self.channel_preference;
        contact.custom_fields = self.custom_fields;
    }

    /// A new contact holding these fields.
    pub fn into_contact(self, id: ContactId, created_at: DateTime<Utc>) -> Contact {
        let mut contact = Contact::new(id, self.mobile.clone(), created_at);
        self.apply(&mut contact);
        contact
    }
}

impl ContactForm {
    /// Reads the posted form fields. Custom field rows come as `custom_key_N`/`custom_value_N`
    /// pairs; rows are kept in N order and rows left blank are dropped.
    pub fn from_pairs<K, V>(pairs: impl IntoIterator<Item = (K, V)>) -> ContactForm
    where
        K: AsRef<str>,
        V: Into<String>,
    {
        let mut form = ContactForm::default();
        let mut rows: BTreeMap<usize, (String, String)> = BTreeMap::new();
        for (key, value) in pairs {
            let value = value.into();
            let key = key.as_ref();
            if let Some(row) = key.strip_prefix("custom_key_").and_then(|n| n.parse().ok()) {
                rows.entry(row).or_default().0 = value;
                continue;
            }
            if let Some(row) = key
                .strip_prefix("custom_value_")
                .and_then(|n| n.parse().ok())
            {
                rows.entry(row).or_default().1 = value;
                continue;
            }
            let slot = match key {
                "first_name" => &mut form.first_name,
                "last_name" => &mut form.last_name,
                "street" => &mut form.street,
                "city" => &mut form.city,
                "region" => &mut form.region,
                "postal_code" => &mut form.postal_code,
                "country" => &mut form.country,
                "email" => &mut form.email,
                "time_zone" => &mut form.time_zone,
                "latitude" => &mut form.latitude,
                "longitude" => &mut form.longitude,
                "date_of_birth" => &mut form.date_of_birth,
                "customer_id" => &mut form.customer_id,
                "case_numbers" => &mut form.case_numbers,
                "mobile" => &mut form.mobile,
                "other_phones" => &mut form.other_phones,
                "channel_preference" => &mut form.channel_preference,
                _ => continue,
            };
            *slot = value;
        }
        form.custom_fields = rows
            .into_values()
            .filter(|(k, v)| !(k.trim().is_empty() && v.trim().is_empty()))
            .collect();
        form
    }

    /// The form as it shows a stored contact.
    pub fn from_contact(c: &Contact) -> ContactForm {
        let join = |items: Vec<String>| items.join("\n");
        ContactForm {
            first_name: c.first_name.clone(),
            last_name: c.last_name.clone(),
            street: c.street.clone(),
            city: c.city.clone(),
            region: c.region.clone(),
            postal_code: c.postal_code.clone(),
            country: c.country.clone(),
            email: c.email.clone(),
            time_zone: c.time_zone.clone(),
            latitude: c.latitude.map(|v| v.to_string()).unwrap_or_default(),
            longitude: c.longitude.map(|v| v.to_string()).unwrap_or_default(),
            date_of_birth: c
                .date_of_birth
                .map(|d| d.format("%Y-%m-%d").to_string())
                .unwrap_or_default(),
            customer_id: c.customer_id.clone(),
            case_numbers: join(c.case_numbers.clone()),
            mobile: c.mobile.to_string(),
            other_phones: join(c.other_phones.iter().map(E164::to_string).collect()),
            channel_preference: c.channel_preference.as_str().to_owned(),
            custom_fields: c.custom_fields.clone(),
        }
    }

    /// Checks every field; `today` is the server's date (birth dates may not be later).
    pub fn validate(&self, today: NaiveDate) -> Result<ContactUpdate, FieldErrors> {
        let mut errors = FieldErrors::default();
        let mut line =
            |field: &str, raw: &str, max: usize| single_line(&mut errors, field, raw, max);
        let first_name = line("first_name", &self.first_name, MAX_TEXT);
        let last_name = line("last_name", &self.last_name, MAX_TEXT);
        let street = line("street", &self.street, MAX_TEXT);
        let city = line("city", &self.city, MAX_TEXT);
        let region = line("region", &self.region, MAX_TEXT);
        let postal_code = line("postal_code", &self.postal_code, MAX_TEXT);
        let country = line("country", &self.country, MAX_TEXT);
        let customer_id = line("customer_id", &self.customer_id, MAX_TEXT);
        let email = line("email", &self.email, MAX_EMAIL);
        if let Err(e) = check_email(&email) {
            errors.add("email", e);
        }
        let time_zone = match parse_time_zone(&self.time_zone) {
            Ok(z) => z,
            Err(e) => {
                errors.add("time_zone", e);
                String::new()
            }
        };
        let (latitude, longitude) = self.coordinates(&mut errors);
        let date_of_birth = match parse_birth_date(&self.date_of_birth, today) {
            Ok(d) => d,
            Err(e) => {
                errors.add("date_of_birth", e);
                None
            }
        };
        let case_numbers = match parse_case_numbers(&self.case_numbers) {
            Ok(c) => c,
            Err(e) => {
                errors.add("case_numbers", e);
                Vec::new()
            }
        };
        let mobile = match E164::parse(&self.mobile) {
            Ok(m) => Some(m),
            Err(e) => {
                errors.add("mobile", e.to_string());
                None
            }
        };
        let other_phones = match parse_other_phones(&self.other_phones, mobile.as_ref()) {
            Ok(p) => p,
            Err(e) => {
                errors.add("other_phones", e);
                Vec::new()
            }
        };
        let channel_preference = if self.channel_preference.trim().is_empty() {
            ChannelPreference::Unknown
        } else {
            ChannelPreference::parse(&self.channel_preference).unwrap_or_else(|| {
                errors.add(
                    "channel_preference",
                    "Choose SMS, email, voice, no contact or not known.",
                );
                ChannelPreference::Unknown
            })
        };
        let custom_fields = self.custom(&mut errors);
        match mobile {
            Some(mobile) if errors.is_empty() => Ok(ContactUpdate {
                mobile,
                first_name,
                last_name,
                street,
                city,
                region,
                postal_code,
                country,
                email,
                time_zone,
                latitude,
                longitude,
                date_of_birth,
                customer_id,
                case_numbers,
                other_phones,
                channel_preference,
                custom_fields,
            }),
            _ => Err(errors),
        }
    }

    /// Latitude and longitude: both or neither, each in its range.
    fn coordinates(&self, errors: &mut FieldErrors) -> (Option<f64>, Option<f64>) {
        let lat = parse_degrees(&self.latitude, 90.0, "Latitude")
            .map_err(|e| errors.add("latitude", e))
            .ok()
            .flatten();
        let lon = parse_degrees(&self.longitude, 180.0, "Longitude")
            .map_err(|e| errors.add("longitude", e))
            .ok()
            .flatten();
        let typed = |s: &str| !s.trim().is_empty();
        match (typed(&self.latitude), typed(&self.longitude)) {
            (true, false) => errors.add(
                "longitude",
                "Enter a longitude too (or clear the latitude): a position needs both.",
            ),
            (false, true) => errors.add(
                "latitude",
                "Enter a latitude too (or clear the longitude): a position needs both.",
            ),
            _ => {}
        }
        (lat, lon)
    }

    /// Custom fields: empty rows are skipped, keys are unique (ignoring case).
    fn custom(&self, errors: &mut FieldErrors) -> Vec<(String, String)> {
        let mut out: Vec<(String, String)> = Vec::new();
        for (row, (key, value)) in self.custom_fields.iter().enumerate() {
            let key_field = custom_key_field(row);
            let key = single_line(errors, &key_field, key, MAX_CUSTOM_KEY);
            let value_trimmed = value.trim();
            if value_trimmed.chars().count() > MAX_CUSTOM_VALUE {
                errors.add(
                    custom_value_field(row),
                    too_long(MAX_CUSTOM_VALUE, value_trimmed),
                );
            }
            if key.is_empty() {
                if !value_trimmed.is_empty() {
                    // Dropping the value silently would lose what was typed.
                    errors.add(key_field, "Give this value a name, or clear the value.");
                }
                continue;
            }
            if out
                .iter()
                .any(|(k, _)| k.to_lowercase() == key.to_lowercase())
            {
                errors.add(
                    key_field,
                    format!("\"{key}\" is already used above; keys must be unique."),
                );
                continue;
            }
            out.push((key, value_trimmed.to_owned()));
        }
        if out.len() > MAX_CUSTOM_FIELDS {
            errors.add(
                custom_key_field(MAX_CUSTOM_FIELDS),
                format!("At most {MAX_CUSTOM_FIELDS} custom fields."),
            );
        }
        out
    }
}

#[cfg(test)]
mod tests;
