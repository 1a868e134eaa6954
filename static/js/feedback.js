// Colour and sound on every scan: a full-screen flash and a generated tone (no audio files).
(function () {
  "use strict";
  var audio = null;
  var TONES = {
    ok: [[1175, 0.09, "sine"]],
    warn: [[740, 0.12, "triangle"], [740, 0.12, "triangle"]],
    error: [[196, 0.22, "square"], [147, 0.3, "square"]]
  };

  function beep(tone) {
    try {
      audio = audio || new (window.AudioContext || window.webkitAudioContext)();
      if (audio.state === "suspended") audio.resume();
      var at = audio.currentTime;
      (TONES[tone] || TONES.ok).forEach(function (note) {
        var osc = audio.createOscillator(), gain = audio.createGain();
        osc.type = note[2];
        osc.frequency.value = note[0];
        gain.gain.setValueAtTime(0.25, at);
        gain.gain.exponentialRampToValueAtTime(0.001, at + note[1]);
        osc.connect(gain).connect(audio.destination);
        osc.start(at);
        osc.stop(at + note[1]);
        at += note[1] + 0.04;
      });
    } catch (e) { /* no audio device: the flash still shows */ }
  }

  function flash(tone) {
    var el = document.getElementById("flash");
    if (!el) return;
    el.className = "";
    void el.offsetWidth;  // restart the animation when two scans come quickly
    el.className = "flash-" + tone;
    document.body.setAttribute("data-last-feedback", tone);
  }

  function feedback(tone) { flash(tone); beep(tone); }

  // A fresh message element carries its tone; play it once.
  function playNew(root) {
    (root || document).querySelectorAll("[data-feedback]:not([data-played])").forEach(function (el) {
      el.setAttribute("data-played", "");
      feedback(el.getAttribute("data-feedback"));
    });
  }

  // A request the station answered with a fault (5xx; 503 when it was too busy to write) or did
  // not answer at all changed nothing: the page keeps what it showed, and says so in the note
  // under the top bar with the error tone, until the next request the station answers.
  function serverNote(kind) {
    var note = document.getElementById("server-note");
    if (!note) return;
    if (kind) {
      note.textContent = note.getAttribute("data-" + kind) || "";
      note.hidden = false;
      feedback("error");
    } else {
      note.hidden = true;
    }
  }
  document.addEventListener("htmx:responseError", function (e) {
    serverNote(e.detail.xhr && e.detail.xhr.status === 503 ? "busy" : "failed");
  });
  document.addEventListener("htmx:sendError", function () { serverNote("offline"); });
  document.addEventListener("htmx:afterRequest", function (e) {
    if (e.detail.successful) serverNote(null);
  });

  window.benchFeedback = feedback;
  document.addEventListener("DOMContentLoaded", function () { playNew(document); });
  document.addEventListener("htmx:afterSettle", function () { playNew(document); });
  // browsers start audio only after a gesture: unlock on the first key or tap
  ["keydown", "pointerdown"].forEach(function (type) {
    document.addEventListener(type, function () {
      try {
        audio = audio || new (window.AudioContext || window.webkitAudioContext)();
        if (audio.state === "suspended") audio.resume();
      } catch (e) { /* ignore */ }
    }, { once: true, capture: true });
  });
})();
