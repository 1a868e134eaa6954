// Fit the text to the stock before the page prints (label.js prints on load, after this deferred
// script ran): a printer clips what runs past the paper's edge, so "RESTOCK" lost its K on 4x6 and
// a marketplace order number took the cross-dock lane off a 2x1; and a long product name must not
// push the Code 128 onto a second label. Also: a Reprint on a bench whose printer is in the queue
// queues the label and says where it went. No inline script: the pages' Content-Security-Policy
// allows scripts from the station only.
(function () {
  var label = document.querySelector("main.label");
  if (label) {
    var size = function (el) { return parseFloat(getComputedStyle(el).fontSize); };
    var shrink = function (els, fits) {
      for (var n = 0; n < 60 && !fits(); n++) {
        var smaller = false;
        els.forEach(function (el) {
          if (size(el) > 6) { el.style.fontSize = (size(el) * 0.93) + "px"; smaller = true; }
        });
        if (!smaller) return;
      }
    };
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
  var queue = document.querySelector("[data-queue-reprint]");
  if (queue) {
    var note = function (text) {
      var el = document.getElementById("print-note");
      if (el) el.textContent = text;
    };
    fetch(queue.getAttribute("data-queue-reprint"), {
      method: "POST", credentials: "same-origin",
      headers: {"X-CSRF-Token": queue.getAttribute("data-csrf"), "Accept": "application/json"}
    }).then(function (r) { return r.json(); }).then(function (body) {
      note(body.message || (body.error && body.error.message) || "");
    }).catch(function () { note("Not sent: reload and press Reprint"); });
  }
})();
