// Parley customer-phone simulator: text the center and see its replies live. "Texting" offers
// every number of every campaign that sends through the simulator and, like a phone's thread,
// follows the last of them that wrote, so an answer reaches the conversation it answers.
"use strict";
(function () {
  const root = document.querySelector("main.phone");
  const csrf = root.dataset.csrf;
  const $ = (id) => document.getElementById(id);
  let source = null;
  let phone = null;

  function fmtTime(iso) {
    return new Date(iso).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit", second: "2-digit", hourCycle: "h23" });
  }

  function showError(msg) {
    $("sim-error").textContent = msg;
    $("sim-error").hidden = !msg;
  }

  function add(m) {
    const li = document.createElement("li");
    // On the phone, the customer's own messages are "out".
    li.className = "bubble " + (m.direction === "in" ? "out" : "in");
    const body = document.createElement("span");
    body.className = "body";
    body.textContent = m.body;
    const t = document.createElement("time");
    t.dateTime = m.at;
    t.textContent = fmtTime(m.at);
    li.append(body, t);
    // Which of our numbers each message went to or came from, as the phone would show it.
    const ours = document.createElement("small");
    ours.className = "from";
    ours.textContent = (m.direction === "in" ? "to " : "from ") + numberName(m.our_number);
    li.append(ours);
    $("sim-messages").append(li);
    li.scrollIntoView({ block: "end" });
    // Like a phone's threads: answering goes to the number that wrote last.
    if (m.direction === "out" && ourOption(m.our_number)) $("sim-to").value = m.our_number;
  }

  function ourOption(number) {
    return [...$("sim-to").options].find((o) => o.value === number);
  }

  /** "Follow-ups (+14155550101)" for one of the picker's numbers, else the number alone. */
  function numberName(number) {
    const o = ourOption(number);
    return o ? o.dataset.name + " (" + number + ")" : number;
  }

  async function use(number) {
    if (source) source.close();
    $("sim-messages").replaceChildren();
    phone = number;
    const q = "?phone=" + encodeURIComponent(number);
    try {
      const res = await fetch("/simulator/messages" + q);
      const data = await res.json();
      if (!res.ok) throw new Error(data.error || "Cannot load messages");
      data.messages.forEach(add);
      history.replaceState(null, "", "/simulator" + q);
      source = new EventSource("/simulator/events" + q);
      source.addEventListener("message", (ev) => add(JSON.parse(ev.data)));
      source.onopen = () => { root.dataset.live = "1"; };
      showError("");
    } catch (e) {
      showError(e.message);
    }
  }

  async function send() {
    const body = $("sim-body").value;
    if (!body.trim()) return;
    $("sim-submit").disabled = true;
    try {
      const res = await fetch("/simulator/messages", {
        method: "POST",
        headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf },
        body: JSON.stringify({ from: phone, to: $("sim-to").value, body }),
      });
      const data = await res.json().catch(() => ({}));
      if (!res.ok) throw new Error(data.error || ("Not sent (" + res.status + ")"));
      $("sim-body").value = "";
      showError("");
    } catch (e) {
      showError(e.message);
    } finally {
      $("sim-submit").disabled = false;
      $("sim-body").focus();
    }
  }

  $("sim-setup").addEventListener("submit", (ev) => { ev.preventDefault(); use($("sim-phone").value.trim()); });
  $("sim-send").addEventListener("submit", (ev) => { ev.preventDefault(); send(); });
  $("sim-body").addEventListener("keydown", (ev) => {
    if (ev.key === "Enter" && !ev.shiftKey && !ev.isComposing) { ev.preventDefault(); send(); }
  });
  use($("sim-phone").value.trim());
})();
