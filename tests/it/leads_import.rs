//! `parley import leads` with the real binary on a real data dir: good rows become leads
//! linked to contacts, refused rows land in an error report, a second import finds duplicates,
//! and a file that cannot be mapped changes nothing.

use std::process::Command;

use parley::domain::{Campaign, CampaignId, CampaignKind, ChannelPreference, E164};
use parley::store;

use crate::common::{close_store, open_store_at};

const LIST: &str = "\u{feff}Mobile,First Name,Last Name,TZ,Channel,Plan\n\
+14155550101,Ana,Lima,America/Sao_Paulo,sms,gold\n\
(415) 555-0102,Ben,,,email,silver\n\
not a phone,Cy,,,,\n\
+14155550104,Dee,,Mars/Base,,\n\
+1 415 555 0101,Ana,Again,,,\n\
+14155550105,Eve,,,fax,\n\
\n\
+14155550106,Fay,Fox,Europe/Berlin,,bronze\n";

/// A data dir with a predictive campaign "Spring offer" and an inbound one "Support".
async fn data_dir() -> (tempfile::TempDir, CampaignId) {
    let dir = tempfile::tempdir().unwrap();
    let (s, writer) = open_store_at(dir.path());
    let queue = parley::bootstrap::ensure_default_queue(&s).await.unwrap();
    // A contact that already has a name keeps it.
    let known = E164::parse("+14155550106").unwrap();
    s.write(move |txn| {
        let c = store::find_or_create_contact(txn, &known, chrono::Utc::now())?;
        store::set_contact_name(txn, c.id, "Fiona", "")?;
        for (name, kind) in [
            ("Spring offer", CampaignKind::Predictive),
            ("Support", CampaignKind::Inbound),
        ] {
            store::save_campaign(txn, Campaign::new(CampaignId(0), name, kind, queue))?;
        }
        Ok(())
    })
    .await
    .unwrap();
    let campaigns = s.read(store::all_campaigns).await.unwrap();
    close_store(s, writer).await;
    let spring = campaigns
        .iter()
        .find(|c| c.name == "Spring offer")
        .unwrap()
        .id;
    (dir, spring)
}

fn parley(dir: &std::path::Path, args: &[&str]) -> (bool, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_parley"))
        .arg("--data-dir")
        .arg(dir)
        .args(["import", "leads"])
        .args(args)
        .env("PARLEY_LOG", "warn")
        .output()
        .expect("run parley");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), text)
}

#[tokio::test]
async fn a_lead_list_is_imported_with_a_report_of_the_refused_rows() {
    let (dir, spring) = data_dir().await;
    let file = dir.path().join("list.csv");
    std::fs::write(&file, LIST).unwrap();
    let path = file.to_str().unwrap();

    let (ok, out) = parley(dir.path(), &[path, "--campaign", "spring OFFER"]);
    assert!(ok, "{out}");
    assert!(
        out.contains("Imported 3 leads into “spring OFFER”"),
        "{out}"
    );
    assert!(out.contains("4 rows refused"), "{out}");
    let report = std::fs::read_to_string(dir.path().join("list.csv.errors.csv")).unwrap();
    let lines: Vec<&str> = report.lines().collect();
    assert_eq!(lines[0], "line,phone,reason");
    let expect = [
        ("4,not a phone,", "bad phone"),
        ("5,+14155550104,", "unknown time zone"),
        ("6,'+1 415 555 0101,", "duplicate"),
        ("7,+14155550105,", "unknown channel"),
    ];
    for (line, (start, reason)) in lines[1..].iter().zip(expect) {
        assert!(line.starts_with(start) && line.contains(reason), "{report}");
    }
    assert_eq!(lines.len(), 5);

    let (s, writer) = open_store_at(dir.path());
    let (leads, fay) = s
        .read(move |txn| {
            let fay = store::contact_by_phone(txn, &E164::parse("+14155550106").unwrap())?;
            Ok((store::campaign_leads(txn, spring)?, fay))
        })
        .await
        .unwrap();
    close_store(s, writer).await;
    let phones: Vec<&str> = leads.iter().map(|l| l.phone.as_str()).collect();
    assert_eq!(phones, ["+14155550101", "+14155550102", "+14155550106"]);
    assert_eq!(leads[0].time_zone, "America/Sao_Paulo");
    assert_eq!(leads[0].channel, ChannelPreference::Sms);
    assert_eq!(leads[1].channel, ChannelPreference::Email);
    assert_eq!(
        leads[0].fields,
        vec![("plan".to_owned(), "gold".to_owned())]
    );
    // Linked to the contact of the same number; a known contact keeps its own name.
    let fay = fay.unwrap();
    assert_eq!(leads[2].contact, fay.id);
    assert_eq!(fay.first_name, "Fiona");
    assert_eq!(fay.last_name, "Fox", "blanks are filled from the lead");

    // The same list again: every good row is now a duplicate; nothing is added.
    let (ok, out) = parley(dir.path(), &[path, "--campaign", "Spring offer"]);
    assert!(ok, "{out}");
    assert!(out.contains("Imported 0 leads"), "{out}");
    assert!(out.contains("7 rows refused"), "{out}");

    // Both imports' refusals are counted for the campaign's page, by kind.
    let (s, writer) = open_store_at(dir.path());
    let stats = s
        .read(move |txn| store::campaign_stats(txn, spring))
        .await
        .unwrap();
    close_store(s, writer).await;
    let refused: Vec<(&str, u64)> = stats
        .refused
        .iter()
        .map(|(k, n)| (k.as_str(), *n))
        .collect();
    assert_eq!(
        refused,
        [
            ("bad phone", 2),
            ("duplicate", 5),
            ("unknown channel", 2),
            ("unknown time zone", 2)
        ]
    );
}

#[tokio::test]
async fn a_list_that_cannot_be_mapped_or_a_wrong_campaign_changes_nothing() {
    let (dir, spring) = data_dir().await;
    let file = dir.path().join("odd.csv");
    std::fs::write(&file, "Tel,Who\n+14155550101,Ana\n").unwrap();
    let path = file.to_str().unwrap();

    let (ok, out) = parley(dir.path(), &[path, "--campaign", "Spring offer"]);
    assert!(!ok);
    assert!(out.contains("map exactly one column to phone"), "{out}");
    let (ok, out) = parley(
        dir.path(),
        &[path, "--campaign", "Support", "--map", "Tel=phone"],
    );
    assert!(!ok);
    assert!(out.contains("not a predictive campaign"), "{out}");
    let (ok, out) = parley(
        dir.path(),
        &[path, "--campaign", "Nope", "--map", "Tel=phone"],
    );
    assert!(!ok);
    assert!(out.contains("no campaign called “Nope”"), "{out}");
    let (ok, out) = parley(
        dir.path(),
        &[path, "--campaign", "Spring offer", "--map", "Tel=fax"],
    );
    assert!(!ok);
    assert!(out.contains("not a lead field"), "{out}");

    let (s, writer) = open_store_at(dir.path());
    let n = s
        .read(move |txn| store::count_leads(txn, spring))
        .await
        .unwrap();
    close_store(s, writer).await;
    assert_eq!(n, 0);

    // Mapped by hand, the same file imports.
    let (ok, out) = parley(
        dir.path(),
        &[
            path,
            "--campaign",
            "Spring offer",
            "--map",
            "Tel=phone",
            "--map",
            "who=first_name",
        ],
    );
    assert!(ok, "{out}");
    assert!(out.contains("Imported 1 leads"), "{out}");
}
