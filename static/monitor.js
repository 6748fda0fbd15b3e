// A supervisor's monitor of one conversation: its messages and asides arrive live (the same
// pushes the agent gets), its tabs read-only, and the whisper, transfer and take-over forms.
"use strict";
(function () {
  const $ = (id) => document.getElementById(id);
  const root = $("monitor");
  const id = Number(root.dataset.workitem);
  const csrf = root.dataset.csrf;
  const asides = new Set(); // "at text" of the asides shown, since one may come twice

  function fmtTime(iso) {
    const d = new Date(iso);
    const time = d.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit", second: "2-digit", hourCycle: "h23" });
    return d.toDateString() === new Date().toDateString() ? time : d.toLocaleDateString() + " " + time;
  }

  // Lines go where their time puts them, whichever arrives first.
  function place(li, at) {
    const list = $("messages");
    const later = [...list.children].find((el) => el !== li && Date.parse(el.dataset.at) > Date.parse(at));
    list.insertBefore(li, later || null);
  }

  function line(klass, text, at) {
    const li = document.createElement("li");
    li.className = klass;
    li.dataset.at = at;
    const body = document.createElement("span");
    body.className = "body";
    body.textContent = text;
    const time = document.createElement("time");
    time.dateTime = at;
    time.textContent = fmtTime(at);
    li.append(body, time);
    return li;
  }

  function renderMessage(m) {
    const old = $("msg-" + m.id);
    const li = line("bubble " + (m.direction === "in" ? "in" : "out"), m.body, m.at);
    li.id = "msg-" + m.id;
    if (m.direction === "out") {
      const st = document.createElement("span");
      st.className = "status status-" + m.status;
      st.textContent = m.agent == null ? "automatic reply, " + m.status : m.status;
      li.append(st);
    }
    if (old) old.replaceWith(li); else place(li, m.at);
  }

  function renderAside(a) {
    const key = a.at + " " + a.text;
    if (asides.has(key)) return;
    asides.add(key);
    place(line("aside aside-" + a.kind, a.text, a.at), a.at);
  }

  function status(text) { $("monitor-status").textContent = text; }

  function ended() {
    status("This conversation has ended.");
    for (const el of root.querySelectorAll("#whisper-form *, #transfer-form *, #take-over")) el.disabled = true;
  }

  const events = new EventSource("/api/supervisor/workitems/" + id + "/events");
  const on = (name, fn) => events.addEventListener(name, (ev) => fn(JSON.parse(ev.data)));
  on("message", (d) => renderMessage(d.message));
  on("message_status", (d) => {
    const li = $("msg-" + d.message);
    const st = li && li.querySelector(".status");
    if (st) st.textContent = d.status + (d.error ? " (" + d.error + ")" : "");
  });
  on("aside", (d) => renderAside(d.aside));
  on("removed", (d) => { status(d.why + "."); load(); });
  on("terminated", ended);
  events.addEventListener("open", () => { root.dataset.live = "1"; });

  // Everything so far; what the stream brought meanwhile is merged by id and time.
  async function load() {
    try {
      const res = await fetch("/api/workitems/" + id, { credentials: "same-origin" });
      const d = await res.json();
      if (!res.ok) throw new Error(d.error || "Request failed (" + res.status + ")");
      for (const m of d.messages) renderMessage(m);
      for (const a of d.asides) renderAside(a);
      if (d.workitem.state === "terminated") ended();
    } catch (e) {
      status("The conversation could not be loaded: " + e.message);
    }
  }
  load();

  async function post(path, body) {
    const res = await fetch(path, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf },
      body: JSON.stringify(body || {}),
    });
    const data = await res.json().catch(() => ({}));
    if (!res.ok) throw new Error(data.error || "Request failed (" + res.status + ")");
    return data;
  }

  function show(el, message) { el.textContent = message; el.hidden = !message; }

  const whisper = $("whisper-form");
  if (whisper) {
    whisper.addEventListener("submit", async (ev) => {
      ev.preventDefault();
      const text = $("whisper-text");
      try {
        const d = await post("/api/supervisor/workitems/" + id + "/whisper", { text: text.value });
        renderAside(d.aside);
        text.value = "";
        show($("whisper-error"), "");
      } catch (e) {
        show($("whisper-error"), e.message);
      }
    });
  }

  if ($("transfer-form")) {
    const transfer = window.ParleyTransfer({ csrf, workitem: () => id, onDone: (to) => status("Transferred to " + to + ".") });
    transfer.load();
  }

  const takeOver = $("take-over");
  if (takeOver) {
    takeOver.addEventListener("click", async () => {
      try {
        await post("/api/supervisor/workitems/" + id + "/take-over");
        show($("take-over-error"), "");
        $("take-over-done").hidden = false;
      } catch (e) {
        show($("take-over-error"), e.message);
      }
    });
  }

  // The tabs as the agent sees them, read-only: a monitor changes nothing in them.
  const panel = $("monitor-panel");
  for (const b of document.querySelectorAll(".tabs [role=tab]")) {
    b.addEventListener("click", async () => {
      for (const t of document.querySelectorAll(".tabs [role=tab]")) t.setAttribute("aria-selected", t === b ? "true" : "false");
      panel.hidden = false;
      panel.setAttribute("aria-labelledby", b.id);
      const res = await fetch("/workspace/workitems/" + id + "/tabs/" + b.dataset.tab, { credentials: "same-origin" });
      panel.innerHTML = await res.text();
      for (const t of panel.querySelectorAll("time[datetime]")) t.textContent = fmtTime(t.dateTime);
      for (const el of panel.querySelectorAll("form input, form select, form textarea, form button")) el.disabled = true;
    });
  }
})();
