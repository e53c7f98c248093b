/* Leaflet maps of the case page and the overview, and the basemap every map of citygrid stands on
   (window.citygridMaps.baseMap, used by map-picker.js too). The basemap is settings.MAP_TILE_URL when
   the city has intranet tiles; without them it is drawn offline from the registry's own geometry
   (blocks, green, water, buildings, roads and unit grids from /api/grids/map/basemap/), fetched for
   the view's box as the map moves. */
(function () {
  "use strict";
  if (typeof L === "undefined") return;

  var BASEMAP_URL = "/api/grids/map/basemap/";
  var MAX_SPAN = 0.3;  // grids.mapping.BASEMAP_MAX_SPAN: the server refuses larger boxes
  var STYLES = {
    block: { stroke: false, fillColor: "#f7f4ee", fillOpacity: 1 },
    green: { stroke: false, fillColor: "#cfe6bf", fillOpacity: 1 },
    water: { color: "#8dbbe0", weight: 1, fillColor: "#aad3f2", fillOpacity: 1 },
    building: { color: "#c4bcae", weight: 0.6, fillColor: "#e2dbcf", fillOpacity: 1 },
    grid: { color: "#9fb0c2", weight: 0.7, dashArray: "3 3", fill: false }
  };
  var ROAD_WIDTH = { arterial: 9, secondary: 7, branch: 5 };

  function snap(value, step, up) { return (up ? Math.ceil(value / step) : Math.floor(value / step)) * step; }

  /* The offline basemap: one layer group per map, reloaded when the view leaves the box it has. */
  function offlineBasemap(map, url) {
    map.createPane("basemap").style.zIndex = 250;
    map.createPane("roads").style.zIndex = 390;  // above the basemap, below the maps' own layers
    map.getPane("roads").style.pointerEvents = "none";
    map.createPane("roadLabels").style.zIndex = 395;  // above the roads' canvas
    map.getPane("roadLabels").style.pointerEvents = "none";
    var renderer = L.canvas({ pane: "basemap" });
    var roadRenderer = L.canvas({ pane: "roads" });
    var group = L.layerGroup().addTo(map);
    var loaded = null;
    var pending = null;

    function draw(data) {
      group.clearLayers();
      var roads = [];
      data.features.forEach(function (feature) {
        var p = feature.properties;
        if (p.layer === "road") { roads.push(feature); return; }
        var style = STYLES[p.layer];
        if (!style) return;
        if (p.layer === "grid" && map.getZoom() < 15) return;
        group.addLayer(L.geoJSON(feature, { pane: "basemap", renderer: renderer, interactive: false, style: style }));
      });
      var zoom = map.getZoom();
      var scale = zoom >= 17 ? 1.6 : zoom >= 16 ? 1.1 : zoom >= 15 ? 0.8 : 0.5;
      roads.forEach(function (feature) {
        var width = (ROAD_WIDTH[feature.properties.kind] || 5) * scale;
        group.addLayer(L.geoJSON(feature, { pane: "roads", renderer: roadRenderer, interactive: false,
          style: { color: "#c9c1b3", weight: width + 2, lineCap: "round" } }));
      });
      roads.forEach(function (feature) {
        var p = feature.properties;
        var width = (ROAD_WIDTH[p.kind] || 5) * scale;
        group.addLayer(L.geoJSON(feature, { pane: "roads", renderer: roadRenderer, interactive: false,
          style: { color: p.kind === "arterial" ? "#fbe3a0" : "#ffffff", weight: width, lineCap: "round" } }));
      });
      shownRoads = roads;
      label();
    }

    /* Road names where the reader looks: each road's name at the middle of its segment nearest the
       view's centre (staggered along the road when zoomed out, so parallel names do not line up). */
    var labels = L.layerGroup().addTo(map);
    var shownRoads = [];
    function label() {
      labels.clearLayers();
      var zoom = map.getZoom();
      if (zoom < 15) return;
      var view = map.getBounds().pad(-0.08);
      var centre = map.getCenter();
      shownRoads.forEach(function (feature, k) {
        var p = feature.properties;
        if (zoom < 16 && p.kind === "branch") return;
        var parts = feature.geometry.type === "LineString" ? [feature.geometry.coordinates] : feature.geometry.coordinates;
        var best = null, bestScore = Infinity;
        parts.forEach(function (coords) {
          for (var i = 0; i + 1 < coords.length; i++) {
            var at = L.latLng((coords[i][1] + coords[i + 1][1]) / 2, (coords[i][0] + coords[i + 1][0]) / 2);
            if (!view.contains(at)) continue;
            var shift = ((k * 0.37) % 1 - 0.5) * 0.6;  // -0.3..0.3 of the view, per road
            var target = L.latLng(centre.lat + shift * (view.getNorth() - view.getSouth()),
                                  centre.lng + shift * (view.getEast() - view.getWest()));
            var score = at.distanceTo(target);
            if (score < bestScore) { bestScore = score; best = at; }
          }
        });
        if (best) {
          labels.addLayer(L.tooltip({ permanent: true, direction: "center", className: "road-label", pane: "roadLabels",
            interactive: false }).setLatLng(best).setContent(p.name));
        }
      });
    }
    map.on("moveend", label);

    function load() {
      var view = map.getBounds();
      if (!view.isValid()) return;
      var zoom = map.getZoom();
      if (loaded && loaded.bounds.contains(view) && loaded.zoom === zoom) return;
      var padded = view.pad(0.5);
      var step = 0.005;
      var box = [snap(padded.getWest(), step), snap(padded.getSouth(), step),
                 snap(padded.getEast(), step, true), snap(padded.getNorth(), step, true)];
      if (box[2] - box[0] > MAX_SPAN || box[3] - box[1] > MAX_SPAN) return;
      var key = box.map(function (v) { return v.toFixed(3); }).join(",");
      if (pending === key) return;
      pending = key;
      fetch(url + "?bbox=" + key, { credentials: "same-origin", headers: { Accept: "application/geo+json" } })
        .then(function (response) { return response.ok ? response.json() : null; })
        .then(function (data) {
          if (pending !== key) return;
          pending = null;
          if (!data) return;
          loaded = { bounds: L.latLngBounds([box[1], box[0]], [box[3], box[2]]), zoom: zoom };
          draw(data);
          map.getContainer().dataset.basemap = String(data.features.length);
        })
        .catch(function () { pending = null; });
    }

    map.on("moveend zoomend", load);
    map.whenReady(load);
  }

  // options: Leaflet's map options over these (the field app keeps its layers in SVG: tappable paths).
  function baseMap(element, tiles, options) {
    var map = L.map(element, L.Util.extend({ zoomControl: true, attributionControl: !!tiles, preferCanvas: true, maxZoom: 19 },
      options || {}));
    if (tiles) L.tileLayer(tiles, { maxZoom: 20 }).addTo(map);
    else {
      element.classList.add("map-plain");
      offlineBasemap(map, element.dataset.basemapUrl || BASEMAP_URL);
    }
    return map;
  }

  window.citygridMaps = { baseMap: baseMap };

  function caseMap() {
    var element = document.getElementById("case-map");
    var data = document.getElementById("case-map-data");
    if (!element || !data) return;
    var info = JSON.parse(data.textContent);
    var map = baseMap(element, info.tiles);
    map.setView([info.lat, info.lon], 17);  // vector layers need a view before they are added
    var bounds = L.latLngBounds([[info.lat, info.lon], [info.lat, info.lon]]);
    (info.neighbours || []).forEach(function (grid) {
      var layer = L.geoJSON(grid.geometry, { style: { color: "#7d8da0", weight: 1, fillColor: "#ffffff", fillOpacity: 0.15 } })
        .bindTooltip(grid.code).addTo(map);
      bounds.extend(layer.getBounds());
    });
    if (info.grid) {
      var own = L.geoJSON(info.grid.geometry, { style: { color: "#0b4f8a", weight: 3, fillColor: "#cfe0f5", fillOpacity: 0.35 } })
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
              return { color: p.overdue ? (element.dataset.overdueColor || "#000") : "#7a4a1d", weight: p.overdue ? 2 : 0.6, fillColor: fill(p.n), fillOpacity: 0.75 };
            },
            onEachFeature: function (feature, l) {
              var p = feature.properties;
              l.bindTooltip(p.code + "：" + p.n + (p.overdue ? " / " + p.overdue + " ⚠" : ""));
              // A grid opens its open cases (the search page filtered by the grid).
              if (element.dataset.gridCasesUrl) l.on("click", function () { location.href = gridCasesUrl(p.code); });
            }
          }).addTo(map);
          if (!fitted && data.features.length) { map.fitBounds(layer.getBounds().pad(0.05)); fitted = true; }
          gridList(data.features);
          element.dataset.loaded = String(data.features.length);
        })
        .catch(function () { /* keep the last picture; the next poll tries again */ });
    }

    element.cgMap = map;  // for the end-to-end tests (clicking a grid) and the console

    function gridCasesUrl(code) {
      return element.dataset.gridCasesUrl + "&unit_grid=" + encodeURIComponent(code);
    }

    // The same grids as links, most open cases first: the map's way in for the keyboard and
    // screen readers (<ol data-grid-list-for="overview-map">).
    function gridList(features) {
      var list = document.querySelector("[data-grid-list-for='" + element.id + "']");
      if (!list || !element.dataset.gridCasesUrl) return;
      var top = features.slice().sort(function (a, b) { return b.properties.n - a.properties.n; })
        .slice(0, parseInt(list.getAttribute("data-max") || "8", 10));
      list.textContent = "";
      top.forEach(function (feature) {
        var p = feature.properties;
        var item = document.createElement("li");
        var link = document.createElement("a");
        link.href = gridCasesUrl(p.code);
        link.className = "mono";
        link.textContent = p.code;
        item.appendChild(link);
        item.appendChild(document.createTextNode(" " + p.n + (p.overdue ? " / " + p.overdue + " ⚠" : "")));
        list.appendChild(item);
      });
    }

    load();
    document.body.addEventListener("htmx:afterSwap", function (event) {
      if (event.target && event.target.id === "overview-live") load();
    });
    document.addEventListener("cg:map-refresh", load);  // the wall mode's refresh (wall.js)
  }

  document.addEventListener("DOMContentLoaded", function () { caseMap(); overviewMap(); });
})();
