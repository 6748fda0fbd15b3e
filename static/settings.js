// The Settings page's notification box: ticking it asks the browser for permission to show
// notifications (only then, never on page load) and says what the browser answered.
"use strict";
(function () {
  const box = document.getElementById("notify");
  const status = document.getElementById("notify-status");
  if (!box || !status) return;
  const supported = "Notification" in window;

  function say(text) {
    status.textContent = text;
    status.hidden = !text;
  }

  function explain(permission) {
    if (!supported) {
      box.checked = false;
      say("This browser cannot show notifications.");
    } else if (permission === "granted") {
      say(box.checked ? "This browser may show notifications. Save to keep the choice." : "");
    } else if (permission === "denied") {
      box.checked = false;
      say("This browser blocks notifications from Parley; allow them in the site's settings, then tick the box again.");
    } else {
      box.checked = false;
      say("Notifications need your browser's permission; tick the box again to be asked.");
    }
  }

  box.addEventListener("change", () => {
    if (!box.checked) { say(""); return; }
    if (!supported || Notification.permission !== "default") { explain(supported ? Notification.permission : null); return; }
    Notification.requestPermission().then(explain, () => explain("default"));
  });

  // Turned on earlier, perhaps in another browser: say so if this one has not allowed it yet.
  if (box.checked && (!supported || Notification.permission !== "granted")) {
    say(supported && Notification.permission === "denied"
      ? "This browser blocks notifications from Parley; allow them in the site's settings."
      : "This browser has not allowed notifications yet; untick and tick the box to be asked.");
  }
})();
