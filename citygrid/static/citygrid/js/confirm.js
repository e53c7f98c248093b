/* citygrid workbench: confirmation of the moves that cannot be undone, and the short undo of those
   the table holds back before sending (cases.transitions: Transition.confirm, undo_seconds).

   A form marked data-confirm="<what will happen>" (a queue's one-key button or a case page's action
   form; the one-key shortcuts click the same buttons) opens the page's native modal <dialog
   id="confirm-move"> instead of being sent: Enter (the focused 确认) sends it, Esc or 取消 leaves it
   unsent and gives the focus back. Tab stays inside the dialog. With data-undo="N" the confirmed
   form waits N seconds under a bar with 撤销 (Esc) before it is sent: nothing reaches the server
   until then. No inline script (CSP): this file is loaded by cases/_confirm.html.

   Leaving the page during the undo sends the move at once rather than dropping it: it was
   confirmed, and the undo only holds it for whoever stays to watch. Leaving is another link, a
   reload, closing the tab (pagehide) or hiding it (visibilitychange: a phone or a frozen background
   tab may be discarded with no later event, so hiding the tab also sends). The form's own fields,
   its CSRF token among them, go in a fetch with keepalive, which outlives the page (sendBeacon
   where fetch is missing). A warning on beforeunload was the alternative and was not taken: it
   cannot say which move, browsers show it only after a click on the page, and a closing tab would
   still lose the move. If the page is still there when the answer comes (the tab was only
   hidden), it reloads once it is seen, to show the result; a refusal is shown on the bar. */
(function () {
  "use strict";

  var pending = null;  // {form, submitter, timer, left} while an undo countdown runs

  function dialog() { return document.getElementById("confirm-move"); }

  function fill(root, selector, text) {
    var element = root.querySelector(selector);
    if (element) element.textContent = text || "";
  }

  function format(template, values) {
    return (template || "").replace(/\{(\w+)\}/g, function (match, name) {
      return Object.prototype.hasOwnProperty.call(values, name) ? String(values[name]) : match;
    });
  }

  function send(form, submitter) {
    // A live queue may have replaced the row (and this form with it) while the dialog asked or the
    // undo ran: a form out of the document sends nothing, so it goes back in, out of sight.
    if (!document.contains(form)) {
      form.hidden = true;
      document.body.appendChild(form);
    }
    form.setAttribute("data-confirmed", "1");
    if (form.requestSubmit) form.requestSubmit(submitter || undefined); else form.submit();
  }

  function focusables(root) {
    return Array.prototype.filter.call(
      root.querySelectorAll("button, [href], input, select, textarea, [tabindex]:not([tabindex='-1'])"),
      function (element) { return !element.disabled && element.offsetParent !== null; });
  }

  function ask(form, submitter) {
    var box = dialog();
    if (!box || typeof box.showModal !== "function") {
      // No dialog on this page (or a browser without <dialog>): the plain confirm still asks.
      if (window.confirm(form.getAttribute("data-confirm"))) proceed(form, submitter);
      return;
    }
    if (box.open) return;
    var opener = document.activeElement;
    fill(box, "[data-confirm-title]", form.getAttribute("data-confirm-title"));
    fill(box, "[data-confirm-text]", form.getAttribute("data-confirm"));
    var number = form.getAttribute("data-case-number");
    fill(box, "[data-confirm-case]", number ? format(box.getAttribute("data-case-template"), { number: number }) : "");
    box.returnValue = "";
    box.showModal();
    var ok = box.querySelector("[data-confirm-ok]");
    if (ok) ok.focus();
    box.addEventListener("close", function onClose() {
      box.removeEventListener("close", onClose);
      if (box.returnValue === "confirm") {
        proceed(form, submitter);
      } else if (opener && document.contains(opener) && opener.focus) {
        opener.focus();
      }
    });
  }

  function proceed(form, submitter) {
    var seconds = parseInt(form.getAttribute("data-undo") || "0", 10);
    if (!(seconds > 0)) { send(form, submitter); return; }
    var bar = document.querySelector("[data-undo-bar]");
    if (!bar) { send(form, submitter); return; }
    cancelPending();
    pending = { form: form, submitter: submitter, left: seconds, timer: null };
    var render = function () {
      fill(bar, "[data-undo-text]", format(bar.getAttribute("data-template"), {
        action: form.getAttribute("data-confirm-title") || "", seconds: pending.left }));
    };
    render();
    bar.hidden = false;
    var undo = bar.querySelector("[data-undo-cancel]");
    if (undo) undo.focus();
    pending.timer = window.setInterval(function () {
      pending.left -= 1;
      if (pending.left > 0) { render(); return; }
      var held = pending;
      window.clearInterval(held.timer);
      pending = null;
      fill(bar, "[data-undo-text]", bar.getAttribute("data-sending"));
      send(held.form, held.submitter);
    }, 1000);
  }

  function cancelPending() {
    if (!pending) return false;
    window.clearInterval(pending.timer);
    var form = pending.form;
    pending = null;
    var bar = document.querySelector("[data-undo-bar]");
    if (bar) {
      fill(bar, "[data-undo-text]", bar.getAttribute("data-cancelled"));
      window.setTimeout(function () { if (!pending) bar.hidden = true; }, 2500);
    }
    var button = form.querySelector("button[type=submit], button:not([type])");
    if (button && document.contains(button)) button.focus();
    return true;
  }

  function sendOnLeave() {
    if (!pending) return;
    var held = pending;
    window.clearInterval(held.timer);
    pending = null;
    var body = new FormData(held.form);
    if (held.submitter && held.submitter.name) body.append(held.submitter.name, held.submitter.value || "");
    var bar = document.querySelector("[data-undo-bar]");
    if (bar) fill(bar, "[data-undo-text]", bar.getAttribute("data-sending"));
    if (typeof window.fetch !== "function") {
      if (navigator.sendBeacon) navigator.sendBeacon(held.form.action, body);
      return;
    }
    // redirect "manual": the move's answer is a redirect to the page it came from; following it
    // would fetch that page for nothing.
    window.fetch(held.form.action, { method: "POST", body: body, credentials: "same-origin", keepalive: true,
                                     redirect: "manual" }).then(function (response) {
      if (response.type === "opaqueredirect" || response.ok) { reloadWhenSeen(); return; }
      failed(bar);
    }, function () { failed(bar); });
  }

  function failed(bar) {
    if (!bar) return;
    fill(bar, "[data-undo-text]", bar.getAttribute("data-failed"));
    bar.hidden = false;
  }

  function reloadWhenSeen() {
    if (document.visibilityState !== "hidden") { window.location.reload(); return; }
    document.addEventListener("visibilitychange", function onSeen() {
      if (document.visibilityState === "hidden") return;
      document.removeEventListener("visibilitychange", onSeen);
      window.location.reload();
    });
  }

  window.addEventListener("pagehide", sendOnLeave);
  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "hidden") sendOnLeave();
  });

  // Capture phase, on the document: before htmx or any handler of the form itself sees the submit.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form || !form.hasAttribute || !form.hasAttribute("data-confirm")) return;
    if (form.getAttribute("data-confirmed") === "1") { form.removeAttribute("data-confirmed"); return; }
    event.preventDefault();
    event.stopPropagation();
    if (typeof form.reportValidity === "function" && !form.reportValidity()) return;
    ask(form, event.submitter || null);
  }, true);

  document.addEventListener("click", function (event) {
    if (event.target.closest && event.target.closest("[data-undo-cancel]")) { cancelPending(); }
  });

  document.addEventListener("keydown", function (event) {
    var box = dialog();
    if (box && box.open) {
      // Keep Tab inside the dialog (the page behind is inert, but the browser's own UI is not).
      if (event.key === "Tab") {
        var items = focusables(box);
        if (!items.length) return;
        var first = items[0], last = items[items.length - 1];
        if (event.shiftKey && document.activeElement === first) { last.focus(); event.preventDefault(); }
        else if (!event.shiftKey && document.activeElement === last) { first.focus(); event.preventDefault(); }
      }
      event.stopPropagation();  // no queue shortcut while the dialog asks
      return;
    }
    if (pending && event.key === "Escape") {
      cancelPending();
      event.preventDefault();
      event.stopPropagation();
    }
  }, true);
})();
