//! Per-message text features and the word lists behind them (rules in [`super::Measures`]).

/// Positive words for the tone score (30).
pub(super) const POSITIVE: &[&str] = &[
    "good",
    "great",
    "thanks",
    "thank",
    "love",
    "perfect",
    "awesome",
    "excellent",
    "happy",
    "amazing",
    "wonderful",
    "nice",
    "fantastic",
    "glad",
    "helpful",
    "appreciate",
    "pleased",
    "brilliant",
    "cool",
    "yay",
    "super",
    "lovely",
    "best",
    "easy",
    "quick",
    "works",
    "solved",
    "resolved",
    "enjoy",
    "delighted",
];

/// Negative words for the tone score (30).
pub(super) const NEGATIVE: &[&str] = &[
    "bad",
    "terrible",
    "awful",
    "horrible",
    "worst",
    "hate",
    "angry",
    "annoyed",
    "annoying",
    "frustrated",
    "frustrating",
    "disappointed",
    "disappointing",
    "useless",
    "broken",
    "wrong",
    "poor",
    "slow",
    "late",
    "ridiculous",
    "unacceptable",
    "upset",
    "sad",
    "fail",
    "failed",
    "waste",
    "rude",
    "complaint",
    "unhappy",
    "stuck",
];

/// Single polite words (greetings, closings, courtesy) for the formality score.
const POLITE: &[&str] = &[
    "hello",
    "dear",
    "regards",
    "sincerely",
    "kindly",
    "please",
    "appreciate",
    "appreciated",
    "greetings",
];

/// Polite word pairs, matched as two consecutive words.
const POLITE_PAIRS: &[(&str, &str)] = &[
    ("thank", "you"),
    ("good", "morning"),
    ("good", "afternoon"),
    ("good", "evening"),
];

/// Texting slang for the formality score.
const SLANG: &[&str] = &[
    "u", "ur", "r", "pls", "plz", "thx", "ty", "lol", "omg", "btw", "idk", "gonna", "wanna",
    "gotta", "ya", "yeah", "yep", "yup", "nope", "k", "kk", "np", "cya",
];

/// What one customer message contributes to the measures.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(super) struct Features {
    pub chars: usize,
    pub capitalised: bool,
    pub punctuated: bool,
    pub polite: bool,
    pub slang: bool,
    pub emoji: usize,
    pub question: bool,
    pub exclamation: bool,
    pub positive: usize,
    pub negative: usize,
}

impl Features {
    /// Formality points, 0..=3: capitalised + punctuated + polite − slang, floored at 0.
    pub fn formality_points(&self) -> u32 {
        (u32::from(self.capitalised) + u32::from(self.punctuated) + u32::from(self.polite))
            .saturating_sub(u32::from(self.slang))
    }
}

pub(super) fn features(body: &str) -> Features {
    let text = body.trim();
    let words = words(text);
    let has = |list: &[&str]| words.iter().any(|w| list.contains(&w.as_str()));
    let count = |list: &[&str]| words.iter().filter(|w| list.contains(&w.as_str())).count();
    let pair = words
        .windows(2)
        .any(|w| POLITE_PAIRS.contains(&(w[0].as_str(), w[1].as_str())));
    Features {
        chars: text.chars().count(),
        capitalised: text.chars().next().is_some_and(char::is_uppercase),
        punctuated: text.ends_with(['.', '!', '?']),
        polite: pair || has(POLITE),
        slang: has(SLANG),
        emoji: text.chars().filter(|&c| is_emoji(c)).count(),
        question: text.contains(['?', '？']),
        exclamation: text.contains('!'),
        positive: count(POSITIVE),
        negative: count(NEGATIVE),
    }
}

/// U+2600–U+27BF (miscellaneous symbols, dingbats), U+2B00–U+2BFF (symbols and arrows: ⭐,
/// ⬆) and U+1F300–U+1FAFF (pictographs, emoticons, transport and map, supplemental symbols
/// and pictographs), except the skin tone modifiers U+1F3FB–U+1F3FF, which only colour the
/// emoji before them.
pub(super) fn is_emoji(c: char) -> bool {
    matches!(
        c,
        '\u{2600}'..='\u{27BF}' | '\u{2B00}'..='\u{2BFF}' | '\u{1F300}'..='\u{1FAFF}'
    ) && !matches!(c, '\u{1F3FB}'..='\u{1F3FF}')
}

/// Lowercased words: split at every character that is not a letter, digit or apostrophe
/// (’ is read as '), apostrophes trimmed from both ends, empty pieces dropped.
pub(super) fn words(text: &str) -> Vec<String> {
    text.to_lowercase()
        .replace('’', "'")
        .split(|c: char| !(c.is_alphanumeric() || c == '\''))
        .map(|w| w.trim_matches('\''))
        .filter(|w| !w.is_empty())
        .map(str::to_string)
        .collect()
}
