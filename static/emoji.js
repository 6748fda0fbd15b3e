// The composer's emoji picker: category tabs, search by name, a "Recently used" row (kept in
// localStorage), usable from the keyboard. The chosen emoji goes into the reply box at the
// caret through ParleyWorkspace.insertAtCursor, the routine templates use too. The data is the
// vendored /static/emoji.json (see tools/emoji/README.md), fetched on first open.
"use strict";
(function () {
  const ws = window.ParleyWorkspace;
  const button = document.getElementById("emoji-button");
  if (!ws || !button) return;

  const RECENT_KEY = "parley.emoji.recent";
  const MAX_RECENT = 24;
  const COLUMNS = 8; // must match the grid's columns in app.css (arrow keys move by rows)

  let data = null;      // {groups: [{name, emoji: [{char, name}]}], byChar: Map}
  let loading = null;   // the pending fetch, so two quick clicks load once
  let group = 0;        // index of the shown category

  // ---- the popover, built once ----
  const el = (tag, props) => Object.assign(document.createElement(tag), props || {});
  const dialog = el("dialog", { id: "emoji-picker", className: "emoji-picker" });
  dialog.setAttribute("aria-label", "Emoji");
  const search = el("input", { id: "emoji-search", type: "search", placeholder: "Search emoji", autocomplete: "off" });
  search.setAttribute("aria-label", "Search emoji by name");
  const recentBox = el("section", { id: "emoji-recent", className: "emoji-recent" });
  recentBox.setAttribute("aria-labelledby", "emoji-recent-title");
  const recentTitle = el("h3", { id: "emoji-recent-title", textContent: "Recently used" });
  const recentRow = el("div", { className: "emoji-cells" });
  recentRow.setAttribute("role", "group");
  recentRow.setAttribute("aria-labelledby", "emoji-recent-title");
  recentBox.append(recentTitle, recentRow);
  const tabs = el("div", { id: "emoji-tabs", className: "emoji-tabs" });
  tabs.setAttribute("role", "tablist");
  tabs.setAttribute("aria-label", "Emoji categories");
  const heading = el("h3", { id: "emoji-heading" });
  const grid = el("div", { id: "emoji-grid", className: "emoji-cells emoji-grid" });
  grid.setAttribute("role", "group");
  grid.setAttribute("aria-labelledby", "emoji-heading");
  const status = el("p", { id: "emoji-status", className: "muted" });
  status.setAttribute("aria-live", "polite");
  dialog.append(search, recentBox, tabs, heading, grid, status);
  document.body.append(dialog);

  // ---- data ----
  async function load() {
    if (data) return data;
    if (!loading) {
      loading = (async () => {
        const res = await fetch("/static/emoji.json", { credentials: "same-origin" });
        if (!res.ok) throw new Error("Could not load the emoji (" + res.status + ").");
        const raw = await res.json();
        const byChar = new Map();
        const groups = raw.groups.map(([name, list]) => ({
          name,
          emoji: list.map(([char, label]) => {
            const e = { char, name: label };
            byChar.set(char, e);
            return e;
          }),
        }));
        return { groups, byChar };
      })();
    }
    try {
      data = await loading;
      return data;
    } finally {
      loading = null; // a failed load is tried again on the next open
    }
  }

  function recent() {
    try {
      const list = JSON.parse(localStorage.getItem(RECENT_KEY) || "[]");
      return Array.isArray(list) ? list.filter((c) => typeof c === "string").slice(0, MAX_RECENT) : [];
    } catch (_) {
      return []; // storage disabled or garbled: no recents rather than no picker
    }
  }

  function remember(char) {
    const list = [char, ...recent().filter((c) => c !== char)].slice(0, MAX_RECENT);
    try { localStorage.setItem(RECENT_KEY, JSON.stringify(list)); } catch (_) { /* not kept */ }
  }

  // ---- rendering ----
  /** Fills `box` with one button per emoji; the first is the one Tab reaches (roving focus). */
  function cells(box, list) {
    box.replaceChildren(...list.map((e, i) => {
      const b = el("button", { type: "button", className: "emoji", textContent: e.char, title: e.name });
      b.setAttribute("aria-label", e.name);
      b.dataset.emoji = e.char;
      b.tabIndex = i === 0 ? 0 : -1;
      return b;
    }));
  }

  function renderRecent() {
    const list = recent().map((c) => data.byChar.get(c) || { char: c, name: c });
    cells(recentRow, list);
    recentBox.hidden = list.length === 0 || search.value.trim() !== "";
  }

  function renderTabs() {
    tabs.replaceChildren(...data.groups.map((g, i) => {
      const t = el("button", { type: "button", id: "emoji-tab-" + i, textContent: g.emoji[0].char, title: g.name });
      t.setAttribute("role", "tab");
      t.setAttribute("aria-label", g.name);
      t.setAttribute("aria-controls", "emoji-grid");
      t.addEventListener("click", () => { search.value = ""; showGroup(i); });
      return t;
    }));
  }

  function markTab(selected) {
    [...tabs.children].forEach((t, i) => {
      t.setAttribute("aria-selected", i === selected ? "true" : "false");
      t.tabIndex = i === selected || (selected < 0 && i === 0) ? 0 : -1;
    });
  }

  function showGroup(i) {
    group = i;
    markTab(i);
    heading.textContent = data.groups[i].name;
    cells(grid, data.groups[i].emoji);
    grid.scrollTop = 0;
    status.textContent = "";
    renderRecent();
  }

  /** Every emoji whose name has all the query's words; names starting with it first. */
  function matches(query) {
    const words = query.toLowerCase().split(/\s+/).filter(Boolean);
    const found = [];
    for (const g of data.groups) {
      for (const e of g.emoji) {
        const name = e.name.toLowerCase();
        if (words.every((w) => name.includes(w))) found.push(e);
      }
    }
    const first = words[0] || "";
    return found.sort((a, b) =>
      Number(!a.name.toLowerCase().startsWith(first)) - Number(!b.name.toLowerCase().startsWith(first)));
  }

  function showSearch() {
    const query = search.value.trim();
    if (!query) { showGroup(group); return; }
    const found = matches(query);
    markTab(-1);
    heading.textContent = "Results for “" + query + "”";
    cells(grid, found);
    grid.scrollTop = 0;
    status.textContent = found.length === 0
      ? "No emoji named like “" + query + "”."
      : found.length + " emoji found.";
    renderRecent();
  }

  // ---- opening, picking, closing ----
  function place() {
    const r = button.getBoundingClientRect();
    const w = dialog.offsetWidth, h = dialog.offsetHeight, pad = 8;
    const left = Math.max(pad, Math.min(r.right - w, innerWidth - w - pad));
    let top = r.top - h - pad;
    if (top < pad) top = Math.max(pad, Math.min(r.bottom + pad, innerHeight - h - pad));
    dialog.style.left = left + "px";
    dialog.style.top = top + "px";
  }

  async function open() {
    if (dialog.open) return;
    search.value = "";
    dialog.showModal();
    button.setAttribute("aria-expanded", "true");
    search.focus();
    if (!data) {
      heading.textContent = "";
      grid.replaceChildren();
      status.textContent = "Loading emoji…";
    }
    place();
    try {
      await load();
    } catch (e) {
      status.textContent = e.message;
      return;
    }
    if (!dialog.open) return;
    if (!tabs.children.length) renderTabs();
    showSearch();
    place();
  }

  function close() {
    if (dialog.open) dialog.close();
  }

  function pick(char) {
    remember(char);
    close();
    ws.insertAtCursor(char);
  }

  dialog.addEventListener("close", () => {
    button.setAttribute("aria-expanded", "false");
    // Back to typing; the reply box kept its caret while the picker was open.
    if (ws.current()) document.getElementById("reply").focus();
  });

  button.addEventListener("click", open);
  search.addEventListener("input", showSearch);
  dialog.addEventListener("click", (ev) => {
    const cell = ev.target.closest("button.emoji");
    if (cell) { pick(cell.dataset.emoji); return; }
    // A click on the backdrop lands on the dialog itself, outside its box.
    if (ev.target === dialog) {
      const r = dialog.getBoundingClientRect();
      const inside = ev.clientX >= r.left && ev.clientX <= r.right && ev.clientY >= r.top && ev.clientY <= r.bottom;
      if (!inside) close();
    }
  });

  /** Moves focus within a row of cells or tabs, keeping one of them tabbable. */
  function moveFocus(items, from, to) {
    if (!items.length) return;
    const i = Math.max(0, Math.min(items.length - 1, to));
    items[from].tabIndex = -1;
    items[i].tabIndex = 0;
    items[i].focus();
    items[i].scrollIntoView({ block: "nearest" });
  }

  dialog.addEventListener("keydown", (ev) => {
    const t = ev.target;
    if (ev.key === "Escape") {
      // Own handling: in a search box the first Escape would only clear the text.
      ev.preventDefault();
      close();
      return;
    }
    if (t === search) {
      const first = grid.querySelector("button.emoji");
      if (ev.key === "Enter" && !ev.isComposing) {
        ev.preventDefault();
        if (first) pick(first.dataset.emoji);
      } else if (ev.key === "ArrowDown" && first) {
        ev.preventDefault();
        first.focus();
      }
      return;
    }
    if (t.matches("button.emoji")) {
      const items = [...t.parentElement.children];
      const i = items.indexOf(t);
      const step = { ArrowRight: 1, ArrowLeft: -1, ArrowDown: COLUMNS, ArrowUp: -COLUMNS, Home: -i, End: items.length }[ev.key];
      if (step === undefined) return; // Enter and Space press the button itself
      ev.preventDefault();
      if (ev.key === "ArrowUp" && i < COLUMNS && t.parentElement === grid) { search.focus(); return; }
      moveFocus(items, i, i + step);
      return;
    }
    if (t.getAttribute("role") === "tab" && (ev.key === "ArrowRight" || ev.key === "ArrowLeft")) {
      ev.preventDefault();
      const items = [...tabs.children];
      const i = (items.indexOf(t) + (ev.key === "ArrowRight" ? 1 : -1) + items.length) % items.length;
      search.value = "";
      showGroup(i);
      items[i].focus();
    }
  });

  document.addEventListener("parley:workitem-closed", close);
})();
