/* 大屏模式 (cases/templates/cases/wall.html): draws today's intake by hour with ECharts from the json
   in #wall-trend-data, and after every refresh (htmx on #wall-live brings the parts back out of
   band) redraws the chart and asks maps.js to reload the grid map ("cg:map-refresh"). Canvas, no
   tooltip: nothing here writes style attributes, so the page keeps the strict CSP. */
(function () {
  "use strict";
  var chart = null;

  function data() {
    var element = document.getElementById("wall-trend-data");
    try { return element ? JSON.parse(element.textContent) : null; } catch (e) { return null; }
  }

  function draw() {
    var box = document.getElementById("wall-trend-chart");
    var trend = data();
    if (!box || !trend || typeof echarts === "undefined") return;
    if (!chart) chart = echarts.init(box, null, { renderer: "canvas" });
    var text = "#b8c7d8";
    chart.setOption({
      animation: false,
      textStyle: { fontSize: 18, color: text },
      legend: { top: 0, right: 0, textStyle: { color: text, fontSize: 18 }, itemWidth: 28,
                data: [trend.today_label, trend.yesterday_label] },
      grid: { left: 48, right: 16, top: 40, bottom: 32 },
      xAxis: { type: "category", data: trend.hours, boundaryGap: false,
               axisLabel: { color: text, fontSize: 16, interval: 3 }, axisLine: { lineStyle: { color: "#46627f" } } },
      yAxis: { type: "value", minInterval: 1, axisLabel: { color: text, fontSize: 16 },
               splitLine: { lineStyle: { color: "#24405e" } } },
      series: [
        { name: trend.yesterday_label, type: "line", data: trend.yesterday, symbol: "none",
          lineStyle: { color: "#8aa0b8", width: 2, type: "dashed" }, itemStyle: { color: "#8aa0b8" } },
        { name: trend.today_label, type: "line", data: trend.today, symbol: "circle", symbolSize: 8,
          lineStyle: { color: "#8fd0ff", width: 4 }, itemStyle: { color: "#8fd0ff" },
          areaStyle: { color: "rgba(143, 208, 255, 0.18)" } }
      ]
    }, true);
    box.setAttribute("data-drawn", String(trend.today.reduce(function (a, b) { return a + b; }, 0)));
  }

  document.addEventListener("htmx:afterRequest", function (event) {
    if (!event.detail.elt || event.detail.elt.id !== "wall-live" || !event.detail.successful) return;
    // The out-of-band parts are in place once htmx has settled them.
    setTimeout(function () {
      draw();
      document.dispatchEvent(new CustomEvent("cg:map-refresh"));
    }, 50);
  });
  window.addEventListener("resize", function () { if (chart) chart.resize(); });
  document.addEventListener("DOMContentLoaded", draw);
})();
