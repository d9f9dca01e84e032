// The product-line scatter (产品线优化): velocity × gross margin %, one colour per quadrant,
// the two splits drawn as dashed lines. Data comes from <script type="application/json">
// (json_script): no inline script, as the CSP wants.
(function () {
  "use strict";
  var canvas = document.getElementById("productline-chart");
  var source = document.getElementById("productline-data");
  if (!canvas || !source || typeof Chart === "undefined") {
    return;
  }
  var data = JSON.parse(source.textContent);
  var colours = {
    traffic: "#2f6fb3",
    profit: "#2e8b57",
    niche: "#b8860b",
    delist: "#c0392b"
  };
  var splits = {
    id: "splits",
    afterDatasetsDraw: function (chart) {
      var x = chart.scales.x, y = chart.scales.y, ctx = chart.ctx;
      ctx.save();
      ctx.setLineDash([6, 4]);
      ctx.strokeStyle = "#555";
      ctx.lineWidth = 1;
      var vx = x.getPixelForValue(data.velocity_split);
      var my = y.getPixelForValue(data.margin_split);
      ctx.beginPath();
      ctx.moveTo(vx, y.top);
      ctx.lineTo(vx, y.bottom);
      ctx.moveTo(x.left, my);
      ctx.lineTo(x.right, my);
      ctx.stroke();
      ctx.restore();
    }
  };
  var datasets = data.quadrants.map(function (quadrant) {
    return {
      label: quadrant.label,
      data: quadrant.points,
      backgroundColor: colours[quadrant.key] || "#777",
      pointRadius: 3,
      pointHoverRadius: 5
    };
  });
  new Chart(canvas, {
    type: "scatter",
    data: { datasets: datasets },
    plugins: [splits],
    options: {
      animation: false,
      maintainAspectRatio: false,
      scales: {
        x: {
          type: "logarithmic",
          title: { display: true, text: data.x_label },
          ticks: {
            maxRotation: 0,
            // Only 1, 2 and 5 × 10ⁿ: a log axis labels every step otherwise, and they overlap.
            callback: function (value) {
              var lead = value / Math.pow(10, Math.floor(Math.log10(value)));
              var shown = [1, 2, 5].some(function (d) { return Math.abs(lead - d) < 1e-6; });
              return shown ? String(Number(value.toPrecision(2))) : "";
            }
          }
        },
        y: {
          title: { display: true, text: data.y_label },
          ticks: { callback: function (value) { return value + "%"; } }
        }
      },
      plugins: {
        tooltip: {
          callbacks: {
            label: function (item) {
              var p = item.raw;
              return p.label + " · " + p.x.toFixed(2) + " / " + p.y.toFixed(1) + "%";
            }
          }
        }
      }
    }
  });
})();
