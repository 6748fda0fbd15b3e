//! First run: the admin account, and with `--demo` a ready-to-try contact center.

mod demo_history;
mod demo_month;
mod demo_predictive;

pub use demo_predictive::DEMO_PREDICTIVE_NUMBER;

use chrono::Utc;
use redb::ReadableTable;

use crate::domain::{
    AgentSettings, Audience, AwayReasons, Campaign, CampaignId, CampaignKind, E164, Question,
    QuestionKind, QueueId, Role, Survey, User, WrapUp,
};
use crate::store::{self, NewCampaign, NewUser, Store, StoreError};

/// Our number in the demo; 555-01xx numbers are reserved for fiction, so nobody real is texted.
pub const DEMO_NUMBER: &str = "+14155550100";
/// The number the demo's outbound campaign sends from.
pub const DEMO_OUTBOUND_NUMBER: &str = "+14155550101";
/// The customer phone the simulator page starts with.
pub const DEMO_CUSTOMER: &str = "+14155550123";

#[derive(Debug, thiserror::Error)]
pub enum BootstrapError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("{0}")]
    Invalid(String),
}

/// A login created at first run, with its one-time password.
pub struct Credential {
    pub username: String,
    pub password: String,
    pub role: Role,
}

/// Hashes with argon2id and stores a new user.
pub async fn add_user(
    store: &Store,
    username: &str,
    display_name: &str,
    role: Role,
    password: &str,
) -> Result<User, BootstrapError> {
    let username = crate::domain::validate_username(username).map_err(BootstrapError::Invalid)?;
    crate::domain::validate_password(password).map_err(BootstrapError::Invalid)?;
    let hash = crate::passwords::hash_password(password.to_owned())
        .await
        .map_err(BootstrapError::Invalid)?;
    let display = if display_name.trim().is_empty() {
        username.clone()
    } else {
        display_name.trim().to_owned()
    };
    let now = Utc::now();
    let name = username.clone();
    match store
        .write(move |txn| store::insert_user(txn, &name, &display, role, hash, now))
        .await?
    {
        NewUser::Created(user) => Ok(user),
        NewUser::NameTaken => Err(BootstrapError::Invalid(format!(
            "user name \"{username}\" is taken"
        ))),
    }
}

/// Sets the password of `username` and ends their sessions, in one transaction (the command
/// line's `user passwd`, which runs with the server stopped).
pub async fn set_password(
    store: &Store,
    username: &str,
    password: &str,
) -> Result<User, BootstrapError> {
    crate::domain::validate_password(password).map_err(BootstrapError::Invalid)?;
    let hash = crate::passwords::hash_password(password.to_owned())
        .await
        .map_err(BootstrapError::Invalid)?;
    let name = username.trim().to_ascii_lowercase();
    let user = store
        .write(move |txn| {
            let Some(id) = store::user_id_by_name(txn, &name)? else {
                return Ok(None);
            };
            store::delete_sessions_of(txn, id)?;
            match store::change_user(txn, id, |u| u.password_hash = hash)? {
                store::UserChange::Changed { after, .. } => Ok(Some(after)),
                _ => Ok(None),
            }
        })
        .await?;
    user.ok_or_else(|| BootstrapError::Invalid(format!("there is no user \"{username}\"")))
}

/// Records an act done with the command line (which runs on the server's machine, with the
/// server stopped) in the audit log.
pub async fn audit_command_line(
    store: &Store,
    kind: crate::domain::AuditKind,
    target: &str,
    detail: &str,
) -> Result<(), StoreError> {
    let entry = crate::domain::AuditEntry {
        at: Utc::now(),
        actor: None,
        actor_name: "(command line)".into(),
        client: "local".into(),
        kind,
        target: target.to_owned(),
        detail: detail.to_owned(),
    };
    store
        .write(move |txn| store::append_audit(txn, &entry).map(|_| ()))
        .await
}

/// On an empty store: an admin (and with `demo` two agents, a queue, an inbound campaign on
/// the simulator number, a few named contacts and their past conversations). Returns the
/// logins to print once.
pub async fn first_run(store: &Store, demo: bool) -> Result<Vec<Credential>, BootstrapError> {
    if store.read(store::count_users).await? > 0 {
        return Ok(Vec::new());
    }
    let mut logins = Vec::new();
    let password = crate::passwords::random_password();
    add_user(store, "admin", "Administrator", Role::Admin, &password).await?;
    logins.push(Credential {
        username: "admin".into(),
        password,
        role: Role::Admin,
    });
    let queue = ensure_default_queue(store).await?;
    if !demo {
        return Ok(logins);
    }
    demo_choices(store, queue).await?;
    let mut agents = Vec::new();
    for (username, name) in [("alice", "Alice Martin"), ("bob", "Bob Chen")] {
        let password = crate::passwords::random_password();
        let user = add_user(store, username, name, Role::Agent, &password).await?;
        agents.push((user.id, user.display_name.clone()));
        let settings = AgentSettings {
            queues: vec![queue],
            capacity: None,
            ..Default::default()
        };
        store
            .write(move |txn| store::put_agent_settings(txn, user.id, &settings))
            .await?;
        logins.push(Credential {
            username: username.into(),
            password,
            role: Role::Agent,
        });
    }
    // A supervisor, for the wallboard and search.
    let password = crate::passwords::random_password();
    add_user(store, "sam", "Sam Rivera", Role::Supervisor, &password).await?;
    logins.push(Credential {
        username: "sam".into(),
        password,
        role: Role::Supervisor,
    });
    let number = E164::parse(DEMO_NUMBER).map_err(|e| BootstrapError::Invalid(e.to_string()))?;
    let campaign_number = number.clone();
    let created = store
        .write(move |txn| {
            store::insert_campaign(
                txn,
                "Support line",
                CampaignKind::Inbound,
                queue,
                vec![campaign_number],
            )
        })
        .await?;
    let campaign = match created {
        NewCampaign::Created(c) => c.id,
        NewCampaign::NumberTaken(n) => {
            return Err(BootstrapError::Invalid(format!(
                "{n} already belongs to a campaign"
            )));
        }
    };
    store.write(move |txn| demo_tools(txn, campaign)).await?;
    let follow_ups = outbound_campaign(store, queue).await?;
    for (id, _) in &agents {
        let id = *id;
        store
            .write(move |txn| {
                store::update_user_prefs(txn, id, |p| p.default_sms_campaign = Some(follow_ups))
            })
            .await?;
    }
    let contacts = [
        (DEMO_CUSTOMER, "Dana", "Whitfield"),
        ("+14155550142", "Marco", "Rossi"),
        ("+14155550177", "Priya", "Natarajan"),
    ];
    let now = Utc::now();
    store
        .write(move |txn| {
            for (phone, first, last) in contacts {
                if let Ok(phone) = E164::parse(phone) {
                    let c = store::find_or_create_contact(txn, &phone, now)?;
                    store::set_contact_name(txn, c.id, first, last)?;
                }
            }
            Ok(())
        })
        .await?;
    demo_history::seed(store, number, queue, follow_ups, agents, now).await?;
    demo_predictive::seed(store, queue, campaign, now).await?;
    Ok(logins)
}

/// The demo's outbound campaign: agents text customers from it (their default SMS campaign);
/// customers' answers come back to the agent, later ones through the support queue. No
/// sending hours, so the demo works at any time of day.
async fn outbound_campaign(store: &Store, queue: QueueId) -> Result<CampaignId, BootstrapError> {
    let number =
        E164::parse(DEMO_OUTBOUND_NUMBER).map_err(|e| BootstrapError::Invalid(e.to_string()))?;
    let created = store
        .write(move |txn| {
            let mut c = Campaign::new(CampaignId(0), "Follow-ups", CampaignKind::Outbound, queue);
            c.numbers = vec![number];
            c.quiet_hours = None;
            c.help_text =
                "Parley demo follow-ups: reply to reach your agent, STOP to opt out.".into();
            store::save_campaign(txn, c)
        })
        .await?;
    let id = match created {
        NewCampaign::Created(c) => c.id,
        NewCampaign::NumberTaken(n) => {
            return Err(BootstrapError::Invalid(format!(
                "{n} already belongs to a campaign"
            )));
        }
    };
    store.write(move |txn| follow_up_templates(txn, id)).await?;
    Ok(id)
}

/// Two templates for the outbound campaign, so an agent can start a conversation from one.
fn follow_up_templates(
    txn: &redb::WriteTransaction,
    campaign: CampaignId,
) -> Result<(), StoreError> {
    let templates = [
        (
            "Check-in",
            "Hi {first_name}, this is {agent_name} from {campaign}. Is everything all right \
             with your order? Just reply to this message.",
        ),
        (
            "Delivery update",
            "Hi {first_name}, good news: your order is on its way. Reply here if you have any \
             questions. {agent_name}",
        ),
    ];
    put_templates(txn, campaign, &templates)?;
    Ok(())
}

/// Response templates for everyone, on `campaign`: (name, text) pairs.
fn put_templates(
    txn: &redb::WriteTransaction,
    campaign: CampaignId,
    templates: &[(&str, &str)],
) -> Result<(), StoreError> {
    for (name, body) in templates {
        store::put_response_template(
            txn,
            None,
            store::ResponseTemplateFields {
                name: (*name).into(),
                body: (*body).into(),
                campaigns: vec![campaign],
                audience: Audience::Everyone,
            },
        )?;
    }
    Ok(())
}

/// Response templates and a survey on the demo campaign, so every workspace tool has content.
fn demo_tools(txn: &redb::WriteTransaction, campaign: CampaignId) -> Result<(), StoreError> {
    let templates = [
        (
            "Greeting",
            "Hi {first_name}, this is {agent_name} from {campaign}. How can I help you today?",
        ),
        (
            "Order lookup",
            "Thanks {first_name}! Could you send me your order number so I can check it?",
        ),
        (
            "Closing",
            "Glad I could help. If anything else comes up, just text us here. Have a good day!",
        ),
    ];
    put_templates(txn, campaign, &templates)?;
    let question = |id, text: &str, kind, required| Question {
        id,
        text: text.into(),
        kind,
        required,
    };
    let survey = Survey {
        id: store::next_survey_id(txn)?,
        name: "After the conversation".into(),
        questions: vec![
            question(
                1,
                "Reason for contact",
                QuestionKind::SingleChoice {
                    options: vec!["Order".into(), "Billing".into(), "Other".into()],
                },
                true,
            ),
            question(
                2,
                "Resolved in this conversation?",
                QuestionKind::YesNo,
                true,
            ),
            question(
                3,
                "Customer mood (1 = upset, 5 = happy)",
                QuestionKind::Rating,
                false,
            ),
            question(4, "Follow-up needed", QuestionKind::LongText, false),
        ],
        next_question_id: 5,
    };
    store::put_survey(txn, &survey)?;
    store::set_campaign_survey(txn, campaign, Some(survey.id))?;
    Ok(())
}

/// The demo queue's wrap-up codes (required, so Terminate asks for one) and the away reasons
/// agents pick from (with Other).
async fn demo_choices(store: &Store, queue: QueueId) -> Result<(), BootstrapError> {
    let labels = |l: &[&str]| l.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>();
    let wrap_up = WrapUp {
        codes: labels(&["Resolved", "Follow-up needed", "Sale", "No answer"]),
        required: true,
    };
    let away = AwayReasons {
        reasons: labels(&["Break", "Lunch", "Training", "Meeting"]),
        allow_other: true,
    };
    let q = store.read(move |txn| store::queue(txn, queue)).await?;
    store
        .write(move |txn| {
            if let Some(q) = q {
                let (priority, timeout, sla) = (q.priority, q.offer_timeout_secs, q.sla_secs);
                store::save_queue(txn, Some(q.id), &q.name, priority, timeout, sla, wrap_up)?;
            }
            store::put_away_reasons(txn, &away)
        })
        .await?;
    Ok(())
}

/// Every data dir has at least one queue, so messages to unassigned numbers still route.
pub async fn ensure_default_queue(store: &Store) -> Result<QueueId, StoreError> {
    store
        .write(|txn| {
            let existing = txn
                .open_table(store::QUEUES)?
                .first()?
                .map(|(k, _)| k.value());
            match existing {
                Some(id) => Ok(QueueId(id)),
                None => store::insert_queue(txn, "Support", 0, 20).map(|q| q.id),
            }
        })
        .await
}
