//! The Contact tab (mini CRM): the workitem's customer, every field editable with
//! `contacts.edit`, read-only without it.

use askama::Template;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;

use super::consent::ConsentView;
use super::{TabError, fragment, workitem_for};
use crate::domain::{Contact, ContactForm, FieldErrors, Permission};
use crate::state::AppState;
use crate::store::{self, ContactRefused};
use crate::web::auth::AgentUser;
use crate::web::contacts::{ContactFields, mobile_taken, parse_form};

#[derive(Template)]
#[template(path = "tabs/contact.html")]
pub struct ContactTab {
    pub workitem: u64,
    pub csrf: String,
    pub fields: ContactFields,
    /// "Saved." after a successful save.
    pub notice: Option<String>,
    /// The contact's page in the company's CRM, when configured and the contact has an ID.
    pub crm_url: Option<String>,
    pub consent: ConsentView,
    /// The agent may start an outbound SMS (the icon next to the mobile number).
    pub may_send: bool,
}

async fn tab(
    state: &AppState,
    user: &AgentUser,
    workitem: u64,
    stored: &Contact,
    fields: ContactFields,
    notice: Option<String>,
) -> Result<ContactTab, TabError> {
    Ok(ContactTab {
        workitem,
        csrf: user.csrf().to_owned(),
        fields,
        notice,
        crm_url: state.config.crm.contact_url(&stored.customer_id),
        consent: ConsentView::load(state, user, stored).await?,
        may_send: user.may(Permission::OutboundSend),
    })
}

/// The tab as stored, with `notice` on top (after a consent change).
pub async fn render_tab(
    state: &AppState,
    user: &AgentUser,
    workitem: u64,
    contact: &Contact,
    notice: Option<String>,
) -> Result<ContactTab, TabError> {
    let fields = ContactFields::new(
        ContactForm::from_contact(contact),
        FieldErrors::default(),
        user.may(Permission::ContactsEdit),
    );
    tab(state, user, workitem, contact, fields, notice).await
}

#[tracing::instrument(skip_all)]
pub async fn contact_get(
    State(state): State<AppState>,
    user: AgentUser,
    Path(id): Path<String>,
) -> Result<Response, TabError> {
    let (w, contact) = workitem_for(&state, &user, &id).await?;
    let view = render_tab(&state, &user, w.id.0, &contact, None).await?;
    Ok(fragment(StatusCode::OK, &view))
}

/// Saves the contact: 200 with "Saved.", or 422 with every typed value kept and a message
/// next to each refused field.
#[tracing::instrument(skip_all)]
pub async fn contact_post(
    State(state): State<AppState>,
    user: AgentUser,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Response, TabError> {
    let (w, contact) = workitem_for(&state, &user, &id).await?;
    user.require(Permission::ContactsEdit)?;
    let form = parse_form(&body);
    let errors = match form.validate(state.clock.now().date_naive()) {
        Ok(update) => {
            let contact_id = contact.id;
            let saved = state
                .store
                .write(move |txn| store::update_contact(txn, contact_id, update))
                .await?;
            match saved {
                Ok(saved) => {
                    let fields = ContactFields::new(
                        ContactForm::from_contact(&saved),
                        FieldErrors::default(),
                        true,
                    );
                    let view =
                        tab(&state, &user, w.id.0, &saved, fields, Some("Saved.".into())).await?;
                    return Ok(fragment(StatusCode::OK, &view));
                }
                Err(ContactRefused::MobileTaken { other }) => {
                    let mut errors = FieldErrors::default();
                    mobile_taken(&mut errors, &other);
                    errors
                }
                Err(ContactRefused::NotFound) => {
                    return Err(TabError::new(
                        StatusCode::NOT_FOUND,
                        "This contact no longer exists.",
                    ));
                }
            }
        }
        Err(errors) => errors,
    };
    let view = tab(
        &state,
        &user,
        w.id.0,
        &contact,
        ContactFields::new(form, errors, true),
        None,
    )
    .await?;
    Ok(fragment(StatusCode::UNPROCESSABLE_ENTITY, &view))
}
