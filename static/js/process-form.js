/* chorusweb — processing form: show the suspension and rejection notes only for their status.
   Without this file every note stays visible and the form works the same. */
(function () {
  "use strict";
  function update(form) {
    var checked = form.querySelector("input[name='cible']:checked");
    var target = checked ? checked.value : "";
    form.querySelectorAll("[data-for-target]").forEach(function (el) {
      el.hidden = el.getAttribute("data-for-target") !== target;
    });
  }
  function init(root) {
    (root || document).querySelectorAll("form.process-form").forEach(update);
  }
  document.addEventListener("change", function (event) {
    var el = event.target;
    if (el.name === "cible" && el.form && el.form.classList.contains("process-form")) { update(el.form); }
  });
  document.addEventListener("DOMContentLoaded", function () { init(document); });
  document.addEventListener("htmx:afterSettle", function () { init(document); });
})();
