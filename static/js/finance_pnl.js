// The monthly P&L chart (月度损益): net revenue, COGS and gross profit as bars, gross margin %
// as a line on its own axis. Data comes from <script type="application/json"> (json_script):
// no inline script, as the CSP wants.
(function () {
  "use strict";
  var canvas = document.getElementById("pnl-chart");
  var source = document.getElementById("pnl-data");
  if (!canvas || !source || typeof Chart === "undefined") {
    return;
  }
  var data = JSON.parse(source.textContent);
  var bar = function (key, colour) {
    return {
      type: "bar",
      label: data.names[key],
      data: data.series[key],
      backgroundColor: colour,
      yAxisID: "y"
    };
  };
  new Chart(canvas, {
    data: {
      labels: data.labels,
      datasets: [
        bar("net_revenue", "#2f6fb3"),
        bar("cogs", "#b8860b"),
        bar("gross_profit", "#2e8b57"),
        {
          type: "line",
          label: data.names.margin,
          data: data.series.margin,
          borderColor: "#c0392b",
          backgroundColor: "#c0392b",
          spanGaps: true,
          yAxisID: "margin"
        }
      ]
    },
    options: {
      animation: false,
      maintainAspectRatio: false,
      scales: {
        y: { beginAtZero: true },
        margin: {
          position: "right",
          grid: { drawOnChartArea: false },
          ticks: { callback: function (value) { return value + "%"; } }
        }
      }
    }
  });
})();
