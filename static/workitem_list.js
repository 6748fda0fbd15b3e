// The agent's workitem list: newest customer activity first; how long each customer has been
// waiting (since their latest message, while nothing of ours followed it), counting live; and a
// badge with the customer's messages that arrived while that workitem was not the one shown.
// The server's `GET /api/activity` gives how each conversation stands after every (re)connect;
// `message` events move it on in between.
"use strict";
window.ParleyWorkitemList = function (opts) {
  const { ul, empty, agent, api, onOpen, fmtDuration } = opts;
  const items = new Map();   // workitem id -> {card, activity}
  let current = null;        // the workitem shown in the dialog
  let fetches = 0;           // numbers each activity fetch, so an old answer is dropped

  // Customer messages already seen, per workitem: kept for this tab (a reload keeps badges).
  const storeKey = "parley.seen." + agent;
  const seen = new Map();
  try {
    for (const [id, n] of Object.entries(JSON.parse(sessionStorage.getItem(storeKey) || "{}"))) {
      seen.set(Number(id), n);
    }
  } catch (_) { /* storage unavailable or damaged: start afresh */ }
  // Workitems on screen at page load that this tab never saw: what they hold counts as read.
  const baseline = new Set();
  let loaded = false;

  function saveSeen() {
    const out = {};
    for (const [id, n] of seen) if (items.has(id)) out[id] = n;
    try { sessionStorage.setItem(storeKey, JSON.stringify(out)); } catch (_) { /* best effort */ }
  }

  const NONE = { customer_messages: 0, last_in: null, last_out: null };
  // The later of two message marks ({id, at}); ids grow with time.
  const later = (a, b) => (!a ? b || null : !b ? a : b.id > a.id ? b : a);

  function merge(a, b) {
    return {
      customer_messages: Math.max(a.customer_messages, b.customer_messages),
      last_in: later(a.last_in, b.last_in),
      last_out: later(a.last_out, b.last_out),
    };
  }

  function waitingSince(a) {
    if (!a.last_in || (a.last_out && a.last_out.id > a.last_in.id)) return null;
    return new Date(a.last_in.at).getTime();
  }

  function unread(id) {
    const it = items.get(id);
    if (!it || id === current) return 0;
    return Math.max(0, it.activity.customer_messages - (seen.get(id) || 0));
  }

  function markSeen(id) {
    const it = items.get(id);
    if (!it) return;
    if (seen.get(id) !== it.activity.customer_messages) {
      seen.set(id, it.activity.customer_messages);
      saveSeen();
    }
  }

  // Newest customer activity first; a conversation the customer has not answered yet (an
  // outbound SMS) counts from its start.
  function sortKey(it) {
    const a = it.activity.last_in;
    return a ? [new Date(a.at).getTime(), a.id] : [new Date(it.card.created_at).getTime(), 0];
  }

  function ordered() {
    return [...items.values()].sort((x, y) => {
      const [tx, ix] = sortKey(x), [ty, iy] = sortKey(y);
      return ty - tx || iy - ix || y.card.id - x.card.id;
    });
  }

  function waitText(it) {
    const since = waitingSince(it.activity);
    return since === null ? "" : "Waiting " + fmtDuration((Date.now() - since) / 1000);
  }

  function render() {
    const focused = document.activeElement && document.activeElement.closest("#workitems .item");
    const focusedId = focused ? focused.id : null;
    ul.replaceChildren();
    for (const it of ordered()) {
      const id = it.card.id;
      const li = document.createElement("li");
      const b = document.createElement("button");
      b.type = "button";
      b.className = "item" + (current === id ? " current" : "");
      b.id = "item-" + id;
      if (current === id) b.setAttribute("aria-current", "true");
      const name = document.createElement("strong");
      name.textContent = it.card.customer_name;
      const preview = document.createElement("span");
      preview.className = "muted";
      preview.textContent = it.card.preview;
      const wait = document.createElement("span");
      wait.className = "wait";
      wait.dataset.workitem = String(id);
      wait.textContent = waitText(it);
      b.append(name, preview, wait);
      const n = unread(id);
      if (n > 0) {
        const badge = document.createElement("span");
        badge.className = "badge";
        badge.title = n + (n === 1 ? " unread message" : " unread messages");
        const hint = document.createElement("span");
        hint.className = "visually-hidden";
        hint.textContent = n === 1 ? " unread message" : " unread messages";
        badge.append(String(n), hint);
        b.append(badge);
      }
      b.onclick = () => onOpen(id);
      li.append(b);
      ul.append(li);
    }
    empty.hidden = items.size > 0;
    if (focusedId && document.getElementById(focusedId)) document.getElementById(focusedId).focus();
  }

  // Only the waiting times change by the second: their text moves, nothing else is redrawn.
  function tick() {
    for (const el of ul.querySelectorAll(".wait")) {
      const it = items.get(Number(el.dataset.workitem));
      if (it) el.textContent = waitText(it);
    }
  }
  setInterval(tick, 1000);

  async function fetchActivity() {
    const mine = ++fetches;
    let answer;
    try {
      answer = await api("GET", "/api/activity");
    } catch (_) {
      return;   // the list still shows its cards; the next (re)connect fetches again
    }
    if (mine !== fetches) return;
    for (const [key, a] of Object.entries(answer.activity)) {
      const id = Number(key);
      const it = items.get(id);
      if (!it) continue;
      it.activity = merge(it.activity, a);
      if (baseline.delete(id) && !seen.has(id)) seen.set(id, it.activity.customer_messages);
    }
    if (current !== null) markSeen(current);
    saveSeen();
    render();
  }

  function put(card) {
    const it = items.get(card.id);
    if (it) it.card = card;
    else items.set(card.id, { card, activity: NONE });
  }

  return {
    has: (id) => items.has(id),
    /** The card of one of the agent's workitems (customer, queue...), or undefined. */
    card: (id) => items.get(id) && items.get(id).card,
    /** Every active workitem, as a (re)connect's `sync` lists them. */
    sync(cards) {
      const ids = new Set(cards.map((c) => c.id));
      for (const id of [...items.keys()]) if (!ids.has(id)) items.delete(id);
      for (const c of cards) {
        if (!loaded && !seen.has(c.id)) baseline.add(c.id);
        put(c);
      }
      loaded = true;
      render();
      fetchActivity();
    },
    /** A workitem that became the agent's (accepted here or elsewhere, or an outbound SMS). */
    add(card) {
      put(card);
      render();
      fetchActivity();
    },
    remove(id) {
      items.delete(id);
      seen.delete(id);
      saveSeen();
      render();
    },
    /** A message of one of the agent's workitems (theirs, the customer's or an automatic one). */
    message(m) {
      const it = items.get(m.workitem);
      if (!it) return;
      const mark = { id: m.id, at: m.at };
      const a = it.activity;
      if (m.direction === "in") {
        // A message the last fetch already counted is not counted again.
        if (a.last_in && a.last_in.id >= m.id) return;
        it.activity = { customer_messages: a.customer_messages + 1, last_in: mark, last_out: a.last_out };
      } else {
        it.activity = { customer_messages: a.customer_messages, last_in: a.last_in, last_out: later(a.last_out, mark) };
      }
      if (m.workitem === current) markSeen(current);
      render();
    },
    /** The workitem now shown in the dialog (null: none); its messages count as read. */
    show(id) {
      current = id;
      if (id !== null) markSeen(id);
      render();
    },
  };
};
