/* "Print" buttons: any element with data-il-print opens the browser's print
   dialog. A static file because the CSP forbids inline script. */
(function () {
  "use strict";
  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-il-print]");
    if (!button) return;
    event.preventDefault();
    window.print();
  });
})();
