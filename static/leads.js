// Importing a lead list (admin, predictive campaigns). The browser keeps the chosen file and
// sends it as the request body twice: for the preview (again whenever a column's mapping
// changes) and for the import, which then runs on the server while this page polls it.
"use strict";
(function () {
  const form = document.getElementById("lead-upload");
  if (!form) return;
  const base = form.dataset.base;
  const maxBytes = Number(form.dataset.maxBytes);
  const csrf = form.querySelector("input[name=_csrf]").value;
  const fileInput = document.getElementById("lead-file");
  const fileError = document.getElementById("lead-file-error");
  const preview = document.getElementById("lead-preview");
  const importSection = document.getElementById("lead-import");
  const progress = document.getElementById("import-progress");
  const status = document.getElementById("import-status");
  const importError = document.getElementById("import-error");
  const result = document.getElementById("import-result");
  const errorsLink = document.getElementById("import-errors");
  /** How often the progress is asked for, in ms. */
  const POLL_MS = 300;

  let file = null;

  function showFileError(message) {
    fileError.textContent = message;
    fileError.hidden = !message;
  }

  /** `?map=...` for the selects on screen (none before the first preview). */
  function mappingQuery() {
    const params = new URLSearchParams();
    for (const select of preview.querySelectorAll("select.lead-map")) {
      params.append("map", select.value);
    }
    const q = params.toString();
    return q ? "?" + q : "";
  }

  function send(path, query) {
    return fetch(base + path + query, {
      method: "POST",
      credentials: "same-origin",
      headers: { "X-CSRF-Token": csrf, "Content-Type": "text/csv" },
      body: file,
    });
  }

  async function showPreview(query) {
    showFileError("");
    let res;
    try {
      res = await send("/preview", query);
    } catch (e) {
      showFileError("The server could not be reached; try again.");
      return;
    }
    const type = res.headers.get("Content-Type") || "";
    // The fragment (also with a refusal); any other answer is a whole page, not shown here.
    if (type.startsWith("text/html") && [200, 404, 413, 422].includes(res.status)) {
      preview.innerHTML = await res.text();
    } else {
      preview.innerHTML = "";
      showFileError(res.status === 403
        ? "Refused (403): reload the page and try again."
        : "The file could not be read (" + res.status + ").");
    }
  }

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    file = fileInput.files[0] || null;
    preview.innerHTML = "";
    importSection.hidden = true;
    if (!file) {
      showFileError("Choose a CSV file first.");
      return;
    }
    if (file.size > maxBytes) {
      showFileError("The file is larger than " + form.dataset.maxMb + " MB; split it into smaller lists.");
      return;
    }
    showPreview("");
  });

  // A changed mapping redraws the preview with it.
  preview.addEventListener("change", (event) => {
    if (event.target.matches("select.lead-map") && file) showPreview(mappingQuery());
  });

  preview.addEventListener("click", async (event) => {
    if (event.target.id !== "import-button" || !file) return;
    const button = event.target;
    button.disabled = true;
    importSection.hidden = false;
    importError.hidden = true;
    result.hidden = true;
    errorsLink.hidden = true;
    progress.value = 0;
    status.textContent = "Starting…";
    let answer;
    try {
      const res = await send("/import", mappingQuery());
      answer = await res.json();
      if (!res.ok) throw new Error(answer.error || "The import was refused (" + res.status + ").");
    } catch (e) {
      importError.textContent = e.message;
      importError.hidden = false;
      status.textContent = "";
      button.disabled = false;
      return;
    }
    follow(answer.token);
  });

  /** Polls the import `token` until it has finished. */
  async function follow(token) {
    const jobUrl = base + "/jobs/" + encodeURIComponent(token);
    for (;;) {
      let job;
      try {
        const res = await fetch(jobUrl, { credentials: "same-origin" });
        job = await res.json();
        if (!res.ok) throw new Error(job.error || "Progress unavailable (" + res.status + ").");
      } catch (e) {
        importError.textContent = e.message;
        importError.hidden = false;
        return;
      }
      progress.max = Math.max(job.total, 1);
      progress.value = job.total === 0 && job.finished ? 1 : job.done;
      status.textContent = job.done + " of " + job.total + " rows stored";
      if (job.finished) {
        finished(jobUrl, job);
        return;
      }
      await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    }
  }

  function finished(jobUrl, job) {
    if (job.failure) {
      importError.textContent = job.failure;
      importError.hidden = false;
    }
    result.textContent = "Imported " + job.added + (job.added === 1 ? " lead" : " leads") +
      "; " + job.refused + (job.refused === 1 ? " row" : " rows") + " refused.";
    result.hidden = false;
    if (job.refused > 0) {
      errorsLink.href = jobUrl + "/errors.csv";
      errorsLink.hidden = false;
    }
    const show = document.getElementById("import-show");
    if (show && job.added > 0) {
      // An address of its own, so following it loads the list again even when only the
      // fragment would differ from this page's.
      show.href = base + "?status=all&imported=" + encodeURIComponent(job.total) + "-" +
        Date.now() + "#lead-list";
      show.hidden = false;
    }
    const count = document.getElementById("lead-count");
    if (count && job.added > 0) {
      const before = parseInt(count.textContent, 10) || 0;
      const now = before + job.added;
      count.textContent = now + (now === 1 ? " lead." : " leads.");
    }
  }
})();
