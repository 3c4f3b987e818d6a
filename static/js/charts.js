// Draws every Plotly figure sent with json_script, on first load and after htmx swaps.
// Each chart is <div data-chart="ID"> next to <script type="application/json" id="ID">.
(function () {
  "use strict";
  // Spend is confidential: no button that sends a chart to an online service, only
  // download-as-image and reset axes.
  var CONFIG = {
    displaylogo: false,
    responsive: true,
    showSendToCloud: false,
    showEditInChartStudio: false,
    modeBarButtons: [["toImage", "resetScale2d"]],
    toImageButtonOptions: { format: "png" }
  };
  function draw(root) {
    if (typeof window.Plotly === "undefined") return;
    root.querySelectorAll("[data-chart]").forEach(function (el) {
      var source = document.getElementById(el.dataset.chart);
      if (!source) return;
      var figure = JSON.parse(source.textContent);
      window.Plotly.react(el, figure.data, figure.layout, CONFIG);
      // The buttons are not keyboard-focusable, and each chart has a table beside it.
      el.querySelectorAll(".modebar-container").forEach(function (bar) {
        bar.setAttribute("aria-hidden", "true");
      });
      // A click on a point opens "why this number" for that day.
      if (el.dataset.whyUrl && !el.dataset.whyBound) {
        el.dataset.whyBound = "1";
        el.on("plotly_click", function (event) {
          var day = event.points && event.points[0] && event.points[0].x;
          if (!day) return;
          day = String(day).slice(0, 10);
          window.location.assign(el.dataset.whyUrl + "&start=" + day + "&end=" + day);
        });
      }
    });
  }
  document.addEventListener("htmx:load", function (event) { draw(event.target); });
  document.addEventListener("DOMContentLoaded", function () { draw(document); });
})();
