/* Patrol pages of the command center: every collector's last position, and one collector's day
   replayed (the track, the check-ins, a slider that moves along the track). Data from json_script. */
(function () {
  "use strict";
  if (typeof L === "undefined") return;

  function read(id) {
    var element = document.getElementById(id);
    return element ? JSON.parse(element.textContent) : null;
  }

  function baseMap(element, tiles) {
    var map = L.map(element, { zoomControl: true, attributionControl: !!tiles, preferCanvas: true });
    if (tiles) L.tileLayer(tiles, { maxZoom: 20 }).addTo(map);
    else element.classList.add("map-plain");
    return map;
  }

  function collectorsMap() {
    var element = document.getElementById("patrol-map");
    var data = read("patrol-map-data");
    if (!element || !data) return;
    var map = baseMap(element, data.tiles);
    var placed = data.collectors.filter(function (c) { return c.lat !== null; });
    map.setView(placed.length ? [placed[0].lat, placed[0].lon] : [0, 0], placed.length ? 15 : 2);
    var bounds = null;
    placed.forEach(function (c) {
      var marker = L.circleMarker([c.lat, c.lon], { radius: 8, weight: 2, color: c.on_duty ? "#0a5c2b" : "#555",
        fillColor: c.on_duty ? "#1f9d55" : "#bbb", fillOpacity: 0.95 })
        .bindTooltip(c.name + (c.at ? " · " + c.at.substring(11, 16) : "") + " · " + c.reports_today)
        .on("click", function () { window.location.href = c.url; })
        .addTo(map);
      bounds = bounds ? bounds.extend(marker.getLatLng()) : L.latLngBounds([marker.getLatLng(), marker.getLatLng()]);
    });
    element.dataset.markers = String(placed.length);
    if (bounds) map.fitBounds(bounds.pad(0.1), { maxZoom: 17 });
  }

  function dayReplay() {
    var element = document.getElementById("patrol-track");
    var data = read("patrol-track-data");
    if (!element || !data) return;
    var map = baseMap(element, data.tiles);
    var points = data.track.map(function (p) { return [p[2], p[1]]; });
    map.setView(points.length ? points[0] : [0, 0], points.length ? 16 : 2);
    element.dataset.points = String(points.length);
    if (!points.length) return;
    var line = L.polyline(points, { color: "#1d5fb4", weight: 4, opacity: 0.8 }).addTo(map);
    L.circleMarker(points[0], { radius: 6, color: "#0a5c2b", fillColor: "#1f9d55", fillOpacity: 1 })
      .bindTooltip(data.track[0][0]).addTo(map);
    data.checkins.forEach(function (c) {
      L.circleMarker([c.lat, c.lon], { radius: 7, color: "#7a4f00", fillColor: "#f2b705", fillOpacity: 1 })
        .bindTooltip(c.post + " · " + c.at).addTo(map);
    });
    var here = L.circleMarker(points[points.length - 1], { radius: 9, color: "#7a0f0a", fillColor: "#d6332a",
      fillOpacity: 1 }).addTo(map);
    map.fitBounds(line.getBounds().pad(0.1), { maxZoom: 18 });
    var slider = document.getElementById("patrol-replay");
    var output = document.getElementById("patrol-replay-time");
    function move() {
      var index = Number(slider.value);
      here.setLatLng(points[index]);
      output.textContent = data.track[index][0];
    }
    if (slider) { slider.addEventListener("input", move); move(); }
  }

  document.addEventListener("DOMContentLoaded", function () { collectorsMap(); dayReplay(); });
})();
