// Scans from this bench's serial scanner and camera, pushed by the server (GET /bench/events,
// server-sent events). Each goes through benchScan(), the road a keyboard-wedge scan takes, so
// the page gives the same tone, flash and swap whatever scanned it.
//
// A stream holds one server thread, so the server keeps only LIVE_MAX_STREAMS of them. A bench
// whose stream is refused (503) is not left deaf: it asks GET /bench/events/poll every second
// (no thread held), says so on screen, and tries the stream again a minute later.
(function () {
  "use strict";
  var source = null, retry = null, poller = null, after = 0;

  function state(value) {
    document.body.setAttribute("data-live", value);
    var note = document.getElementById("live-note");
    if (note) note.hidden = value !== "polling";
  }

  function deliver(seq, code, scanSource) {
    if (seq <= after) return;
    after = seq;
    if (window.benchScan) window.benchScan(code, scanSource, String(seq));
  }

  function poll() {
    var url = document.body.dataset.livePollUrl;
    if (!url) return;
    fetch(url + "?after=" + after, {credentials: "same-origin", headers: {"Accept": "application/json"}})
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (body) {
        if (!body) return;
        (body.events || []).forEach(function (e) { deliver(e.seq, e.code, e.source); });
      })
      .catch(function () { /* the next round tries again */ });
  }

  function startPolling() {
    state("polling");
    if (!poller) poller = setInterval(poll, 1000);
    poll();
    if (!retry) retry = setTimeout(function () { retry = null; connect(); }, 60000);
  }

  function connect() {
    var url = document.body.dataset.liveUrl;
    if (!url || !window.EventSource) return;
    source = new EventSource(url);
    source.addEventListener("open", function () {
      state("open");
      if (poller) { clearInterval(poller); poller = null; }
    });
    source.addEventListener("scan", function (e) {
      var data;
      try { data = JSON.parse(e.data); } catch (err) { return; }
      deliver(Number(e.lastEventId) || after + 1, data.code, data.source);
    });
    source.addEventListener("error", function () {
      // The browser reconnects by itself after a dropped or ended stream; it gives up only
      // when the server refused (503: too many live pages). Then poll until a stream is free.
      if (source.readyState === EventSource.CLOSED) {
        source.close();
        startPolling();
      } else {
        state("connecting");
      }
    });
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", connect);
  else connect();
  window.addEventListener("pagehide", function () { if (source) source.close(); });
})();
