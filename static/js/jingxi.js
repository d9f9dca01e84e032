/* Jingxi staff pages: behaviour bound from here, never from inline handlers (the
   Content-Security-Policy allows no inline script). */
(function () {
  "use strict";
  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-print]");
    if (button) {
      event.preventDefault();
      window.print();
    }
  });
})();
