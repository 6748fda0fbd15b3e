//! Where a login may send the browser afterwards: only a path on this site.

/// `next` as a same-site path, else `/`. Checked after the clean-up browsers apply to a
/// `Location` (leading and trailing spaces and control characters dropped, tabs and newlines
/// removed anywhere, `\` read as `/`), so `/\t/evil.example` or `/\evil.example` cannot turn
/// into `//evil.example`; and anything with a scheme or an authority is refused.
pub fn safe_next(next: &str) -> String {
    let cleaned: String = next
        .trim_matches(|c: char| c <= ' ')
        .chars()
        .filter(|c| !matches!(c, '\t' | '\n' | '\r'))
        .map(|c| if c == '\\' { '/' } else { c })
        .collect();
    if !cleaned.starts_with('/') || cleaned.starts_with("//") {
        return "/".to_owned();
    }
    // Whatever is left that a header cannot carry is percent-encoded, never sent raw.
    cleaned
        .bytes()
        .map(|b| match b {
            0x21..=0x7e => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::safe_next;

    #[test]
    fn keeps_same_site_paths() {
        assert_eq!(safe_next("/search?q=a"), "/search?q=a");
        assert_eq!(safe_next("/workspace"), "/workspace");
        assert_eq!(
            safe_next("/search?q=caf\u{e9} x"),
            "/search?q=caf%C3%A9%20x"
        );
    }

    #[test]
    fn refuses_schemes_and_authorities_after_the_browsers_clean_up() {
        for bad in [
            "",
            "//x",
            "/\t/x",
            "/\n/x",
            "/\r/x",
            "\t//x",
            " //x",
            "/\\x",
            "\\/x",
            "\\\\x",
            "https://x",
            "javascript:alert(1)",
            "x/y",
        ] {
            assert_eq!(safe_next(bad), "/", "{bad:?}");
        }
    }

    #[test]
    fn never_returns_a_control_character() {
        assert_eq!(safe_next("/a\u{1}b"), "/a%01b");
        assert_eq!(safe_next("/\u{0}/x"), "/%00/x");
    }
}
