/* Behaviour of the assessment pages, without inline script or style attributes (the site's
   Content-Security-Policy forbids both): markup declares data- attributes, this file binds them.
   - <select data-period-jump="NAME">: choosing a period opens the form's action with ?NAME=<period>
     (not through the form's <input type=month>, which would drop a week, quarter or range label);
   - <button data-print>: prints the page (the bulletin).
   Charts (data-echarts, data-height) are drawn by charts.js. */
(function () {
  "use strict";

  function bind() {
    document.querySelectorAll("select[data-period-jump]").forEach(function (select) {
      select.addEventListener("change", function () {
        var form = select.form;
        if (!select.value || !form) { return; }
        var url = new URL(form.action, window.location.href);
        url.search = "";
        url.searchParams.set(select.getAttribute("data-period-jump"), select.value);
        window.location.assign(url.toString());
      });
    });
    document.querySelectorAll("[data-print]").forEach(function (button) {
      button.addEventListener("click", function () { window.print(); });
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", bind);
  } else {
    bind();
  }
})();
