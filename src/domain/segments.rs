//! SMS segment counting (GSM 03.38 / UCS-2), no I/O.
//!
//! The same rules are implemented in `static/segments.js` for the live counter under the
//! reply box; `tests/fixtures/segments.json` holds vectors both must agree with.
//!
//! Rules:
//! - If every character is in the GSM 03.38 default alphabet or its extension table, the
//!   text is sent as GSM-7. Basic characters take 1 septet; extension characters
//!   (`^ { } \ [ ~ ] | €` and form feed) take 2 (escape + char). Up to 160 septets fit one
//!   SMS; longer texts are split into segments of 153 septets, and a 2-septet extension
//!   character is never split across two segments (it moves whole to the next one).
//! - Otherwise the text is sent as UCS-2, counted in UTF-16 code units: up to 70 fit one
//!   SMS, longer texts are split into segments of 67, and a surrogate pair (e.g. an emoji)
//!   is never split across two segments.
//! - Empty text is 0 segments.
//!
//! National language shift tables are not used (most carriers do not support them).

use serde::Serialize;

/// How a text is encoded on the air.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Encoding {
    /// GSM 03.38 7-bit default alphabet with its extension table.
    Gsm7,
    /// UCS-2 (counted as UTF-16 code units, as carriers do).
    Ucs2,
}

/// The most offending characters [`SegmentCount::ucs2_because`] lists.
pub const MAX_UCS2_BECAUSE: usize = 10;

/// Septets in a single GSM-7 SMS.
pub const GSM7_SINGLE: usize = 160;
/// Septets in each part of a concatenated GSM-7 SMS (the UDH takes the rest).
pub const GSM7_MULTI: usize = 153;
/// UTF-16 code units in a single UCS-2 SMS.
pub const UCS2_SINGLE: usize = 70;
/// UTF-16 code units in each part of a concatenated UCS-2 SMS.
pub const UCS2_MULTI: usize = 67;

/// The result of [`count`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct SegmentCount {
    pub encoding: Encoding,
    /// User-perceived characters, counted as Unicode scalar values.
    pub characters: usize,
    /// GSM-7 septets (extension characters count 2) or UTF-16 code units.
    pub units: usize,
    /// SMS parts the text is sent as (0 for empty text).
    pub segments: usize,
    /// Capacity of each segment in units: 160/153 for GSM-7, 70/67 for UCS-2 (the single
    /// message size while the text fits in one SMS, including when it is empty).
    pub per_segment: usize,
    /// Units still free in the last segment (the whole single-SMS capacity when empty).
    pub remaining: usize,
    /// Distinct characters that forced UCS-2, in order of first appearance, at most
    /// [`MAX_UCS2_BECAUSE`]. Empty for GSM-7.
    pub ucs2_because: Vec<char>,
}

/// Septets a character takes in GSM-7, or `None` when it is not in the default alphabet
/// nor its extension table.
pub fn gsm7_septets(c: char) -> Option<usize> {
    match c {
        // Extension table (escape 0x1B + one septet).
        '\u{0C}' | '^' | '{' | '}' | '\\' | '[' | '~' | ']' | '|' | '€' => Some(2),
        // Default alphabet, in table order (0x00..0x7F).
        '@'
        | '£'
        | '$'
        | '¥'
        | 'è'
        | 'é'
        | 'ù'
        | 'ì'
        | 'ò'
        | 'Ç'
        | '\n'
        | 'Ø'
        | 'ø'
        | '\r'
        | 'Å'
        | 'å'
        | 'Δ'
        | '_'
        | 'Φ'
        | 'Γ'
        | 'Λ'
        | 'Ω'
        | 'Π'
        | 'Ψ'
        | 'Σ'
        | 'Θ'
        | 'Ξ'
        | 'Æ'
        | 'æ'
        | 'ß'
        | 'É'
        | ' '
        | '!'
        | '"'
        | '#'
        | '¤'
        | '%'
        | '&'
        | '\''
        | '('
        | ')'
        | '*'
        | '+'
        | ','
        | '-'
        | '.'
        | '/'
        | '0'..='9'
        | ':'
        | ';'
        | '<'
        | '='
        | '>'
        | '?'
        | '¡'
        | 'A'..='Z'
        | 'Ä'
        | 'Ö'
        | 'Ñ'
        | 'Ü'
        | '§'
        | '¿'
        | 'a'..='z'
        | 'ä'
        | 'ö'
        | 'ñ'
        | 'ü'
        | 'à' => Some(1),
        _ => None,
    }
}

/// Counts the characters, units and segments `text` takes as an SMS.
pub fn count(text: &str) -> SegmentCount {
    let mut ucs2_because: Vec<char> = Vec::new();
    let mut non_gsm = false;
    for c in text.chars() {
        if gsm7_septets(c).is_none() {
            non_gsm = true;
            if ucs2_because.len() < MAX_UCS2_BECAUSE && !ucs2_because.contains(&c) {
                ucs2_because.push(c);
            }
        }
    }

    let (encoding, single, multi) = if non_gsm {
        (Encoding::Ucs2, UCS2_SINGLE, UCS2_MULTI)
    } else {
        (Encoding::Gsm7, GSM7_SINGLE, GSM7_MULTI)
    };
    // Every character is in the table when GSM-7, so the fallback is never taken there.
    let width = |c: char| match encoding {
        Encoding::Gsm7 => gsm7_septets(c).unwrap_or(1),
        Encoding::Ucs2 => c.len_utf16(),
    };

    let characters = text.chars().count();
    let units: usize = text.chars().map(width).sum();

    let (segments, per_segment, used_in_last) = if units == 0 {
        (0, single, 0)
    } else if units <= single {
        (1, single, units)
    } else {
        // Fill segments greedily; a character that does not fit whole starts the next one.
        let mut segments = 1;
        let mut fill = 0;
        for w in text.chars().map(width) {
            if fill + w > multi {
                segments += 1;
                fill = w;
            } else {
                fill += w;
            }
        }
        (segments, multi, fill)
    };

    SegmentCount {
        encoding,
        characters,
        units,
        segments,
        per_segment,
        remaining: per_segment - used_in_last,
        ucs2_because,
    }
}

#[cfg(test)]
#[path = "segments_tests.rs"]
mod tests;
