/* Draws every [data-echarts] element with the option in its json_script (and registers the GeoJSON
   of a map first); a data item with a `url` opens its drill-down when clicked. */
(function () {
  "use strict";
  if (typeof echarts === "undefined") { return; }
  function readJson(id) {
    var node = document.getElementById(id);
    return node ? JSON.parse(node.textContent) : null;
  }
  document.querySelectorAll("[data-echarts]").forEach(function (el) {
    var option = readJson(el.dataset.echarts);
    if (!option) { return; }
    // The height comes as data-height (a style attribute would break the CSP), set through the CSSOM.
    if (el.dataset.height) { el.style.height = parseInt(el.dataset.height, 10) + "px"; }
    if (el.dataset.geo) {
      echarts.registerMap(el.dataset.mapName, readJson(el.dataset.geo));
    }
    var chart = echarts.init(el, null, { renderer: "svg" });
    chart.setOption(option);
    chart.on("click", function (params) {
      var url = params && params.data && params.data.url;
      if (url) { window.location.href = url; }
    });
    window.addEventListener("resize", function () { chart.resize(); });
    window.addEventListener("beforeprint", function () { chart.resize(); });
  });
})();
