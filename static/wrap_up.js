// Ending a workitem: when its queue has wrap-up codes, a dialog asks for one before the
// workspace terminates it. The server decides: a required code left out (or one no longer in
// the list) comes back as 422 and its message shows in the dialog, which stays open.
"use strict";
(function () {
  const $ = (id) => document.getElementById(id);
  const dialog = $("wrap-up-dialog");
  const select = $("wrap-up-code");
  const error = $("wrap-up-error");
  let pending = null; // {id, resolve} while the dialog is open

  function showError(msg) {
    error.textContent = msg;
    error.hidden = !msg;
    select.setAttribute("aria-invalid", msg ? "true" : "false");
  }

  function finish(done) {
    const p = pending;
    pending = null;
    if (dialog.open) dialog.close();
    if (p) p.resolve(done);
  }

  function fill(wrapUp) {
    select.replaceChildren();
    const none = document.createElement("option");
    none.value = "";
    none.textContent = wrapUp.required ? "Choose a wrap-up code…" : "No wrap-up code";
    select.append(none);
    for (const code of wrapUp.codes) {
      const o = document.createElement("option");
      o.value = code;
      o.textContent = code;
      select.append(o);
    }
    $("wrap-up-hint").textContent = wrapUp.required
      ? "This queue requires a wrap-up code."
      : "A wrap-up code is optional in this queue.";
  }

  async function post(id, body) {
    await window.ParleyWorkspace.api("POST", "/api/workitems/" + id + "/terminate", body);
  }

  // Terminates workitem `id`, asking for a wrap-up code first when its queue has codes.
  // Resolves true once it is terminated, false when the agent cancelled; throws what the
  // server refused outside the dialog.
  async function terminate(id) {
    const d = await window.ParleyWorkspace.api("GET", "/api/workitems/" + id);
    const wrapUp = d.wrap_up || { codes: [], required: false };
    if (wrapUp.codes.length === 0) {
      await post(id);
      return true;
    }
    if (pending) finish(false);
    fill(wrapUp);
    showError("");
    $("wrap-up-title").textContent = "End the conversation with " + d.customer_name;
    return new Promise((resolve) => {
      pending = { id, resolve };
      dialog.showModal();
      select.focus();
    });
  }

  $("wrap-up-form").addEventListener("submit", async (ev) => {
    ev.preventDefault();
    if (!pending) return;
    const ok = $("wrap-up-ok");
    ok.disabled = true;
    try {
      await post(pending.id, { wrap_up: select.value || null });
      finish(true);
    } catch (e) {
      showError(e.message);
      select.focus();
    } finally {
      ok.disabled = false;
    }
  });
  $("wrap-up-cancel").addEventListener("click", () => finish(false));
  // Escape closes the dialog: that is a cancel too.
  dialog.addEventListener("close", () => finish(false));
  // Ended elsewhere (another tab, a supervisor): nothing left to ask.
  document.addEventListener("parley:workitem-closed", () => finish(false));

  window.ParleyWrapUp = { terminate };
})();
