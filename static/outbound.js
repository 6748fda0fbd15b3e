// The Outbound SMS dialog: the agent starts a conversation (from the top bar, or from a
// contact's SMS button with the number filled in). To offers contacts as you type and warns
// at once when the number opted out; the campaign is the agent's default unless they choose;
// a template (found by name or text in its search box) can fill the message. Send sends; the
// new workitem then opens in the workspace.
"use strict";
(function () {
  const ws = window.ParleyWorkspace;
  const dialog = document.getElementById("outbound-dialog");
  if (!ws || !dialog) return;
  const $ = (id) => document.getElementById(id);
  const to = $("outbound-to"), matches = $("outbound-matches"), consent = $("outbound-consent");
  const campaign = $("outbound-campaign"), hint = $("outbound-campaign-hint");
  const templateButton = $("outbound-template"), templates = $("outbound-templates");
  const templateSearchRow = $("outbound-template-search-row"), templateSearch = $("outbound-template-search");
  const body = $("outbound-body"), segments = $("outbound-segments");
  const error = $("outbound-error"), ok = $("outbound-ok");
  /** How long typing must pause before To is looked up. */
  const DEBOUNCE_MS = 250;

  let optedOut = false;
  let checked = null;  // the number To was last checked as (E.164), to match live changes
  let sending = false;
  let lookups = 0;   // numbers each look-up, so a slow answer never overwrites a newer one

  function say(el, text) {
    el.textContent = text || "";
    el.hidden = !text;
  }

  function debounce(fn) {
    let timer = null;
    return () => { clearTimeout(timer); timer = setTimeout(fn, DEBOUNCE_MS); };
  }

  function updateOk() {
    ok.disabled = optedOut || sending;
  }

  // ---- To: contacts as you type, and the number's consent ----
  function showMatches(list) {
    matches.replaceChildren();
    const typed = to.value.trim();
    const shown = list.filter((c) => c.mobile && c.mobile !== typed);
    for (const c of shown) {
      const li = document.createElement("li");
      const b = document.createElement("button");
      b.type = "button";
      b.className = "outbound-match";
      b.dataset.mobile = c.mobile;
      const name = document.createElement("strong");
      name.textContent = c.name;
      b.append(name, " " + c.mobile);
      b.addEventListener("click", () => pickContact(c.mobile));
      li.append(b);
      matches.append(li);
    }
    matches.hidden = shown.length === 0;
  }

  function pickContact(mobile) {
    to.value = mobile;
    showMatches([]);
    checkConsent().catch(() => {});
    (campaign.value ? body : campaign).focus();
  }

  async function lookUpContacts() {
    const q = to.value.trim();
    const mine = ++lookups;
    if (!q) { showMatches([]); return; }
    try {
      const res = await ws.api("GET", "/api/outbound/contacts?q=" + encodeURIComponent(q));
      if (mine === lookups) showMatches(res.contacts);
    } catch (_) {
      if (mine === lookups) showMatches([]);   // the look-up is a convenience only
    }
  }

  let consentChecks = 0;
  async function checkConsent() {
    const phone = to.value.trim();
    const mine = ++consentChecks;
    let found = null;
    // Only what looks like a number is asked about (a name being typed is not).
    if (/\d{3}/.test(phone) && !/[a-z]/i.test(phone)) {
      const res = await fetch("/api/consent?phone=" + encodeURIComponent(phone), { credentials: "same-origin" });
      // 400: not (yet) a valid number, nothing to warn about while typing.
      if (res.ok) found = await res.json();
    }
    if (mine !== consentChecks) return;
    checked = found ? found.phone : null;
    showConsent(found);
  }

  function showConsent(found) {
    optedOut = !!(found && found.opted_out);
    say(consent, optedOut ? found.warning : "");
    to.setAttribute("aria-invalid", optedOut ? "true" : "false");
    updateOk();
  }

  // A number opted out or back in while the dialog is open with it: warn (or stop warning) at
  // once. The workspace passes on its stream's `consent` events.
  document.addEventListener("parley:consent", (ev) => {
    if (!dialog.open || !checked || ev.detail.phone !== checked) return;
    consentChecks++;   // an answer still on its way was read before this change
    showConsent(ev.detail);
  });

  const lookUpLater = debounce(lookUpContacts);
  const checkConsentLater = debounce(() => { checkConsent().catch(() => {}); });
  to.addEventListener("input", () => { lookUpLater(); checkConsentLater(); });
  to.addEventListener("keydown", (ev) => {
    if (ev.key === "ArrowDown" && !matches.hidden) {
      ev.preventDefault();
      matches.querySelector("button").focus();
    }
  });
  matches.addEventListener("keydown", (ev) => {
    const items = [...matches.querySelectorAll("button")];
    const i = items.indexOf(document.activeElement);
    if (i < 0 || (ev.key !== "ArrowDown" && ev.key !== "ArrowUp")) return;
    ev.preventDefault();
    if (ev.key === "ArrowUp" && i === 0) to.focus();
    else items[Math.min(items.length - 1, Math.max(0, i + (ev.key === "ArrowDown" ? 1 : -1)))].focus();
  });

  // ---- the campaign ----
  async function loadCampaigns() {
    const chosen = campaign.value;
    const opts = await ws.api("GET", "/api/outbound/options");
    const placeholder = campaign.options[0];
    campaign.replaceChildren(placeholder);
    for (const c of opts.campaigns) {
      const o = document.createElement("option");
      o.value = String(c.id);
      o.textContent = c.number ? c.name + " (" + c.number + ")" : c.name;
      campaign.append(o);
    }
    const offered = (v) => opts.campaigns.some((c) => String(c.id) === v);
    // What the agent chose before wins; else their default; else they must choose.
    if (chosen && offered(chosen)) campaign.value = chosen;
    else if (opts.default_campaign != null) campaign.value = String(opts.default_campaign);
    else campaign.value = "";
    showCampaignHint(opts.campaigns.length);
  }

  function showCampaignHint(count) {
    hint.replaceChildren();
    if (count === 0) {
      hint.textContent = "No outbound campaign serves your queues; ask an administrator.";
    } else if (!campaign.value) {
      const link = document.createElement("a");
      link.href = "/settings";
      link.target = "_blank";   // a new tab, so this dialog and what is typed in it stay
      link.rel = "noopener";
      link.id = "outbound-settings-link";
      link.textContent = "Settings";
      hint.append("Choose the campaign this SMS goes out on. To skip this step, set a default SMS campaign in ", link, ".");
    }
    hint.hidden = hint.childNodes.length === 0;
  }

  campaign.addEventListener("change", () => {
    showCampaignHint(campaign.options.length - 1);
    closeTemplates();
  });

  // ---- templates of the chosen campaign (all the agent's when none is chosen) ----
  function closeTemplates() {
    templates.hidden = true;
    templateSearchRow.hidden = true;
    templateButton.setAttribute("aria-expanded", "false");
  }

  /** Shows only the templates whose name or text holds what is typed in the search box. */
  function filterTemplates() {
    const query = templateSearch.value.trim();
    let shown = 0;
    for (const li of templates.querySelectorAll("li[data-name]")) {
      li.hidden = !window.ParleyTemplateSearch.matches({ name: li.dataset.name, text: li.dataset.text }, query);
      if (!li.hidden) shown++;
    }
    const none = $("outbound-template-none");
    if (none) {
      none.textContent = "No template matches “" + query + "”.";
      none.hidden = shown > 0 || templates.querySelectorAll("li[data-name]").length === 0;
    }
  }
  templateSearch.addEventListener("input", filterTemplates);
  templateSearch.addEventListener("keydown", (ev) => {
    const first = templates.querySelector("li[data-name]:not([hidden]) button");
    // Enter takes the first match (it never sends the SMS from here); Down goes into the list.
    if (ev.key === "Enter" && !ev.isComposing) {
      ev.preventDefault();
      if (first) first.click();
    } else if (ev.key === "ArrowDown" && first) {
      ev.preventDefault();
      first.focus();
    }
  });
  templates.addEventListener("keydown", (ev) => {
    if (ev.key !== "ArrowDown" && ev.key !== "ArrowUp") return;
    const items = [...templates.querySelectorAll("li[data-name]:not([hidden]) button")];
    const i = items.indexOf(document.activeElement);
    if (i < 0) return;
    ev.preventDefault();
    if (ev.key === "ArrowUp" && i === 0) templateSearch.focus();
    else items[Math.min(items.length - 1, Math.max(0, i + (ev.key === "ArrowDown" ? 1 : -1)))].focus();
  });

  async function openTemplates() {
    const query = new URLSearchParams({ campaign: campaign.value, to: to.value.trim() });
    templates.replaceChildren();
    try {
      const res = await ws.api("GET", "/api/outbound/templates?" + query);
      for (const t of res.templates) {
        const li = document.createElement("li");
        li.dataset.name = t.name;
        li.dataset.text = t.text;
        const b = document.createElement("button");
        b.type = "button";
        b.id = "outbound-template-" + t.id;
        b.textContent = t.name;
        b.title = t.text;
        b.addEventListener("click", () => useTemplate(t.text));
        li.append(b);
        templates.append(li);
      }
      if (res.templates.length === 0) {
        const li = document.createElement("li");
        li.className = "muted";
        li.textContent = campaign.value ? "This campaign has no templates." : "There are no templates for you.";
        templates.append(li);
      } else {
        const none = document.createElement("li");
        none.id = "outbound-template-none";
        none.className = "muted";
        none.hidden = true;
        templates.append(none);
      }
    } catch (e) {
      const li = document.createElement("li");
      li.className = "error";
      li.textContent = e.message;
      templates.append(li);
    }
    templateSearch.value = "";
    filterTemplates();
    templates.hidden = false;
    templateSearchRow.hidden = templates.querySelectorAll("li[data-name]").length === 0;
    templateButton.setAttribute("aria-expanded", "true");
    if (!templateSearchRow.hidden) templateSearch.focus();
  }

  function useTemplate(text) {
    body.setRangeText(text, body.selectionStart, body.selectionEnd, "end");
    body.dispatchEvent(new Event("input", { bubbles: true }));
    closeTemplates();
    body.focus();
  }

  templateButton.addEventListener("click", () => {
    if (templates.hidden) openTemplates(); else closeTemplates();
  });

  // ---- the message ----
  function countSegments() {
    if (!window.ParleySegments) return;
    const c = window.ParleySegments.count(body.value);
    const n = c.characters;
    segments.textContent = n + (n === 1 ? " character" : " characters") + " · " +
      (c.encoding === "gsm7" ? "GSM-7" : "Unicode (UCS-2)") + " · " + c.segments + " SMS";
    segments.dataset.segments = String(c.segments);
  }
  body.addEventListener("input", countSegments);
  // Ctrl+Enter (or Cmd+Enter) sends; Enter alone starts a new line.
  body.addEventListener("keydown", (ev) => {
    if (ev.key === "Enter" && (ev.ctrlKey || ev.metaKey)) {
      ev.preventDefault();
      $("outbound-form").requestSubmit();
    }
  });

  // ---- open, send, cancel ----
  /** Opens the dialog; `phone` fills To (an SMS started from a contact). */
  async function open(phone) {
    say(error, "");
    closeTemplates();
    if (phone) { to.value = phone; showMatches([]); }
    optedOut = false;
    updateOk();
    countSegments();
    if (!dialog.open) dialog.showModal();
    try {
      await loadCampaigns();
    } catch (e) {
      say(error, e.message);
    }
    (!to.value ? to : !campaign.value ? campaign : body).focus();
    checkConsent().catch(() => {});
  }

  $("outbound-form").addEventListener("submit", async (ev) => {
    ev.preventDefault();
    if (sending || optedOut) return;
    sending = true;
    updateOk();
    say(error, "");
    try {
      const res = await ws.api("POST", "/api/outbound", {
        to: to.value.trim(),
        body: body.value,
        campaign: campaign.value ? Number(campaign.value) : null,
      });
      dialog.close();
      to.value = "";
      body.value = "";
      countSegments();
      showMatches([]);
      say(consent, "");
      ws.open(res.workitem.id);
    } catch (e) {
      // Everything typed stays; the agent corrects and tries again. A refusal may be an
      // opt-out that has just happened: the warning shows too.
      say(error, e.message);
      checkConsent().catch(() => {});
    } finally {
      sending = false;
      updateOk();
    }
  });

  $("outbound-cancel").addEventListener("click", () => dialog.close());
  // A refusal is about what was sent; once the agent changes something it is out of date.
  $("outbound-form").addEventListener("input", () => say(error, ""));
  $("outbound-form").addEventListener("change", () => say(error, ""));

  const menuButton = $("outbound-open");
  menuButton.addEventListener("click", () => open(null));
  ws.me.then((me) => { menuButton.hidden = !me.may_send_outbound; }, () => {});

  // The SMS buttons next to a contact's mobile number (Contact tab).
  document.addEventListener("click", (ev) => {
    const b = ev.target.closest("[data-sms-to]");
    if (!b) return;
    ev.preventDefault();
    open(b.dataset.smsTo);
  });

  window.ParleyOutbound = { open };

  // `/workspace?sms=NUMBER` (the contacts page's SMS links) opens the dialog to that number;
  // the query is dropped so a reload does not open it again.
  const wanted = new URLSearchParams(location.search).get("sms");
  if (wanted) {
    history.replaceState(null, "", location.pathname);
    ws.me.then((me) => { if (me.may_send_outbound) open(wanted); }, () => {});
  }
})();
