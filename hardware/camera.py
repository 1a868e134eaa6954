"""The bench camera: opencv capture from a camera index, a video file or a network stream URL.

Two uses. `CameraReader` decodes frames continuously and hands each code that comes into view
to `on_code(code)` (at a bench: the live publisher, then the page, then the one scan
pipeline), and keeps the latest frame for `snapshot()`, the JPEG taken as photo evidence.

    camera = CameraReader(0, on_code=print, bench="bench-1")   # or "clip.avi", "rtsp://..."
    camera.start()
    camera.snapshot()  # JPEG bytes of the latest frame
    camera.stop()

A parcel held under the camera is in many frames: a code scans when it comes into view and
again only after it has been out of view for `repeat_s` (see `Sightings`).

A video file standing in for the bench camera (a demo, an acceptance test) plays at its own
frame rate with `pace=True`, and again from the start with `loop=True`, as `run.py serve`
starts it: read as fast as the machine allows, a clip is over before anyone has signed in.
"""
import enum
import logging
import threading
import time
from datetime import datetime, timezone
from typing import Callable

import cv2

from hardware.decode import decode_frame
from hardware.registry import detail, retrying

__all__ = ["CameraError", "CameraState", "CameraReader", "Sightings", "open_capture"]

log = logging.getLogger(__name__)


class CameraError(Exception):
    """The one error type of the camera driver."""


class CameraState(enum.Enum):
    STOPPED = "stopped"
    CONNECTING = "connecting"
    RUNNING = "running"
    OFFLINE = "offline"    # the camera or stream is gone; retrying
    ENDED = "ended"        # a video file played to its end


def _is_index(source) -> bool:
    return isinstance(source, int) or (isinstance(source, str) and source.isdigit())


def _is_file(source) -> bool:
    return not _is_index(source) and "://" not in str(source)


# A network camera that stops sending: FFmpeg waits 30 s by default before a read gives up,
# all the while the bench's camera looked fine. Give up sooner and reopen it.
STREAM_TIMEOUT_MS = 3000
# A live camera with no new picture for this long is shown offline, even before its read gives up.
STALL_S = 2.0


def open_capture(source, timeout_ms: int = STREAM_TIMEOUT_MS) -> cv2.VideoCapture:
    """A VideoCapture for a camera index (int or "0"), a video file, or a stream URL."""
    if _is_index(source):
        capture = cv2.VideoCapture(int(source))
    elif "://" in str(source):
        capture = cv2.VideoCapture(str(source), cv2.CAP_FFMPEG, [
            cv2.CAP_PROP_OPEN_TIMEOUT_MSEC, timeout_ms, cv2.CAP_PROP_READ_TIMEOUT_MSEC, timeout_ms])
    else:
        capture = cv2.VideoCapture(str(source))
    if not capture.isOpened():
        capture.release()
        raise CameraError(f"cannot open camera source {source!r}")
    if not _is_file(source):
        # a live source should hand us the newest frame, not a queue of old ones
        capture.set(cv2.CAP_PROP_BUFFERSIZE, 1)
    return capture


class Sightings:
    """Which codes are new: a code scans when it comes into view and then not again until it
    has been out of view for `repeat_s` seconds (decoders miss a frame now and then, and an
    operator who lifts a parcel and puts it back means the same parcel)."""

    def __init__(self, repeat_s: float = 2.0):
        self.repeat_s = repeat_s
        self._last_seen: dict[str, float] = {}

    def new(self, codes, t: float) -> list[str]:
        fresh = []
        for code in dict.fromkeys(codes):
            seen = self._last_seen.get(code)
            if seen is None or t - seen > self.repeat_s:
                fresh.append(code)
            self._last_seen[code] = t
        for code in [c for c, seen in self._last_seen.items() if t - seen > self.repeat_s]:
            del self._last_seen[code]  # long gone: forget it
        return fresh


def _now_iso() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds").replace("+00:00", "Z")


class CameraReader:
    """Continuous decoding from one camera source on a thread of its own.

    Time is the video's own for a file (frame number / fps), so a clip decodes to the same
    scans however fast the machine is; the wall clock for a camera or stream.
    """

    kind = "camera"

    def __init__(self, source, on_code: Callable[[str], None], *, bench: str = "", repeat_s: float = 2.0,
                 reconnect_interval: float = 1.0, decode=decode_frame, pace: bool = False, loop: bool = False):
        self.source = source
        self.pace = pace  # a video file: one frame every 1/fps s, like a camera (else as fast as it decodes)
        self.loop = loop  # a video file: start again at its end (else the reader ends: ENDED)
        self._video_t = 0.0  # video time at the start of this play of the file (grows with each loop)
        self.name = str(source)
        self.bench = bench
        self.on_code = on_code
        self.decode = decode
        self.reconnect_interval = reconnect_interval
        self.sightings = Sightings(repeat_s)
        self.state = CameraState.STOPPED
        self.last_error: str | None = None
        self.last_seen: str | None = None
        self.frames = 0
        self.codes = 0
        self._frame = None
        self._frame_at = 0.0  # time.monotonic() of the latest picture
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def __repr__(self):
        return f"<CameraReader {self.name} {self.state.value}>"

    def start(self) -> None:
        if self._thread and self._thread.is_alive():
            raise CameraError(f"camera {self.name} is already running")
        self._stop.clear()
        self.state = CameraState.CONNECTING
        self._thread = threading.Thread(target=self._run, name=f"camera {self.name}", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 3.0) -> None:
        self._stop.set()
        if self._thread:
            self._thread.join(timeout)
            self._thread = None
        self.state = CameraState.STOPPED

    def wait_for(self, state: CameraState, timeout: float = 10.0) -> bool:
        """Block until the reader reaches `state` (start-up checks and tests)."""
        deadline = time.monotonic() + timeout
        while self.state is not state:
            if time.monotonic() > deadline:
                return False
            time.sleep(0.01)
        return True

    def status(self) -> dict:
        """The device registry's view (hardware/registry.py)."""
        state = {CameraState.RUNNING: "ok", CameraState.CONNECTING: "unknown", CameraState.OFFLINE: "offline",
                 CameraState.ENDED: "offline", CameraState.STOPPED: "offline"}[self.state]
        quiet = time.monotonic() - self._frame_at
        if self.state is CameraState.RUNNING and not _is_file(self.source) and quiet > STALL_S:
            return {"state": "offline", **detail(("no picture for %(seconds)s s, waiting for the camera",
                                                  {"seconds": f"{quiet:.0f}"})), "last_seen": self.last_seen}
        if self.state is CameraState.RUNNING:
            said = ("decoding, %(codes)s code(s) read", {"codes": self.codes})
        elif self.state is CameraState.OFFLINE:
            said = retrying("no picture, retrying", self.last_error)
        else:
            said = ({CameraState.CONNECTING: "opening the camera", CameraState.ENDED: "the video file ended",
                     CameraState.STOPPED: "stopped"}[self.state], {})
        return {"state": state, **detail(said), "last_seen": self.last_seen}

    def snapshot(self, quality: int = 90) -> bytes:
        """The latest frame as JPEG bytes (photo evidence)."""
        with self._lock:
            frame = self._frame
        if frame is None:
            raise CameraError("the camera has no picture yet")
        ok, jpeg = cv2.imencode(".jpg", frame, [cv2.IMWRITE_JPEG_QUALITY, quality])
        if not ok:
            raise CameraError("could not encode the picture")
        return jpeg.tobytes()

    # --- the reader thread ---------------------------------------------------------------

    def _run(self):
        while not self._stop.is_set():
            try:
                capture = open_capture(self.source)
            except CameraError as exc:
                self._lost(str(exc))
                continue
            try:
                outcome = self._read(capture)
            finally:
                capture.release()
            if outcome == "ended" and self.loop:
                continue  # the file again from its first frame
            if outcome in ("stopped", "ended"):
                return

    def _read(self, capture) -> str:
        """Decode frames until "stopped", the file "ended", or the source "failed"."""
        is_file = _is_file(self.source)
        fps = capture.get(cv2.CAP_PROP_FPS)
        if not 0 < fps <= 1000:  # no or a nonsense rate in the file's header
            fps = 30.0
        index = 0
        started = self._frame_at = time.monotonic()
        self.state = CameraState.RUNNING
        self.last_error = None
        while not self._stop.is_set():
            if is_file and self.pace:
                ahead = started + index / fps - time.monotonic()
                if ahead > 0 and self._stop.wait(ahead):
                    break
            ok, frame = capture.read()
            if not ok:
                if is_file and index:
                    self._video_t += index / fps  # a loop goes on in video time: Sightings needs it to grow
                    self.state = CameraState.ENDED
                    return "ended"
                self._lost("the video file has no pictures" if is_file else "the camera stopped sending pictures")
                return "failed"
            t = self._video_t + index / fps if is_file else time.monotonic()
            index += 1
            self.frames += 1
            self.last_seen = _now_iso()
            with self._lock:
                self._frame = frame
                self._frame_at = time.monotonic()
            self._handle(frame, t)
        return "stopped"

    def _handle(self, frame, t):
        try:
            codes = [c["data"] for c in self.decode(frame)]
        except Exception:  # one bad frame must not stop the camera
            log.exception("camera %s: decoding a frame failed", self.name)
            return
        for code in self.sightings.new(codes, t):
            self.codes += 1
            try:
                self.on_code(code)
            except Exception:
                log.exception("camera %s: on_code failed for %r", self.name, code)

    def _lost(self, reason):
        if self.state is not CameraState.OFFLINE:
            log.warning("camera %s: %s; retrying every %ss", self.name, reason, self.reconnect_interval)
        self.last_error = reason
        self.state = CameraState.OFFLINE
        self._stop.wait(self.reconnect_interval)
