"""Barcode scanners that are not keyboards: serial and USB-CDC (virtual COM port) scanners.

A keyboard-wedge scanner types into the page and needs no driver. A serial scanner sends
each scan as a line of bytes; `SerialScanner` keeps one reader thread per port, hands every
line to `on_scan(raw)`, and when the port disappears (USB cable pulled, scanner rebooted) it
keeps trying to open the same path until the device is back.

    scanner = SerialScanner("/dev/ttyACM0", on_scan=pipeline.scan)
    scanner.start()
    ...
    scanner.status  # ScannerStatus.CONNECTED
    scanner.stop()
"""

import enum
import logging
import re
import threading
import time
from datetime import datetime, timezone
from typing import Callable

import serial

from hardware.registry import detail, retrying

__all__ = ["ScannerError", "ScannerStatus", "Scanner", "SerialScanner", "ScannerDevice", "MAX_LINE_BYTES"]

log = logging.getLogger(__name__)

# The longest line taken as a scan. A 2D code holds at most about 3 kB (QR, binary) and the bench
# takes codes of 128 characters; anything longer is a device sending junk without line ends
# (wrong baud rate, a scale on the scanner's port), dropped up to its end.
MAX_LINE_BYTES = 4096
_EOL = re.compile(rb"[\r\n]")


class ScannerError(Exception):
    """The one error type of the scanner drivers."""


class ScannerStatus(enum.Enum):
    STOPPED = "stopped"
    CONNECTING = "connecting"  # started, port not opened yet
    CONNECTED = "connected"
    DISCONNECTED = "disconnected"  # port gone or failing; retrying


class Scanner:
    """A scanner delivers each scan, as the raw string it sent, to `on_scan`."""

    status: ScannerStatus = ScannerStatus.STOPPED

    def start(self) -> None:
        raise NotImplementedError

    def stop(self) -> None:
        raise NotImplementedError


class SerialScanner(Scanner):
    """A scanner on a serial port (or USB-CDC port) that ends each scan with CR, LF or CRLF."""

    def __init__(self, port: str, on_scan: Callable[[str], None], *, baudrate: int = 9600,
                 reconnect_interval: float = 1.0, read_timeout: float = 0.2,
                 on_status: Callable[[ScannerStatus], None] | None = None):
        self.port = port
        self.on_scan = on_scan
        self.on_status = on_status
        self.baudrate = baudrate
        self.reconnect_interval = reconnect_interval
        self.read_timeout = read_timeout  # how quickly stop() is noticed while idle
        self.status = ScannerStatus.STOPPED
        self.last_error: str | None = None
        self.last_seen: str | None = None  # ISO time the port last opened or sent a line
        self.scans = 0
        self.dropped = 0  # lines longer than MAX_LINE_BYTES, not delivered
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def __repr__(self):
        return f"<SerialScanner {self.port} {self.status.value}>"

    def start(self) -> None:
        """Start the reader thread (it opens the port, and reopens it after an unplug)."""
        if self._thread and self._thread.is_alive():
            raise ScannerError(f"scanner on {self.port} is already running")
        self._stop.clear()
        self._set_status(ScannerStatus.CONNECTING)
        self._thread = threading.Thread(target=self._run, name=f"scanner {self.port}", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 2.0) -> None:
        """Stop reading and close the port."""
        self._stop.set()
        if self._thread:
            self._thread.join(timeout)
            self._thread = None
        self._set_status(ScannerStatus.STOPPED)

    # --- the reader thread ---------------------------------------------------------------

    def _run(self):
        while not self._stop.is_set():
            try:
                port = self._open()
            except (serial.SerialException, OSError) as exc:
                self._lost(exc)
                continue
            with port:
                self.last_seen = _now_iso()
                self._set_status(ScannerStatus.CONNECTED)
                self.last_error = None
                try:
                    self._read_lines(port)
                except (serial.SerialException, OSError) as exc:
                    self._lost(exc)

    def _open(self):
        # exclusive: a second program (or a second driver) reading the same port would
        # steal half of the scans; better that it fails to open.
        return serial.Serial(self.port, self.baudrate, timeout=self.read_timeout, exclusive=True)

    def _lost(self, exc):
        if self.status is not ScannerStatus.DISCONNECTED:
            log.warning("scanner %s: %s; retrying every %ss", self.port, exc, self.reconnect_interval)
        self.last_error = str(exc)
        self._set_status(ScannerStatus.DISCONNECTED)
        self._stop.wait(self.reconnect_interval)

    def _read_lines(self, port):
        # Only the new bytes are searched for line ends, and a line is kept to MAX_LINE_BYTES:
        # megabytes of junk cost what they weigh, once, and never hold up the next scan.
        pending = bytearray()
        dropping = False  # inside a line already too long: skip to its end
        while not self._stop.is_set():
            chunk = port.read(port.in_waiting or 1)
            if not chunk:
                continue
            start = 0
            for end in _EOL.finditer(chunk):
                # CR, LF and CRLF each end a line; the empty line between CR and LF is skipped
                if not dropping:
                    pending += chunk[start:end.start()]
                    if len(pending) > MAX_LINE_BYTES:
                        self._too_long(len(pending))
                    elif pending:
                        self._deliver(bytes(pending))
                pending.clear()
                dropping = False
                start = end.end()
            if not dropping:
                pending += chunk[start:]
                if len(pending) > MAX_LINE_BYTES:
                    self._too_long(len(pending))
                    pending.clear()
                    dropping = True

    def _too_long(self, size):
        self.dropped += 1
        log.warning("scanner %s: a line of more than %s bytes (%s so far) dropped: junk, not a scan "
                    "(wrong baud rate?)", self.port, MAX_LINE_BYTES, size)

    def _deliver(self, line: bytes):
        self.scans += 1
        self.last_seen = _now_iso()
        try:
            raw = line.decode("utf-8")
        except UnicodeDecodeError:
            raw = line.decode("latin-1")  # keep every byte; the scan pipeline normalises
        try:
            self.on_scan(raw)
        except Exception:  # a failing consumer must not kill the scanner
            log.exception("scanner %s: on_scan failed for %r", self.port, raw)

    def _set_status(self, status: ScannerStatus):
        if status is self.status:
            return
        self.status = status
        if self.on_status:
            try:
                self.on_status(status)
            except Exception:
                log.exception("scanner %s: on_status failed", self.port)

    def wait_for(self, status: ScannerStatus, timeout: float = 5.0) -> bool:
        """Block until the scanner reaches `status` (for start-up checks and tests)."""
        deadline = time.monotonic() + timeout
        while self.status is not status:
            if time.monotonic() > deadline:
                return False
            time.sleep(0.01)
        return True


def _now_iso():
    return datetime.now(timezone.utc).isoformat(timespec="seconds").replace("+00:00", "Z")


class ScannerDevice:
    """A SerialScanner as the device registry sees it (hardware/registry.py).

    An adapter rather than methods on SerialScanner, whose `status` attribute (the enum)
    callers and tests already compare against.
    """

    kind = "scanner"
    STATES = {ScannerStatus.CONNECTED: "ok", ScannerStatus.DISCONNECTED: "offline",
              ScannerStatus.CONNECTING: "unknown", ScannerStatus.STOPPED: "offline"}

    def __init__(self, scanner: SerialScanner, bench: str):
        self.scanner = scanner
        self.name = scanner.port
        self.bench = bench

    def status(self) -> dict:
        s = self.scanner
        if s.status is ScannerStatus.CONNECTED and s.dropped:
            said = ("connected, %(scans)s scan(s) read, %(dropped)s over-long line(s) dropped (wrong baud rate?)",
                    {"scans": s.scans, "dropped": s.dropped})
        elif s.status is ScannerStatus.CONNECTED:
            said = ("connected, %(scans)s scan(s) read", {"scans": s.scans})
        elif s.status is ScannerStatus.DISCONNECTED:
            said = retrying("unplugged or failing, retrying", s.last_error)
        else:
            said = ({ScannerStatus.CONNECTING: "opening the port", ScannerStatus.STOPPED: "stopped"}[s.status], {})
        return {"state": self.STATES[s.status], **detail(said), "last_seen": s.last_seen}

    def start(self) -> None:
        self.scanner.start()

    def stop(self) -> None:
        self.scanner.stop()
