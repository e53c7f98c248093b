/* Leaflet maps of the case page and the overview. The basemap is settings.MAP_TILE_URL; without it
   the maps draw the unit grids, the case and the components on a plain background (intranet). */
(function () {
  "use strict";
  if (typeof L === "undefined") return;

  function baseMap(element, tiles) {
    var map = L.map(element, { zoomControl: true, attributionControl: !!tiles, preferCanvas: true });
    if (tiles) L.tileLayer(tiles, { maxZoom: 20 }).addTo(map);
    else element.classList.add("map-plain");
    return map;
  }

  function caseMap() {
    var element = document.getElementById("case-map");
    var data = document.getElementById("case-map-data");
    if (!element || !data) return;
    var info = JSON.parse(data.textContent);
    var map = baseMap(element, info.tiles);
    map.setView([info.lat, info.lon], 17);  // vector layers need a view before they are added
    var bounds = L.latLngBounds([[info.lat, info.lon], [info.lat, info.lon]]);
    (info.neighbours || []).forEach(function (grid) {
      var layer = L.geoJSON(grid.geometry, { style: { color: "#9aa7b5", weight: 1, fillColor: "#ffffff", fillOpacity: 0.6 } })
        .bindTooltip(grid.code).addTo(map);
      bounds.extend(layer.getBounds());
    });
    if (info.grid) {
      var own = L.geoJSON(info.grid.geometry, { style: { color: "#0b4f8a", weight: 3, fillColor: "#cfe0f5", fillOpacity: 0.55 } })
        .bindTooltip(info.grid.code, { permanent: false }).addTo(map);
      bounds.extend(own.getBounds());
    }
    (info.components || []).forEach(function (c) {
      L.circleMarker([c.lat, c.lon], { radius: c.own ? 7 : 4, color: c.own ? "#000" : "#1d5fb4", weight: c.own ? 2 : 1,
        fillColor: "#2a7de1", fillOpacity: 0.9 }).bindTooltip(c.code + " " + c.name + " · " + c.status).addTo(map);
    });
    L.circleMarker([info.lat, info.lon], { radius: 9, color: "#7a0f0a", weight: 2, fillColor: "#d6332a", fillOpacity: 1 })
      .addTo(map);
    map.fitBounds(bounds.pad(0.05), { maxZoom: 18 });
  }

  function fill(n) {
    return n >= 10 ? "#a4161a" : n >= 5 ? "#e4572e" : n >= 2 ? "#f8a65c" : "#fde0c5";
  }

  function overviewMap() {
    var element = document.getElementById("overview-map");
    if (!element) return;
    var map = baseMap(element, element.dataset.tiles);
    var layer = null;
    var fitted = false;
    map.setView([0, 0], 2);

    function load() {
      fetch(element.dataset.gridsUrl, { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then(function (response) { return response.ok ? response.json() : null; })
        .then(function (data) {
          if (!data) return;
          if (layer) map.removeLayer(layer);
          layer = L.geoJSON(data, {
            style: function (feature) {
              var p = feature.properties;
              return { color: p.overdue ? "#000" : "#7a4a1d", weight: p.overdue ? 2 : 0.6, fillColor: fill(p.n), fillOpacity: 0.85 };
            },
            onEachFeature: function (feature, l) {
              var p = feature.properties;
              l.bindTooltip(p.code + "：" + p.n + (p.overdue ? " / " + p.overdue + " ⚠" : ""));
            }
          }).addTo(map);
          if (!fitted && data.features.length) { map.fitBounds(layer.getBounds().pad(0.05)); fitted = true; }
          element.dataset.loaded = String(data.features.length);
        })
        .catch(function () { /* keep the last picture; the next poll tries again */ });
    }

    load();
    document.body.addEventListener("htmx:afterSwap", function (event) {
      if (event.target && event.target.id === "overview-live") load();
    });
  }

  document.addEventListener("DOMContentLoaded", function () { caseMap(); overviewMap(); });
})();
