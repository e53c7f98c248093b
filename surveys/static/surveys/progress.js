/* A survey's progress map: its unit grids coloured by outcome (pending, found, no problem) on the
   city's basemap (window.citygridMaps.baseMap), each with its code, collector and findings. */
(function () {
  "use strict";
  if (typeof L === "undefined" || !window.citygridMaps) return;
  var element = document.getElementById("survey-map");
  var source = document.getElementById("survey-map-data");
  if (!element || !source) return;
  var data = JSON.parse(source.textContent);
  var COLOURS = { pending: "#d0d4da", found: "#e8743b", no_problem: "#3a9d5d" };
  Array.prototype.forEach.call(document.querySelectorAll(".swatch[data-outcome]"), function (swatch) {
    var style = swatch.style;
    style.display = "inline-block"; style.width = style.height = "0.9em"; style.margin = "0 0.3em 0 1em";
    style.verticalAlign = "middle"; style.background = COLOURS[swatch.dataset.outcome];
  });
  var map = window.citygridMaps.baseMap(element, data.tiles);
  var layer = L.geoJSON(data.grids, {
    style: function (feature) {
      return { color: "#33415c", weight: 2, fillColor: COLOURS[feature.properties.outcome] || "#d0d4da", fillOpacity: 0.6 };
    },
    onEachFeature: function (feature, shape) {
      var p = feature.properties;
      shape.bindTooltip(p.code + " · " + p.label + " · " + p.collector + (p.findings ? " · " + p.findings : ""), { sticky: true });
    }
  }).addTo(map);
  if (data.grids.features.length) map.fitBounds(layer.getBounds().pad(0.1));
  else map.setView([0, 0], 2);
})();
