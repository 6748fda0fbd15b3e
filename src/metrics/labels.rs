//! The closed sets of label values the event counters use: each family's series are known in
//! advance, so a scrape's size never grows with traffic.

use super::LabelValue;

/// An enum whose variants are label values, each with its text.
macro_rules! label_values {
    ($(#[$m:meta])* $name:ident { $($(#[$vm:meta])* $variant:ident => $text:literal),+ $(,)? }) => {
        $(#[$m])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq)]
        pub enum $name {
            $($(#[$vm])* $variant),+
        }

        impl LabelValue for $name {
            const ALL: &'static [Self] = &[$($name::$variant),+];

            fn index(self) -> usize {
                self as usize
            }

            fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $text),+
                }
            }
        }
    };
}

label_values! {
    /// What became of an inbound message a provider handed in.
    InboundOutcome {
        /// Stored (and routed, or answered as a keyword).
        Stored => "stored",
        /// A provider's retry of a message already stored: nothing new.
        Duplicate => "duplicate",
        /// Kept on the held list: its sender or our number is not a phone number.
        Held => "held",
    }
}

label_values! {
    /// Why an inbound webhook was refused (the provider is told and retries or gives up).
    RefusedReason {
        /// A missing or wrong signature, or webhooks not configured (403).
        Signature => "signature",
        /// Signed, but without what a message needs (400).
        Invalid => "invalid",
        /// The store could not take it (503; the provider retries).
        NotStored => "not_stored",
    }
}

label_values! {
    /// What one outbox send attempt came to.
    SendStatus {
        /// The provider took it.
        Sent => "sent",
        /// A transient failure; tried again later.
        Retrying => "retrying",
        /// Given up for good (a permanent error, too many attempts, an interrupted send).
        Failed => "failed",
        /// Not sent: the customer opted out after it was queued.
        OptedOut => "opted_out",
    }
}

label_values! {
    /// A provider's delivery report for a message we sent.
    ReportStatus {
        Queued => "queued",
        Sent => "sent",
        Delivered => "delivered",
        Undelivered => "undelivered",
        Failed => "failed",
    }
}

label_values! {
    /// How an offer to an agent ended.
    OfferOutcome {
        Accepted => "accepted",
        Rejected => "rejected",
        TimedOut => "timed_out",
        /// The agent went Away or Offline, or closed their last workspace tab.
        Withdrawn => "withdrawn",
    }
}

label_values! {
    /// The kinds of server-sent event streams.
    StreamKind {
        /// An agent's workspace tab (`/api/events`).
        Workspace => "workspace",
        /// A wallboard (`/api/supervisor/events`).
        Wallboard => "wallboard",
        /// A supervisor monitoring one workitem.
        Monitor => "monitor",
        /// A simulated phone (`/simulator/events`).
        Simulator => "simulator",
    }
}
