/* citygrid workbench: keyboard shortcuts for the queues and the case page. Every shortcut is a plain
   link or form button that also works by mouse and Tab; the one modal dialog is the confirmation of
   a move that cannot be undone (confirm.js), which the same button opens, whichever way it is pressed.

   Queues: j / k = next / previous case, Enter = open it, a letter = the selected case's action of
   that letter (the buttons show their letter), Esc = clear the selection, / = search, ? = help.
   Case page: a letter opens that action's form and focuses its first field; b = back. */
(function () {
  "use strict";

  function typing(target) {
    if (!target) return false;
    var tag = target.tagName;
    return target.isContentEditable || tag === "INPUT" || tag === "TEXTAREA" || tag === "SELECT";
  }

  function rows() {
    return Array.prototype.slice.call(document.querySelectorAll("table[data-queue] tr[data-row]"));
  }

  var selected = -1;

  function select(index) {
    var all = rows();
    if (!all.length) return;
    index = Math.max(0, Math.min(index, all.length - 1));
    all.forEach(function (row) { row.classList.remove("selected"); row.removeAttribute("aria-selected"); });
    var row = all[index];
    row.classList.add("selected");
    row.setAttribute("aria-selected", "true");
    row.setAttribute("tabindex", "-1");
    row.focus({ preventScroll: true });
    row.scrollIntoView({ block: "nearest" });
    selected = index;
    try { sessionStorage.setItem("cg-sel:" + location.pathname, String(index)); } catch (e) { /* private mode */ }
  }

  function current() {
    var all = rows();
    return selected >= 0 && selected < all.length ? all[selected] : null;
  }

  function openDetails(details) {
    details.open = true;
    var field = details.querySelector("input:not([type=hidden]), select, textarea, button");
    details.scrollIntoView({ block: "nearest" });
    if (field) field.focus();
  }

  document.addEventListener("keydown", function (event) {
    if (event.ctrlKey || event.metaKey || event.altKey) return;
    if (event.key === "Escape") {
      if (typing(event.target)) { event.target.blur(); return; }
      rows().forEach(function (row) { row.classList.remove("selected"); });
      selected = -1;
      return;
    }
    if (typing(event.target)) return;
    var key = event.key;
    var hasQueue = rows().length > 0;

    if (key === "?") {
      var help = document.querySelector(".shortcuts-help");
      if (help) { help.open = !help.open; event.preventDefault(); }
      return;
    }
    if (key === "/") {
      var search = document.querySelector("form[role=search] input[type=text]");
      if (search) search.focus(); else location.href = "/search/";
      event.preventDefault();
      return;
    }
    if (hasQueue && (key === "j" || key === "ArrowDown" && event.target.closest && event.target.closest("tr[data-row]"))) {
      select(selected + 1); event.preventDefault(); return;
    }
    if (hasQueue && (key === "k" || key === "ArrowUp" && event.target.closest && event.target.closest("tr[data-row]"))) {
      select(selected < 0 ? 0 : selected - 1); event.preventDefault(); return;
    }
    if (key === "Enter" && current() && (event.target === current() || event.target === document.body)) {
      location.href = current().dataset.href; event.preventDefault(); return;
    }
    if (key.length !== 1 || !/[a-z]/.test(key)) return;

    // An action of the selected row.
    var row = current();
    if (row) {
      var control = row.querySelector("[data-key='" + key + "']");
      if (control) { control.click(); event.preventDefault(); return; }
    }
    // An action form of the case page.
    var details = document.querySelector("details.action[data-action-key='" + key + "']");
    if (details) { openDetails(details); event.preventDefault(); return; }
    var link = document.querySelector("a[data-key='" + key + "']:not(tr a)");
    if (link) { link.click(); event.preventDefault(); }
  });

  // live.js replaced a queue's rows and marked the selected case again: go on from that row (or
  // from nothing, if a colleague took the case meanwhile).
  document.addEventListener("cg:rows-replaced", function () {
    selected = rows().findIndex(function (row) { return row.classList.contains("selected"); });
  });

  document.addEventListener("click", function (event) {
    var row = event.target.closest && event.target.closest("tr[data-row]");
    if (!row || event.target.closest("a, button, input, select, textarea, label")) return;
    select(rows().indexOf(row));
  });

  // Markup hooks that replace inline code (the Content-Security-Policy allows no inline script or
  // style): <select data-autosubmit> submits its form on change; <span data-pct="42"> gets its
  // width (CSSOM writes are not restricted by CSP, style attributes in markup are).
  document.addEventListener("change", function (event) {
    var control = event.target;
    if (control.hasAttribute && control.hasAttribute("data-autosubmit") && control.form) {
      if (control.form.requestSubmit) control.form.requestSubmit(); else control.form.submit();
    }
  });

  function applyWidths(root) {
    Array.prototype.forEach.call((root || document).querySelectorAll("[data-pct]"), function (element) {
      var pct = parseFloat(element.getAttribute("data-pct"));
      element.style.width = (isNaN(pct) ? 0 : Math.max(0, Math.min(100, pct))) + "%";
    });
  }
  document.addEventListener("htmx:afterSettle", function (event) { applyWidths(event.target); });

  // A box of grouped checkboxes (cases/widgets/grouped_checkboxes.html) filtered by what is typed
  // in its data-check-filter box: a name that does not match hides (a ticked one stays), and so does
  // a group left empty. Enter in the box does not send the form.
  function filterChecks(box) {
    var root = box.parentNode;
    var query = box.value.trim().toLowerCase();
    var shown = 0;
    Array.prototype.forEach.call(root.querySelectorAll("fieldset"), function (group) {
      var visible = 0;
      Array.prototype.forEach.call(group.querySelectorAll("label"), function (label) {
        var input = label.querySelector("input");
        var match = !query || label.textContent.toLowerCase().indexOf(query) !== -1 || (input && input.checked);
        label.hidden = !match;
        if (match) visible += 1;
      });
      group.hidden = !visible;
      shown += visible;
    });
    var empty = root.querySelector("[data-check-filter-empty]");
    if (empty) empty.hidden = shown > 0;
  }
  document.addEventListener("input", function (event) {
    if (event.target.hasAttribute && event.target.hasAttribute("data-check-filter")) filterChecks(event.target);
  });
  document.addEventListener("keydown", function (event) {
    if (event.key === "Enter" && event.target.hasAttribute && event.target.hasAttribute("data-check-filter")) {
      event.preventDefault();
    }
  });

  document.addEventListener("DOMContentLoaded", function () {
    applyWidths(document);
    // Open the action form named in the address (#action-file), e.g. from a queue's action link.
    if (location.hash.indexOf("#action-") === 0) {
      var details = document.getElementById(location.hash.slice(1));
      if (details && details.tagName === "DETAILS") openDetails(details);
    }
    // Back in a queue after an action: keep the place (the row that took the action is gone, so
    // the same index is the next case).
    if (rows().length) {
      var saved = null;
      try { saved = sessionStorage.getItem("cg-sel:" + location.pathname); } catch (e) { /* private mode */ }
      if (saved !== null) select(parseInt(saved, 10) || 0);
    }
  });
})();
