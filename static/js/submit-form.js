/* chorusweb — submit an issued invoice: show only the part of the form of the chosen document mode
   (upload the PDF, or type the lines). Without this file both parts stay visible and work the same. */
(function () {
  "use strict";
  function update(form) {
    var checked = form.querySelector("input[name='mode']:checked");
    var mode = checked ? checked.value : "";
    form.querySelectorAll("[data-for-mode]").forEach(function (el) {
      el.hidden = mode !== "" && el.getAttribute("data-for-mode") !== mode;
    });
  }
  function init(root) {
    (root || document).querySelectorAll("form.submit-form").forEach(update);
  }
  document.addEventListener("change", function (event) {
    var el = event.target;
    if (el.name === "mode" && el.form && el.form.classList.contains("submit-form")) { update(el.form); }
  });
  document.addEventListener("DOMContentLoaded", function () { init(document); });
  document.addEventListener("htmx:afterSettle", function () { init(document); });
})();
