//! What customers and agents say, by topic: sentence templates with slots the generator
//! fills, short replies, and phrases that occur verbatim (for the quoted-phrase queries).

/// Customer-service topics; each has customer and agent sentence templates. Slots:
/// `{order}` `{product}` `{name}` `{date}` `{time}` `{amount}` `{code}` `{city}` `{n}` `{w}`
/// (a Zipf-drawn everyday word).
pub struct Topic {
    pub name: &'static str,
    pub customer: &'static [&'static str],
    pub agent: &'static [&'static str],
}

pub const TOPICS: &[Topic] = &[
    Topic {
        name: "delivery",
        customer: &[
            "Hi, my order {order} has not arrived yet.",
            "The tracking page for {order} still says in transit.",
            "Where is my package? It was supposed to come {date}.",
            "The driver left it at the wrong door again.",
            "Can you deliver to my office in {city} instead?",
            "I was home all day and nobody came with the {product}.",
            "Tracking says delivered but there is no box on my porch.",
        ],
        agent: &[
            "I'm sorry about the delay with {order}, let me check the tracking for you.",
            "The courier shows it out for delivery, estimated window {time}.",
            "I have opened a trace with the carrier, you will hear back within {n} days.",
            "Your parcel is at the {city} depot and will be delivered {date}.",
            "I can send a replacement {product} by express shipping at no cost.",
        ],
    },
    Topic {
        name: "refund",
        customer: &[
            "I would like a refund for order {order} please.",
            "I returned the {product} two weeks ago and still no refund.",
            "You charged me {amount} twice this month.",
            "When will the refund of {amount} show up on my card?",
            "The {product} arrived damaged, I want my money back.",
        ],
        agent: &[
            "I have issued a refund of {amount} to your original payment method.",
            "Refunds take {n} business days to appear on your statement.",
            "I can see the duplicate charge of {amount}, it has been reversed.",
            "Please send a photo of the damaged {product} and I will process the refund.",
            "Your return for {order} was received on {date}, the refund is on its way.",
        ],
    },
    Topic {
        name: "account",
        customer: &[
            "I can't log in, it says my password is wrong.",
            "The reset password link expired before I could use it.",
            "My account is locked after too many attempts.",
            "I never got the verification code {code}.",
            "Please change the email on my account, I lost access to the old one.",
            "Someone logged into my account from {city}, I think I was hacked.",
        ],
        agent: &[
            "I have sent a new password reset link to your email, it is valid for {n} hours.",
            "Your account is unlocked now, please try to sign in again.",
            "For security please confirm the last four digits of your card.",
            "Your verification code is {code}, do not share it with anyone.",
            "I have signed out every session and secured your account.",
        ],
    },
    Topic {
        name: "appointment",
        customer: &[
            "Can I book an appointment for {date} at {time}?",
            "I need to reschedule my appointment on {date}.",
            "Is there anything available this weekend in {city}?",
            "Please cancel my booking for tomorrow, something came up.",
            "What time is my appointment with {name} again?",
        ],
        agent: &[
            "You are booked with {name} on {date} at {time}.",
            "I have moved your appointment to {date} at {time}, see you then.",
            "We have openings on {date} at {time} or the following morning.",
            "Your booking is cancelled, there is no fee this time.",
            "Reminder: please arrive {n} minutes early for your appointment.",
        ],
    },
    Topic {
        name: "billing",
        customer: &[
            "Why is my bill {amount} this month?",
            "I want to cancel my subscription before it renews.",
            "Can you send me the invoice for {order}?",
            "My card ending {code} was declined but I have money.",
            "Do you have a student discount on the yearly plan?",
        ],
        agent: &[
            "Your monthly plan renewed on {date} for {amount}.",
            "I have cancelled the subscription, you keep access until {date}.",
            "The invoice for {order} is on its way to your email.",
            "I applied a discount of {amount} to your next bill.",
            "Your balance is now {amount}, nothing else is due.",
        ],
    },
    Topic {
        name: "product",
        customer: &[
            "Does the {product} work with the {product}?",
            "My {product} stopped charging after the update.",
            "Is the {product} back in stock in {city}?",
            "How do I reset the {product} to factory settings?",
            "The screen on my {product} keeps flickering.",
            "What is the warranty on the {product}?",
        ],
        agent: &[
            "Yes, the {product} is compatible, you only need the latest firmware.",
            "Please hold the power button for {n} seconds to restart the {product}.",
            "The {product} has a {n} year warranty, I can start a repair for you.",
            "The {product} is back in stock, the {city} store has {n} units.",
            "I have sent you the setup manual for the {product}.",
        ],
    },
    Topic {
        name: "complaint",
        customer: &[
            "This is the third time I am writing about {order}.",
            "Honestly I am really disappointed with the service.",
            "Nobody answered my call for {n} minutes yesterday.",
            "I want to speak to a manager about this.",
        ],
        agent: &[
            "I completely understand your frustration and I'm sorry.",
            "I have escalated your case to my manager {name}.",
            "As an apology I added {amount} credit to your account.",
            "Thank you for your patience, I will personally follow up {date}.",
        ],
    },
];

/// Short answers a customer or agent often sends on their own.
pub const SHORT: &[&str] = &[
    "ok",
    "thanks!",
    "thank you",
    "yes",
    "yes please",
    "no",
    "no thanks",
    "great",
    "perfect, thanks",
    "ok will do",
    "got it",
    "sure",
    "thanks 🙂",
    "done",
    "still waiting",
    "hello?",
];

/// Phrases that occur in the templates verbatim: the quoted-phrase queries use them.
pub const PHRASES: &[&str] = &[
    "tracking page",
    "password reset link",
    "original payment method",
    "out for delivery",
    "verification code",
    "factory settings",
    "monthly plan",
    "wrong door",
    "express shipping",
    "business days",
    "account is locked",
    "stopped charging",
    "back in stock",
    "student discount",
    "setup manual",
    "duplicate charge",
    "speak to a manager",
    "reschedule my appointment",
];
