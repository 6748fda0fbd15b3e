// Template search, shared by the composer's template picker and the Outbound SMS dialog: a
// template matches when its name or text holds every word typed, ignoring case and accents.
"use strict";
window.ParleyTemplateSearch = (function () {
  const fold = (s) => s.normalize("NFD").replace(/\p{M}/gu, "").toLowerCase();
  return {
    /** Whether template `t` ({name, text}) matches `query` (an empty query matches all). */
    matches(t, query) {
      const hay = fold(t.name + "\n" + t.text);
      return fold(query).split(/\s+/).filter(Boolean).every((w) => hay.includes(w));
    },
  };
})();
