/* A background catalogue import: follow its progress, then reload to show the report. */
(function () {
  "use strict";
  var bar = document.getElementById("jx-import-progress");
  var label = document.getElementById("jx-import-stage");
  if (!bar) {
    return;
  }
  function poll() {
    fetch(bar.dataset.statusUrl, {credentials: "same-origin"})
      .then(function (response) { return response.json(); })
      .then(function (state) {
        bar.value = state.progress;
        label.textContent = state.progress + "%";
        if (state.status === "done" || state.status === "failed") {
          window.location.reload();
        } else {
          window.setTimeout(poll, 1000);
        }
      });
  }
  window.setTimeout(poll, 1000);
})();
