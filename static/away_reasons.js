// The workspace's away reason control: a free-text box, or the admin's list of reasons (a
// select), with an "Other…" box for a reason of one's own when the admin allows it.
// workspace.js asks it for the reason to send and tells it what the server says.
"use strict";
(function () {
  const box = document.getElementById("away-reason");   // <input> (free) or <select> (a list)
  const other = document.getElementById("away-other");  // only with a list that allows Other
  const OTHER = "__other__";
  const listeners = [];
  const isList = box.tagName === "SELECT";
  const otherChosen = () => isList && !!other && box.value === OTHER;
  const fire = () => { for (const fn of listeners) fn(); };

  window.ParleyAwayReason = {
    // Shows the control while Away, holding `reason` (a listed one, or Other's text).
    show(away, reason) {
      box.hidden = !away;
      if (other) other.hidden = true;
      if (!away) return;
      if (!isList) { box.value = reason || ""; return; }
      const listed = [...box.options].some((o) => o.value !== OTHER && o.value === reason);
      if (listed) box.value = reason;
      else if (other && reason) { box.value = OTHER; other.value = reason; other.hidden = false; }
      else box.selectedIndex = 0;
    },
    // The reason to send with "away".
    value() { return otherChosen() ? other.value : box.value; },
    onChange(fn) { listeners.push(fn); },
  };

  box.addEventListener("change", () => {
    if (otherChosen()) {
      other.hidden = false;
      other.focus();
      // Nothing to send until the agent has typed their reason.
      if (!other.value.trim()) return;
    } else if (other) {
      other.hidden = true;
    }
    fire();
  });
  if (other) other.addEventListener("change", fire);
})();
