//! Accessibility checks in the browser: axe-core, from npm (`tests/peers`, installed by
//! `.ci/run`), injected into the page a browser test is looking at. A serious or critical
//! violation fails the test, and so does a page without exactly one `h1`.
//!
//! Without the package the check prints a loud notice and passes, unless
//! `PARLEY_REQUIRE_BROWSER=1`, which makes it a failure (CI installs it).

use std::io::Write;
use std::path::PathBuf;
use std::sync::OnceLock;

use fantoccini::Client;
use serde_json::{Value, json};

/// Where `npm ci --prefix tests/peers` puts axe-core.
fn axe_path() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/peers/node_modules/axe-core/axe.min.js")
}

/// axe-core's source, read once; None (after saying so loudly, once) when it is missing.
fn axe_source() -> Option<&'static str> {
    static SOURCE: OnceLock<Option<String>> = OnceLock::new();
    SOURCE
        .get_or_init(|| match std::fs::read_to_string(axe_path()) {
            Ok(src) => Some(src),
            Err(e) => {
                let problem = format!(
                    "{} cannot be read ({e}); run `npm ci --prefix tests/peers`",
                    axe_path().display()
                );
                if std::env::var("PARLEY_REQUIRE_BROWSER").as_deref() == Ok("1") {
                    panic!("accessibility check cannot run: {problem} (PARLEY_REQUIRE_BROWSER=1)");
                }
                let bar = "!".repeat(78);
                let _ = writeln!(
                    std::io::stderr(),
                    "\n{bar}\n!!! SKIPPED accessibility checks: {problem}\n{bar}\n"
                );
                None
            }
        })
        .as_deref()
}

/// Runs axe-core on the page `c` shows now; panics listing every serious or critical
/// violation, or when the page does not have exactly one `h1`. `what` names the page and
/// state in the message.
pub(crate) async fn assert_accessible(c: &Client, what: &str) {
    let problems = accessibility_problems(c).await;
    assert!(
        problems.is_empty(),
        "accessibility problems on {what}:\n{}",
        problems.join("\n")
    );
}

/// What axe-core finds serious or critical on the page `c` shows now, and a missing or second
/// `h1`; empty when all is well (or when axe-core is missing and not required).
pub(crate) async fn accessibility_problems(c: &Client) -> Vec<String> {
    let Some(src) = axe_source() else {
        return Vec::new();
    };
    let loaded = c
        .execute("return typeof window.axe === 'object';", vec![])
        .await
        .expect("look for axe");
    if loaded != json!(true) {
        // The file as the script's body: WebDriver scripts are not subject to the page's CSP.
        c.execute(&format!("{src}\nreturn true;"), vec![])
            .await
            .expect("inject axe-core");
    }
    let result = c
        .execute_async(
            "const done = arguments[arguments.length - 1];
             axe.run(document, { resultTypes: ['violations'] })
               .then(r => done({
                 h1: document.querySelectorAll('h1').length,
                 violations: r.violations
                   .filter(v => v.impact === 'serious' || v.impact === 'critical')
                   .map(v => ({ id: v.id, impact: v.impact, help: v.help,
                     nodes: v.nodes.map(n => n.target.join(' ') + ': ' + n.failureSummary) })),
               }))
               .catch(e => done({ error: String(e) }));",
            vec![],
        )
        .await
        .expect("run axe-core");
    if let Some(e) = result.get("error") {
        panic!("axe-core failed: {e}");
    }
    let violations = result["violations"].as_array().cloned().unwrap_or_default();
    let mut problems: Vec<String> = violations.iter().map(describe).collect();
    if result["h1"] != json!(1) {
        problems.push(format!("  {} h1 elements instead of one", result["h1"]));
    }
    problems
}

fn describe(v: &Value) -> String {
    let nodes: Vec<String> = v["nodes"]
        .as_array()
        .map(|n| {
            n.iter()
                .map(|s| format!("    {}", s.as_str().unwrap_or_default()))
                .collect()
        })
        .unwrap_or_default();
    format!(
        "  [{}] {}: {}\n{}",
        v["impact"].as_str().unwrap_or_default(),
        v["id"].as_str().unwrap_or_default(),
        v["help"].as_str().unwrap_or_default(),
        nodes.join("\n")
    )
}
