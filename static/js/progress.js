/* A job built in the background (a catalogue import, a report run): every <progress> with a
   data-status-url polls it each second, shows its percent (the JSON field named by
   data-field, "progress" if none) in the element data-label names, and reloads the page once
   the job is done or failed, which then shows its result or its error. */
(function () {
  "use strict";
  function follow(bar) {
    var label = document.getElementById(bar.dataset.label);
    var field = bar.dataset.field || "progress";
    function poll() {
      fetch(bar.dataset.statusUrl, {credentials: "same-origin"})
        .then(function (response) { return response.json(); })
        .then(function (state) {
          bar.value = state[field];
          if (label) {
            label.textContent = state[field] + "%";
          }
          if (state.status === "done" || state.status === "failed") {
            window.location.reload();
          } else {
            window.setTimeout(poll, 1000);
          }
        })
        .catch(function () { window.setTimeout(poll, 3000); });
    }
    window.setTimeout(poll, 1000);
  }
  document.querySelectorAll("progress[data-status-url]").forEach(follow);
})();
