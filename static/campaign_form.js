// The campaign form shows only the fields of the chosen kind: each part marked
// data-kinds="outbound predictive" is hidden while the Kind select names another kind.
// Hidden fields are still sent with the form; the server ignores those the kind does not
// use. Without this script every field shows, each saying which kinds it is for.
"use strict";
(function () {
  document.querySelectorAll("form.campaign-form").forEach(function (form) {
    const select = form.querySelector("select[name=kind]");
    if (!select) return;
    function showKind() {
      form.querySelectorAll("[data-kinds]").forEach(function (part) {
        part.hidden = !part.dataset.kinds.split(" ").includes(select.value);
      });
    }
    select.addEventListener("change", showKind);
    showKind();
  });
})();
