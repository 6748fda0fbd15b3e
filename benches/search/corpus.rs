//! Deterministic, realistic SMS text for the search benchmark: a small PRNG, a Zipf sampler,
//! a customer-service vocabulary (a few thousand distinct words once product names, names and
//! numbers are counted) and per-topic sentence templates for customers and agents.

/// SplitMix64: tiny, fast, and the same sequence on every platform and crate version.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n` (n > 0).
    pub fn below(&mut self, n: u64) -> u64 {
        ((u128::from(self.next_u64()) * u128::from(n)) >> 64) as u64
    }

    /// Uniform in `lo..=hi`.
    pub fn between(&mut self, lo: u64, hi: u64) -> u64 {
        lo + self.below(hi - lo + 1)
    }

    /// Uniform in [0, 1).
    pub fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    pub fn chance(&mut self, p: f64) -> bool {
        self.unit() < p
    }

    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len() as u64) as usize]
    }
}

/// Samples ranks 0..n with probability ∝ 1/(rank+1)^s.
pub struct Zipf {
    cdf: Vec<f64>,
}

impl Zipf {
    pub fn new(n: usize, s: f64) -> Zipf {
        let mut total = 0.0;
        let cdf = (0..n)
            .map(|r| {
                total += 1.0 / ((r + 1) as f64).powf(s);
                total
            })
            .collect();
        Zipf { cdf }
    }

    pub fn sample(&self, rng: &mut Rng) -> usize {
        let total = self.cdf.last().copied().unwrap_or(0.0);
        let x = rng.unit() * total;
        self.cdf
            .partition_point(|&c| c <= x)
            .min(self.cdf.len() - 1)
    }
}

/// Everyday and customer-service words, roughly most frequent first (the Zipf rank).
const WORDS: &str = "the to i you a and is my it for of in this that be on have can your we \
not with was me will are order please just do if at get so no but what thanks when an \
there help as or know would like need today now from out up they our how all it's i'm \
about yes one still been did time back again any could us he she let more here did your \
thank hi hello ok okay sure great problem account number delivery package refund payment \
card password email phone address tomorrow week day days store app website login code \
appointment booking item items product price charge charged cancel cancelled change \
update new received arrived shipped shipping tracking status issue sorry apologize \
check checking looking look see send sent help able unable wrong right correct missing \
damaged broken late early soon minutes hours hour morning afternoon evening night next \
last first second available confirm confirmed confirmation reschedule schedule time \
monday tuesday wednesday thursday friday saturday sunday weekend customer support team \
service manager agent call called text message messages reply wait waiting waited long \
still yet already done finished works working work doesn't isn't can't won't didn't \
reset locked unlock verify verification link expired try tried again login sign signed \
subscription plan monthly yearly renew renewal invoice receipt bill billing balance \
credit debit bank transfer paypal fee fees discount coupon promo free trial total \
amount paid pay owe extra twice double return returns exchange replace replacement \
size color colour wrong model version warranty repair fix fixed install setup manual \
instructions battery charger cable screen button light sound noise stopped turn \
turned restart reboot settings profile name surname birthday home office work driver \
courier carrier door doorstep neighbour neighbor porch mailbox box label pickup \
collect collected location branch city street apartment building floor gate code \
postcode zip country international express standard priority overnight estimated \
window between around maybe probably definitely exactly really very much many few \
little lot lots some every each other another same different better best worse worst \
good bad fine happy unhappy disappointed frustrated upset angry confused sure glad \
quick quickly slow slowly fast asap urgent important soon possible impossible \
understand understood explain mean means meant think thought believe hope hoping \
want wanted wondering wonder question questions answer answered ask asked told tell \
said say saying call calling phoned emailed wrote write written read seen saw noticed \
find found lost stolen hacked security secure safe privacy data delete deleted remove \
removed add added include included choose chose option options select selected \
family kids wife husband son daughter mom dad friend partner boss colleague \
gift present birthday anniversary holiday christmas vacation trip travel flight hotel \
restaurant table reservation party guests people person two three four five six seven \
eight nine ten dozen half full empty part parts piece pieces pack packs bottle bag \
shoes shirt jacket dress jeans coat hat gloves watch ring necklace phone laptop tablet \
headphones speaker camera printer router modem tv monitor keyboard mouse charger case \
cover strap lens filter blender kettle toaster vacuum heater fan lamp mattress pillow \
sofa chair desk shelf cabinet fridge freezer oven microwave dishwasher washer dryer \
coffee tea beans capsules pods filter subscription box snacks vitamins shampoo cream \
dog cat pet food treats toys leash collar bed bowl litter aquarium \
doctor dentist clinic visit checkup consultation treatment test results prescription \
insurance claim policy coverage deductible form forms document documents id license \
photo photos picture pictures screenshot attached attachment upload uploaded download \
error errors crash crashes crashed freezes frozen slow loading blank page screen \
internet wifi signal connection connected disconnect offline online outage area \
meter reading usage plan upgrade downgrade contract term early fee notice \
student senior military member membership points rewards loyalty voucher gift card \
weather rain snow storm traffic holiday closed open opening hours tomorrow tonight \
yesterday earlier later before after since until during while meanwhile instead \
however although because therefore also too either neither both only even ever never \
always usually sometimes often rarely again anymore anyway otherwise actually \
honestly seriously literally basically apparently unfortunately luckily hopefully \
appreciate appreciated patience understanding kind kindly helpful wonderful awesome \
perfect amazing excellent lovely brilliant cheers bye goodbye welcome regards";

/// Product brands are made of one prefix and one suffix: 1,600 single-token names.
const BRAND_PREFIXES: &str = "aero nova lumo zen terra vita pura flex opti sola \
echo ultra astra brio cora delta fera gala hexa iona juno kilo lyra mira nexa \
orbi pixa quanta rivo sena tora uno vela wexa xeno yara zora alto bela cielo duna";
const BRAND_SUFFIXES: &str = "blend dock pod lite max cam fit glow wave line \
sense box hub pro tab clip band loop mate beam flow core spark drive nest grip \
cube stone leaf cloud";

const FIRST_NAMES: &str = "maria james anna john emma david sofia michael olivia daniel \
mia lucas ava noah isabella liam amelia ethan harper mason ella logan chloe jacob grace \
elijah zoe aiden lily jackson nora sebastian hannah mateo layla henry aria owen riley \
samuel leah wyatt stella jack hazel luke aurora jayden violet gabriel lucy carter anna \
isaac ellie julian paisley levi savannah ryan naomi nathan camila aaron elena adam \
maya thomas sara kevin laura brian julia eric rachel peter helen mark diana paul \
rosa alex kim sam jordan taylor morgan casey jamie priya arjun wei mei yuki kenji \
omar fatima ali aisha ivan olga lars ingrid pierre claire marco giulia hans greta";

const CITIES: &str = "boston denver austin seattle portland chicago phoenix atlanta miami \
dallas houston oakland fresno tucson omaha tulsa reno boise raleigh richmond madison \
toledo dayton akron spokane tacoma eugene salem albany buffalo rochester syracuse";

const MONTHS: [&str; 12] = [
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
];

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
const SHORT: &[&str] = &[
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

/// The word lists, split once.
pub struct Vocabulary {
    pub words: Vec<&'static str>,
    pub products: Vec<String>,
    pub names: Vec<&'static str>,
    pub cities: Vec<&'static str>,
    word_rank: Zipf,
    product_rank: Zipf,
    topic_rank: Zipf,
}

impl Vocabulary {
    pub fn new() -> Vocabulary {
        let mut words: Vec<&'static str> = Vec::new();
        for w in WORDS.split_whitespace() {
            if !words.contains(&w) {
                words.push(w);
            }
        }
        let mut products = Vec::new();
        for p in BRAND_PREFIXES.split_whitespace() {
            for s in BRAND_SUFFIXES.split_whitespace() {
                let mut name = p[..1].to_uppercase();
                name.push_str(&p[1..]);
                name.push_str(s);
                products.push(name);
            }
        }
        Vocabulary {
            word_rank: Zipf::new(words.len(), 1.0),
            product_rank: Zipf::new(products.len(), 0.9),
            topic_rank: Zipf::new(TOPICS.len(), 0.7),
            words,
            products,
            names: FIRST_NAMES.split_whitespace().collect(),
            cities: CITIES.split_whitespace().collect(),
        }
    }

    pub fn word(&self, rng: &mut Rng) -> &'static str {
        self.words[self.word_rank.sample(rng)]
    }

    pub fn product(&self, rng: &mut Rng) -> &str {
        &self.products[self.product_rank.sample(rng)]
    }

    pub fn topic(&self, rng: &mut Rng) -> usize {
        self.topic_rank.sample(rng)
    }

    /// One message of `topic`, by a customer or an agent, of a realistic length.
    pub fn message(&self, rng: &mut Rng, topic: usize, customer: bool) -> String {
        let target = message_length(rng);
        if target < 20 {
            return (*rng.pick(SHORT)).to_owned();
        }
        let t = &TOPICS[topic];
        let templates = if customer { t.customer } else { t.agent };
        let mut out = String::with_capacity(target + 64);
        if !customer && rng.chance(0.3) {
            out.push_str("Hi, this is ");
            out.push_str(&title(rng.pick::<&str>(&self.names)));
            out.push_str(". ");
        }
        let mut used: Vec<&str> = Vec::new();
        while out.len() < target {
            if !out.is_empty() && !out.ends_with(' ') {
                out.push(' ');
            }
            // A template at most once per message; then the text rambles on.
            let fresh: Vec<&str> = templates
                .iter()
                .copied()
                .filter(|t| !used.contains(t))
                .collect();
            if !fresh.is_empty() && rng.chance(0.7) {
                let template = *rng.pick(&fresh);
                used.push(template);
                self.fill(rng, template, &mut out);
            } else {
                self.filler(rng, &mut out);
            }
        }
        // Long targets run on; short ones are cut at a word so lengths follow the target.
        if out.len() > target + 40 {
            let cut = out[..target].rfind(' ').unwrap_or(target);
            out.truncate(cut);
        }
        out
    }

    /// A loose sentence of Zipf-drawn words (how real texts ramble).
    fn filler(&self, rng: &mut Rng, out: &mut String) {
        let n = rng.between(4, 12);
        for k in 0..n {
            let w = self.word(rng);
            if k == 0 {
                out.push_str(&title(w));
            } else {
                out.push(' ');
                out.push_str(w);
            }
        }
        out.push(if rng.chance(0.2) { '?' } else { '.' });
    }

    fn fill(&self, rng: &mut Rng, template: &str, out: &mut String) {
        let mut rest = template;
        while let Some(open) = rest.find('{') {
            out.push_str(&rest[..open]);
            let Some(close) = rest[open..].find('}') else {
                break;
            };
            let slot = &rest[open + 1..open + close];
            rest = &rest[open + close + 1..];
            match slot {
                "order" => out.push_str(&format!("#{}", rng.between(100_000, 9_999_999))),
                "product" => out.push_str(self.product(rng)),
                "name" => out.push_str(&title(rng.pick::<&str>(&self.names))),
                "city" => out.push_str(&title(rng.pick::<&str>(&self.cities))),
                "date" => out.push_str(&format!(
                    "{} {}",
                    title(rng.pick::<&str>(&MONTHS)),
                    rng.between(1, 28)
                )),
                "time" => out.push_str(&format!(
                    "{}:{:02}{}",
                    rng.between(1, 12),
                    rng.below(4) * 15,
                    if rng.chance(0.5) { "am" } else { "pm" }
                )),
                "amount" => {
                    out.push_str(&format!("${}.{:02}", rng.between(5, 400), rng.below(100)))
                }
                "code" => out.push_str(&format!("{:04}", rng.below(10_000))),
                "n" => out.push_str(&rng.between(2, 30).to_string()),
                _ => out.push_str(self.word(rng)),
            }
        }
        out.push_str(rest);
    }
}

fn title(w: &str) -> String {
    let mut c = w.chars();
    match c.next() {
        Some(f) => f.to_uppercase().collect::<String>() + c.as_str(),
        None => String::new(),
    }
}

/// Characters in one SMS: a few very short, mostly 20–160, some up to ~600.
fn message_length(rng: &mut Rng) -> usize {
    let x = rng.unit();
    if x < 0.08 {
        rng.between(2, 19) as usize
    } else if x < 0.83 {
        // Skewed toward the shorter end, as texts are.
        let u = rng.unit();
        20 + (140.0 * u * u.sqrt()) as usize
    } else if x < 0.97 {
        rng.between(160, 320) as usize
    } else {
        rng.between(320, 600) as usize
    }
}

/// The distinct words queries draw from: content words (not the most common few dozen, which
/// are stopwords or match nearly everything), product names and first names.
pub fn query_terms(v: &Vocabulary) -> Vec<String> {
    let mut out: Vec<String> = v.words.iter().skip(60).map(|w| (*w).to_owned()).collect();
    out.extend(v.products.iter().map(|p| p.to_lowercase()));
    out.extend(v.names.iter().map(|n| (*n).to_owned()));
    out
}
