/* chorusweb — processing forms (one invoice, or a bulk selection): show each field only for the
   statuses that take it (data-for-target: one or several status codes). A hidden field is also
   disabled, so that what it holds is not sent: the server refuses a reason or a mandate number
   given where the chosen status does not take it. Without this file every field stays visible
   and the server's rule explains itself. */
(function () {
  "use strict";
  function update(form) {
    var field = form.elements["cible"];
    var target = field ? field.value : "";
    form.querySelectorAll("[data-for-target]").forEach(function (el) {
      var hide = el.getAttribute("data-for-target").split(" ").indexOf(target) < 0;
      el.hidden = hide;
      el.querySelectorAll("input, textarea, select").forEach(function (input) { input.disabled = hide; });
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
