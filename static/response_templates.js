// Response templates in the workspace: the composer's button (with the number of templates
// this agent may use in the open workitem) and the window to pick one, with a search box that
// narrows the list by name and text as you type. OK puts the filled text into the reply box at
// the caret; nothing is sent until the agent sends.
"use strict";
(function () {
  const ws = window.ParleyWorkspace;
  const button = document.getElementById("templates-button");
  if (!ws || !button) return;
  const badge = button.querySelector(".badge");

  let templates = [];   // of the open workitem: {id, name, text}, by name
  let shown = [];       // those matching the search box
  let selected = 0;     // index into `shown`

  // ---- the window, built once ----
  const dialog = document.createElement("dialog");
  dialog.id = "templates-dialog";
  dialog.className = "templates-dialog";
  dialog.setAttribute("aria-labelledby", "templates-title");
  const title = document.createElement("h2");
  title.id = "templates-title";
  title.textContent = "Response templates";
  const searchRow = document.createElement("p");
  searchRow.className = "template-search";
  const searchLabel = document.createElement("label");
  searchLabel.htmlFor = "templates-search";
  searchLabel.textContent = "Search templates";
  const search = document.createElement("input");
  search.type = "search";
  search.id = "templates-search";
  search.autocomplete = "off";
  search.placeholder = "Name or words of the text";
  search.setAttribute("aria-controls", "templates-list");
  searchRow.append(searchLabel, search);
  const body = document.createElement("div");
  body.className = "templates-body";
  const listbox = document.createElement("ul");
  listbox.id = "templates-list";
  listbox.setAttribute("role", "listbox");
  listbox.setAttribute("aria-label", "Templates");
  listbox.tabIndex = 0;
  const preview = document.createElement("textarea");
  preview.id = "templates-preview";
  preview.readOnly = true;
  preview.setAttribute("aria-label", "Text of the selected template");
  body.append(listbox, preview);
  const empty = document.createElement("p");
  empty.id = "templates-empty";
  empty.className = "muted";
  empty.textContent = "There are no templates for this conversation.";
  const error = document.createElement("p");
  error.className = "error";
  error.setAttribute("role", "alert");
  error.hidden = true;
  const actions = document.createElement("div");
  actions.className = "templates-actions";
  const ok = document.createElement("button");
  ok.type = "button";
  ok.id = "templates-ok";
  ok.textContent = "OK";
  const cancel = document.createElement("button");
  cancel.type = "button";
  cancel.id = "templates-cancel";
  cancel.textContent = "Cancel";
  actions.append(ok, cancel);
  dialog.append(title, searchRow, body, empty, error, actions);
  document.body.append(dialog);

  // ---- the count on the button ----
  /** The templates of workitem `id`, or null when this agent may not use templates. */
  async function fetchTemplates(id) {
    const res = await fetch("/api/workitems/" + id + "/templates", { credentials: "same-origin" });
    if (res.status === 403) return null;
    let data = {};
    try { data = await res.json(); } catch (_) { /* not JSON */ }
    if (!res.ok) throw new Error(data.error || ("Request failed (" + res.status + ")"));
    return data.templates;
  }

  function showCount(list) {
    if (list === null) {
      button.hidden = true;
      return;
    }
    templates = list;
    button.hidden = false;
    badge.textContent = String(list.length);
    badge.hidden = list.length === 0;
    button.setAttribute("aria-label", "Response templates (" + list.length + ")");
  }

  /** Fetches the open workitem's templates; false when that failed or the workitem changed. */
  async function refresh() {
    const id = ws.current();
    if (!id) { button.hidden = true; return false; }
    try {
      const list = await fetchTemplates(id);
      if (ws.current() !== id) return false;
      showCount(list);
      return list !== null;
    } catch (e) {
      error.textContent = e.message;
      return false;
    }
  }

  document.addEventListener("parley:workitem-opened", () => { refresh(); });
  document.addEventListener("parley:workitem-closed", () => {
    templates = [];
    button.hidden = true;
    if (dialog.open) dialog.close();
  });

  // ---- the list, narrowed by the search box ----
  function renderList() {
    listbox.replaceChildren();
    const query = search.value.trim();
    shown = templates.filter((t) => window.ParleyTemplateSearch.matches(t, query));
    shown.forEach((t, i) => {
      const li = document.createElement("li");
      li.id = "template-option-" + t.id;
      li.setAttribute("role", "option");
      li.textContent = t.name;
      li.addEventListener("click", () => select(i));
      li.addEventListener("dblclick", () => { select(i); accept(); });
      listbox.append(li);
    });
    empty.textContent = templates.length === 0
      ? "There are no templates for this conversation."
      : "No template matches “" + query + "”.";
    empty.hidden = shown.length > 0;
    body.hidden = templates.length === 0;
    searchRow.hidden = templates.length === 0;
    ok.disabled = shown.length === 0;
    select(Math.min(selected, Math.max(shown.length - 1, 0)));
  }

  search.addEventListener("input", () => { selected = 0; renderList(); });
  // Up and Down choose in the list while the search box keeps the focus; Enter is OK.
  search.addEventListener("keydown", (ev) => {
    const to = { ArrowDown: selected + 1, ArrowUp: selected - 1 }[ev.key];
    if (to === undefined || shown.length === 0) return;
    ev.preventDefault();
    select(Math.max(0, Math.min(shown.length - 1, to)));
  });

  function select(i) {
    selected = i;
    const items = listbox.children;
    for (let k = 0; k < items.length; k++) {
      items[k].setAttribute("aria-selected", k === i ? "true" : "false");
    }
    const t = shown[i];
    preview.value = t ? t.text : "";
    if (t) {
      listbox.setAttribute("aria-activedescendant", "template-option-" + t.id);
      items[i].scrollIntoView({ block: "nearest" });
    } else {
      listbox.removeAttribute("aria-activedescendant");
    }
  }

  listbox.addEventListener("keydown", (ev) => {
    const last = shown.length - 1;
    const to = { ArrowDown: selected + 1, ArrowUp: selected - 1, Home: 0, End: last }[ev.key];
    if (to === undefined || last < 0) return;
    ev.preventDefault();
    select(Math.max(0, Math.min(last, to)));
  });

  // Enter is OK anywhere in the window except on a button (Cancel stays Cancel).
  dialog.addEventListener("keydown", (ev) => {
    if (ev.key !== "Enter" || ev.isComposing || ev.target.tagName === "BUTTON") return;
    ev.preventDefault();
    accept();
  });

  function accept() {
    const t = shown[selected];
    dialog.close();
    if (t) ws.insertAtCursor(t.text);
  }

  ok.addEventListener("click", accept);
  cancel.addEventListener("click", () => dialog.close());
  // Escape closes a modal <dialog> by itself, without change.

  button.addEventListener("click", async () => {
    error.textContent = "";
    // The list may have changed since the workitem opened; if the fetch fails, the last one
    // is shown with the error.
    await refresh();
    if (button.hidden) return;
    error.hidden = !error.textContent;
    selected = 0;
    search.value = "";
    renderList();
    dialog.showModal();
    (templates.length ? search : cancel).focus();
  });
})();
