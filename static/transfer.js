// The transfer form (templates/transfer_form.html), in the agent's dialog and on a
// supervisor's monitor: lists where a conversation can go and moves it there.
"use strict";
window.ParleyTransfer = function (opts) {
  // opts: { csrf, workitem: () => id, onDone: (receiver name) => void }
  const $ = (id) => document.getElementById(id);
  const form = $("transfer-form");
  const select = $("transfer-target");
  const note = $("transfer-note");
  const error = $("transfer-error");
  const STATE = { available: "Available", away: "Away", offline: "Offline" };

  function show(message) {
    error.textContent = message;
    error.hidden = !message;
  }

  function group(label, items) {
    const g = document.createElement("optgroup");
    g.label = label;
    g.append(...items);
    return g;
  }

  async function load() {
    try {
      const res = await fetch("/api/transfer/targets", { credentials: "same-origin" });
      const d = await res.json();
      if (!res.ok) throw new Error(d.error || "Request failed (" + res.status + ")");
      const chosen = select.value;
      const queues = d.queues.map((q) => new Option(q.name, "queue:" + q.id));
      // Who can take an offer now is said, so nobody picks a colleague who is on a break.
      const agents = d.agents.map((a) => new Option(
        a.name + " (" + (a.can_take ? "can take it now" : a.presence === "available" ? "busy" : STATE[a.presence]) + ")",
        "agent:" + a.id));
      select.replaceChildren(select.options[0], group("Queues", queues), group("Agents", agents));
      select.value = chosen;
      show("");
    } catch (e) {
      show("The list of queues and agents could not be loaded: " + e.message);
    }
  }

  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const [kind, id] = select.value.split(":");
    if (!id) { show("Choose a queue or an agent to transfer to."); select.focus(); return; }
    const body = { [kind]: Number(id) };
    if (note.value.trim()) body.note = note.value;
    $("transfer-ok").disabled = true;
    try {
      const res = await fetch("/api/workitems/" + opts.workitem() + "/transfer", {
        method: "POST",
        credentials: "same-origin",
        headers: { "Content-Type": "application/json", "X-CSRF-Token": opts.csrf },
        body: JSON.stringify(body),
      });
      const data = await res.json().catch(() => ({}));
      if (!res.ok) { show(data.error || "The transfer failed (" + res.status + ")."); return; }
      show("");
      note.value = "";
      select.value = "";
      opts.onDone(data.to);
    } catch (e) {
      show("The server could not be reached; nothing was moved.");
    } finally {
      $("transfer-ok").disabled = false;
    }
  });

  return { load, show };
};
