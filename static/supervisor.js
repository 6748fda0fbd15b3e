// The wallboard: redrawn by the server on every change of the floor (`floor` events carry
// the new tables), while the page keeps the "for" and "longest wait" times counting.
"use strict";
(function () {
  const board = document.getElementById("wallboard");
  const floor = document.getElementById("floor");
  const status = document.getElementById("floor-status");
  /** The server's time of the board minus ours: times are counted on the server's clock. */
  let skew = 0;

  function human(secs) {
    secs = Math.max(0, Math.floor(secs));
    if (secs < 60) return secs + " s";
    if (secs < 3600) return Math.floor(secs / 60) + " min " + (secs % 60) + " s";
    return Math.floor(secs / 3600) + " h " + Math.floor((secs % 3600) / 60) + " min";
  }

  function syncClock() {
    const body = document.getElementById("floor-body");
    if (body) skew = Date.parse(body.dataset.at) - Date.now();
  }

  function tick() {
    const now = Date.now() + skew;
    for (const t of floor.querySelectorAll("time.since")) {
      t.textContent = human((now - Date.parse(t.dateTime)) / 1000);
    }
    // A customer's wait turns red once it passes its queue's service level.
    for (const li of floor.querySelectorAll("li[data-sla-secs]")) {
      const t = li.querySelector(".waiting-for time");
      const late = !!t && (now - Date.parse(t.dateTime)) / 1000 > Number(li.dataset.slaSecs);
      li.classList.toggle("past-sla", late);
    }
  }

  syncClock();
  setInterval(tick, 1000);

  // Setting an agent's state: the form sits outside the redrawn tables, so nothing typed is
  // lost when the board changes; its agent list follows the board.
  const force = document.getElementById("force-state");
  function refreshAgents() {
    if (!force) return;
    const select = document.getElementById("force-agent");
    const chosen = select.value;
    select.replaceChildren(...[...floor.querySelectorAll("tr[data-agent]")].map((row) => {
      const o = document.createElement("option");
      o.value = row.dataset.agent;
      o.textContent = row.dataset.name;
      o.selected = o.value === chosen;
      return o;
    }));
  }
  if (force) {
    force.addEventListener("submit", async (e) => {
      e.preventDefault();
      const error = document.getElementById("force-error");
      const agent = document.getElementById("force-agent").value;
      const reason = document.getElementById("force-reason");
      let message = "";
      try {
        const res = await fetch("/api/supervisor/agents/" + encodeURIComponent(agent) + "/presence", {
          method: "POST",
          credentials: "same-origin",
          headers: { "Content-Type": "application/json", "X-CSRF-Token": board.dataset.csrf },
          body: JSON.stringify({ presence: document.getElementById("force-presence").value, reason: reason.value }),
        });
        if (res.ok) reason.value = "";
        else message = ((await res.json().catch(() => ({}))).error) || "The state was not set (" + res.status + ").";
      } catch (err) {
        message = "The server could not be reached; the state was not set.";
      }
      error.textContent = message;
      error.hidden = !message;
    });
  }

  // Stranded work goes back to its queue in one click; the board redraws when it has moved.
  floor.addEventListener("click", async (e) => {
    const button = e.target.closest("button.requeue");
    if (!button) return;
    button.disabled = true;
    const error = document.getElementById("floor-error");
    let message = "";
    try {
      const res = await fetch("/api/workitems/" + button.dataset.workitem + "/transfer", {
        method: "POST",
        credentials: "same-origin",
        headers: { "Content-Type": "application/json", "X-CSRF-Token": board.dataset.csrf },
        body: JSON.stringify({ queue: Number(button.dataset.queue) }),
      });
      if (!res.ok) message = ((await res.json().catch(() => ({}))).error) || "It was not moved (" + res.status + ").";
    } catch (err) {
      message = "The server could not be reached; nothing was moved.";
    }
    button.disabled = false;
    error.textContent = message;
    error.hidden = !message;
  });

  const events = new EventSource(board.dataset.src);
  events.addEventListener("floor", (e) => {
    floor.innerHTML = JSON.parse(e.data).html;
    syncClock();
    tick();
    refreshAgents();
    board.dataset.live = "1";
    status.textContent = "Live.";
    status.classList.remove("error");
  });
  events.addEventListener("error", () => {
    board.dataset.live = "0";
    status.textContent = "Connection lost; reconnecting…";
    status.classList.add("error");
  });
})();
