// Keyboard-wedge scanner: a burst of quickly typed characters ended by Enter is a scan,
// wherever the focus is. A slow burst into a text field is typing and is left alone.
(function () {
  "use strict";
  var GS = "\u001d";
  var TEXT_TYPES = /^(text|search|email|tel|url|password|number)$/;
  var body, gap, minLength, prefix, gsSubstitute, enterGap;
  var buffer = "", last = 0, snapshot = null;
  var queue = Promise.resolve();

  function init() {
    body = document.body;
    gap = parseInt(body.dataset.scanGapMs, 10) || 50;
    minLength = parseInt(body.dataset.scanMinLength, 10) || 4;
    prefix = body.dataset.scanPrefix || "";
    gsSubstitute = body.dataset.scanGsSubstitute || "";
    // Enter comes right after the last character from a scanner; allow a little more
    // than the character gap for a busy page, far less than a person's pause.
    enterGap = Math.max(gap * 4, 250);
    document.addEventListener("keydown", onKeyDown, true);
  }

  function isTextField(el) {
    if (!el) return false;
    if (el.isContentEditable || el.tagName === "TEXTAREA") return true;
    return el.tagName === "INPUT" && TEXT_TYPES.test(el.type || "text");
  }

  // The character a key adds to a scan, or null. Scanners send the GS1 group separator
  // as the GS character itself or as Ctrl+].
  function charOf(e) {
    if (e.key === GS) return GS;
    if (e.ctrlKey && (e.key === "]" || e.code === "BracketRight")) return GS;
    if (e.ctrlKey || e.altKey || e.metaKey) return null;
    return e.key && e.key.length === 1 ? e.key : null;
  }

  function reset() { buffer = ""; snapshot = null; }

  function onKeyDown(e) {
    if (e.isComposing || document.querySelector("[data-keypad]")) return;  // the PIN keypad takes keys itself
    var now = performance.now();
    var field = isTextField(document.activeElement) ? document.activeElement : null;
    if (e.key === "Enter") {
      var code = buffer, quick = now - last <= enterGap, restore = snapshot;
      reset();
      if (code.length >= minLength && quick) {
        e.preventDefault();
        e.stopPropagation();
        // the burst's characters went into the field; put it back as the operator left it
        if (restore && restore.el.value !== undefined) restore.el.value = restore.value;
        submit(code);
      }
      return;
    }
    var ch = charOf(e);
    if (ch === null) {
      if (["Shift", "Control", "Alt", "AltGraph", "CapsLock", "Meta"].indexOf(e.key) < 0) reset();
      return;
    }
    if (now - last > gap) {  // a new burst starts
      buffer = "";
      snapshot = field ? { el: field, value: field.value } : null;
    }
    buffer += ch;
    last = now;
    // Outside a text field nothing should receive the keys (a focused button would
    // click on Space or Enter). Ctrl+] never types anything anyway.
    if (!field || ch === GS) e.preventDefault();
  }

  function normalise(code) {
    if (prefix && code.indexOf(prefix) === 0) code = code.slice(prefix.length);
    if (gsSubstitute) code = code.split(gsSubstitute).join(GS);
    return code;
  }

  function submit(raw) {
    var url = body.dataset.scanUrl, target = body.dataset.scanTarget;
    if (!url || !window.htmx) return;
    var code = normalise(raw);
    document.dispatchEvent(new CustomEvent("bench:scan", { detail: { code: code } }));
    // one scan at a time, in order: a parcel scan must land before the item scanned after it
    queue = queue.then(function () {
      return htmx.ajax("POST", url, {
        source: body, target: target, swap: "outerHTML",
        values: { code: code, source: "wedge" },
        headers: { "X-CSRF-Token": body.dataset.csrf }
      });
    }).catch(function () { if (window.benchFeedback) window.benchFeedback("error"); });
  }

  window.benchScan = function (code) { submit(code); };
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
