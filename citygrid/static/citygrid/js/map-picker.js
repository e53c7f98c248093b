/* The map picker (template tag {% map_picker %}, grids/templatetags/map_picker.py): click the map or
   drag the marker to locate a report; the form's longitude, latitude and unit grid fields are filled,
   the unit grid, community and responsibility grid are shown as the point moves, and the proposed
   address ("nearest road + community", /api/grids/map/point/) goes into the address field until the
   operator edits it. A search box (/api/grids/map/search/) offers roads, communities, places and
   components as one types and moves the marker to the one chosen. Keyboard: the search is a combobox
   (arrows, Enter, Escape); on the map, Enter puts the marker at the centre and the arrow keys move
   the focused marker (Shift: farther). Needs Leaflet and maps.js (window.citygridMaps). */
(function () {
  "use strict";
  if (typeof L === "undefined" || !window.citygridMaps) return;

  var STEP_M = 5;

  function debounce(fn, ms) {
    var timer = null;
    return function () {
      var args = arguments;
      clearTimeout(timer);
      timer = setTimeout(function () { fn.apply(null, args); }, ms);
    };
  }

  function field(id) { return id ? document.getElementById(id) : null; }

  function picker(root) {
    var d = root.dataset;
    var lon = field(d.lon), lat = field(d.lat), address = field(d.address), grid = field(d.grid);
    var mapBox = root.querySelector("[data-map]");
    var input = root.querySelector("[data-search]");
    var list = root.querySelector("[data-results]");
    var searchStatus = root.querySelector("[data-search-status]");
    var facts = {
      grid: root.querySelector("[data-fact=grid]"), community: root.querySelector("[data-fact=community]"),
      rgrid: root.querySelector("[data-fact=rgrid]"), address: root.querySelector("[data-fact=address]")
    };
    var status = root.querySelector("[data-status]");
    var extent = (d.extent || "").split(",").map(parseFloat);
    var map = window.citygridMaps.baseMap(mapBox, d.tiles);
    var marker = null;
    var proposed = "";
    var request = null;

    if (extent.length === 4 && extent.every(isFinite)) {
      map.fitBounds([[extent[1], extent[0]], [extent[3], extent[2]]]);
    } else {
      map.setView([28.19, 112.98], 14);
    }

    function say(text, isError) {
      status.textContent = text || "";
      status.classList.toggle("error", !!isError);
    }

    function show(info) {
      facts.grid.textContent = info ? info.unit_grid : "—";
      facts.community.textContent = info ? info.street.name + " " + info.community.name : "—";
      facts.rgrid.textContent = info && info.responsibility_grid ? info.responsibility_grid.name : "—";
      facts.address.textContent = info ? info.address : "—";
      root.dataset.located = info ? info.unit_grid : "";
    }

    var describe = debounce(function (latlng) {
      if (request) request.abort();
      request = new AbortController();
      var url = d.pointUrl + "?lon=" + latlng.lng.toFixed(7) + "&lat=" + latlng.lat.toFixed(7);
      fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" }, signal: request.signal })
        .then(function (response) {
          return response.json().then(function (body) { return { ok: response.ok, body: body }; });
        })
        .then(function (result) {
          if (!result.ok) {
            show(null);
            if (grid) grid.value = "";
            say(result.body.detail || d.msgOutside, true);
            return;
          }
          var info = result.body;
          show(info);
          say("");
          if (grid) grid.value = info.unit_grid;
          if (address && (address.value.trim() === "" || address.value === proposed)) {
            address.value = info.address;
          }
          proposed = info.address;
        })
        .catch(function (error) { if (error.name !== "AbortError") say(d.msgFailed, true); });
    }, 150);

    function moved(latlng, fromFields) {
      if (!fromFields) {
        lon.value = latlng.lng.toFixed(6);
        lat.value = latlng.lat.toFixed(6);
      }
      describe(latlng);
    }

    function place(latlng, fromFields) {
      if (marker) {
        marker.setLatLng(latlng);
      } else {
        marker = L.marker(latlng, { draggable: true, keyboard: true, title: d.markerLabel, alt: d.markerLabel,
                                    autoPan: true }).addTo(map);
        marker.on("drag", function () { describe(marker.getLatLng()); });
        marker.on("dragend", function () { moved(marker.getLatLng()); });
        var icon = marker.getElement();
        if (icon) {
          icon.setAttribute("aria-label", d.markerLabel);
          icon.setAttribute("role", "button");
          icon.addEventListener("keydown", function (event) {
            var delta = { ArrowUp: [0, 1], ArrowDown: [0, -1], ArrowLeft: [-1, 0], ArrowRight: [1, 0] }[event.key];
            if (!delta) return;
            event.preventDefault();
            event.stopPropagation();
            var here = marker.getLatLng();
            var metres = STEP_M * (event.shiftKey ? 5 : 1);
            var dLat = metres / 111320, dLon = metres / (111320 * Math.cos(here.lat * Math.PI / 180));
            var next = L.latLng(here.lat + delta[1] * dLat, here.lng + delta[0] * dLon);
            marker.setLatLng(next);
            moved(next);
          });
        }
      }
      moved(latlng, fromFields);
    }

    map.on("click", function (event) { place(event.latlng); });
    mapBox.addEventListener("keydown", function (event) {
      if (event.target === mapBox && (event.key === "Enter" || event.key === " ")) {
        event.preventDefault();
        place(map.getCenter());
      }
    });

    function typed() {
      var x = parseFloat(lon.value), y = parseFloat(lat.value);
      if (!isNaN(x) && !isNaN(y)) {
        place(L.latLng(y, x), true);
        map.panTo([y, x]);
      }
    }
    lon.addEventListener("change", typed);
    lat.addEventListener("change", typed);
    if (lon.value && lat.value) {
      var x = parseFloat(lon.value), y = parseFloat(lat.value);
      if (!isNaN(x) && !isNaN(y)) {
        proposed = address ? address.value : "";
        map.setView([y, x], 17);
        place(L.latLng(y, x), true);
      }
    }

    // --- the search combobox ---------------------------------------------------------------------
    var results = [];
    var active = -1;
    var searching = null;

    function close() {
      list.hidden = true;
      input.setAttribute("aria-expanded", "false");
      input.removeAttribute("aria-activedescendant");
      active = -1;
    }

    function highlight(index) {
      var items = list.querySelectorAll("[role=option]");
      if (!items.length) return;
      active = (index + items.length) % items.length;
      items.forEach(function (item, i) { item.setAttribute("aria-selected", i === active ? "true" : "false"); });
      input.setAttribute("aria-activedescendant", items[active].id);
      items[active].scrollIntoView({ block: "nearest" });
    }

    function choose(index) {
      var hit = results[index];
      if (!hit) return;
      input.value = hit.label;
      close();
      map.setView([hit.lat, hit.lon], Math.max(map.getZoom(), 17));
      place(L.latLng(hit.lat, hit.lon));
      searchStatus.textContent = d.msgMoved.replace("%s", hit.label);
    }

    function render(hits) {
      results = hits;
      list.textContent = "";
      hits.forEach(function (hit, i) {
        var item = document.createElement("li");
        item.id = root.id + "-option-" + i;
        item.setAttribute("role", "option");
        item.setAttribute("aria-selected", "false");
        item.dataset.kind = hit.kind;
        var kind = document.createElement("span");
        kind.className = "map-picker-kind";
        kind.textContent = hit.kind_label;
        var label = document.createElement("span");
        label.className = "map-picker-label";
        label.textContent = hit.label;
        var detail = document.createElement("span");
        detail.className = "map-picker-detail";
        detail.textContent = hit.detail;
        item.append(kind, label, detail);
        item.addEventListener("mousedown", function (event) { event.preventDefault(); choose(i); });
        list.appendChild(item);
      });
      list.hidden = hits.length === 0;
      input.setAttribute("aria-expanded", hits.length ? "true" : "false");
      searchStatus.textContent = hits.length ? d.msgResults.replace("%s", hits.length) : d.msgNoResults;
      active = -1;
    }

    var search = debounce(function () {
      var q = input.value.trim();
      if (!q) { render([]); searchStatus.textContent = ""; return; }
      if (searching) searching.abort();
      searching = new AbortController();
      fetch(d.searchUrl + "?q=" + encodeURIComponent(q), { credentials: "same-origin",
        headers: { Accept: "application/json" }, signal: searching.signal })
        .then(function (response) {
          return response.json().then(function (body) { return { ok: response.ok, body: body }; });
        })
        .then(function (result) {
          if (!result.ok) { render([]); searchStatus.textContent = result.body.detail || d.msgFailed; return; }
          render(result.body.results);
        })
        .catch(function (error) { if (error.name !== "AbortError") searchStatus.textContent = d.msgFailed; });
    }, 200);

    input.addEventListener("input", search);
    input.addEventListener("keydown", function (event) {
      if (event.key === "ArrowDown") { event.preventDefault(); if (list.hidden) search(); else highlight(active + 1); }
      else if (event.key === "ArrowUp") { event.preventDefault(); highlight(active - 1); }
      else if (event.key === "Enter") {
        // Enter picks the highlighted result (or the first) and never submits the form.
        event.preventDefault();
        if (results.length) choose(active >= 0 ? active : 0);
      } else if (event.key === "Escape") { close(); }
    });
    input.addEventListener("blur", function () { setTimeout(close, 150); });
  }

  function start() {
    document.querySelectorAll("[data-map-picker]").forEach(picker);
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
