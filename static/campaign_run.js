// A predictive campaign's run page (page.js asks before a cancel): fetches the live
// part (counters, expected finish, chart) again every 2 seconds. When the run's state changed
// meanwhile (finished, or changed in another window) the page is loaded again, so its buttons
// match the state.
"use strict";
(function () {
  const live = document.getElementById("run-live");
  if (!live) return;
  const status = document.getElementById("run-live-status");
  const pageState = live.dataset.state;
  /** How often the live part is fetched, in ms. */
  const REFRESH_MS = 2000;

  function say(message, isError) {
    status.textContent = message;
    status.classList.toggle("error", !!isError);
    status.classList.toggle("muted", !isError);
  }

  async function refresh() {
    let res;
    try {
      res = await fetch(live.dataset.src, {
        credentials: "same-origin",
        cache: "no-store",
        headers: { Accept: "text/html" },
      });
    } catch (e) {
      say("The server could not be reached; trying again.", true);
      setTimeout(refresh, REFRESH_MS);
      return;
    }
    const type = res.headers.get("Content-Type") || "";
    // A login page after a redirect, a refusal or an error page: stop, and say so.
    if (!res.ok || res.redirected || !type.startsWith("text/html")) {
      say("Live updates stopped (" + res.status + "); reload the page.", true);
      return;
    }
    const html = await res.text();
    const next = document.createElement("template");
    next.innerHTML = html;
    const body = next.content.getElementById("run-live-body");
    if (!body) {
      say("Live updates stopped (unexpected answer); reload the page.", true);
      return;
    }
    if (body.dataset.state !== pageState) {
      // The buttons belong to the old state: draw the page again (without the old notice).
      window.location.replace(window.location.pathname);
      return;
    }
    live.replaceChildren(next.content);
    say("Updated every 2 seconds.", false);
    setTimeout(refresh, REFRESH_MS);
  }

  setTimeout(refresh, REFRESH_MS);
})();
