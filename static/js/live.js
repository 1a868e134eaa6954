// Scans from this bench's serial scanner and camera, pushed by the server (GET /bench/events,
// server-sent events). Each goes through benchScan(), the road a keyboard-wedge scan takes, so
// the page gives the same tone, flash and swap whatever scanned it.
(function () {
  "use strict";
  var source = null, retry = null;

  function state(value) { document.body.setAttribute("data-live", value); }

  function connect() {
    var url = document.body.dataset.liveUrl;
    if (!url || !window.EventSource) return;
    retry = null;
    source = new EventSource(url);
    source.addEventListener("open", function () { state("open"); });
    source.addEventListener("scan", function (e) {
      var data;
      try { data = JSON.parse(e.data); } catch (err) { return; }
      if (window.benchScan) window.benchScan(data.code, data.source, e.lastEventId);
    });
    source.addEventListener("error", function () {
      // The browser reconnects by itself after a dropped or ended stream; it gives up only
      // when the server refused (503: too many live pages). Then try again a while later.
      if (source.readyState === EventSource.CLOSED) {
        state("closed");
        if (!retry) retry = setTimeout(connect, 15000);
      } else {
        state("connecting");
      }
    });
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", connect);
  else connect();
  window.addEventListener("pagehide", function () { if (source) source.close(); });
})();
