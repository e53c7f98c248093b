/* citygrid live queues: the panels of cases/_live_panel.html are asked for again by htmx every few
   seconds (hx-trigger="every …"). This file
   - pauses that while the tab is hidden and asks at once when it is shown again;
   - keeps the person's place across a refresh: the selected row (by its case) and the focused
     control in it, then tells app.js (event "cg:rows-replaced") so j/k go on from there;
   - announces new rows of the panels marked data-announce: "(3) " before the tab title, a polite
     status for screen readers, the rows marked, and a short sound if the person turned it on
     (button [data-live-sound], remembered in localStorage); the count clears on the next key or
     click in the page;
   - keeps the figures outside a panel ([data-live-total="<panel>"]) in step with it.
   No inline code (the Content-Security-Policy forbids it): everything hangs on data attributes. */
(function () {
  "use strict";

  var SOUND_KEY = "cg-live-sound";
  var baseTitle = document.title;
  var seen = {};        // case address → true, for every row an announcing panel has shown
  var unseen = {};      // new rows not yet acknowledged
  var unseenCount = 0;
  var sound = null;

  function panels() {
    return Array.prototype.slice.call(document.querySelectorAll("[data-live-panel]"));
  }

  function rowKeys(panel) {
    return Array.prototype.map.call(panel.querySelectorAll("tr[data-row][data-href]"), function (row) {
      return row.getAttribute("data-href");
    });
  }

  function soundOn() {
    try { return localStorage.getItem(SOUND_KEY) === "1"; } catch (e) { return false; }
  }

  function showSoundState() {
    Array.prototype.forEach.call(document.querySelectorAll("[data-live-sound]"), function (button) {
      button.setAttribute("aria-pressed", soundOn() ? "true" : "false");
    });
  }

  function chime() {
    if (!soundOn()) return;
    var button = document.querySelector("[data-live-sound]");
    if (!sound && button) sound = new Audio(button.getAttribute("data-live-sound"));
    if (!sound) return;
    try {
      sound.currentTime = 0;
      var played = sound.play();
      if (played && played.catch) played.catch(function () { /* no gesture yet: stay silent */ });
    } catch (e) { /* no audio device */ }
  }

  function showTitle() {
    document.title = unseenCount > 0 ? "(" + unseenCount + ") " + baseTitle : baseTitle;
  }

  function markRows(root) {
    Array.prototype.forEach.call(root.querySelectorAll("tr[data-row][data-href]"), function (row) {
      row.classList.toggle("is-new", !!unseen[row.getAttribute("data-href")]);
    });
  }

  function acknowledge() {
    if (!unseenCount) return;
    unseen = {};
    unseenCount = 0;
    showTitle();
    panels().forEach(markRows);
  }

  function announce(panel, fresh) {
    fresh.forEach(function (key) { unseen[key] = true; });
    unseenCount += fresh.length;
    showTitle();
    markRows(panel);
    var status = document.getElementById("live-status");
    var pattern = panel.getAttribute("data-announce") || "";
    if (status) status.textContent = pattern.replace("{n}", String(fresh.length));
    chime();
  }

  function remember(panel) {
    if (!panel.hasAttribute("data-announce")) return;
    rowKeys(panel).forEach(function (key) { seen[key] = true; });
  }

  function showTotal(panel) {
    var name = panel.getAttribute("data-live-panel");
    Array.prototype.forEach.call(document.querySelectorAll("[data-live-total='" + name + "']"), function (element) {
      element.textContent = panel.getAttribute("data-total");
    });
  }

  // --- the place before and after a swap -----------------------------------------------------

  function controlKey(control, row) {
    if (control === row) return { row: true };
    if (control.getAttribute("data-key")) return { dataKey: control.getAttribute("data-key") };
    var all = Array.prototype.slice.call(row.querySelectorAll("a, button, input, select, textarea"));
    return { index: all.indexOf(control) };
  }

  function findControl(row, key) {
    if (key.row) return row;
    if (key.dataKey) return row.querySelector("[data-key='" + key.dataKey + "']");
    return row.querySelectorAll("a, button, input, select, textarea")[key.index] || null;
  }

  // Several panels refresh at once, so each keeps its own record until its new element settles.
  var places = {};

  document.addEventListener("htmx:beforeSwap", function (event) {
    var panel = event.detail.target;
    if (!panel || !panel.hasAttribute || !panel.hasAttribute("data-live-panel")) return;
    var xhr = event.detail.xhr;
    // Only a panel's own answer replaces it (not a login page after the session ended).
    if (!xhr || !xhr.getResponseHeader("X-Live-Panel")) { event.detail.shouldSwap = false; return; }
    var selected = panel.querySelector("tr[data-row].selected");
    var active = document.activeElement;
    var activeRow = active && panel.contains(active) ? active.closest("tr[data-row]") : null;
    places[panel.id] = {
      old: panel,
      page: panel.getAttribute("data-page"),
      selected: selected ? selected.getAttribute("data-href") : null,
      focusRow: activeRow ? activeRow.getAttribute("data-href") : null,
      focus: activeRow ? controlKey(active, activeRow) : null,
      focusInPanel: !!(active && panel.contains(active) && !activeRow)
    };
  });

  function restore(panel, before) {
    if (before.selected) {
      var row = panel.querySelector("tr[data-row][data-href='" + before.selected + "']");
      if (row) {
        row.classList.add("selected");
        row.setAttribute("aria-selected", "true");
        row.setAttribute("tabindex", "-1");
      }
    }
    if (before.focusRow) {
      var focusRow = panel.querySelector("tr[data-row][data-href='" + before.focusRow + "']");
      var control = focusRow ? findControl(focusRow, before.focus) : null;
      if (control) {
        if (control === focusRow) focusRow.setAttribute("tabindex", "-1");
        control.focus({ preventScroll: true });
      }
    } else if (before.focusInPanel) {
      panel.setAttribute("tabindex", "-1");
      panel.focus({ preventScroll: true });
    }
    showTotal(panel);
    if (panel.hasAttribute("data-announce")) {
      // A new page is not news; a refresh of the first page is.
      if (before.page === "1" && panel.getAttribute("data-page") === "1") {
        var fresh = rowKeys(panel).filter(function (key) { return !seen[key]; });
        if (fresh.length) announce(panel, fresh);
      }
      remember(panel);
      markRows(panel);
    }
  }

  function settled() {
    var restored = false;
    Object.keys(places).forEach(function (id) {
      var panel = document.getElementById(id);
      if (!panel || panel === places[id].old) return;  // not swapped yet
      restore(panel, places[id]);
      delete places[id];
      restored = true;
    });
    if (restored) document.dispatchEvent(new CustomEvent("cg:rows-replaced"));
  }
  // htmx:load fires on the new panel itself (in the document); afterSettle is the fallback.
  document.addEventListener("htmx:load", settled);
  document.addEventListener("htmx:afterSettle", settled);

  // A hidden tab asks nothing; shown again, it asks at once.
  document.addEventListener("htmx:beforeRequest", function (event) {
    var element = event.detail.elt;
    if (document.visibilityState === "hidden" && element && element.hasAttribute && element.hasAttribute("data-live-panel")) {
      event.preventDefault();
    }
  });
  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState !== "visible" || typeof htmx === "undefined") return;
    panels().forEach(function (panel) { htmx.trigger(panel, "cg:poll"); });
  });

  document.addEventListener("keydown", acknowledge);
  document.addEventListener("pointerdown", acknowledge);

  document.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest("[data-live-sound]");
    if (!button) return;
    var on = !soundOn();
    try { localStorage.setItem(SOUND_KEY, on ? "1" : "0"); } catch (e) { /* private mode */ }
    showSoundState();
    if (on) chime();  // the click is the gesture that lets the page play sound from now on
  });

  document.addEventListener("DOMContentLoaded", function () {
    panels().forEach(remember);
    showSoundState();
  });
})();
