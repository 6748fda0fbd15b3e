//! Writing CSV cells that spreadsheets open safely.

/// One CSV cell: quoted when needed, and a leading `=`, `+`, `-` or `@` defused with `'` so
/// a spreadsheet never runs a name or a typed value as a formula. E.164 numbers (`+` and
/// digits only) are left as they are.
pub fn csv_cell(value: &str) -> String {
    let defused = match value.chars().next() {
        Some('=' | '-' | '@') => format!("'{value}"),
        Some('+') if !value[1..].chars().all(|c| c.is_ascii_digit()) => format!("'{value}"),
        _ => value.to_owned(),
    };
    if defused.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", defused.replace('"', "\"\""))
    } else {
        defused
    }
}

#[cfg(test)]
mod tests {
    use super::csv_cell;

    #[test]
    fn cells_are_quoted_and_formulas_defused() {
        assert_eq!(csv_cell("plain"), "plain");
        assert_eq!(csv_cell("a,b"), "\"a,b\"");
        assert_eq!(csv_cell("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(csv_cell("=HYPERLINK(1)"), "'=HYPERLINK(1)");
        assert_eq!(csv_cell("@SUM"), "'@SUM");
        assert_eq!(csv_cell("+14155550100"), "+14155550100");
        assert_eq!(csv_cell("+cmd"), "'+cmd");
    }
}
