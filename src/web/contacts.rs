//! Contacts (mini CRM): the contacts page (`/contacts`: search, paging, add a contact) and
//! the contact form both it and the workspace's Contact tab show.

use askama::Template;
use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use super::auth::AgentUser;
use super::error::PageError;
use super::views::render;
use crate::domain::contact_form::{custom_key_field, custom_value_field};
use crate::domain::{ChannelPreference, Contact, ContactForm, FieldErrors, Permission};
use crate::state::AppState;
use crate::store::{self, ContactRefused};
use crate::web::nav::{self, Nav};

/// Contacts per page on `/contacts`.
pub const PAGE_SIZE: usize = 25;
/// Empty custom field rows offered below the filled ones.
const EMPTY_CUSTOM_ROWS: usize = 3;

/// One custom field row of the form, with its own messages.
pub struct CustomRow {
    pub index: usize,
    pub key: String,
    pub value: String,
    pub key_error: Option<String>,
    pub value_error: Option<String>,
}

/// The contact form as `contact_fields.html` draws it: what was typed (or stored), the
/// message for each refused field, and whether this user may change anything.
pub struct ContactFields {
    pub form: ContactForm,
    pub errors: FieldErrors,
    pub custom_rows: Vec<CustomRow>,
    pub channels: [ChannelPreference; 5],
    /// Without `contacts.edit` the fields are shown disabled and there is no Save button.
    pub editable: bool,
}

impl ContactFields {
    pub fn new(form: ContactForm, errors: FieldErrors, editable: bool) -> ContactFields {
        let custom_rows = form
            .custom_fields
            .iter()
            .cloned()
            .chain(std::iter::repeat_n(
                (String::new(), String::new()),
                if editable { EMPTY_CUSTOM_ROWS } else { 0 },
            ))
            .enumerate()
            .map(|(index, (key, value))| CustomRow {
                key_error: errors.get(&custom_key_field(index)).map(str::to_owned),
                value_error: errors.get(&custom_value_field(index)).map(str::to_owned),
                index,
                key,
                value,
            })
            .collect();
        ContactFields {
            form,
            errors,
            custom_rows,
            channels: ChannelPreference::ALL,
            editable,
        }
    }

    pub fn error(&self, field: &str) -> Option<&str> {
        self.errors.get(field)
    }

    /// A line above the form saying the save was refused and why.
    pub fn summary(&self) -> Option<String> {
        match self.errors.len() {
            0 => None,
            1 => Some("Not saved: please correct the field marked below.".into()),
            n => Some(format!(
                "Not saved: please correct the {n} fields marked below."
            )),
        }
    }
}

/// Reads a posted contact form (repeated `custom_key_N`/`custom_value_N` rows included).
pub fn parse_form(body: &[u8]) -> ContactForm {
    ContactForm::from_pairs(form_urlencoded::parse(body))
}

/// The message shown next to the mobile when another contact has the number.
pub fn mobile_taken(errors: &mut FieldErrors, other: &Contact) {
    errors.add(
        "mobile",
        format!(
            "{} already belongs to {} (contact #{}); each mobile number identifies one customer.",
            other.mobile,
            other.display_name(),
            other.id
        ),
    );
}

/// One contact in the list.
pub struct ContactRow {
    pub name: String,
    pub mobile: String,
    pub email: String,
    pub customer_id: String,
    pub place: String,
    pub crm_url: Option<String>,
    /// Opens the workspace's Outbound SMS dialog to this number.
    pub sms_url: String,
}

#[derive(Template)]
#[template(path = "contacts.html")]
pub struct ContactsView {
    pub nav: Nav,
    /// The user may send outbound SMS (the rows' SMS links).
    pub may_send: bool,
    pub q: String,
    pub page: usize,
    pub pages: usize,
    pub total: usize,
    pub rows: Vec<ContactRow>,
    pub prev_url: Option<String>,
    pub next_url: Option<String>,
    pub notice: Option<String>,
    /// The add-contact form (hidden without `contacts.edit`).
    pub fields: ContactFields,
    /// The add form starts open when it came back with errors.
    pub add_open: bool,
}

#[derive(Deserialize, Default)]
pub struct ListQuery {
    #[serde(default)]
    q: String,
    /// Lenient: anything that is not a page number means the first page.
    #[serde(default)]
    page: Option<String>,
    #[serde(default)]
    added: Option<String>,
}

fn list_url(q: &str, page: usize) -> String {
    let q: String = form_urlencoded::byte_serialize(q.as_bytes()).collect();
    format!("/contacts?q={q}&page={page}")
}

async fn page(
    state: &AppState,
    me: &AgentUser,
    q: String,
    requested: usize,
    fields: ContactFields,
    notice: Option<String>,
) -> Result<ContactsView, PageError> {
    let needle = q.clone();
    let offset = (requested - 1) * PAGE_SIZE;
    let (found, total) = state
        .store
        .read(move |txn| {
            let (found, total) = store::search_contacts(txn, &needle, offset, PAGE_SIZE)?;
            // Past the end (e.g. an old link): show the last page instead of nothing.
            if found.is_empty() && total > 0 {
                let last = (total - 1) / PAGE_SIZE * PAGE_SIZE;
                return store::search_contacts(txn, &needle, last, PAGE_SIZE);
            }
            Ok((found, total))
        })
        .await?;
    let pages = total.div_ceil(PAGE_SIZE).max(1);
    let page = requested.min(pages);
    let crm = &state.config.crm;
    let rows = found
        .into_iter()
        .map(|c| ContactRow {
            name: c.display_name(),
            mobile: c.mobile.to_string(),
            place: [c.city.as_str(), c.country.as_str()]
                .into_iter()
                .filter(|s| !s.is_empty())
                .collect::<Vec<_>>()
                .join(", "),
            crm_url: crm.contact_url(&c.customer_id),
            sms_url: format!(
                "/workspace?sms={}",
                form_urlencoded::byte_serialize(c.mobile.as_str().as_bytes()).collect::<String>()
            ),
            email: c.email,
            customer_id: c.customer_id,
        })
        .collect();
    let add_open = !fields.errors.is_empty();
    Ok(ContactsView {
        nav: Nav::new(me, nav::CONTACTS, "Contacts"),
        may_send: me.may(crate::domain::Permission::OutboundSend),
        prev_url: (page > 1).then(|| list_url(&q, page - 1)),
        next_url: (page < pages).then(|| list_url(&q, page + 1)),
        q,
        page,
        pages,
        total,
        rows,
        notice,
        fields,
        add_open,
    })
}

fn blank_form(editable: bool) -> ContactFields {
    ContactFields::new(
        ContactForm {
            channel_preference: ChannelPreference::Unknown.as_str().into(),
            ..ContactForm::default()
        },
        FieldErrors::default(),
        editable,
    )
}

/// `GET /contacts?q=&page=`: any logged-in user may look customers up.
#[tracing::instrument(skip_all)]
pub async fn contacts_get(
    State(state): State<AppState>,
    me: AgentUser,
    Query(query): Query<ListQuery>,
) -> Result<Response, PageError> {
    let requested = query
        .page
        .and_then(|p| p.trim().parse::<usize>().ok())
        .filter(|p| *p >= 1)
        .unwrap_or(1);
    let notice = query.added.map(|_| "Contact added.".to_owned());
    let fields = blank_form(me.may(Permission::ContactsEdit));
    let view = page(&state, &me, query.q, requested, fields, notice).await?;
    Ok(render(&view))
}

/// `POST /contacts`: adds a contact (needs `contacts.edit`); on refusal the page comes back
/// with the typed values and a message next to each bad field.
#[tracing::instrument(skip_all)]
pub async fn contacts_post(
    State(state): State<AppState>,
    me: AgentUser,
    body: Bytes,
) -> Result<Response, PageError> {
    me.require(Permission::ContactsEdit)
        .map_err(|e| PageError {
            status: e.status,
            message: e.message,
        })?;
    let form = parse_form(&body);
    let today = state.clock.now().date_naive();
    let errors = match form.validate(today) {
        Ok(update) => {
            let now = state.clock.now();
            let saved = state
                .store
                .write(move |txn| store::create_contact(txn, update, now))
                .await?;
            match saved {
                Ok(contact) => {
                    let q: String =
                        form_urlencoded::byte_serialize(contact.mobile.as_str().as_bytes())
                            .collect();
                    return Ok(Redirect::to(&format!("/contacts?q={q}&added=1")).into_response());
                }
                Err(ContactRefused::MobileTaken { other }) => {
                    let mut errors = FieldErrors::default();
                    mobile_taken(&mut errors, &other);
                    errors
                }
                Err(ContactRefused::NotFound) => {
                    return Err(PageError::internal("a new contact cannot be missing"));
                }
            }
        }
        Err(errors) => errors,
    };
    let fields = ContactFields::new(form, errors, true);
    let view = page(&state, &me, String::new(), 1, fields, None).await?;
    Ok((StatusCode::UNPROCESSABLE_ENTITY, render(&view)).into_response())
}
