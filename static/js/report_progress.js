/* A report run being built (report pages): follow its progress every second, then reload
   the page, which shows the new run or the error of a failed one. */
(function () {
  "use strict";
  var bar = document.getElementById("jx-report-progress");
  var label = document.getElementById("jx-report-stage");
  if (!bar) {
    return;
  }
  function poll() {
    fetch(bar.dataset.statusUrl, {credentials: "same-origin"})
      .then(function (response) { return response.json(); })
      .then(function (state) {
        bar.value = state.percent;
        label.textContent = state.percent + "%";
        if (state.status === "done" || state.status === "failed") {
          window.location.reload();
        } else {
          window.setTimeout(poll, 1000);
        }
      })
      .catch(function () { window.setTimeout(poll, 3000); });
  }
  window.setTimeout(poll, 1000);
})();
