// The live line under the reply box: how many characters, which encoding (and for UCS-2 the
// characters that forced it), how many SMS parts and how much room is left in the last one.
// The counting itself is window.ParleySegments (segments.js), which matches the server's.
"use strict";
(function () {
  const reply = document.getElementById("reply");
  const out = document.getElementById("segments");
  if (!reply || !out || !window.ParleySegments) return;

  const plural = (n, one, many) => n + " " + (n === 1 ? one : many);

  // Invisible or blank characters would show as nothing; name them by code point instead.
  function shown(ch) {
    if (/^[\s\p{C}\p{M}]$/u.test(ch)) {
      return "U+" + ch.codePointAt(0).toString(16).toUpperCase().padStart(4, "0");
    }
    return ch;
  }

  function describe(c) {
    const encoding = c.encoding === "gsm7"
      ? "GSM-7"
      : "Unicode (UCS-2) because of: " + c.ucs2_because.map(shown).join(" ");
    let parts = plural(c.segments, "SMS", "SMS");
    if (c.segments > 0) parts += " (" + c.remaining + " left)";
    return [plural(c.characters, "character", "characters"), encoding, parts].join(" · ");
  }

  function update() {
    const c = window.ParleySegments.count(reply.value);
    out.textContent = describe(c);
    out.dataset.encoding = c.encoding;
    out.dataset.segments = String(c.segments);
    out.classList.toggle("multi", c.segments > 1);
  }

  reply.addEventListener("input", update);
  update();
})();
