// A button marked data-print prints the page (packing lists, evidence sheets, a label's Reprint).
document.addEventListener("click", function (event) {
  var button = event.target.closest && event.target.closest("[data-print]");
  if (button) window.print();
});
