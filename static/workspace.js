// Parley agent workspace: live offers and SMS dialogs over one SSE stream.
"use strict";
(function () {
  const app = document.getElementById("app");
  const csrf = app.dataset.csrf;
  const $ = (id) => document.getElementById(id);
  const state = {
    offers: new Map(),     // workitem id -> {card, expires_at}
    current: null,         // open workitem id
    messages: new Map(),   // message id -> message (of the open workitem)
    // Delivery statuses pushed while the open workitem was loading, for messages it did not
    // hold yet: the loaded copy may have been read before them.
    earlyStatus: new Map(), // message id -> {status, error}
    lastCustomerAt: null,
    optedOut: false,       // the open workitem's customer opted out: the composer is locked
  };

  async function api(method, path, body) {
    const res = await fetch(path, {
      method,
      headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf },
      body: body === undefined ? undefined : JSON.stringify(body),
      credentials: "same-origin",
    });
    let data = {};
    try { data = await res.json(); } catch (_) { /* empty body */ }
    if (!res.ok) throw new Error(data.error || ("Request failed (" + res.status + ")"));
    return data;
  }

  function fmtTime(iso) {
    const d = new Date(iso);
    const now = new Date();
    const time = d.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit", second: "2-digit", hourCycle: "h23" });
    return d.toDateString() === now.toDateString() ? time : d.toLocaleDateString() + " " + time;
  }

  function fmtDuration(secs) {
    secs = Math.max(0, Math.floor(secs));
    if (secs < 60) return secs + " s";
    const m = Math.floor(secs / 60), s = secs % 60;
    if (m < 60) return m + " min " + s + " s";
    return Math.floor(m / 60) + " h " + (m % 60) + " min";
  }

  function showError(el, msg) {
    el.textContent = msg;
    el.hidden = !msg;
  }

  // ---- offers ----
  function renderOffers() {
    const box = $("offers");
    box.replaceChildren();
    for (const [id, offer] of state.offers) {
      const c = offer.workitem;
      const div = document.createElement("div");
      div.className = "offer";
      div.id = "offer-" + id;
      div.setAttribute("role", "alertdialog");
      div.setAttribute("aria-label", "New SMS from " + c.customer_name);
      const who = document.createElement("strong");
      who.textContent = c.customer_name;
      const queue = document.createElement("span");
      queue.className = "muted";
      queue.textContent = c.queue_name;
      const preview = document.createElement("p");
      preview.className = "preview";
      preview.textContent = c.preview;
      const count = document.createElement("span");
      count.className = "countdown";
      count.dataset.expires = offer.expires_at;
      const accept = document.createElement("button");
      accept.textContent = "Accept";
      accept.className = "accept";
      accept.title = "Accept (Alt+A)";
      accept.onclick = () => acceptOffer(id);
      const reject = document.createElement("button");
      reject.textContent = "Reject";
      reject.className = "reject";
      reject.title = "Reject (Alt+R)";
      reject.onclick = () => rejectOffer(id);
      const err = document.createElement("p");
      err.className = "error";
      err.hidden = true;
      div.append(who, " ", queue, preview);
      if (c.handover) {
        const handover = document.createElement("p");
        handover.className = "handover";
        handover.textContent = c.handover;
        div.append(handover);
      }
      div.append(count, accept, reject, err);
      box.append(div);
    }
    tickCountdowns();
  }

  function tickCountdowns() {
    for (const el of document.querySelectorAll(".countdown")) {
      const left = (new Date(el.dataset.expires) - Date.now()) / 1000;
      el.textContent = left > 0 ? Math.ceil(left) + " s" : "…";
    }
    if (state.current && state.lastCustomerAt) {
      $("waiting").textContent = "Customer waiting " + fmtDuration((Date.now() - state.lastCustomerAt) / 1000);
    } else if (state.current) {
      $("waiting").textContent = "";
    }
  }
  setInterval(tickCountdowns, 1000);

  async function acceptOffer(id) {
    const el = $("offer-" + id);
    try {
      const res = await api("POST", "/api/workitems/" + id + "/accept");
      state.offers.delete(id);
      renderOffers();
      list.add(res.workitem);
      openWorkitem(id);
    } catch (e) {
      if (el) showError(el.querySelector(".error"), e.message);
    }
  }

  async function rejectOffer(id) {
    const el = $("offer-" + id);
    try {
      await api("POST", "/api/workitems/" + id + "/reject");
      state.offers.delete(id);
      renderOffers();
    } catch (e) {
      if (el) showError(el.querySelector(".error"), e.message);
    }
  }

  document.addEventListener("keydown", (ev) => {
    if (!ev.altKey || state.offers.size === 0) return;
    const first = state.offers.keys().next().value;
    if (ev.key === "a" || ev.key === "A") { ev.preventDefault(); acceptOffer(first); }
    if (ev.key === "r" || ev.key === "R") { ev.preventDefault(); rejectOffer(first); }
  });

  // ---- workitem list (workitem_list.js) ----
  const list = window.ParleyWorkitemList({
    ul: $("workitems"),
    empty: $("no-workitems"),
    agent: app.dataset.agent,
    api,
    onOpen: (id) => openWorkitem(id),
    fmtDuration,
  });

  // ---- dialog ----
  function renderMessage(m) {
    let li = $("msg-" + m.id);
    if (!li) {
      li = document.createElement("li");
      li.id = "msg-" + m.id;
      $("messages").append(li);
    }
    li.className = "bubble " + (m.direction === "in" ? "in" : "out");
    li.replaceChildren();
    const body = document.createElement("span");
    body.className = "body";
    body.textContent = m.body;
    const meta = document.createElement("time");
    meta.dateTime = m.at;
    meta.textContent = fmtTime(m.at);
    li.append(body, meta);
    if (m.segments > 1) {
      const parts = document.createElement("span");
      parts.className = "segments muted";
      parts.textContent = m.segments + " SMS";
      parts.title = "Takes " + m.segments + " SMS parts on the air";
      li.append(parts);
    }
    if (m.direction === "out") {
      // Keyword answers (STOP, HELP…) go out by themselves, without an agent.
      if (m.agent == null) {
        li.classList.add("auto");
        const auto = document.createElement("span");
        auto.className = "auto-label";
        auto.textContent = "Automatic reply";
        li.prepend(auto);
      }
      const st = document.createElement("span");
      st.className = "status status-" + m.status;
      st.textContent = m.status + (m.error ? " (" + m.error + ")" : "");
      li.append(st);
    }
    li.scrollIntoView({ block: "end" });
  }

  function updateWaiting() {
    const list = [...state.messages.values()].sort((a, b) => a.id - b.id);
    const last = list[list.length - 1];
    state.lastCustomerAt = last && last.direction === "in" ? new Date(last.at).getTime() : null;
    tickCountdowns();
  }

  // ---- tabs: server-rendered fragments loaded into their panels ----
  function localizeTimes(root) {
    for (const t of root.querySelectorAll("time[datetime]")) t.textContent = fmtTime(t.dateTime);
  }

  async function loadPanel(panel, url, init) {
    const id = state.current;
    try {
      const res = await fetch(url, Object.assign({ credentials: "same-origin" }, init || {}));
      const type = res.headers.get("content-type") || "";
      let html;
      if (type.includes("text/html")) {
        html = await res.text();
      } else {
        let msg = "Request failed (" + res.status + ")";
        try { msg = (await res.json()).error || msg; } catch (_) { /* not JSON */ }
        html = null;
        showPanelError(panel, msg);
      }
      if (html !== null && state.current === id) {
        panel.innerHTML = html;
        localizeTimes(panel);
        panel.dispatchEvent(new CustomEvent("parley:tab-loaded", { bubbles: true, detail: { tab: panel.dataset.tab, workitem: id } }));
      }
    } catch (e) {
      showPanelError(panel, e.message);
    }
  }

  function showPanelError(panel, msg) {
    const p = document.createElement("p");
    p.className = "error";
    p.setAttribute("role", "alert");
    p.textContent = msg;
    panel.prepend(p);
  }

  // `keepFocus`: moving along the tab row by keyboard leaves the focus on the tabs.
  function openTab(name, keepFocus) {
    state.tab = name;
    for (const b of document.querySelectorAll(".tabs [role=tab]")) {
      b.setAttribute("aria-selected", b.dataset.tab === name ? "true" : "false");
      b.tabIndex = b.dataset.tab === name ? 0 : -1;
      // The tab row scrolls sideways on narrow screens: the chosen tab is always in view.
      if (b.dataset.tab === name) b.scrollIntoView({ block: "nearest", inline: "nearest" });
    }
    for (const p of document.querySelectorAll(".tab-panel")) p.hidden = p.id !== "panel-" + name;
    if (name === "sms") { if (!keepFocus) $("reply").focus(); return; }
    const panel = $("panel-" + name);
    panel.dataset.tab = name;
    panel.replaceChildren();
    loadPanel(panel, "/workspace/workitems/" + state.current + "/tabs/" + name);
  }

  for (const b of document.querySelectorAll(".tabs [role=tab]")) {
    b.addEventListener("click", () => openTab(b.dataset.tab));
    b.addEventListener("keydown", (ev) => {
      const tabs = [...document.querySelectorAll(".tabs [role=tab]")];
      const here = tabs.indexOf(b);
      const to = { ArrowRight: here + 1, ArrowLeft: here - 1, Home: 0, End: tabs.length - 1 }[ev.key];
      if (to === undefined) return;
      // The row itself would scroll on these keys too, away from the tab just chosen.
      ev.preventDefault();
      const next = tabs[(to + tabs.length) % tabs.length];
      next.focus();
      openTab(next.dataset.tab, true);
    });
  }

  // Forms and links inside a tab stay in the tab: the server answers with the new fragment.
  document.addEventListener("submit", (ev) => {
    const form = ev.target;
    const panel = form.closest(".tab-panel");
    if (!panel || panel.id === "panel-sms") return;
    ev.preventDefault();
    const body = new URLSearchParams(new FormData(form, ev.submitter));
    loadPanel(panel, form.action, {
      method: "POST",
      headers: { "Content-Type": "application/x-www-form-urlencoded", "X-CSRF-Token": csrf },
      body,
    });
  });
  document.addEventListener("click", (ev) => {
    const a = ev.target.closest("a[data-tab-link]");
    if (!a) return;
    const panel = a.closest(".tab-panel");
    if (!panel) return;
    ev.preventDefault();
    loadPanel(panel, a.href);
  });

  // An opted-out customer gets nothing more: the warning (the server's one sentence, the same
  // in the outbound dialog and in a refused send) shows above a locked composer.
  function showConsent(consent) {
    state.optedOut = !!(consent && consent.opted_out);
    const warning = $("sms-consent");
    warning.textContent = state.optedOut ? consent.warning : "";
    warning.hidden = !state.optedOut;
    for (const id of ["reply", "send", "templates-button", "emoji-button"]) $(id).disabled = state.optedOut;
  }

  async function reloadConsent(id) {
    try {
      const d = await api("GET", "/api/workitems/" + id);
      if (state.current === id) showConsent(d.consent);
    } catch (e) {
      if (state.current === id) showError($("dialog-error"), e.message);
    }
  }

  // How far a message has got: a status never goes back to an earlier step.
  const STATUS_STEP = { queued: 0, sent: 1, delivered: 2, undelivered: 2, failed: 2, received: 2 };

  async function openWorkitem(id) {
    const switching = state.current !== id;
    state.current = id;
    state.messages.clear();
    state.earlyStatus.clear();
    $("messages").replaceChildren();
    $("dialog").hidden = false;
    $("dialog-empty").hidden = true;
    showError($("dialog-error"), "");
    list.show(id);
    try {
      const d = await api("GET", "/api/workitems/" + id);
      if (state.current !== id) return;
      $("dialog-title").textContent = d.customer_name + " · " + d.queue_name;
      for (const m of d.messages) {
        const early = state.earlyStatus.get(m.id);
        if (early && STATUS_STEP[early.status] > STATUS_STEP[m.status]) {
          m.status = early.status;
          m.error = early.error;
        }
        state.messages.set(m.id, m);
        renderMessage(m);
      }
      state.earlyStatus.clear();
      showConsent(d.consent);
      updateWaiting();
      openTab(switching ? "sms" : (state.tab || "sms"));
      document.dispatchEvent(new CustomEvent("parley:workitem-opened", { detail: { workitem: id, data: d } }));
    } catch (e) {
      showError($("dialog-error"), e.message);
    }
  }

  function closeDialog() {
    state.current = null;
    state.messages.clear();
    list.show(null);
    $("dialog").hidden = true;
    $("dialog-empty").hidden = false;
    document.dispatchEvent(new CustomEvent("parley:workitem-closed"));
  }

  // The hook other workspace scripts (response_templates.js) use: the open workitem, and inserting
  // text into the reply box at the caret (replacing a selection). Nothing is sent.
  window.ParleyWorkspace = {
    current: () => state.current,
    // The signed-in agent (GET /api/me), for scripts that depend on their permissions.
    me: api("GET", "/api/me"),
    // Opens workitem `id` (one the agent owns, e.g. just started by an outbound SMS).
    open: (id) => openWorkitem(id),
    api,
    // Shows server time stamps (<time datetime>) in the agent's own time zone.
    localizeTimes,
    insertAtCursor(text) {
      const box = $("reply");
      box.setRangeText(text, box.selectionStart, box.selectionEnd, "end");
      box.dispatchEvent(new Event("input", { bubbles: true }));
      box.focus();
    },
  };

  async function sendReply() {
    const text = $("reply").value;
    if (!text.trim() || !state.current) return;
    $("send").disabled = true;
    try {
      const res = await api("POST", "/api/workitems/" + state.current + "/messages", { body: text });
      $("reply").value = "";
      // Listeners such as the segment counter follow the emptied box.
      $("reply").dispatchEvent(new Event("input", { bubbles: true }));
      state.messages.set(res.message.id, res.message);
      renderMessage(res.message);
      list.message(res.message);
      updateWaiting();
      showError($("dialog-error"), "");
    } catch (e) {
      showError($("dialog-error"), e.message);
      // A refusal may be an opt-out that has just happened: show it where it belongs.
      reloadConsent(state.current);
    } finally {
      $("send").disabled = state.optedOut;
      $("reply").focus();
    }
  }

  $("composer").addEventListener("submit", (ev) => { ev.preventDefault(); sendReply(); });
  $("reply").addEventListener("keydown", (ev) => {
    if (ev.key === "Enter" && !ev.shiftKey && !ev.isComposing) { ev.preventDefault(); sendReply(); }
  });

  $("terminate").addEventListener("click", async () => {
    const id = state.current;
    if (!id) return;
    try {
      // wrap_up.js asks for the queue's wrap-up code first, when it has codes.
      if (!(await window.ParleyWrapUp.terminate(id))) return;
      list.remove(id);
      closeDialog();
    } catch (e) {
      showError($("dialog-error"), e.message);
    }
  });

  // ---- presence (the away reason control is away_reasons.js's) ----
  const awayReason = window.ParleyAwayReason;
  function showPresence(view) {
    $("presence").value = view.presence;
    $("available-hint").hidden = view.presence === "available";
    awayReason.show(view.presence === "away", view.away_reason);
  }

  async function setPresence() {
    const presence = $("presence").value;
    const reason = presence === "away" ? awayReason.value() : null;
    try {
      const res = await api("POST", "/api/presence", { presence, reason });
      showPresence(res.view);
    } catch (e) {
      alert(e.message);
    }
  }
  $("presence").addEventListener("change", setPresence);
  awayReason.onChange(setPresence);

  // ---- live stream ----
  function connect() {
    const es = new EventSource("/api/events");
    const conn = $("conn");
    es.onopen = () => { conn.textContent = ""; conn.className = "conn"; };
    es.onerror = () => {
      conn.textContent = "Connection lost: reconnecting…";
      conn.className = "conn lost";
      // The browser retries a dropped stream by itself, but not one the server refused:
      // then the session ended (logout elsewhere, expiry, an account change) or the server
      // is restarting.
      if (es.readyState === EventSource.CLOSED) {
        fetch("/api/me", { credentials: "same-origin" }).then((res) => {
          if (res.status === 401) window.location.assign("/login?next=/workspace");
          else setTimeout(connect, 3000);
        }, () => setTimeout(connect, 3000));
      }
    };
    const on = (name, fn) => es.addEventListener(name, (ev) => fn(JSON.parse(ev.data)));
    on("sync", (d) => {
      showPresence(d.view);
      state.offers.clear();
      for (const o of d.offers) state.offers.set(o.workitem.id, o);
      renderOffers();
      list.sync(d.active);
      if (state.current && !list.has(state.current)) closeDialog();
      else if (state.current) openWorkitem(state.current);
      app.dataset.live = "1";
    });
    on("offer", (o) => {
      state.offers.set(o.workitem.id, o);
      renderOffers();
      // The offer's sound and browser notification (offer_alerts.js).
      document.dispatchEvent(new CustomEvent("parley:offer", { detail: o }));
    });
    on("offer_withdrawn", (d) => { state.offers.delete(d.workitem); renderOffers(); });
    on("assigned", (d) => {
      // Accepted in another tab: its card here is out of date.
      if (state.offers.delete(d.workitem.id)) renderOffers();
      list.add(d.workitem);
    });
    on("terminated", (d) => {
      list.remove(d.workitem);
      if (state.current === d.workitem) closeDialog();
    });
    on("presence", (d) => showPresence(d.view));
    // Transferred away or taken over by a supervisor (handover.js says so).
    on("removed", (d) => {
      list.remove(d.workitem);
      if (state.current === d.workitem) closeDialog();
      document.dispatchEvent(new CustomEvent("parley:removed", { detail: d }));
    });
    on("aside", (d) => document.dispatchEvent(new CustomEvent("parley:aside", { detail: d })));
    on("watched", (d) => document.dispatchEvent(new CustomEvent("parley:watched", { detail: d })));
    on("message", (d) => {
      const m = d.message;
      if (m.workitem === state.current) {
        state.messages.set(m.id, m);
        renderMessage(m);
        updateWaiting();
      }
      list.message(m);
    });
    // A number opted out or back in (a keyword on any of our numbers, or an agent): every
    // conversation with it, and the outbound dialog, follow at once.
    on("consent", (d) => {
      const open = state.current === null ? undefined : list.card(state.current);
      if (open && open.customer === d.phone) showConsent(d);
      document.dispatchEvent(new CustomEvent("parley:consent", { detail: d }));
    });
    on("message_status", (d) => {
      const m = state.messages.get(d.message);
      if (m) { m.status = d.status; m.error = d.error; renderMessage(m); }
      else if (state.current !== null) state.earlyStatus.set(d.message, d);
    });
  }
  connect();
})();
