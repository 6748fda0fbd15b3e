use super::*;

fn rep(s: &str, n: usize) -> String {
    s.repeat(n)
}

/// Every character of the GSM 03.38 default alphabet (128 positions, minus the escape).
const GSM_BASIC: &str = "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?\
    ¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà";
/// The extension table's characters.
const GSM_EXT: &str = "\u{0C}^{}\\[~]|€";

#[test]
fn segments_empty_is_zero() {
    let c = count("");
    assert_eq!(
        c,
        SegmentCount {
            encoding: Encoding::Gsm7,
            characters: 0,
            units: 0,
            segments: 0,
            per_segment: 160,
            remaining: 160,
            ucs2_because: vec![],
        }
    );
}

#[test]
fn segments_basic_alphabet_is_exactly_127_single_septets() {
    assert_eq!(GSM_BASIC.chars().count(), 127);
    for ch in GSM_BASIC.chars() {
        assert_eq!(gsm7_septets(ch), Some(1), "{ch:?}");
    }
    let c = count(GSM_BASIC);
    assert_eq!(c.encoding, Encoding::Gsm7);
    assert_eq!(c.units, 127);
    assert_eq!(c.segments, 1);
    assert_eq!(c.remaining, 33);
    // Nothing outside that list and the extension table is GSM-7 (checks the BMP).
    let n = (0..=0xFFFFu32)
        .filter_map(char::from_u32)
        .filter(|&c| gsm7_septets(c).is_some())
        .count();
    assert_eq!(n, 127 + 10);
}

#[test]
fn segments_extension_table_is_two_septets() {
    for ch in GSM_EXT.chars() {
        assert_eq!(gsm7_septets(ch), Some(2), "{ch:?}");
        let c = count(&ch.to_string());
        assert_eq!((c.encoding, c.units, c.segments), (Encoding::Gsm7, 2, 1));
    }
    let c = count("€");
    assert_eq!((c.characters, c.units, c.remaining), (1, 2, 158));
    assert_eq!(count("{").units, 2);
    let c = count(GSM_EXT);
    assert_eq!((c.characters, c.units), (10, 20));
}

#[test]
fn segments_lookalikes_are_not_gsm7() {
    for s in [
        "ç", "á", "í", "ó", "ú", "â", "ê", "Á", "’", "‘", "“", "”", "`", "…", "–", "\t", "😀", "中",
    ] {
        let c = count(s);
        assert_eq!(c.encoding, Encoding::Ucs2, "{s:?}");
        assert_eq!(c.ucs2_because, s.chars().collect::<Vec<_>>(), "{s:?}");
    }
    // The upper-case Ç and é are GSM-7.
    assert_eq!(count("Çé").encoding, Encoding::Gsm7);
}

#[test]
fn segments_gsm7_lengths() {
    let c = count(&rep("a", 160));
    assert_eq!(
        (c.encoding, c.units, c.segments, c.per_segment, c.remaining),
        (Encoding::Gsm7, 160, 1, 160, 0)
    );
    let c = count(&rep("a", 161));
    assert_eq!((c.segments, c.per_segment, c.remaining), (2, 153, 145));
    let c = count(&rep("a", 306));
    assert_eq!((c.segments, c.remaining), (2, 0));
    let c = count(&rep("a", 307));
    assert_eq!((c.segments, c.remaining), (3, 152));
    assert_eq!(count(&rep("a", 459)).segments, 3);
    assert_eq!(count(&rep("a", 460)).segments, 4);
}

#[test]
fn segments_gsm7_extension_at_boundaries() {
    // 158 + 2 = 160 septets: still one SMS.
    let c = count(&(rep("a", 158) + "€"));
    assert_eq!((c.units, c.segments, c.remaining), (160, 1, 0));
    // 159 + 2 = 161 septets: two.
    let c = count(&(rep("a", 159) + "€"));
    assert_eq!((c.characters, c.units, c.segments), (160, 161, 2));
    assert_eq!(c.remaining, 153 - 8);
    // 152 'a' then '€' would occupy septets 153-154 and straddle the boundary, so it
    // moves to segment 2: [152 a][€ + 8 a] → 2 + 8 = 10 used in the last segment.
    let c = count(&(rep("a", 152) + "€" + &rep("a", 8)));
    assert_eq!((c.units, c.segments, c.remaining), (162, 2, 153 - 10));
    // Without the move the same 306 septets would fit two segments exactly; with it,
    // the last 'a' spills into a third.
    let c = count(&(rep("a", 152) + "€" + &rep("a", 152)));
    assert_eq!((c.units, c.segments, c.remaining), (306, 3, 152));
    // The same text with the '€' one character earlier fits two exactly.
    let c = count(&(rep("a", 151) + "€" + &rep("a", 153)));
    assert_eq!((c.units, c.segments, c.remaining), (306, 2, 0));
    // Worked example from the brief.
    let c = count("Price: 5€");
    assert_eq!(
        (c.encoding, c.characters, c.units, c.segments),
        (Encoding::Gsm7, 9, 10, 1)
    );
}

#[test]
fn segments_ucs2_lengths() {
    let c = count("Hello 😀");
    assert_eq!(c.encoding, Encoding::Ucs2);
    assert_eq!(c.ucs2_because, vec!['😀']);
    assert_eq!((c.characters, c.units, c.segments), (7, 8, 1));
    assert_eq!((c.per_segment, c.remaining), (70, 62));

    let c = count(&rep("á", 70));
    assert_eq!(
        (c.encoding, c.units, c.segments, c.remaining),
        (Encoding::Ucs2, 70, 1, 0)
    );
    let c = count(&rep("á", 71));
    assert_eq!((c.segments, c.per_segment, c.remaining), (2, 67, 63));
    assert_eq!(count(&rep("ç", 134)).segments, 2);
    assert_eq!(count(&rep("ç", 135)).segments, 3);
    // A single accented character makes an otherwise ASCII text UCS-2.
    let c = count(&(rep("a", 69) + "ç"));
    assert_eq!((c.encoding, c.segments), (Encoding::Ucs2, 1));
    let c = count(&(rep("a", 70) + "ç"));
    assert_eq!((c.units, c.segments), (71, 2));
}

#[test]
fn segments_ucs2_surrogate_pair_at_boundaries() {
    // 68 + 2 = 70 units: still one SMS.
    let c = count(&(rep("á", 68) + "😀"));
    assert_eq!((c.units, c.segments, c.remaining), (70, 1, 0));
    // 66 'á' + 😀 = 68 units alone still fits one SMS...
    let c = count(&(rep("á", 66) + "😀"));
    assert_eq!(
        (c.characters, c.units, c.segments, c.remaining),
        (67, 68, 1, 2)
    );
    // ...but with 3 more 'á' it is 71 units: two segments. The pair would occupy units
    // 67-68 and straddle the boundary, so it moves whole to segment 2:
    // [66 á][😀 + 3 á] → 5 units in the last segment (a split pair would leave 4).
    let c = count(&(rep("á", 66) + "😀" + &rep("á", 3)));
    assert_eq!((c.characters, c.units, c.segments), (70, 71, 2));
    assert_eq!(c.remaining, 67 - 5);
    // [66 á][😀 + 65 á] is 67 units in the last segment: two...
    let c = count(&(rep("á", 66) + "😀" + &rep("á", 65)));
    assert_eq!((c.units, c.segments, c.remaining), (133, 2, 0));
    // ...while 134 units with the move need three.
    let c = count(&(rep("á", 66) + "😀" + &rep("á", 66)));
    assert_eq!((c.units, c.segments, c.remaining), (134, 3, 66));
    // Pair one unit earlier: [65 á + 😀][67 á] = exactly two.
    let c = count(&(rep("á", 65) + "😀" + &rep("á", 67)));
    assert_eq!((c.units, c.segments, c.remaining), (134, 2, 0));
    // All emoji: 35 fit one SMS (70 units), 36 need two (33 + 3 pairs).
    assert_eq!(count(&rep("😀", 35)).segments, 1);
    let c = count(&rep("😀", 36));
    assert_eq!((c.units, c.segments, c.remaining), (72, 2, 67 - 6));
}

#[test]
fn segments_ucs2_because_distinct_in_order_at_most_ten() {
    let c = count("ça va? très bien ç à 😀 ça");
    // 'è' and 'à' are GSM-7; only ç and 😀 force UCS-2.
    assert_eq!(c.ucs2_because, vec!['ç', '😀']);
    assert!(count("plain ascii").ucs2_because.is_empty());
    let twelve = "áíóúâêîôûãõç";
    let c = count(&(twelve.to_string() + twelve));
    assert_eq!(c.ucs2_because, "áíóúâêîôûã".chars().collect::<Vec<_>>());
    assert_eq!(c.ucs2_because.len(), MAX_UCS2_BECAUSE);
    // GSM-7 text lists nothing.
    assert!(count("Hello {world} €5").ucs2_because.is_empty());
}

#[test]
fn segments_characters_are_scalar_values() {
    // e + combining acute: 2 scalar values, 2 UTF-16 units, U+0301 forces UCS-2.
    let c = count("e\u{301}");
    assert_eq!((c.encoding, c.characters, c.units), (Encoding::Ucs2, 2, 2));
    assert_eq!(c.ucs2_because, vec!['\u{301}']);
    let c = count("中文短信");
    assert_eq!((c.characters, c.units, c.segments), (4, 4, 1));
}

#[test]
fn segments_serialize_snake_case_lowercase() {
    let v = serde_json::to_value(count("Hi 😀")).unwrap();
    assert_eq!(
        v,
        serde_json::json!({
            "encoding": "ucs2",
            "characters": 4,
            "units": 5,
            "segments": 1,
            "per_segment": 70,
            "remaining": 65,
            "ucs2_because": ["😀"],
        })
    );
    assert_eq!(serde_json::to_value(Encoding::Gsm7).unwrap(), "gsm7");
}

#[test]
fn segments_fixture_shared_with_js() {
    let raw = include_str!(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/segments.json"
    ));
    let vectors: Vec<serde_json::Value> = serde_json::from_str(raw).unwrap();
    assert!(vectors.len() >= 30, "only {} vectors", vectors.len());
    for v in &vectors {
        let text = v["text"].as_str().unwrap();
        let got = serde_json::to_value(count(text)).unwrap();
        // Required fields, then whichever optional ones the entry states.
        for key in [
            "encoding",
            "units",
            "segments",
            "characters",
            "per_segment",
            "remaining",
            "ucs2_because",
        ] {
            if let Some(want) = v.get(key) {
                assert_eq!(&got[key], want, "{key} of {text:?}");
            } else {
                assert!(
                    !["encoding", "units", "segments"].contains(&key),
                    "fixture entry {text:?} lacks {key}"
                );
            }
        }
    }
}

/// Converts an `sms_splitter` result to (encoding, characters, units, segments,
/// remaining). It reports one empty part for empty text, where we report none.
fn reference(text: &str) -> (Encoding, usize, usize, usize, usize) {
    let owned: String = text.into();
    let r = sms_splitter::SplitSms::default().split(owned);
    let (encoding, units) = match r.character_set.as_str() {
        "GSM" => (Encoding::Gsm7, r.bytes),
        "Unicode" => (Encoding::Ucs2, r.bytes / 2),
        other => panic!("unknown character set {other}"),
    };
    let segments = if text.is_empty() { 0 } else { r.parts.len() };
    (encoding, r.length, units, segments, r.remaining_in_part)
}

fn ours(text: &str) -> (Encoding, usize, usize, usize, usize) {
    let c = count(text);
    (c.encoding, c.characters, c.units, c.segments, c.remaining)
}

#[test]
fn segments_agree_with_sms_splitter_crate() {
    let texts: Vec<String> = vec![
        String::new(),
        "Hello".into(),
        "Hello World!".into(),
        GSM_BASIC.into(),
        GSM_EXT.into(),
        "Price: 5€".into(),
        "{json: [1,2,3]} ~ ^ | \\".into(),
        rep("a", 160),
        rep("a", 161),
        rep("a", 306),
        rep("a", 307),
        rep("€", 80),
        rep("€", 81),
        rep("a", 158) + "€",
        rep("a", 159) + "€",
        rep("a", 152) + "€" + &rep("a", 8),
        rep("a", 152) + "€" + &rep("a", 152),
        rep("a", 151) + "€" + &rep("a", 153),
        rep("a", 152) + &rep("[", 80),
        "Café crème, ça va?".into(),
        "Hello 😀".into(),
        "Thanks! We’ll call you “soon”.".into(),
        rep("á", 70),
        rep("á", 71),
        rep("ç", 134),
        rep("ç", 135),
        rep("á", 68) + "😀",
        rep("á", 66) + "😀",
        rep("á", 66) + "😀" + &rep("á", 3),
        rep("á", 66) + "😀" + &rep("á", 65),
        rep("á", 66) + "😀" + &rep("á", 66),
        rep("á", 65) + "😀" + &rep("á", 67),
        rep("😀", 35),
        rep("😀", 36),
        rep("😀👍🏽", 30),
        "中文短信测试，您好！".into(),
        rep("你好世界", 40),
        "e\u{301}".into(),
        rep("The quick brown fox jumps over the lazy dog. ", 12),
        rep("Ваш заказ готов. ", 10),
        rep("a", 69) + "ç",
        rep("a", 70) + "ç",
    ];
    assert!(texts.len() >= 30);
    for t in &texts {
        assert_eq!(ours(t), reference(t), "{t:?}");
    }
}

/// Pseudo-random texts around the segment boundaries, mixing 1- and 2-unit characters.
#[test]
fn segments_agree_with_sms_splitter_crate_random() {
    let gsm_pool: Vec<char> = "aZ0 @é\n€{}[]^~|\\".chars().collect();
    let ucs_pool: Vec<char> = "aé€{áç😀👍中’".chars().collect();
    let mut seed: u64 = 0x5eed_1234_abcd_ef01;
    let mut next = move || {
        seed = seed
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (seed >> 33) as usize
    };
    for round in 0..2000 {
        let pool = if round % 2 == 0 { &gsm_pool } else { &ucs_pool };
        let len = next() % 400;
        let text: String = (0..len).map(|_| pool[next() % pool.len()]).collect();
        assert_eq!(ours(&text), reference(&text), "{text:?}");
    }
}
