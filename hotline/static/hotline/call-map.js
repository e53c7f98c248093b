/* Hotline desk: click the map to fill the call's longitude and latitude (and back: typed
   coordinates move the marker). Tiles only when MAP_TILE_URL is set; a plain background otherwise. */
(function () {
  "use strict";
  var box = document.getElementById("call-map");
  var lon = document.getElementById("id_lon");
  var lat = document.getElementById("id_lat");
  if (!box || !lon || !lat || typeof L === "undefined") { if (box) { box.hidden = true; } return; }
  var tiles = (document.getElementById("call-map-script") || {}).dataset || {};
  var center = (tiles.center || "").split(",").map(parseFloat);
  var start = [parseFloat(lat.value) || center[1] || 0, parseFloat(lon.value) || center[0] || 0];
  var map = L.map(box).setView(start, 15);
  if (tiles.tiles) { L.tileLayer(tiles.tiles, {maxZoom: 19}).addTo(map); }
  var marker = null;
  function place(latlng) {
    if (marker) { marker.setLatLng(latlng); } else { marker = L.marker(latlng).addTo(map); }
  }
  if (lat.value && lon.value) { place(start); }
  map.on("click", function (event) {
    lat.value = event.latlng.lat.toFixed(6);
    lon.value = event.latlng.lng.toFixed(6);
    place(event.latlng);
  });
  function typed() {
    var y = parseFloat(lat.value), x = parseFloat(lon.value);
    if (!isNaN(x) && !isNaN(y)) { place([y, x]); map.panTo([y, x]); }
  }
  lon.addEventListener("change", typed);
  lat.addEventListener("change", typed);
})();
