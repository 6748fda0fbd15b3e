// The customer's history, in the History tab and in the side panel: the same server-rendered
// fragment in two hosts (`.history-host`), each working on its own. Changing the range saves
// the agent's choice (POST with the CSRF token) and reloads; Older/Newer page; each item's
// arrow loads its detail in place and folds it away again.
"use strict";
(function () {
  const app = document.getElementById("app");
  const side = document.getElementById("history-side-body");
  if (!app || !side) return;
  const csrf = app.dataset.csrf;
  // host -> number of its latest load, so a slow answer never replaces a newer one.
  const loads = new WeakMap();

  function localize(root) {
    const ws = window.ParleyWorkspace;
    if (ws && ws.localizeTimes) ws.localizeTimes(root);
  }

  function errorLine(msg) {
    const p = document.createElement("p");
    p.className = "error";
    p.setAttribute("role", "alert");
    p.textContent = msg;
    return p;
  }

  // The fragment (or the server's error paragraph, which is HTML too).
  async function fetchHtml(url, init) {
    const res = await fetch(url, Object.assign({ credentials: "same-origin" }, init || {}));
    const type = res.headers.get("content-type") || "";
    if (!type.includes("text/html")) {
      let msg = "Request failed (" + res.status + ")";
      try { msg = (await res.json()).error || msg; } catch (_) { /* not JSON */ }
      throw new Error(msg);
    }
    return { ok: res.ok, html: await res.text() };
  }

  function shownWorkitem(host) {
    const section = host.querySelector(".history");
    return section ? section.dataset.workitem : null;
  }

  async function load(host, url, init) {
    const n = (loads.get(host) || 0) + 1;
    loads.set(host, n);
    const before = shownWorkitem(host);
    try {
      const { html } = await fetchHtml(url, init);
      if (loads.get(host) !== n) return false;
      // The workspace reloaded this host for another workitem meanwhile (the History tab).
      if (before && shownWorkitem(host) !== before) return false;
      host.innerHTML = html;
      localize(host);
      return true;
    } catch (e) {
      if (loads.get(host) === n) host.prepend(errorLine(e.message));
      return false;
    }
  }

  function timelineUrl(workitem, scope, q, range) {
    let url = "/workspace/workitems/" + workitem + "/tabs/history?scope=" + encodeURIComponent(scope);
    if (range) url += "&range=" + encodeURIComponent(range);
    if (q) url += "&q=" + encodeURIComponent(q);
    return url;
  }

  // The search box: hits replace the timeline in this host only; Clear brings it back.
  async function searchIn(section, q) {
    const host = section.closest(".history-host");
    const select = section.querySelector("select.history-range");
    if (!host) return;
    const url = timelineUrl(section.dataset.workitem, section.dataset.scope, q, select && select.value);
    if (!(await load(host, url))) return;
    const box = host.querySelector("form.history-search input[name=q]");
    if (box) {
      box.focus();
      box.setSelectionRange(box.value.length, box.value.length);
    }
  }
  document.addEventListener("submit", (ev) => {
    const form = ev.target.closest && ev.target.closest("form.history-search");
    if (!form || !form.closest(".history-host")) return;
    ev.preventDefault();
    searchIn(form.closest(".history"), form.elements.q.value.trim());
  });

  // ---- the side panel follows the open workitem ----
  function sideEmpty() {
    loads.set(side, (loads.get(side) || 0) + 1);
    const p = document.createElement("p");
    p.className = "muted history-side-empty";
    p.textContent = "Select a workitem to see its customer's history.";
    side.replaceChildren(p);
  }
  // On narrower screens the panel folds away (the History tab shows the same): it loads only
  // while it is on screen, and catches up when the window grows enough to show it.
  const panel = document.getElementById("history-side");
  let sideWorkitem = null;   // the workitem the panel should show
  let sideLoaded = null;     // the workitem it was last loaded for
  function loadSide() {
    if (sideWorkitem === null || sideLoaded === sideWorkitem) return;
    if (!panel || getComputedStyle(panel).display === "none") return;
    sideLoaded = sideWorkitem;
    load(side, timelineUrl(sideWorkitem, "side"));
  }
  document.addEventListener("parley:workitem-opened", (ev) => {
    sideWorkitem = ev.detail.workitem;
    sideLoaded = null;
    loadSide();
  });
  document.addEventListener("parley:workitem-closed", () => {
    sideWorkitem = sideLoaded = null;
    sideEmpty();
  });
  window.addEventListener("resize", loadSide);

  // ---- range: saved for the agent, then every host showing this workitem follows ----
  document.addEventListener("change", async (ev) => {
    const select = ev.target.closest && ev.target.closest("select.history-range");
    if (!select) return;
    const host = select.closest(".history-host");
    const section = select.closest(".history");
    if (!host || !section) return;
    const workitem = section.dataset.workitem;
    const box = section.querySelector("form.history-search input[name=q]");
    const body = new URLSearchParams({
      range: select.value,
      scope: section.dataset.scope,
      q: box ? box.value.trim() : "",
    });
    const saved = await load(host, select.dataset.action, {
      method: "POST",
      headers: { "Content-Type": "application/x-www-form-urlencoded", "X-CSRF-Token": csrf },
      body,
    });
    const again = host.querySelector("select.history-range");
    if (again) again.focus();
    if (!saved) return;
    for (const other of document.querySelectorAll(".history-host")) {
      const shown = other.querySelector(".history");
      if (other === host || !shown || shown.dataset.workitem !== workitem) continue;
      const otherBox = shown.querySelector("form.history-search input[name=q]");
      load(other, timelineUrl(workitem, shown.dataset.scope, otherBox && otherBox.value.trim()));
    }
  });

  // ---- paging and details ----
  async function page(link) {
    const host = link.closest(".history-host");
    if (!host) return;
    const older = link.classList.contains("history-older");
    if (!(await load(host, link.href))) return;
    const next = host.querySelector(older ? "a.history-older" : "a.history-newer")
      || host.querySelector(".history-toggle")
      || host.querySelector("select.history-range");
    if (next) next.focus();
  }

  async function toggle(button) {
    const region = document.getElementById(button.getAttribute("aria-controls"));
    if (!region) return;
    if (button.getAttribute("aria-expanded") === "true") {
      button.setAttribute("aria-expanded", "false");
      region.hidden = true;
      return;
    }
    button.setAttribute("aria-expanded", "true");
    region.hidden = false;
    if (region.dataset.loaded === "1") return;
    region.setAttribute("aria-busy", "true");
    region.textContent = "Loading…";
    try {
      const { ok, html } = await fetchHtml(button.dataset.url);
      region.innerHTML = html;
      localize(region);
      // A refusal is shown but asked again on the next opening.
      if (ok) region.dataset.loaded = "1";
    } catch (e) {
      region.replaceChildren(errorLine(e.message));
    } finally {
      region.removeAttribute("aria-busy");
    }
  }

  document.addEventListener("click", (ev) => {
    if (!ev.target.closest) return;
    const link = ev.target.closest("a.history-page");
    if (link && link.closest(".history-host")) {
      ev.preventDefault();
      page(link);
      return;
    }
    const clear = ev.target.closest("button.history-search-clear");
    if (clear && clear.closest(".history-host")) {
      searchIn(clear.closest(".history"), "");
      return;
    }
    const button = ev.target.closest("button.history-toggle");
    if (button && button.closest(".history-host")) toggle(button);
  });
})();
