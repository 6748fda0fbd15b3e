//! The live hub: fans pushes out to every open stream of an agent (their workspace tabs) and
//! of a simulated customer phone. Transport-agnostic; `web::sse` turns streams into SSE.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use chrono::{DateTime, Utc};
use serde::Serialize;
use tokio::sync::{mpsc, watch};

use crate::acd::{AgentView, WithdrawReason};
use crate::domain::{
    Aside, Consent, DeliveryStatus, E164, Message, MessageId, QueueId, UserId, Workitem,
    WorkitemId, WorkitemState,
};

/// Pushes buffered per stream; a client this far behind is dropped and resyncs on reconnect.
const STREAM_BUFFER: usize = 256;

/// What an agent's workspace needs to show a workitem in an offer or the list.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct WorkitemCard {
    pub id: WorkitemId,
    pub customer: E164,
    /// The contact's name, or the number when none is known.
    pub customer_name: String,
    pub preview: String,
    pub queue: QueueId,
    pub queue_name: String,
    pub created_at: DateTime<Utc>,
    pub state: WorkitemState,
    /// How it came to this agent when it was transferred ("Transferred by Alice to Bob (note)").
    #[serde(skip_serializing_if = "Option::is_none")]
    pub handover: Option<String>,
}

impl WorkitemCard {
    pub fn new(w: &Workitem, customer_name: String, queue_name: String) -> WorkitemCard {
        WorkitemCard {
            id: w.id,
            customer: w.customer.clone(),
            customer_name,
            preview: w.preview.clone(),
            queue: w.queue,
            queue_name,
            created_at: w.created_at,
            state: w.state,
            handover: None,
        }
    }
}

/// Something an agent's workspace must learn at once.
#[derive(Clone, Debug, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum AgentPush {
    /// Everything the workspace shows, sent first on every (re)connect.
    Sync {
        view: AgentView,
        offers: Vec<OfferCard>,
        active: Vec<WorkitemCard>,
    },
    Offer(OfferCard),
    OfferWithdrawn {
        workitem: WorkitemId,
        reason: WithdrawReason,
    },
    Assigned {
        workitem: WorkitemCard,
    },
    Message {
        message: Message,
    },
    MessageStatus {
        workitem: WorkitemId,
        message: MessageId,
        status: DeliveryStatus,
        error: Option<String>,
    },
    Terminated {
        workitem: WorkitemId,
    },
    /// A number opted out or back in. Sent to every open workspace, since any agent may have
    /// a conversation with that number open, or be about to text it.
    Consent(ConsentCard),
    Presence {
        view: AgentView,
    },
    /// An active workitem left this agent (transferred, or taken over), with why.
    Removed {
        workitem: WorkitemId,
        why: String,
    },
    /// A line only the people handling the workitem see (a whisper).
    Aside {
        workitem: WorkitemId,
        aside: Aside,
    },
    /// Who is watching the workitem now (supervisors monitoring it; empty: nobody).
    Watched {
        workitem: WorkitemId,
        by: Vec<String>,
    },
}

impl AgentPush {
    /// The workitem a push is about, for the supervisors monitoring it.
    fn workitem(&self) -> Option<WorkitemId> {
        match self {
            AgentPush::Message { message } => Some(message.workitem),
            AgentPush::MessageStatus { workitem, .. }
            | AgentPush::Terminated { workitem }
            | AgentPush::Removed { workitem, .. }
            | AgentPush::Aside { workitem, .. } => Some(*workitem),
            _ => None,
        }
    }
}

/// A number's consent as every screen shows it: whether it opted out and, if so, since when,
/// how, and the one warning sentence shown for it.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct ConsentCard {
    pub phone: E164,
    pub opted_out: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub since: Option<DateTime<Utc>>,
    /// `keyword`, `agent`, `import`, `api` or `carrier`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source: Option<&'static str>,
    /// The keyword or carrier code, or empty.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub warning: Option<String>,
}

impl ConsentCard {
    /// `consent` is the number's consent now (`None`: it never changed, messages are welcome).
    pub fn new(phone: &E164, consent: Option<&Consent>) -> ConsentCard {
        match consent.filter(|c| c.opted_out) {
            Some(c) => ConsentCard {
                phone: phone.clone(),
                opted_out: true,
                since: Some(c.since),
                source: Some(c.source.kind()),
                detail: Some(c.source.detail()),
                warning: c.warning(),
            },
            None => ConsentCard {
                phone: phone.clone(),
                opted_out: false,
                since: None,
                source: None,
                detail: None,
                warning: None,
            },
        }
    }
}

#[derive(Clone, Debug, Serialize)]
pub struct OfferCard {
    pub workitem: WorkitemCard,
    pub expires_at: DateTime<Utc>,
}

/// A message shown on a simulated customer phone.
#[derive(Clone, Debug, Serialize)]
pub struct PhonePush {
    pub direction: crate::domain::Direction,
    /// Our number the message came from or went to.
    pub our_number: E164,
    pub body: String,
    pub at: DateTime<Utc>,
}

/// One push with its stream-wide sequence number (the SSE `id`).
#[derive(Debug)]
pub struct Numbered<T> {
    pub seq: u64,
    pub push: Arc<T>,
}

impl<T> Clone for Numbered<T> {
    fn clone(&self) -> Self {
        Numbered {
            seq: self.seq,
            push: self.push.clone(),
        }
    }
}

type Senders<T> = Vec<(u64, mpsc::Sender<Numbered<T>>)>;

#[derive(Default)]
pub struct Hub {
    seq: AtomicU64,
    next_stream: AtomicU64,
    agents: Mutex<HashMap<UserId, Senders<AgentPush>>>,
    /// Supervisors' monitor streams, by the workitem they watch, and their names by stream.
    watchers: Mutex<HashMap<WorkitemId, Senders<AgentPush>>>,
    watcher_names: Mutex<HashMap<u64, String>>,
    phones: Mutex<HashMap<E164, Senders<PhonePush>>>,
    /// Sessions showing the wallboard on a wall screen, by token hash: how many such
    /// streams each has open. They do not time out while one is open.
    wall_screens: Mutex<HashMap<String, usize>>,
    /// Login sessions with open streams, by the session's token hash: dropping the sender
    /// ends every stream opened with that session.
    sessions: Mutex<HashMap<String, (UserId, watch::Sender<()>)>>,
}

/// A registered stream; unregisters when dropped.
pub struct Subscription<K: Clone + Eq + std::hash::Hash, T> {
    pub rx: mpsc::Receiver<Numbered<T>>,
    key: K,
    id: u64,
    hub: Arc<Hub>,
    unregister: fn(&Hub, &K, u64),
    on_drop: Option<Box<dyn FnOnce() + Send>>,
}

impl<K: Clone + Eq + std::hash::Hash, T> Subscription<K, T> {
    /// Runs `f` when this stream ends (the client left or the server stops).
    pub fn on_drop(&mut self, f: impl FnOnce() + Send + 'static) {
        self.on_drop = Some(Box::new(f));
    }
}

impl<K: Clone + Eq + std::hash::Hash, T> Drop for Subscription<K, T> {
    fn drop(&mut self) {
        (self.unregister)(&self.hub, &self.key, self.id);
        if let Some(f) = self.on_drop.take() {
            f();
        }
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

fn remove<K: Eq + std::hash::Hash, T>(map: &Mutex<HashMap<K, Senders<T>>>, key: &K, id: u64) {
    let mut map = lock(map);
    if let Some(list) = map.get_mut(key) {
        list.retain(|(i, _)| *i != id);
        if list.is_empty() {
            map.remove(key);
        }
    }
}

fn send_all<K: Eq + std::hash::Hash, T>(
    map: &Mutex<HashMap<K, Senders<T>>>,
    key: &K,
    item: Numbered<T>,
) {
    let mut map = lock(map);
    if let Some(list) = map.get_mut(key) {
        // A full or closed stream is cut off; its client reconnects and resyncs.
        list.retain(|(_, tx)| tx.try_send(item.clone()).is_ok());
    }
}

impl Hub {
    fn numbered<T>(&self, push: T) -> Numbered<T> {
        Numbered {
            seq: self.seq.fetch_add(1, Ordering::Relaxed) + 1,
            push: Arc::new(push),
        }
    }

    pub fn subscribe_agent(self: &Arc<Self>, agent: UserId) -> Subscription<UserId, AgentPush> {
        let (tx, rx) = mpsc::channel(STREAM_BUFFER);
        let id = self.next_stream.fetch_add(1, Ordering::Relaxed);
        lock(&self.agents).entry(agent).or_default().push((id, tx));
        Subscription {
            rx,
            key: agent,
            id,
            hub: self.clone(),
            unregister: |hub, key, id| remove(&hub.agents, key, id),
            on_drop: None,
        }
    }

    /// Sends a push to every workspace tab of `agent`, and to the supervisors watching the
    /// workitem it is about.
    pub fn push_agent(&self, agent: UserId, push: AgentPush) {
        let workitem = push.workitem();
        let item = self.numbered(push);
        if let Some(w) = workitem {
            send_all(&self.watchers, &w, item.clone());
        }
        send_all(&self.agents, &agent, item);
    }

    /// Sends a push about a workitem in no agent's hands to the supervisors watching it.
    pub fn push_watchers(&self, workitem: WorkitemId, push: AgentPush) {
        let item = self.numbered(push);
        send_all(&self.watchers, &workitem, item);
    }

    /// A supervisor's monitor stream of one workitem: its messages, asides and end.
    pub fn subscribe_watcher(
        self: &Arc<Self>,
        workitem: WorkitemId,
        name: String,
    ) -> Subscription<WorkitemId, AgentPush> {
        let (tx, rx) = mpsc::channel(STREAM_BUFFER);
        let id = self.next_stream.fetch_add(1, Ordering::Relaxed);
        lock(&self.watcher_names).insert(id, name);
        lock(&self.watchers)
            .entry(workitem)
            .or_default()
            .push((id, tx));
        Subscription {
            rx,
            key: workitem,
            id,
            hub: self.clone(),
            unregister: |hub, key, id| {
                remove(&hub.watchers, key, id);
                lock(&hub.watcher_names).remove(&id);
            },
            on_drop: None,
        }
    }

    /// The names of the supervisors watching a workitem now, each once, sorted.
    pub fn watching(&self, workitem: WorkitemId) -> Vec<String> {
        let ids: Vec<u64> = lock(&self.watchers)
            .get(&workitem)
            .map(|list| list.iter().map(|(id, _)| *id).collect())
            .unwrap_or_default();
        let names = lock(&self.watcher_names);
        let mut by: Vec<String> = ids.iter().filter_map(|id| names.get(id).cloned()).collect();
        by.sort();
        by.dedup();
        by
    }

    /// Tells every open workspace that `phone`'s consent is now `consent`: each shows or
    /// clears the warning on its conversations with that number and in its outbound dialog.
    /// Agents may look up any number's consent anyway, so this tells no one anything new.
    pub fn consent_changed(&self, phone: &E164, consent: &Consent) {
        let item = self.numbered(AgentPush::Consent(ConsentCard::new(phone, Some(consent))));
        let mut map = lock(&self.agents);
        for list in map.values_mut() {
            // A full or closed stream is cut off; its client reconnects and resyncs.
            list.retain(|(_, tx)| tx.try_send(item.clone()).is_ok());
        }
    }

    /// A push meant for one stream only (the sync that opens it).
    pub fn number<T>(&self, push: T) -> Numbered<T> {
        self.numbered(push)
    }

    pub fn subscribe_phone(self: &Arc<Self>, phone: E164) -> Subscription<E164, PhonePush> {
        let (tx, rx) = mpsc::channel(STREAM_BUFFER);
        let id = self.next_stream.fetch_add(1, Ordering::Relaxed);
        lock(&self.phones)
            .entry(phone.clone())
            .or_default()
            .push((id, tx));
        Subscription {
            rx,
            key: phone,
            id,
            hub: self.clone(),
            unregister: |hub, key, id| remove(&hub.phones, key, id),
            on_drop: None,
        }
    }

    pub fn push_phone(&self, phone: &E164, push: PhonePush) {
        let item = self.numbered(push);
        send_all(&self.phones, phone, item);
    }

    /// Ends every stream (shutdown): dropping the senders closes the receivers.
    pub fn close_all(&self) {
        lock(&self.agents).clear();
        lock(&self.watchers).clear();
        lock(&self.phones).clear();
        lock(&self.sessions).clear();
    }

    /// Resolves when the login session `session` (a token hash) of `user` ends, so a stream
    /// opened with it stops at once on logout, expiry, or a change to the user's account.
    pub fn session_end(
        &self,
        session: &str,
        user: UserId,
    ) -> impl std::future::Future<Output = ()> + Send + use<> {
        let mut rx = {
            let mut map = lock(&self.sessions);
            // Sessions whose streams all ended need no entry any more.
            map.retain(|_, (_, tx)| tx.receiver_count() > 0);
            map.entry(session.to_owned())
                .or_insert_with(|| (user, watch::channel(()).0))
                .1
                .subscribe()
        };
        async move {
            // Only the sender's drop wakes this: nothing is ever sent.
            let _ = rx.changed().await;
        }
    }

    /// Counts a wall screen open on `session` (a token hash) until the guard drops.
    pub fn open_wall_screen(self: &Arc<Self>, session: &str) -> WallScreen {
        *lock(&self.wall_screens)
            .entry(session.to_owned())
            .or_default() += 1;
        WallScreen {
            hub: self.clone(),
            session: session.to_owned(),
        }
    }

    /// Whether a wall screen is open on `session`.
    pub fn is_wall_screen(&self, session: &str) -> bool {
        lock(&self.wall_screens).contains_key(session)
    }

    /// The sessions with a wall screen open.
    pub fn wall_screens(&self) -> Vec<String> {
        lock(&self.wall_screens).keys().cloned().collect()
    }

    /// Ends the streams of one login session.
    pub fn end_session(&self, session: &str) {
        lock(&self.sessions).remove(session);
    }

    /// Ends the streams of every login session of `user`.
    pub fn end_sessions_of(&self, user: UserId) {
        lock(&self.sessions).retain(|_, (u, _)| *u != user);
    }
}

/// An open wall screen; closing it (dropping this) lets its session time out again.
pub struct WallScreen {
    hub: Arc<Hub>,
    session: String,
}

impl Drop for WallScreen {
    fn drop(&mut self) {
        let mut screens = lock(&self.hub.wall_screens);
        if let Some(n) = screens.get_mut(&self.session) {
            *n -= 1;
            if *n == 0 {
                screens.remove(&self.session);
            }
        }
    }
}
