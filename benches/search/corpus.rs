//! Deterministic, realistic SMS text for the search benchmark: a small PRNG, a Zipf sampler,
//! a customer-service vocabulary (a few thousand distinct words once product names, names and
//! numbers are counted) and per-topic sentence templates for customers and agents.

use super::topics::SHORT;
pub use super::topics::{PHRASES, TOPICS};

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
