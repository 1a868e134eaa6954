"""Scans that arrive with no keyboard (serial scanner, bench camera) reach the bench page at once.

A device's reader thread calls `publish(bench, code, source)`. The bench's open page holds one
`GET /bench/events` stream (server-sent events, static/js/live.js) and gets the code as a `scan`
event; the page hands it to the same submit() a keyboard-wedge scan uses, so it goes through
`POST /bench/scan` -> pipeline.process_scan with the same tone, flash and swap.

Why the page, and not the reader thread, runs the pipeline: the bench's state (the parcel on
screen, the item under inspection, who is signed in) lives in the operator's signed session
cookie, which only a request from that browser carries. A scan run from the thread would open
returns nobody sees and credit no operator.

Every scan has a sequence number. The first `POST /bench/scan` that claims it runs it, so two
tabs at one bench, or a stream that reconnects and gets it again, never scan it twice. A scan
no page claims within CLAIM_SECONDS is logged in `scans` as not delivered (nobody had the bench
open): every scan ends up either run once or logged as missed.
"""
import collections
import json
import logging
import threading
import time

from station.db import connect
from station.intake.scan_log import record_scan

log = logging.getLogger(__name__)

CLAIM_SECONDS = 10.0  # how long a published scan waits for a page to take it
KEEP = 64             # scans kept per hub for replay to a reconnecting page


class Hub:
    """Per-app mailbox of device scans, keyed by bench; thread-safe."""

    def __init__(self, on_missed=None, claim_seconds=CLAIM_SECONDS):
        self._lock = threading.RLock()
        self._cond = threading.Condition(self._lock)
        # a scan wakes the streams of its own bench only, not every open stream of the site
        self._wakers = {}  # bench -> Condition on the same lock
        self._sources = set()  # benches with a device of this process that pushes scans (serial, camera)
        self._events = collections.deque(maxlen=KEEP)  # dicts: seq, bench, code, source, at, state
        self._seq = 0
        self._streams = 0
        self._listeners = collections.Counter()
        self._recent = {}  # station -> (code, monotonic time) of its last scan, for repeats
        self.on_missed = on_missed
        self.claim_seconds = claim_seconds
        self._timers = set()

    # --- devices -> hub ------------------------------------------------------------------

    def publish(self, bench, code, source):
        """A device read `code` at `bench`: wake that bench's streams. Returns the scan's seq."""
        with self._cond:
            self._seq += 1
            event = {"seq": self._seq, "bench": bench, "code": code, "source": source,
                     "at": time.monotonic(), "state": "new"}
            self._events.append(event)
            self._waker(bench).notify_all()
        timer = threading.Timer(self.claim_seconds, self._expire, [event])
        timer.daemon = True
        with self._cond:
            self._timers.add(timer)
        timer.start()
        return event["seq"]

    def close(self):
        """Stop waiting on unclaimed scans (the app is shutting down)."""
        with self._cond:
            timers, self._timers = self._timers, set()
        for timer in timers:
            timer.cancel()

    def _expire(self, event):
        with self._cond:
            self._timers = {t for t in self._timers if t.is_alive() and t is not threading.current_thread()}
            if event["state"] != "new":
                return
            event["state"] = "missed"
        if self.on_missed:
            try:
                self.on_missed(event)
            except Exception:  # logging a miss must never kill a timer thread noisily
                log.exception("could not log missed scan %r", event)

    def claim(self, bench, seq):
        """The page that asks first takes scan `seq` (True); later asks, or a stale one, get False."""
        with self._cond:
            for event in self._events:
                if event["seq"] == seq and event["bench"] == bench and event["state"] == "new":
                    event["state"] = "claimed"
                    return True
        return False

    def _waker(self, bench):
        """The condition `bench`'s streams wait on (called with the lock held)."""
        waker = self._wakers.get(bench)
        if waker is None:
            waker = self._wakers[bench] = threading.Condition(self._lock)
        return waker

    def add_source(self, bench):
        """A serial scanner or camera of this process pushes its scans to `bench`'s page."""
        with self._cond:
            self._sources.add(bench)

    def has_source(self, bench):
        """Whether `bench`'s page needs a live channel: only a device of this process pushes scans to a
        page (a keyboard-wedge scanner types into it; a gunicorn process runs no devices)."""
        with self._cond:
            return bench in self._sources

    # --- hub -> pages --------------------------------------------------------------------

    def pending(self, bench, after):
        """Unclaimed scans of `bench` with a seq above `after`, oldest first."""
        with self._cond:
            return [dict(e) for e in self._events
                    if e["bench"] == bench and e["seq"] > after and e["state"] == "new"]

    def wait(self, bench, after, timeout):
        """Block up to `timeout` seconds for a scan of `bench` above `after`; returns them."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                found = [dict(e) for e in self._events
                         if e["bench"] == bench and e["seq"] > after and e["state"] == "new"]
                left = deadline - time.monotonic()
                if found or left <= 0:
                    return found
                self._waker(bench).wait(left)

    def open_stream(self, bench, limit):
        """Count a stream in; False when `limit` streams are open already (threads are few)."""
        with self._cond:
            if self._streams >= limit:
                return False
            self._streams += 1
            self._listeners[bench] += 1
            return True

    def close_stream(self, bench):
        with self._cond:
            self._streams -= 1
            self._listeners[bench] -= 1

    @property
    def streams(self):
        """Event streams open now (each holds a server thread)."""
        with self._cond:
            return self._streams

    def listeners(self, bench):
        with self._cond:
            return self._listeners[bench]

    @property
    def last_seq(self):
        with self._cond:
            return self._seq

    # --- repeats -------------------------------------------------------------------------

    def is_repeat(self, station, code, window_ms):
        """True when `station` scanned this same code less than `window_ms` ago (a double read)."""
        now = time.monotonic()
        with self._cond:
            last = self._recent.get(station)
            self._recent[station] = (code, now)
            return bool(last and last[0] == code and (now - last[1]) * 1000 < window_ms)

    def forget(self, station, code):
        """The last scan of `station` was not taken (the request failed): its code again is no double read."""
        with self._cond:
            if self._recent.get(station, (None,))[0] == code:
                del self._recent[station]


def hub(app):
    """The app's hub, made on first use."""
    found = app.extensions.get("live")
    if found is None:
        found = app.extensions.setdefault("live", Hub(on_missed=_missed_logger(app.config["DATABASE"])))
    return found


def _missed_logger(path):
    def log_missed(event):
        db = connect(path)
        try:
            record_scan(db, event["code"], event["source"], event["bench"], None, "error", False,
                        "not run: no bench page took it (none open, or a repeat)")
        finally:
            db.close()

    return log_missed


def stream(hub_, bench, after, heartbeat_s, max_s, retry_ms=1000):
    """The text/event-stream body for one bench page.

    An idle stream still holds one of the server's threads, so it sends a comment every
    `heartbeat_s` (a closed browser shows up as a failed write and frees the thread) and ends
    after `max_s` (the browser reconnects on its own after `retry_ms`, with Last-Event-ID, and
    loses nothing: unclaimed scans are replayed).
    """
    yield f"retry: {retry_ms}\n\n"
    ends = time.monotonic() + max_s
    while True:
        left = ends - time.monotonic()
        if left <= 0:
            return
        events = hub_.wait(bench, after, min(heartbeat_s, left))
        for event in events:
            after = max(after, event["seq"])
            data = json.dumps({"code": event["code"], "source": event["source"]})
            yield f"id: {event['seq']}\nevent: scan\ndata: {data}\n\n"
        if not events:
            yield ": keep-alive\n\n"


def publisher(hub_, bench, source, repeat_ms):
    """The on_scan callback of one device: publish to the bench, dropping a double read."""

    def on_scan(raw):
        code = raw.strip()
        if not code:
            return
        if hub_.is_repeat(("device", bench, source), code, repeat_ms):
            log.info("%s at %s: %r again within %s ms, ignored", source, bench, code, repeat_ms)
            return
        hub_.publish(bench, code, source)

    return on_scan


# --- the bench devices BENCHES names: started by `run.py serve`, not by create_app ----------

def start_devices(app):
    """Start a reader thread for every scanner, scale and camera in BENCHES and register them."""
    from hardware import registry

    h = hub(app)
    repeat_ms = app.config["SCAN_REPEAT_MS"]
    for bench, spec in (app.config.get("BENCHES") or {}).items():  # checked before any thread starts
        if not isinstance(spec.get("camera_loop", True), bool):
            from station.config import ConfigError

            raise ConfigError(f"BENCHES.{bench}.camera_loop: expected true or false, got {spec['camera_loop']!r}")
    started = app.extensions.setdefault("live_devices", [])
    for bench, spec in (app.config.get("BENCHES") or {}).items():
        if spec.get("scanner_port"):
            from hardware.scanners import ScannerDevice, SerialScanner

            scanner = SerialScanner(spec["scanner_port"], publisher(h, bench, "serial", repeat_ms),
                                    baudrate=int(spec.get("scanner_baud") or 9600))
            device = ScannerDevice(scanner, bench)
            scanner.start()
            registry.register(app, device)
            started.append(device)
            h.add_source(bench)
        if spec.get("scale_port"):
            from hardware.scale import SerialScale

            scale = SerialScale(spec["scale_port"], bench=bench, baudrate=int(spec.get("scale_baud") or 9600))
            scale.start()
            registry.register(app, scale)
            started.append(scale)
        if spec.get("camera") not in (None, ""):
            from hardware.camera import CameraReader  # opencv: loaded only for a bench with a camera

            # a video file stands in for a camera: at its own frame rate, and over again unless told
            camera = CameraReader(spec["camera"], publisher(h, bench, "camera", repeat_ms), bench=bench,
                                  repeat_s=app.config["CAMERA_REPEAT_MS"] / 1000, pace=True,
                                  loop=spec.get("camera_loop", True))
            camera.start()
            registry.register(app, camera)
            started.append(camera)
            h.add_source(bench)
    return list(started)


def stop_devices(app):
    from hardware import registry

    for device in app.extensions.pop("live_devices", []):
        device.stop()
        registry.unregister(app, device)
    hub(app).close()


def device(app, bench, kind):
    """The started driver of `kind` ("scanner", "scale", "camera") at `bench`, or None."""
    for found in app.extensions.get("live_devices", []):
        if found.bench == bench and found.kind == kind:
            return found
    return None
