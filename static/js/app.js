/* chorusweb — small progressive enhancements; every page works without this file. */
(function () {
  "use strict";
  document.documentElement.classList.add("js");

  // Auto-submit selects marked .js-autosubmit (e.g. the language switch).
  document.addEventListener("change", function (event) {
    var el = event.target;
    if (el.matches && el.matches("select.js-autosubmit") && el.form) {
      el.form.requestSubmit ? el.form.requestSubmit() : el.form.submit();
    }
  });

  // Confirmation for forms and buttons carrying data-confirm (works with and without htmx).
  document.addEventListener("submit", function (event) {
    var form = event.target;
    var submitter = event.submitter;
    var text = (submitter && submitter.getAttribute("data-confirm")) || form.getAttribute("data-confirm");
    if (text && !form.hasAttribute("hx-post") && !window.confirm(text)) {
      event.preventDefault();
    }
  }, true);

  // "Select the whole page" checkbox: tick or untick every row, then let htmx post the form once.
  document.addEventListener("change", function (event) {
    var box = event.target;
    if (!box.matches || !box.matches("input.js-select-page")) { return; }
    var form = box.form;
    if (!form) { return; }
    form.querySelectorAll("input[name='ids']").forEach(function (row) { row.checked = box.checked; });
  }, true);  // capture: the rows are ticked before htmx reads the form on the same event

  // Keep the "select page" box in step with the rows after each swap.
  document.addEventListener("htmx:afterSettle", syncPageBoxes);
  document.addEventListener("DOMContentLoaded", syncPageBoxes);
  function syncPageBoxes() {
    document.querySelectorAll("input.js-select-page").forEach(function (box) {
      var rows = box.form ? box.form.querySelectorAll("input[name='ids']") : [];
      var checked = Array.prototype.filter.call(rows, function (r) { return r.checked; }).length;
      box.checked = rows.length > 0 && checked === rows.length;
      box.indeterminate = checked > 0 && checked < rows.length;
    });
  }

  // Move focus to the first error after an htmx swap, so keyboard and screen-reader users see it.
  document.addEventListener("htmx:afterSwap", function (event) {
    var target = event.detail.target;
    if (!target) { return; }
    var invalid = target.querySelector("[aria-invalid='true'], .field--error input, .field--error select, .field--error textarea");
    if (invalid) { invalid.focus(); }
  });
})();
