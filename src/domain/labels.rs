//! Short labels an admin types one per line (wrap-up codes, away reasons): the one parser both
//! lists share, so they refuse the same mistakes with the same words.

/// Reads `text` as one label per line: each trimmed, blank lines skipped. Refused (with the
/// reason, naming the label) when one is longer than `max_chars`, two are the same ignoring
/// case, or there are more than `max_count`. `what` names one label in messages ("wrap-up
/// code").
pub fn parse_labels(
    text: &str,
    what: &str,
    max_chars: usize,
    max_count: usize,
) -> Result<Vec<String>, String> {
    let mut out: Vec<String> = Vec::new();
    for line in text.lines().map(str::trim).filter(|l| !l.is_empty()) {
        let chars = line.chars().count();
        if chars > max_chars {
            return Err(format!(
                "The {what} \"{line}\" has {chars} characters; at most {max_chars} are allowed."
            ));
        }
        if let Some(earlier) = out.iter().find(|o| same_label(o, line)) {
            return Err(format!(
                "The {what} \"{line}\" is listed twice (as \"{earlier}\" too); each must differ, ignoring case."
            ));
        }
        out.push(line.to_owned());
    }
    if out.len() > max_count {
        return Err(format!(
            "There can be at most {max_count} of them; this list has {}.",
            out.len()
        ));
    }
    Ok(out)
}

/// Labels compare trimmed and without regard to case.
pub fn same_label(a: &str, b: &str) -> bool {
    a.trim().to_lowercase() == b.trim().to_lowercase()
}

/// The list's own spelling of `typed`, if it is in the list (ignoring case and spaces around).
pub fn find_label<'a>(list: &'a [String], typed: &str) -> Option<&'a str> {
    list.iter()
        .find(|l| same_label(l, typed))
        .map(String::as_str)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_label_a_line_trimmed_blank_lines_skipped() {
        let got = parse_labels("  Resolved \n\n\tSale\r\n", "code", 40, 50).unwrap();
        assert_eq!(got, vec!["Resolved", "Sale"]);
        assert_eq!(
            parse_labels("  \n", "code", 40, 50).unwrap(),
            Vec::<String>::new()
        );
    }

    #[test]
    fn too_long_duplicates_and_too_many_are_refused_by_name() {
        let long = "x".repeat(41);
        let e = parse_labels(&format!("ok\n{long}"), "wrap-up code", 40, 50).unwrap_err();
        assert!(
            e.contains("41 characters") && e.contains("at most 40"),
            "{e}"
        );
        assert!(
            parse_labels(&"é".repeat(40), "code", 40, 50).is_ok(),
            "counts characters"
        );
        let e = parse_labels("Sale\nresolved\nSALE ", "wrap-up code", 40, 50).unwrap_err();
        assert!(e.contains("\"SALE\"") && e.contains("\"Sale\""), "{e}");
        let many: Vec<String> = (0..51).map(|i| format!("c{i}")).collect();
        let e = parse_labels(&many.join("\n"), "code", 40, 50).unwrap_err();
        assert!(e.contains("at most 50") && e.contains("51"), "{e}");
        assert!(parse_labels(&many[..50].join("\n"), "code", 40, 50).is_ok());
    }

    #[test]
    fn lookups_ignore_case_and_give_the_list_spelling() {
        let list = vec!["Follow-up needed".to_owned(), "Sale".to_owned()];
        assert_eq!(find_label(&list, " sale "), Some("Sale"));
        assert_eq!(
            find_label(&list, "FOLLOW-UP NEEDED"),
            Some("Follow-up needed")
        );
        assert_eq!(find_label(&list, "Sales"), None);
    }
}
