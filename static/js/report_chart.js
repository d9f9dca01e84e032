/* The chart of a report page: bars (stacked when the data says so), a line on a percent axis
   for a dataset that asks for it. Data comes from <script type="application/json">
   (json_script): no inline script, as the CSP wants. */
(function () {
  "use strict";
  var canvas = document.getElementById("report-chart");
  var source = document.getElementById("report-chart-data");
  if (!canvas || !source || typeof Chart === "undefined") {
    return;
  }
  var data = JSON.parse(source.textContent);
  var colours = ["#2f6fb3", "#b8860b", "#2e8b57", "#c0392b", "#7d3c98", "#16a085"];
  var percentAxis = false;
  var datasets = data.datasets.map(function (set, index) {
    var colour = set.colour || colours[index % colours.length];
    var out = {
      type: set.type || "bar",
      label: set.label,
      data: set.data,
      backgroundColor: colour,
      borderColor: colour,
      yAxisID: set.yAxisID || "y"
    };
    if (set.yAxisID === "percent") {
      percentAxis = true;
      out.spanGaps = set.spanGaps !== undefined ? set.spanGaps : true;
    }
    return out;
  });
  var scales = {
    x: { stacked: !!data.stacked },
    y: { beginAtZero: true, stacked: !!data.stacked }
  };
  if (percentAxis) {
    scales.percent = {
      position: "right",
      grid: { drawOnChartArea: false },
      ticks: { callback: function (value) { return value + "%"; } }
    };
  }
  new Chart(canvas, {
    data: { labels: data.labels, datasets: datasets },
    options: {
      animation: false,
      maintainAspectRatio: false,
      plugins: { legend: { display: datasets.length > 1 } },
      scales: scales
    }
  });
})();
