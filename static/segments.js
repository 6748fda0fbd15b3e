// SMS segment counting for the live counter under the reply box.
// Same rules and results as src/domain/segments.rs (both are checked against
// tests/fixtures/segments.json):
// - GSM-7 when every character is in the GSM 03.38 default alphabet or its extension
//   table; extension characters (^ { } \ [ ~ ] | € and form feed) take 2 septets. Up to
//   160 septets in one SMS, else segments of 153; an extension character never straddles
//   two segments.
// - Otherwise UCS-2, counted in UTF-16 code units: up to 70 in one SMS, else segments of
//   67; a surrogate pair (emoji) never straddles two segments.
// - Empty text is 0 segments.
// Plain script, no modules: defines window.ParleySegments = { count(text) }.
(function () {
  "use strict";

  var GSM_BASIC =
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?" +
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà";
  var GSM_EXTENSION = "\f^{}\\[~]|€";
  var MAX_UCS2_BECAUSE = 10;

  var SEPTETS = new Map();
  for (const ch of GSM_BASIC) SEPTETS.set(ch, 1);
  for (const ch of GSM_EXTENSION) SEPTETS.set(ch, 2);

  function count(text) {
    text = text == null ? "" : String(text);
    var chars = [];
    var because = [];
    var nonGsm = false;
    for (const ch of text) {
      chars.push(ch);
      if (!SEPTETS.has(ch)) {
        nonGsm = true;
        if (because.length < MAX_UCS2_BECAUSE && because.indexOf(ch) < 0) because.push(ch);
      }
    }

    var encoding = nonGsm ? "ucs2" : "gsm7";
    var single = nonGsm ? 70 : 160;
    var multi = nonGsm ? 67 : 153;
    var widths = chars.map(function (ch) {
      return nonGsm ? ch.length : SEPTETS.get(ch);
    });
    var units = widths.reduce(function (a, b) { return a + b; }, 0);

    var segments, perSegment, usedInLast;
    if (units === 0) {
      segments = 0; perSegment = single; usedInLast = 0;
    } else if (units <= single) {
      segments = 1; perSegment = single; usedInLast = units;
    } else {
      // Fill segments greedily; a character that does not fit whole starts the next one.
      segments = 1; perSegment = multi; usedInLast = 0;
      for (const w of widths) {
        if (usedInLast + w > multi) {
          segments += 1;
          usedInLast = w;
        } else {
          usedInLast += w;
        }
      }
    }

    return {
      encoding: encoding,
      characters: chars.length,
      units: units,
      segments: segments,
      per_segment: perSegment,
      remaining: perSegment - usedInLast,
      ucs2_because: because,
    };
  }

  window.ParleySegments = { count: count };
})();
