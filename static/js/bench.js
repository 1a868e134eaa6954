// Small touch helpers for the bench: panels, PIN keypad, on-screen keyboard, qty steps,
// the override panel, label printing and the bench camera. Everything else is htmx markup.
(function () {
  "use strict";

  function closest(el, selector) { return el && el.closest ? el.closest(selector) : null; }

  function openPanel(id) {
    var panel = document.getElementById(id);
    if (!panel) return;
    panel.hidden = false;
    var input = panel.querySelector("input:not([type=hidden])");
    if (input) { input.value = ""; input.focus(); }
  }

  // "Narrow by name" under a product scan's orders: the search keeps to orders holding it
  function narrow(button) {
    var sku = document.getElementById("q-sku"), note = document.getElementById("q-narrow");
    if (!sku) return;
    sku.value = button.dataset.narrowSku || "";
    if (note) {
      note.hidden = !sku.value;
      // the sentence comes from the page, in its language: data-only-with="Only orders with {name}"
      var said = note.dataset.onlyWith || "Only orders with {name}";
      var name = button.dataset.narrowName || sku.value;
      note.textContent = sku.value ? said.replace("{name}", function () { return name; }) : "";
    }
  }

  function closePanels() {
    document.querySelectorAll(".overlay").forEach(function (p) { p.hidden = true; });
  }

  // -- the PIN keypad: taps and typed digits go into the PIN field ------------------------
  function keypadInput() { return document.querySelector("[data-keypad] input[name=pin]"); }

  function keypadKey(key) {
    var input = keypadInput();
    if (!input) return;
    if (key === "back") input.value = input.value.slice(0, -1);
    else if (input.value.length < 32) input.value += key;
  }

  document.addEventListener("keydown", function (e) {
    var input = keypadInput();
    if (!input || document.activeElement === input) return;  // the field types for itself
    if (e.key === "Enter") { e.preventDefault(); input.form.requestSubmit(); }
    else if (e.key === "Backspace") { e.preventDefault(); keypadKey("back"); }
    else if (e.key.length === 1 && !e.ctrlKey && !e.altKey && !e.metaKey) { e.preventDefault(); keypadKey(e.key); }
  });

  // -- on-screen keyboard for the no-label search ----------------------------------------
  function oskKey(button) {
    var input = document.getElementById(closest(button, "[data-osk-for]").dataset.oskFor);
    var key = button.dataset.osk;
    input.value = key === "back" ? input.value.slice(0, -1) : input.value + key;
    input.dispatchEvent(new Event("input", { bubbles: true }));
    input.focus({ preventScroll: true });  // a keyboard, if there is one, types on from here
  }

  function oskShow(button) {
    var osk = closest(button, "[data-osk-for]");
    var name = button.dataset.oskShow;
    osk.querySelectorAll("[data-osk-layout]").forEach(function (layout) {
      layout.hidden = layout.dataset.oskLayout !== name;
    });
    osk.querySelectorAll("[data-osk-show]").forEach(function (b) {
      b.setAttribute("aria-pressed", b === button ? "true" : "false");
    });
  }

  // -- label printing in a hidden frame -----------------------------------------------------
  // window.print() holds the page for a moment and Chromium drops the keys typed meanwhile: the
  // item scanned right after Confirm arrived with a digit missing, an "unknown product" bound
  // for quarantine. So an answer that carries a label to print (data-autoprint on #bench) is
  // shown only once that label has loaded, and in the same task as its print() call. Whoever
  // waits to see the next screen before scanning (an operator, a script) never types into the
  // print; a scan typed blind meanwhile is let finish first, and its answer waits with it.
  var LABEL_WAIT_MS = 4000;  // a label that does not load holds the screen no longer than this
  var held = null;           // {html, detail, labels}: the newest answer for #bench, not shown yet

  function labelFrame() {
    var frame = document.getElementById("label-frame");
    if (!frame) {
      frame = document.createElement("iframe");
      frame.id = "label-frame";
      frame.className = "print-frame";
      var bench = document.getElementById("bench");  // its data-label-title: the words in the page's language
      frame.title = (bench && bench.dataset.labelTitle) || "Label for printing";
      frame.tabIndex = -1;
      frame.setAttribute("aria-hidden", "true");
      document.body.appendChild(frame);
    }
    return frame;
  }

  function whenScannerIdle(then) {
    if (window.benchScanBusy && window.benchScanBusy()) setTimeout(function () { whenScannerIdle(then); }, 40);
    else then();
  }

  // load the label page (it does not print itself), then call then(frame), or then(null) if it did not load
  function loadLabel(url, then) {
    var frame = labelFrame(), finished = false;
    var timer = setTimeout(function () { finish(false); }, LABEL_WAIT_MS);
    function finish(loaded) {
      if (finished) return;
      finished = true;
      clearTimeout(timer);
      frame.onload = null;
      if (!loaded) frame.src = "about:blank";
      whenScannerIdle(function () { then(loaded ? frame : null); });
    }
    frame.onload = function () { finish(true); };
    frame.src = url;
  }

  function printFrame(frame) {
    try { frame.contentWindow.print(); } catch (e) { /* the label page is there to print by hand */ }
  }

  function autoprintUrl(html) {
    if (html.indexOf("data-autoprint") < 0) return null;
    var root = new DOMParser().parseFromString(html, "text/html").getElementById("bench");
    return root ? root.getAttribute("data-autoprint") : null;
  }

  function nextLabel() {
    loadLabel(held.labels[0], function (frame) {
      held.labels.shift();
      var show = held.labels.length ? null : held;
      if (show) {
        held = null;
        var bench = document.getElementById("bench");
        if (bench) htmx.swap(bench, show.html, { swapStyle: "outerHTML" }, { eventInfo: show.detail });
      }
      if (frame) printFrame(frame);  // same task as the swap: no key can come in between
      if (!show) nextLabel();
    });
  }

  document.addEventListener("htmx:beforeSwap", function (e) {
    var d = e.detail;
    if (!d.shouldSwap || !d.target || d.target.id !== "bench") return;
    keepOverride();
    var html = d.serverResponse != null ? d.serverResponse : d.xhr.responseText;
    var url = autoprintUrl(html);
    if (!url && !held) return;
    d.shouldSwap = false;
    d.target.inert = true;  // the old screen takes no more taps (a second Confirm) while it waits
    var first = !held;
    held = held || { labels: [] };
    held.html = html;  // the newest answer is the one to show
    held.detail = d;
    if (url) held.labels.push(url);
    if (first) nextLabel();
  });

  // a whole page that carries a label (no htmx swap to hold): print it once the scanner is idle
  document.addEventListener("DOMContentLoaded", function () {
    var bench = document.getElementById("bench");
    var url = bench && bench.getAttribute("data-autoprint");
    if (url) loadLabel(url, function (frame) { if (frame) printFrame(frame); });
  });

  // Reprint on a browser bench: the same frame, printed when the scanner is idle
  function reprintLabel(url) {
    loadLabel(url, function (frame) { if (frame) printFrame(frame); });
  }

  // a label page that prints itself (?print=1), or on a queued bench only reports where it went
  function printLabel(url) {
    labelFrame().src = url;
  }

  // -- the bench camera (getUserMedia), else the file input -------------------------------
  var stream = null;

  function stopCamera() {
    if (stream) { stream.getTracks().forEach(function (t) { t.stop(); }); stream = null; }
  }

  function startCamera(button) {
    var box = closest(button, "[data-photo]").querySelector("[data-camera]");
    navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" } }).then(function (s) {
      stream = s;
      box.hidden = false;
      box.querySelector("video").srcObject = s;
    }).catch(function () { button.hidden = true; });
  }

  function snap(button) {
    var box = closest(button, "[data-camera]"), video = box.querySelector("video");
    var canvas = document.createElement("canvas");
    canvas.width = video.videoWidth || 1280;
    canvas.height = video.videoHeight || 720;
    canvas.getContext("2d").drawImage(video, 0, 0, canvas.width, canvas.height);
    canvas.toBlob(function (blob) {
      stopCamera();
      var form = new FormData();
      form.append("photo", blob, "camera.jpg");
      fetch(box.dataset.upload, {
        method: "POST", body: form, credentials: "same-origin",
        headers: { "X-CSRF-Token": document.body.dataset.csrf, "HX-Request": "true" }
      }).then(function (r) { return r.text(); }).then(function (html) {
        var bench = document.getElementById("bench");
        bench.outerHTML = html;
        htmx.process(document.getElementById("bench"));
        document.dispatchEvent(new Event("htmx:afterSettle"));
      });
    }, "image/jpeg", 0.85);
  }

  function showCameraButtons() {
    var can = !!(navigator.mediaDevices && navigator.mediaDevices.getUserMedia);
    document.querySelectorAll("[data-camera-start]").forEach(function (b) { b.hidden = !can; });
  }

  document.addEventListener("click", function (e) {
    var t = e.target;
    var el;
    if ((el = closest(t, "[data-open]"))) { openPanel(el.dataset.open); narrow(el); }
    else if ((el = closest(t, "[data-dismiss]"))) closePanels();
    else if ((el = closest(t, "[data-key]"))) keypadKey(el.dataset.key);
    else if ((el = closest(t, "[data-osk]"))) oskKey(el);
    else if ((el = closest(t, "[data-osk-show]"))) oskShow(el);
    else if ((el = closest(t, "[data-step]"))) {
      var input = closest(el, "[data-qty]").querySelector("input");
      input.value = Math.max(1, (parseInt(input.value, 10) || 1) + parseInt(el.dataset.step, 10));
    } else if ((el = closest(t, "[data-toggle]"))) {
      var panel = document.getElementById(el.dataset.toggle);
      panel.hidden = !panel.hidden;
      el.setAttribute("aria-expanded", String(!panel.hidden));
      if (!panel.hidden) panel.scrollIntoView({ block: "nearest" });
    } else if ((el = closest(t, "[data-print-label]"))) reprintLabel(el.dataset.printLabel);
    else if ((el = closest(t, "[data-print]"))) printLabel(el.dataset.print);
    else if ((el = closest(t, "[data-camera-start]"))) startCamera(el);
    else if ((el = closest(t, "[data-snap]"))) snap(el);
  });

  // An override panel open when the bench changes (a photo taken for a grade D or X) stays
  // open with the destination chosen, instead of closing under the operator's finger.
  var override = null;
  function keepOverride() {
    var panel = document.querySelector("form.override:not([hidden])");
    var chosen = panel && panel.querySelector("input[name=disposition]:checked");
    override = panel ? { id: panel.id, value: chosen ? chosen.value : null } : null;
  }
  function restoreOverride() {
    var panel = override && document.getElementById(override.id);
    if (panel) {
      panel.hidden = false;
      var toggle = document.querySelector('[data-toggle="' + override.id + '"]');
      if (toggle) toggle.setAttribute("aria-expanded", "true");
      panel.querySelectorAll("input[name=disposition]").forEach(function (input) {
        if (input.value === override.value) input.checked = true;
      });
    }
    override = null;
  }

  // a new bench state closes the search and typed-code panels and any open camera
  document.addEventListener("htmx:afterSwap", function (e) {
    if (e.detail.target && e.detail.target.id === "bench") { closePanels(); stopCamera(); restoreOverride(); }
    showCameraButtons();
  });
  document.addEventListener("DOMContentLoaded", showCameraButtons);
})();
