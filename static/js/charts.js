// Draws every Plotly figure sent with json_script, on first load and after htmx swaps.
// Each chart is <div data-chart="ID"> next to <script type="application/json" id="ID">.
(function () {
  "use strict";
  function draw(root) {
    if (typeof window.Plotly === "undefined") return;
    root.querySelectorAll("[data-chart]").forEach(function (el) {
      var source = document.getElementById(el.dataset.chart);
      if (!source) return;
      var figure = JSON.parse(source.textContent);
      window.Plotly.react(el, figure.data, figure.layout, { displaylogo: false, responsive: true });
    });
  }
  document.addEventListener("htmx:load", function (event) { draw(event.target); });
  document.addEventListener("DOMContentLoaded", function () { draw(document); });
})();
