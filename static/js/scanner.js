// Keyboard-wedge scanner: a burst of quickly typed characters ended by Enter (or the
// configured terminator) is a scan, wherever the focus is. A slow burst into a text field is
// typing and is left alone. Serial-scanner and camera scans (live.js) come in through
// benchScan() and take the same road to the server: one pipeline, one kind of feedback.
(function () {
  "use strict";
  var GS = "\u001d";
  var TEXT_TYPES = /^(text|search|email|tel|url|password|number)$/;
  var body, gap, minLength, prefix, gsSubstitute, hiccup, terminators, repeatMs;
  var lastCode = null, lastAt = -Infinity;  // the last scan sent, to drop a double read
  var LONG = 1000;  // ms: after this long without a key, Enter alone is nobody's scan
  // last: when the last key came. -Infinity, not 0: performance.now() counts from the page's
  // load, so a scan typed into a field within the first moments of a page was taken for the
  // middle of a burst that never started, and the field kept the scanned code.
  var keys = [], last = -Infinity, snapshot = null;
  // scans go out one at a time, in order, and not before the page is whole
  var queue = new Promise(function (ready) {
    if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", ready);
    else ready();
  });

  // Settings come from <body data-scan-*>; read them once the body exists.
  function configure() {
    body = document.body;
    gap = parseInt(body.dataset.scanGapMs, 10) || 50;
    minLength = parseInt(body.dataset.scanMinLength, 10) || 4;
    prefix = body.dataset.scanPrefix || "";
    gsSubstitute = body.dataset.scanGsSubstitute || "";
    // Enter always ends a scan (the contract); a scanner set to send Tab after each code works too
    terminators = ["Enter"];
    if (body.dataset.scanTerminator === "Tab") terminators.push("Tab");
    repeatMs = parseInt(body.dataset.scanRepeatMs, 10);
    if (isNaN(repeatMs)) repeatMs = 1000;
    // A busy page (or a busy test machine) can hold one key back for a moment; a burst
    // survives such a hiccup, and it is the median gap that says scanner or person.
    hiccup = Math.max(gap * 5, 250);
  }

  function isTextField(el) {
    if (!el || el === sink) return false;
    if (el.isContentEditable || el.tagName === "TEXTAREA") return true;
    return el.tagName === "INPUT" && TEXT_TYPES.test(el.type || "text");
  }

  // Text that comes with no key event (a bare GS, see onBeforeInput) lands only in a focused
  // text field; with a button or nothing focused it was lost, and a GS1 serial ran into the
  // lot before it. So while a burst comes in outside a text field, the focus rests on a field
  // of the scanner's own, out of sight: it takes that text and nothing else (key presses into
  // it are prevented), and the focus goes back where it was when the burst ends.
  var sink = null, sinkFrom = null, sinkTimer = null;

  function catchText() {
    if (!sink) {
      sink = document.createElement("input");
      sink.type = "text";
      sink.tabIndex = -1;
      sink.autocomplete = "off";
      sink.setAttribute("inputmode", "none");  // no on-screen keyboard on a tablet
      sink.setAttribute("aria-hidden", "true");
      sink.setAttribute("data-scan-sink", "");
      sink.style.cssText = "position:fixed;left:0;top:0;width:1px;height:1px;opacity:0;border:0;padding:0;pointer-events:none";
      document.body.appendChild(sink);
    }
    if (document.activeElement !== sink) {
      sinkFrom = document.activeElement;
      sink.focus({ preventScroll: true });
    }
    clearTimeout(sinkTimer);
    sinkTimer = setTimeout(releaseText, hiccup);
  }

  function releaseText() {
    clearTimeout(sinkTimer);
    if (!sink || document.activeElement !== sink) return;
    var back = sinkFrom;
    sinkFrom = null;
    sink.value = "";
    if (back && back !== document.body && back.isConnected && back.focus) back.focus({ preventScroll: true });
    else sink.blur();
  }

  // The character a key adds to a scan, or null. Scanners send the GS1 group separator
  // as the GS character itself or as Ctrl+].
  function charOf(e) {
    if (e.key === GS) return GS;
    if (e.ctrlKey && (e.key === "]" || e.code === "BracketRight")) return GS;
    if (e.ctrlKey || e.altKey || e.metaKey) return null;
    return e.key && e.key.length === 1 ? e.key : null;
  }

  function reset() { keys = []; snapshot = null; }

  function medianGap() {
    var gaps = [];
    for (var i = 1; i < keys.length; i++) gaps.push(keys[i].t - keys[i - 1].t);
    if (!gaps.length) return 0;
    gaps.sort(function (a, b) { return a - b; });
    return gaps[Math.floor(gaps.length / 2)];
  }

  // Scanner keys come gap after gap below SCAN_GAP_MS; a person's keys rarely do.
  function isScan(now) {
    return keys.length >= minLength && now - last <= LONG && medianGap() <= gap;
  }

  function onKeyDown(e) {
    if (e.isComposing || !document.body || document.querySelector("[data-keypad]")) return;  // the keypad takes keys itself
    if (!body) configure();
    var now = performance.now();
    var field = isTextField(document.activeElement) ? document.activeElement : null;
    if (terminators.indexOf(e.key) >= 0) {
      var scanned = isScan(now), code = keys.map(function (k) { return k.ch; }).join(""), restore = snapshot;
      reset();
      releaseText();  // before Enter's own action, which belongs to what had the focus
      if (scanned) {
        e.preventDefault();
        e.stopPropagation();
        // the burst's characters went into the field; put it back as the operator left it
        if (restore) restore.el.value = restore.value;
        submit(code, "wedge");
      }
      return;
    }
    var ch = charOf(e);
    if (ch === null) {
      if (["Shift", "Control", "Alt", "AltGraph", "CapsLock", "Meta"].indexOf(e.key) < 0) {
        reset();
        releaseText();
      }
      return;
    }
    addKey(ch, now, field);
    typed = ch;
    // Outside a text field nothing should receive the keys (a focused button would
    // click on Space or Enter). Ctrl+] never types anything anyway.
    if (!field || ch === GS) e.preventDefault();
    if (!field) catchText();
  }

  // A pause longer than a hiccup starts a new burst: keys typed by hand before a scan are not
  // part of it. But a pause inside a burst that has been scanner-fast so far is the machine
  // holding keys back (a busy page, a busy USB hub), not a person: the burst goes on, up to LONG.
  function startsBurst(now, field) {
    if (!keys.length || (snapshot && snapshot.el !== field)) return true;
    var pause = now - last;
    if (pause > LONG) return true;
    return pause > hiccup && !(keys.length >= 2 && medianGap() <= gap);
  }

  function addKey(ch, now, field) {
    if (startsBurst(now, field)) {  // a new burst starts
      reset();
      snapshot = field ? { el: field, value: field.value } : null;
    }
    keys.push({ ch: ch, t: now });
    last = now;
  }

  // Text that arrives with no key press of its own (a GS character or a letter that is not on
  // the keyboard layout, sent by some wedges and by automated browsers as "insertText") can
  // only be seen as input into a focused field (the operator's, or the scanner's own while a
  // burst comes in elsewhere): count it into the burst too.
  var typed = null;
  function onBeforeInput(e) {
    if (e.inputType !== "insertText" || !e.data || !body || document.querySelector("[data-keypad]")) return;
    var inSink = sink !== null && document.activeElement === sink;
    if (inSink) e.preventDefault();  // the scanner's field never holds text
    if (typed !== null && e.data === typed) { typed = null; return; }  // the keydown already counted it
    var field = isTextField(document.activeElement) ? document.activeElement : null;
    if (!field && !inSink) return;
    var now = performance.now();
    for (var i = 0; i < e.data.length; i++) addKey(e.data[i], now, field);
    if (inSink) catchText();
    else if (e.data.indexOf(GS) >= 0) e.preventDefault();
  }

  function normalise(code) {
    if (prefix && code.indexOf(prefix) === 0) code = code.slice(prefix.length);
    if (gsSubstitute) code = code.split(gsSubstitute).join(GS);
    return code;
  }

  // The same code again within SCAN_REPEAT_MS is one label read twice (a trigger held, a
  // scanner and the camera seeing the same parcel): drop it. The server checks this too.
  function isRepeat(code) {
    var now = performance.now();
    var repeat = code === lastCode && now - lastAt < repeatMs;
    lastCode = code;
    lastAt = now;
    return repeat;
  }

  function submit(raw, source, scanId) {
    if (!body) configure();
    var url = body.dataset.scanUrl, target = body.dataset.scanTarget;
    if (!url) return;
    var code = normalise(raw);
    if (isRepeat(code)) {
      body.setAttribute("data-last-ignored", code);
      return;
    }
    var values = { code: code, source: source || "wedge" };
    if (scanId) values.scan_id = scanId;
    document.dispatchEvent(new CustomEvent("bench:scan", { detail: { code: code, source: values.source } }));
    // one scan at a time, in order: a parcel scan must land before the item scanned after it
    queue = queue.then(function () {
      return htmx.ajax("POST", url, {
        source: body, target: target, swap: "outerHTML",
        values: values,
        headers: { "X-CSRF-Token": body.dataset.csrf }
      });
    }).catch(function () { if (window.benchFeedback) window.benchFeedback("error"); });
  }

  // a scan the station refused with a fault or never got (feedback.js says so) was not taken: the
  // same code scanned again at once is the operator trying again, not a double read
  function forgetLast() { lastCode = null; }
  document.addEventListener("htmx:responseError", forgetLast);
  document.addEventListener("htmx:sendError", forgetLast);

  window.benchScan = function (code, source, scanId) { submit(code, source, scanId); };
  // a burst is still coming in: bench.js holds a label's print() until it has ended
  window.benchScanBusy = function () { return keys.length > 0 && performance.now() - last <= hiccup; };
  // listening from <head>: keys typed while the page still loads are not lost
  document.addEventListener("keydown", onKeyDown, true);
  document.addEventListener("beforeinput", onBeforeInput, true);
})();
