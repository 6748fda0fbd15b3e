//! One CSV row per workitem, message, agent state or survey answer, with names filled in.
//! Every cell goes through `csv_cell` (quoted, formulas defused); times are in the site's
//! time zone with their offset.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use chrono_tz::Tz;

use crate::domain::{
    Answer, CampaignId, Direction, Message, PresenceChange, QueueId, Survey, SurveyId,
    SurveyResponse, User, UserId, Workitem, csv_cell, direction_of,
};

pub const WORKITEMS_HEADER: &str = "id,created_at,direction,queue,campaign,customer,contact,agent,state,accepted_at,first_reply_at,terminated_at,handle_secs,wrap_up\r\n";
pub const MESSAGES_HEADER: &str =
    "id,workitem,at,direction,customer,our_number,queue,campaign,agent,status,segments,body\r\n";
pub const AGENTS_HEADER: &str = "agent,name,state,reason,busy,from,to,secs\r\n";
pub const SURVEYS_HEADER: &str =
    "workitem,created_at,queue,campaign,customer,agent,survey,question,answer,answered_at\r\n";

/// The names rows show instead of ids, read once per export.
pub struct Names {
    pub zone: Tz,
    pub users: HashMap<UserId, User>,
    pub queues: HashMap<QueueId, String>,
    pub campaigns: HashMap<CampaignId, String>,
    pub surveys: HashMap<SurveyId, Survey>,
}

impl Names {
    fn time(&self, at: DateTime<Utc>) -> String {
        at.with_timezone(&self.zone).to_rfc3339()
    }

    fn maybe_time(&self, at: Option<DateTime<Utc>>) -> String {
        at.map(|t| self.time(t)).unwrap_or_default()
    }

    fn user(&self, id: Option<UserId>) -> String {
        id.map(|u| {
            self.users
                .get(&u)
                .map(|u| u.username.clone())
                .unwrap_or_else(|| format!("user {u}"))
        })
        .unwrap_or_default()
    }

    fn queue(&self, id: QueueId) -> String {
        self.queues.get(&id).cloned().unwrap_or_default()
    }

    fn campaign(&self, id: Option<CampaignId>) -> String {
        id.and_then(|c| self.campaigns.get(&c).cloned())
            .unwrap_or_default()
    }
}

fn line(cells: &[String]) -> String {
    let mut line = cells
        .iter()
        .map(|c| csv_cell(c))
        .collect::<Vec<_>>()
        .join(",");
    line.push_str("\r\n");
    line
}

fn direction(d: Direction) -> String {
    match d {
        Direction::In => "in".into(),
        Direction::Out => "out".into(),
    }
}

pub fn workitem_row(w: &Workitem, contact: &str, n: &Names) -> String {
    let handle = match (w.accepted_at, w.terminated_at) {
        (Some(a), Some(t)) => (t - a).num_seconds().to_string(),
        _ => String::new(),
    };
    let state = serde_json::to_value(w.state)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default();
    line(&[
        w.id.to_string(),
        n.time(w.created_at),
        direction(direction_of(w)),
        n.queue(w.queue),
        n.campaign(w.campaign),
        w.customer.to_string(),
        contact.to_owned(),
        n.user(w.agent),
        state,
        n.maybe_time(w.accepted_at),
        n.maybe_time(w.first_reply_at),
        n.maybe_time(w.terminated_at),
        handle,
        w.wrap_up.clone().unwrap_or_default(),
    ])
}

pub fn message_row(m: &Message, w: &Workitem, n: &Names) -> String {
    let status = serde_json::to_value(m.status)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default();
    line(&[
        m.id.to_string(),
        m.workitem.to_string(),
        n.time(m.at),
        direction(m.direction),
        w.customer.to_string(),
        w.our_number.to_string(),
        n.queue(w.queue),
        n.campaign(w.campaign),
        n.user(m.agent),
        status,
        m.segments.to_string(),
        m.body.clone(),
    ])
}

/// One row per stretch the agent spent in one state within `[from, to)`, from their
/// recorded changes (`log`: the last change before `from` first, if any); `busy` says they
/// held at least one active workitem. Before any record an agent counts as Offline and idle,
/// as everyone is until they say otherwise.
pub fn agent_rows(
    agent: &User,
    log: &[PresenceChange],
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> String {
    let mut out = String::new();
    let mut emit = |state: &PresenceChange, start: DateTime<Utc>, end: DateTime<Utc>| {
        let start = start.max(from);
        if end > start {
            out.push_str(&line(&[
                agent.username.clone(),
                agent.display_name.clone(),
                format!("{:?}", state.presence).to_lowercase(),
                state.reason.clone().unwrap_or_default(),
                if state.busy { "yes" } else { "no" }.into(),
                start.to_rfc3339(),
                end.to_rfc3339(),
                (end - start).num_seconds().to_string(),
            ]));
        }
    };
    let mut state = PresenceChange {
        agent: agent.id,
        at: from,
        presence: crate::domain::Presence::Offline,
        reason: None,
        busy: false,
    };
    for change in log {
        if change.at > from {
            emit(&state, state.at, change.at.min(to));
        }
        state = change.clone();
    }
    emit(&state, state.at, to);
    out
}

pub fn survey_rows(w: &Workitem, r: &SurveyResponse, n: &Names) -> String {
    let survey = n.surveys.get(&r.survey);
    let mut out = String::new();
    for (question, answer) in &r.answers {
        let text = survey
            .and_then(|s| s.questions.iter().find(|q| q.id == *question))
            .map(|q| q.text.clone())
            .unwrap_or_else(|| format!("question {question}"));
        out.push_str(&line(&[
            w.id.to_string(),
            n.time(w.created_at),
            n.queue(w.queue),
            n.campaign(w.campaign),
            w.customer.to_string(),
            n.user(w.agent),
            survey.map(|s| s.name.clone()).unwrap_or_default(),
            text,
            answer_text(answer),
            n.time(r.updated_at),
        ]));
    }
    out
}

fn answer_text(a: &Answer) -> String {
    match a {
        Answer::Text(t) | Answer::Choice(t) => t.clone(),
        Answer::Choices(all) => all.join("; "),
        Answer::YesNo(true) => "yes".into(),
        Answer::YesNo(false) => "no".into(),
        Answer::Rating(r) => r.to_string(),
    }
}
