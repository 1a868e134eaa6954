// The label page's one script (one request: the bench shows its next screen only once the label in
// its hidden frame has loaded, so the fewer files the label waits for, the sooner that is):
// - fit the text to the stock before the page prints: a printer clips what runs past the paper's
//   edge, so "RESTOCK" lost its K on 4x6 and a marketplace order number took the cross-dock lane off a
//   2x1; and a long product name must not push the Code 128 onto a second label;
// - a Reprint on a bench whose printer is in the queue queues the label and says where it went;
// - a button marked data-print prints; opened with ?print=1 (body data-autoprint) the page prints
//   itself as soon as it has loaded.
// No inline script: the pages' Content-Security-Policy allows scripts from the station only.
(function () {
  "use strict";

  function size(el) { return parseFloat(getComputedStyle(el).fontSize); }

  function shrink(els, fits) {
    for (var n = 0; n < 60 && !fits(); n++) {
      var smaller = false;
      els.forEach(function (el) {
        if (size(el) > 6) { el.style.fontSize = (size(el) * 0.93) + "px"; smaller = true; }
      });
      if (!smaller) return;
    }
  }

  function fit() {
    var label = document.querySelector("main.label");
    if (!label) return;
    label.querySelectorAll(".dest, .target, .lines li").forEach(function (el) {
      shrink([el], function () { return el.scrollWidth <= el.clientWidth; });
    });
    var lines = Array.prototype.slice.call(label.querySelectorAll(".lines li"));
    shrink(lines, function () { return label.scrollHeight <= label.clientHeight; });
    if (label.scrollHeight > label.clientHeight) {  // still too much: the lines give way, never the codes
      var list = label.querySelector(".lines");
      if (list) { list.style.overflow = "hidden"; list.style.minHeight = "0"; list.style.flexShrink = "1"; }
    }
  }

  function queueReprint() {
    var queue = document.querySelector("[data-queue-reprint]");
    if (!queue) return;
    function note(text) {
      var el = document.getElementById("print-note");
      if (el) el.textContent = text;
    }
    fetch(queue.getAttribute("data-queue-reprint"), {
      method: "POST", credentials: "same-origin",
      headers: {"X-CSRF-Token": queue.getAttribute("data-csrf"), "Accept": "application/json"}
    }).then(function (r) { return r.json(); }).then(function (body) {
      note(body.message || (body.error && body.error.message) || "");
    }).catch(function () {  // the page's own words (data-not-sent, in its language)
      note(queue.getAttribute("data-not-sent") || "Not sent: reload and press Reprint");
    });
  }

  document.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest("[data-print]");
    if (button) window.print();
  });
  fit();
  queueReprint();
  window.addEventListener("load", function () {
    fit();  // again, now that the fonts are in
    if (document.body.hasAttribute("data-autoprint")) window.print();
  });
})();
