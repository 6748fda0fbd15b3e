// The workspace's side of moving conversations: the Transfer dialog, the lines only the
// agent sees in the dialog (transfers, take-overs, a supervisor's whisper), who is watching,
// and why a conversation left the list.
"use strict";
(function () {
  const $ = (id) => document.getElementById(id);
  const ws = window.ParleyWorkspace;
  const dialog = $("transfer-dialog");
  const notice = $("workspace-notice");
  const watched = new Map(); // workitem id -> names of the supervisors watching it

  function tell(text) {
    notice.textContent = text;
    notice.hidden = !text;
  }

  const transfer = window.ParleyTransfer({
    csrf: $("app").dataset.csrf,
    workitem: () => ws.current(),
    onDone: (to) => { dialog.close(); tell("Transferred to " + to + "."); },
  });
  $("transfer-open").addEventListener("click", () => {
    transfer.show("");
    transfer.load();
    dialog.showModal();
    $("transfer-target").focus();
  });
  $("transfer-cancel").addEventListener("click", () => dialog.close());

  // An aside goes where its time puts it among the messages.
  function renderAside(aside) {
    const li = document.createElement("li");
    li.className = "aside aside-" + aside.kind;
    const text = document.createElement("span");
    text.className = "body";
    text.textContent = aside.text;
    const time = document.createElement("time");
    time.dateTime = aside.at;
    li.append(text, time);
    ws.localizeTimes(li);
    const list = $("messages");
    const later = [...list.children].find((el) => {
      const t = el.querySelector("time");
      return t && Date.parse(t.dateTime) > Date.parse(aside.at);
    });
    list.insertBefore(li, later || null);
    li.scrollIntoView({ block: "end" });
  }

  function showWatched(id) {
    const by = watched.get(id) || [];
    const el = $("watched");
    el.textContent = by.length ? by.join(", ") + (by.length > 1 ? " are" : " is") + " watching this conversation." : "";
    el.hidden = by.length === 0;
  }

  document.addEventListener("parley:workitem-opened", (ev) => {
    const { workitem, data } = ev.detail;
    if (!data) return;
    for (const a of data.asides || []) renderAside(a);
    watched.set(workitem, data.watched_by || []);
    showWatched(workitem);
  });
  document.addEventListener("parley:workitem-closed", () => { $("watched").hidden = true; });
  document.addEventListener("parley:aside", (ev) => {
    if (ev.detail.workitem === ws.current()) renderAside(ev.detail.aside);
  });
  document.addEventListener("parley:watched", (ev) => {
    watched.set(ev.detail.workitem, ev.detail.by);
    if (ev.detail.workitem === ws.current()) showWatched(ev.detail.workitem);
  });
  document.addEventListener("parley:removed", (ev) => tell(ev.detail.why + "."));
})();
