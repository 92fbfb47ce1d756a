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
  // A row unticked unticks the page's box before the form is sent (the box means "every row").
  document.addEventListener("change", function (event) {
    var box = event.target;
    if (box.matches && box.matches("input[name='ids']")) { syncPageBoxes(); return; }
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
  // (After an outerHTML swap the event's target is the element that was replaced: find the new one.)
  function swapped(event) {
    var target = event.detail.target || event.target;
    if (target && !target.isConnected && target.id) { target = document.getElementById(target.id); }
    return target && target.isConnected ? target : null;
  }
  document.addEventListener("htmx:afterSettle", function (event) {
    var target = swapped(event);
    if (!target || !target.querySelector) { return; }
    var invalid = target.querySelector("[aria-invalid='true'], .field--error input, .field--error select, .field--error textarea");
    if (invalid) { invalid.focus(); }
  });

  // Announce what changed (status, selection count, messages) through one live region that
  // stays in the page: a region replaced by a swap is not reliably read by screen readers.
  var announceTimer = null;
  var announceParts = [];  // what one response changed (several regions) is read as one sentence
  function announce(root) {
    var box = document.getElementById("announcer");
    if (!box || !root || !root.querySelectorAll) { return; }
    if (root.matches && root.matches("[data-announce]")) { announceParts.push(root.textContent); }
    root.querySelectorAll("[data-announce]").forEach(function (el) { announceParts.push(el.textContent); });
    if (!announceParts.length) { return; }
    clearTimeout(announceTimer);
    announceTimer = setTimeout(function () {
      box.textContent = announceParts.join(" ").replace(/\s+/g, " ").trim();
      announceParts = [];
    }, 100);
  }
  document.addEventListener("htmx:afterSettle", function (event) { announce(swapped(event)); });
  document.addEventListener("htmx:oobAfterSwap", function (event) { announce(swapped(event)); });

  // After an action, focus goes to the message that reports it (keyboard and screen-reader
  // users land on what happened): the message swapped into #messages, or the error the answer
  // shows in its region. Only for actions (POST), never for polling or the selection's count,
  // and not when the first invalid field already took the focus.
  var messagesSwapped = false;
  function focusMessage(el) {
    if (!el) { return; }
    if (!el.hasAttribute("tabindex")) { el.setAttribute("tabindex", "-1"); }
    el.focus();
  }
  document.addEventListener("htmx:beforeRequest", function () { messagesSwapped = false; });
  document.addEventListener("htmx:oobAfterSwap", function (event) {
    var target = swapped(event);
    if (target && target.id === "messages") { messagesSwapped = true; }
  });
  document.addEventListener("htmx:afterSettle", function (event) {
    var config = event.detail.requestConfig;
    if (!config || config.verb !== "post" || (event.detail.elt && event.detail.elt.id === "selection-form")) { return; }
    var target = swapped(event);
    var active = document.activeElement;
    if (target && active && target.contains(active) && active.matches("input, select, textarea")) { return; }
    var failed = event.detail.xhr && event.detail.xhr.status >= 400;
    var alert = failed && target && target.querySelector ? target.querySelector(".alert[role=alert]") : null;
    focusMessage(alert || (messagesSwapped ? document.querySelector("#messages .message") : null));
  });
  // A page reached after an action (redirect) opens on its message.
  document.addEventListener("DOMContentLoaded", function () {
    var message = document.querySelector("#messages .message, .js-focus-on-load");
    if (message && !window.location.hash) {
      focusMessage(message);
      var box = document.getElementById("announcer");
      if (box) { box.textContent = message.textContent.replace(/\s+/g, " ").trim(); }
    }
  });

  // A document shown in a frame on demand: <details data-frame-src> gets its <iframe> when opened,
  // so that the browser's PDF viewer starts only when the reader asks for it.
  document.addEventListener("toggle", function (event) {
    var box = event.target;
    if (!box.matches || !box.matches("details[data-frame-src]") || !box.open) { return; }
    if (box.querySelector("iframe")) { return; }
    var frame = document.createElement("iframe");
    frame.src = box.getAttribute("data-frame-src");
    frame.title = box.getAttribute("data-frame-title") || "";
    frame.className = "document-pdf__frame";
    box.insertBefore(frame, box.querySelector("summary").nextSibling);
  }, true);  // capture: toggle does not bubble

  // A tab, sort or page link of a list changes the view at once, filter form included: its
  // hidden state (tab, sort, the dashboard's filters) takes the link's values before the answer
  // comes, so a filter still waiting for its typing pause is sent with them, never with the
  // tab the list is leaving. The form and these links share one queue (hx-sync on #filters, one
  // request at a time, then the last one asked for): the answers show in the order asked.
  document.addEventListener("htmx:beforeRequest", function (event) {
    var link = event.detail.elt;
    var state = document.getElementById("filter-state");
    if (!state || !link.matches || !link.matches("#results-table a[hx-get]")) { return; }
    var params = new URL(link.getAttribute("hx-get"), window.location.href).searchParams;
    var seen = {};
    state.querySelectorAll("input[type=hidden]").forEach(function (input) {
      var values = params.getAll(input.name);
      var index = seen[input.name] || 0;
      seen[input.name] = index + 1;
      input.value = index < values.length ? values[index] : "";
    });
  });

  // A request that failed without an answer to show (server error, lost connection): say so.
  function requestFailed() {
    var alerts = document.getElementById("alerts");
    var template = document.getElementById("request-error");
    if (alerts && template) { alerts.replaceChildren(template.content.cloneNode(true)); }
  }
  document.addEventListener("htmx:responseError", requestFailed);
  document.addEventListener("htmx:sendError", requestFailed);
  document.addEventListener("htmx:beforeRequest", function () {
    var alerts = document.getElementById("alerts");
    if (alerts) { alerts.replaceChildren(); }
  });

  // Plain (non-htmx) forms marked data-once are sent once: a double click does not post twice.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (event.defaultPrevented || !form.hasAttribute || !form.hasAttribute("data-once")) { return; }
    if (form.getAttribute("data-sending") === "1") { event.preventDefault(); return; }
    form.setAttribute("data-sending", "1");
    form.querySelectorAll("button[type=submit]").forEach(function (b) { b.setAttribute("aria-disabled", "true"); });
  });
  window.addEventListener("pageshow", function () {  // back/forward cache: the form is usable again
    document.querySelectorAll("form[data-sending]").forEach(function (f) {
      f.removeAttribute("data-sending");
      f.querySelectorAll("button[aria-disabled]").forEach(function (b) { b.removeAttribute("aria-disabled"); });
    });
  });

  // Confirmation dialog for definitive actions (reject, refuse), over the server-side checkbox.
  // A form carrying data-confirm-title asks in a modal <dialog> before it is sent; confirming
  // ticks its confirmation checkbox (data-confirm-check) and sends it. Without JavaScript the
  // visible checkbox does the same job. data-confirm-field/-value limit it to one choice;
  // data-confirm-requires names a field that must be filled first (else the server explains).
  var dialog = null;
  var pending = null;  // {form, submitter}

  function needsConfirmation(form) {
    if (!form.hasAttribute("data-confirm-title") || form.dataset.confirmed === "1") { return false; }
    var fieldName = form.getAttribute("data-confirm-field");
    if (fieldName) {
      var field = form.elements[fieldName];  // an input, a select or a radio group (its checked value)
      if (!field || field.value !== form.getAttribute("data-confirm-value")) { return false; }
    }
    var required = form.getAttribute("data-confirm-requires");
    if (required && form.elements[required] && !form.elements[required].value.trim()) { return false; }
    var check = form.elements[form.getAttribute("data-confirm-check") || "confirme"];
    return !(check && check.checked && check.offsetParent !== null);  // ticked by hand where visible
  }

  function closeDialog(confirmed) {
    var state = pending;
    pending = null;
    if (dialog.open) { dialog.close(); }
    if (!state) { return; }
    if (confirmed) {
      var check = state.form.elements[state.form.getAttribute("data-confirm-check") || "confirme"];
      if (check) { check.checked = true; }
      state.form.dataset.confirmed = "1";
      if (state.form.requestSubmit) { state.form.requestSubmit(state.submitter || undefined); } else { state.form.submit(); }
      delete state.form.dataset.confirmed;
    }
    var back = state.submitter && document.contains(state.submitter) ? state.submitter : null;
    if (back) { back.focus(); }
  }

  document.addEventListener("submit", function (event) {
    var form = event.target;
    dialog = dialog || document.getElementById("confirm-dialog");
    if (!dialog || !dialog.showModal || !needsConfirmation(form)) { return; }
    event.preventDefault();
    event.stopImmediatePropagation();  // capture phase: htmx on the form never sees this submit
    pending = {form: form, submitter: event.submitter || null};
    document.getElementById("confirm-dialog-title").textContent = form.getAttribute("data-confirm-title");
    document.getElementById("confirm-dialog-text").textContent = form.getAttribute("data-confirm-text") || "";
    var ok = dialog.querySelector(".js-confirm-ok");
    if (!ok.hasAttribute("data-label")) { ok.setAttribute("data-label", ok.textContent); }
    ok.textContent = form.getAttribute("data-confirm-ok") || ok.getAttribute("data-label");
    dialog.showModal();  // modal: the rest of the page is inert, focus stays inside
    dialog.querySelector(".js-confirm-cancel").focus();
  }, true);

  document.addEventListener("click", function (event) {
    if (!dialog || !event.target.closest) { return; }
    if (event.target.closest(".js-confirm-ok")) { closeDialog(true); }
    else if (event.target.closest(".js-confirm-cancel")) { closeDialog(false); }
  });
  document.addEventListener("keydown", function (event) {  // Tab cycles inside the open dialog
    if (event.key !== "Tab" || !dialog || !dialog.open) { return; }
    var items = Array.prototype.filter.call(
      dialog.querySelectorAll("button, [href], input, select, textarea, [tabindex]:not([tabindex='-1'])"),
      function (el) { return !el.disabled && el.offsetParent !== null; }
    );
    if (!items.length) { return; }
    var first = items[0], last = items[items.length - 1];
    var inside = dialog.contains(document.activeElement);
    if (event.shiftKey && (document.activeElement === first || !inside)) { event.preventDefault(); last.focus(); }
    else if (!event.shiftKey && (document.activeElement === last || !inside)) { event.preventDefault(); first.focus(); }
  });
  document.addEventListener("cancel", function (event) {  // Escape
    if (dialog && event.target === dialog) { event.preventDefault(); closeDialog(false); }
  }, true);
  // Idle notice: two minutes before the session ends for inactivity (data-idle-timeout, in
  // seconds), say so and offer to stay; at the end, reload so that the server shows the login.
  (function () {
    var seconds = parseInt(document.body.getAttribute("data-idle-timeout") || "0", 10);
    var notice = document.getElementById("idle-notice");
    if (!seconds || !notice) { return; }
    var warnTimer = null, endTimer = null;
    function arm() {
      notice.hidden = true;
      window.clearTimeout(warnTimer);
      window.clearTimeout(endTimer);
      warnTimer = window.setTimeout(function () {
        notice.hidden = false;
        var button = notice.querySelector("button");
        if (button) { button.focus(); }
      }, Math.max(0, seconds - 120) * 1000);
      endTimer = window.setTimeout(function () { window.location.reload(); }, (seconds + 2) * 1000);
    }
    document.addEventListener("htmx:afterRequest", arm);  // every request to the server is activity
    arm();
  })();
})();
