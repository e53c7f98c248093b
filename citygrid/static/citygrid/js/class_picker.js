/* citygrid class picker: turns every <select data-class-picker="ID"> into a type-ahead combobox (the
   ARIA 1.2 combobox pattern with a listbox popup) over the classes of the json_script #ID
   (cases.selectors.class_picker.class_picker_data). The select stays in the form and carries the
   value; without JavaScript it is the plain select.

   Matching and order mirror cases.selectors.class_picker.class_match_rank / class_search: code
   prefix, name prefix or pinyin initials prefix, name substring, full pinyin prefix, any pinyin
   substring; the person's most used first. Only the page's edition unless "show the other
   edition" is ticked. Keys: ArrowDown / ArrowUp move (ArrowDown opens), Enter picks, Esc closes
   (a second Esc clears), Home / End go to the first / last match. */
(function () {
  "use strict";

  var LIMIT = 50;
  var KEY_JUNK = /[^0-9a-z]/g;

  function matchRank(row, query) {
    if (!query) return 0;
    if (/^[0-9]+$/.test(query)) return row.code.indexOf(query) === 0 ? 0 : null;
    if (row.name.indexOf(query) === 0) return 1;
    var key = query.replace(KEY_JUNK, "");
    if (key && row.py.indexOf(key) === 0) return 1;
    if (row.name.indexOf(query) >= 0) return 2;
    if (key && row.pinyin.indexOf(key) === 0) return 3;
    if (key && (row.py.indexOf(key) >= 0 || row.pinyin.indexOf(key) >= 0)) return 4;
    return null;
  }

  function el(tag, attrs, text) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (name) { node.setAttribute(name, attrs[name]); });
    if (text !== undefined && text !== null) node.textContent = text;
    return node;
  }

  function enhance(select, data, serial) {
    var words = data.words;
    var allowed = {};
    Array.prototype.forEach.call(select.options, function (option) { if (option.value) allowed[option.value] = true; });
    var rows = data.classes.filter(function (row) { return allowed[String(row.id)]; });
    if (!rows.length) return;
    var byId = {};
    rows.forEach(function (row) { byId[row.id] = row; });
    var used = {};
    data.mostUsed.forEach(function (id, place) { used[id] = place; });
    var usedCount = data.mostUsed.length;
    // The page's edition, unless none of its classes is offered here (a registry holding one
    // edition only): then the edition of the classes there are.
    var edition = rows.some(function (row) { return row.edition === data.edition; }) ? data.edition : rows[0].edition;
    var hasOther = rows.some(function (row) { return row.edition !== edition; });

    var base = (select.id || "class-picker-" + serial);
    var wrapper = el("div", { "class": "class-picker" });
    var main = el("div", { "class": "class-picker-main" });  // the input, its popup, the edition toggle
    var box = el("div", { "class": "class-picker-box" });  // the input and its popup, anchored together
    select.parentNode.insertBefore(wrapper, select);
    var field = wrapper.parentNode.closest(".filters > .field");
    if (field) field.classList.add("class-picker-field");  // a row of its own in a form grid: the rules beside
    var input = el("input", {
      type: "text", id: base + "_search", "class": "class-picker-input", role: "combobox",
      "aria-autocomplete": "list", "aria-expanded": "false", "aria-controls": base + "_listbox",
      autocomplete: "off", spellcheck: "false", placeholder: words.placeholder,
      "aria-describedby": base + "_hint " + base + "_info"
    });
    if (select.required) {
      input.setAttribute("aria-required", "true");
      select.required = false;  // the hidden select cannot take the browser's "fill this in" bubble
    }
    if (select.getAttribute("aria-invalid")) input.setAttribute("aria-invalid", select.getAttribute("aria-invalid"));
    var label = select.id ? document.querySelector('label[for="' + select.id + '"]') : null;
    var labelText = label ? label.textContent.replace("*", "").trim() : (select.getAttribute("aria-label") || "");
    if (label) {
      if (!label.id) label.id = base + "_label";
      label.htmlFor = input.id;
    } else if (labelText) {
      input.setAttribute("aria-label", labelText);
    }
    var list = el("ul", { id: base + "_listbox", role: "listbox", "class": "class-picker-list" });
    if (label) list.setAttribute("aria-labelledby", label.id); else list.setAttribute("aria-label", labelText);
    list.hidden = true;
    var status = el("div", { "class": "visually-hidden", role: "status" });
    var hint = el("span", { id: base + "_hint", "class": "visually-hidden" }, words.hint);
    var info = el("div", { id: base + "_info", "class": "class-picker-info", "aria-live": "polite" });
    box.appendChild(input);
    box.appendChild(list);
    main.appendChild(box);
    wrapper.appendChild(main);
    wrapper.appendChild(status);
    wrapper.appendChild(hint);
    select.classList.add("class-picker-native");
    select.tabIndex = -1;
    select.setAttribute("aria-hidden", "true");
    wrapper.appendChild(select);
    var other = null;
    if (hasOther) {
      var otherName = Object.keys(data.editionsShort).filter(function (code) { return code !== edition; })
        .map(function (code) { return data.editionsShort[code]; }).join("、");
      var toggle = el("label", { "class": "class-picker-toggle" });
      other = el("input", { type: "checkbox", id: base + "_other" });
      toggle.appendChild(other);
      toggle.appendChild(document.createTextNode(words.otherEdition + "（" + otherName + "）"));
      main.appendChild(toggle);
    }
    wrapper.appendChild(info);

    var results = [];
    var active = -1;

    function search(text) {
      var query = text.trim().toLowerCase();
      var showOther = other && other.checked;
      var found = [];
      rows.forEach(function (row) {
        if (row.edition !== edition && !showOther) return;
        var rank = matchRank(row, query);
        if (rank === null) return;
        found.push([row.id in used ? used[row.id] : usedCount, rank, row.edition !== edition ? 1 : 0, row.code, row]);
      });
      found.sort(function (a, b) {
        for (var i = 0; i < 4; i++) { if (a[i] < b[i]) return -1; if (a[i] > b[i]) return 1; }
        return 0;
      });
      return found.map(function (entry) { return entry[4]; });
    }

    function showInfo(row) {
      info.textContent = "";
      if (!row) return;
      var title = el("p", { "class": "class-picker-title" });
      title.appendChild(el("strong", null, row.code + " " + row.name));
      title.appendChild(document.createTextNode(" · " + row.group + (row.edition !== edition ? " · " + data.editionsShort[row.edition] : "")));
      info.appendChild(title);
      var facts = el("dl");
      facts.appendChild(el("dt", null, words.filing));
      var filing = el("dd");
      if (row.filing.length) {
        var lines = el("ul");
        row.filing.forEach(function (line) { lines.appendChild(el("li", null, line)); });
        filing.appendChild(lines);
      } else {
        filing.textContent = "—";
      }
      facts.appendChild(filing);
      facts.appendChild(el("dt", null, words.closure));
      facts.appendChild(el("dd", null, row.closure || "—"));
      facts.appendChild(el("dt", null, words.limits));
      facts.appendChild(el("dd", { "class": "class-picker-limits" }, words.normal + " " + row.normal + " " + row.unit +
        " · " + words.urgent + " " + row.urgent + " " + row.unit));
      info.appendChild(facts);
    }

    function showNone(query) {
      info.textContent = "";
      if (query) info.appendChild(el("p", { "class": "class-picker-none" }, words.none));
    }

    function setActive(index) {
      var options = list.querySelectorAll("[role=option]");
      if (active >= 0 && options[active]) options[active].setAttribute("aria-selected", "false");
      active = index;
      if (index < 0 || !options[index]) {
        input.removeAttribute("aria-activedescendant");
        return;
      }
      options[index].setAttribute("aria-selected", "true");
      input.setAttribute("aria-activedescendant", options[index].id);
      options[index].scrollIntoView({ block: "nearest" });
      showInfo(results[index]);
    }

    function render() {
      results = search(input.value);
      list.textContent = "";
      active = -1;
      results.slice(0, LIMIT).forEach(function (row) {
        var option = el("li", { id: base + "_opt" + row.id, role: "option", "aria-selected": "false", "class": "class-picker-option" });
        option.dataset.id = row.id;
        option.appendChild(el("span", { "class": "class-picker-code" }, row.code));
        option.appendChild(el("span", { "class": "class-picker-name" }, row.name));
        if (row.id in used) option.appendChild(el("span", { "class": "class-picker-badge" }, words.mostUsed));
        option.appendChild(el("span", { "class": "class-picker-group" },
          row.group + (row.edition !== edition ? " · " + data.editionsShort[row.edition] : "")));
        list.appendChild(option);
      });
      if (!results.length) status.textContent = words.none;
      else if (results.length > LIMIT) status.textContent = words.count.replace("{n}", results.length) + "，" + words.more.replace("{n}", results.length - LIMIT);
      else status.textContent = words.count.replace("{n}", results.length);
      list.hidden = !results.length;
      input.setAttribute("aria-expanded", results.length ? "true" : "false");
    }

    function open() { render(); }

    function close() {
      list.hidden = true;
      input.setAttribute("aria-expanded", "false");
      input.removeAttribute("aria-activedescendant");
      active = -1;
      var chosen = byId[select.value];
      showInfo(chosen || null);
    }

    function isOpen() { return !list.hidden; }

    function choose(row) {
      select.value = String(row.id);
      input.value = row.code + " " + row.name;
      input.removeAttribute("aria-invalid");
      // 立案: the form's own filing-condition field takes the picked class's first condition.
      var filing = select.getAttribute("data-filing-input") && document.getElementById(select.getAttribute("data-filing-input"));
      if (filing) filing.value = row.filing.length ? row.filing[0] : "";
      close();
      select.dispatchEvent(new Event("change", { bubbles: true }));
    }

    input.addEventListener("input", function () {
      select.value = "";
      render();
      if (input.value.trim() && results.length) setActive(0);
      else showNone(input.value.trim());  // not the last match's rules: nothing is picked
    });
    input.addEventListener("keydown", function (event) {
      var count = Math.min(results.length, LIMIT);
      switch (event.key) {
        case "ArrowDown":
          event.preventDefault();
          if (!isOpen()) { open(); setActive(0); return; }
          setActive(count ? (active + 1) % count : -1);
          break;
        case "ArrowUp":
          event.preventDefault();
          if (!isOpen()) { open(); setActive(Math.min(results.length, LIMIT) - 1); return; }
          setActive(count ? (active - 1 + count) % count : -1);
          break;
        case "Home":
        case "End":
          if (!isOpen() || !count) return;
          event.preventDefault();
          setActive(event.key === "Home" ? 0 : count - 1);
          break;
        case "Enter":
          if (isOpen() && active >= 0) {
            event.preventDefault();  // pick, do not send the form
            choose(results[active]);
          }
          break;
        case "Escape":
          if (isOpen()) {
            event.preventDefault();
            event.stopPropagation();
            close();
          } else if (input.value) {
            event.preventDefault();
            event.stopPropagation();
            input.value = "";
            select.value = "";
            showInfo(null);
          }
          break;
        case "Tab":
          if (isOpen()) close();
          break;
      }
    });
    input.addEventListener("click", function () { if (!isOpen()) open(); });
    input.addEventListener("blur", function () {
      // A class code typed in full and left without picking is that class.
      var query = input.value.trim();
      if (!select.value && /^[0-9]{4,5}$/.test(query)) {
        var exact = search(query).filter(function (row) { return row.code === query; });
        if (exact.length === 1) choose(exact[0]);
      }
      if (isOpen()) close();
    });
    list.addEventListener("mousedown", function (event) { event.preventDefault(); });  // keep the focus in the input
    list.addEventListener("click", function (event) {
      var option = event.target.closest("[role=option]");
      if (option) choose(byId[option.dataset.id]);
    });
    if (other) {
      other.addEventListener("change", function () {
        input.focus();
        render();
        if (input.value.trim() && results.length) setActive(0);
      });
    }

    var initial = byId[select.value];
    if (initial) {
      input.value = initial.code + " " + initial.name;
      if (initial.edition !== edition && other) other.checked = true;
      showInfo(initial);
    }
  }

  // The repeated texts come once, in data.texts; a row holds their indexes (SHARED_FIELDS of
  // cases.selectors.class_picker).
  function unpack(data) {
    var texts = data.texts || [];
    data.classes.forEach(function (row) {
      row.filing = (texts[row.filing] || "").split("\n").filter(function (line) { return line; });
      row.closure = texts[row.closure] || "";
      row.group = texts[row.group] || "";
      row.unit = texts[row.unit] || "";
    });
    return data;
  }

  function start() {
    var cache = {};
    Array.prototype.forEach.call(document.querySelectorAll("select[data-class-picker]"), function (select, serial) {
      var source = select.getAttribute("data-class-picker");
      if (!(source in cache)) {
        var node = document.getElementById(source);
        cache[source] = node ? unpack(JSON.parse(node.textContent)) : null;
      }
      if (cache[source]) enhance(select, cache[source], serial);
    });
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
