// Report pages: the Print button (no inline script); the wall-board refreshes through htmx markup.
(function () {
  "use strict";
  document.addEventListener("click", function (e) {
    var button = e.target.closest ? e.target.closest("[data-print-page]") : null;
    if (button) window.print();
  });
})();
