// The product structure table (商品结构表): 中类 and 小类 rows fold under their parent, a
// warning's link unfolds the way to its row, and the chart stacks each 大类's sales by role.
// Data comes from <script type="application/json"> (json_script): no inline script (CSP).
(function () {
  "use strict";
  var table = document.getElementById("structure-table");
  if (table) {
    var rows = Array.prototype.slice.call(table.querySelectorAll("tbody tr[data-node]"));
    var byParent = {};
    var byId = {};
    rows.forEach(function (row) {
      byId[row.dataset.node] = row;
      if (row.dataset.parent) {
        (byParent[row.dataset.parent] = byParent[row.dataset.parent] || []).push(row);
      }
    });
    var setOpen = function (id, open) {
      var row = byId[id];
      var button = row && row.querySelector("[data-toggle]");
      if (button) {
        button.setAttribute("aria-expanded", open ? "true" : "false");
      }
      (byParent[id] || []).forEach(function (child) {
        child.classList.toggle("collapsed-away", !open);
        if (!open) {
          setOpen(child.dataset.node, false);
        }
      });
    };
    var reveal = function (anchor) {
      var row = document.getElementById(anchor);
      while (row && row.dataset.parent) {
        setOpen(row.dataset.parent, true);
        row = byId[row.dataset.parent];
      }
    };
    // Folded to the 大类 at first; the tree opens where the address points.
    rows.forEach(function (row) {
      if (!row.dataset.parent) {
        setOpen(row.dataset.node, false);
      }
    });
    if (window.location.hash) {
      reveal(window.location.hash.slice(1));
    }
    document.addEventListener("click", function (event) {
      var toggle = event.target.closest("[data-toggle]");
      if (toggle) {
        setOpen(toggle.dataset.toggle, toggle.getAttribute("aria-expanded") !== "true");
        return;
      }
      var all = event.target.closest("[data-tree]");
      if (all) {
        var open = all.dataset.tree === "expand";
        rows.forEach(function (row) {
          if (!row.dataset.parent) {
            setOpen(row.dataset.node, open);
          }
          if (open && byParent[row.dataset.node]) {
            setOpen(row.dataset.node, true);
          }
        });
        return;
      }
      var link = event.target.closest("[data-reveal]");
      if (link) {
        reveal(link.dataset.reveal);
      }
    });
  }

  var canvas = document.getElementById("structure-chart");
  var source = document.getElementById("structure-data");
  if (!canvas || !source || typeof Chart === "undefined") {
    return;
  }
  var data = JSON.parse(source.textContent);
  var colours = { traffic: "#2f6fb3", regular: "#2e8b57", image: "#b8860b" };
  new Chart(canvas, {
    type: "bar",
    data: {
      labels: data.labels,
      datasets: data.datasets.map(function (set) {
        return { label: set.label, data: set.data, backgroundColor: colours[set.key] || "#777" };
      })
    },
    options: {
      animation: false,
      maintainAspectRatio: false,
      scales: {
        x: { stacked: true },
        y: {
          stacked: true,
          max: 100,
          title: { display: true, text: data.y_label },
          ticks: { callback: function (value) { return value + "%"; } }
        }
      },
      plugins: {
        tooltip: {
          callbacks: {
            label: function (item) { return item.dataset.label + " · " + item.raw + "%"; }
          }
        }
      }
    }
  });
})();
