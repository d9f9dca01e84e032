// The KPI page's charts (经营指标): per chart, bars on the left axis and lines on the right
// one (or every line in % on one axis). Data comes from <script type="application/json">
// (json_script): no inline script, as the CSP wants.
(function () {
  "use strict";
  var source = document.getElementById("kpi-data");
  if (!source || typeof Chart === "undefined") {
    return;
  }
  var data = JSON.parse(source.textContent);
  var colours = ["#2f6fb3", "#c0392b", "#2e8b57", "#b8860b", "#7b4fa0"];
  var percent = function (value) { return value + "%"; };
  data.charts.forEach(function (chart) {
    var canvas = document.getElementById(chart.id);
    if (!canvas) {
      return;
    }
    var bars = chart.bars || [];
    var hasBars = bars.length > 0;
    var datasets = bars.map(function (bar) {
      return { type: "bar", label: bar.label, data: bar.data, backgroundColor: "#9fbfe0", yAxisID: "y" };
    });
    (chart.lines || []).forEach(function (line, i) {
      var colour = colours[(i + (hasBars ? 1 : 0)) % colours.length];
      datasets.push({
        type: "line",
        label: line.label,
        data: line.data,
        borderColor: colour,
        backgroundColor: colour,
        spanGaps: true,
        yAxisID: hasBars ? "right" : "y"
      });
    });
    var scales = { y: { beginAtZero: true } };
    if (chart.percent) {
      scales.y.ticks = { callback: percent };
    }
    if (hasBars) {
      scales.right = { position: "right", beginAtZero: true, grid: { drawOnChartArea: false } };
    }
    new Chart(canvas, {
      data: { labels: data.labels, datasets: datasets },
      options: { animation: false, maintainAspectRatio: false, scales: scales }
    });
  });
})();
