"""A serial bench scale that sends its weight continuously, in the common line protocols.

    scale = SerialScale("/dev/ttyUSB0", bench="bench-1")
    scale.start()
    scale.weigh(timeout=1.0)   # grams of a fresh, stable reading, or None
    scale.stop()

Protocols (`parse_line`), each one reading per line:

- Mettler Toledo SICS:       ``S S     123.4 g`` (stable), ``S D     123.4 g`` (moving);
                             ``S I`` (busy), ``S +`` / ``S -`` (over / under range): no weight
- CAS, A&D and many others:  ``ST,GS,+  1.234kg`` (ST stable, US unstable, OL overload;
                             GS gross, NT net)
- plain:                     ``  0.456 kg``, ``+0012.5 g``; a ``?`` or ``M`` marks motion

Set a SICS scale to send continuously (command ``SIR``, or its menu); the others usually do
by default. Units g, kg, mg, lb and oz are turned into grams.
"""
import re
import threading
import time
from dataclasses import dataclass

from hardware.registry import detail, retrying
from hardware.scanners import ScannerStatus, SerialScanner

__all__ = ["Reading", "ScaleError", "ScaleState", "SerialScale", "parse_line", "MAX_GRAMS"]

GRAMS_PER = {"g": 1.0, "kg": 1000.0, "mg": 0.001, "lb": 453.59237, "oz": 28.349523125}
_NUMBER = r"([-+]?)\s*(\d+(?:\.\d*)?|\.\d+)\s*(kg|mg|g|lb|oz)"
SICS = re.compile(r"^S\s+([SD])\s+" + _NUMBER + r"$", re.I)
CAS = re.compile(r"^(ST|US|OL)\s*,\s*(?:GS|NT|TR|G|N|T)?\s*,?\s*" + _NUMBER + r"$", re.I)
PLAIN = re.compile(r"^([?M]\s+)?" + _NUMBER + r"(\s*[?M])?$", re.I)


class ScaleError(Exception):
    """The one error type of the scale driver."""


ScaleState = ScannerStatus  # the scale is a serial line device like the scanner: same states


@dataclass(frozen=True)
class Reading:
    grams: float
    stable: bool
    at: float = 0.0  # time.monotonic() when it arrived


def _grams(sign, number, unit):
    value = float(number) * GRAMS_PER[unit.lower()]
    return round(-value if sign == "-" else value, 3)


# No bench scale shows a tonne: a line beyond it is noise that happens to match a pattern.
MAX_GRAMS = 1_000_000


def parse_line(line: str, at: float = 0.0) -> Reading | None:
    """One line from a scale as a Reading, or None (no weight in it: busy, overload, noise)."""
    text = line.strip()
    if m := SICS.match(text):
        reading = Reading(_grams(*m.group(2, 3, 4)), m.group(1).upper() == "S", at)
    elif m := CAS.match(text):
        if m.group(1).upper() == "OL":
            return None
        reading = Reading(_grams(*m.group(2, 3, 4)), m.group(1).upper() == "ST", at)
    elif m := PLAIN.match(text):
        reading = Reading(_grams(*m.group(2, 3, 4)), not (m.group(1) or m.group(5)), at)
    else:
        return None
    return reading if abs(reading.grams) <= MAX_GRAMS else None


class SerialScale:
    """A scale on a serial (or USB-serial) port: keeps the latest reading it sent.

    It speaks in lines like a serial scanner, so it reuses that reader thread (open the port,
    split lines, reopen it after an unplug) and only parses what arrives.
    """

    kind = "scale"

    def __init__(self, port: str, *, bench: str = "", baudrate: int = 9600, max_age: float = 2.0,
                 reconnect_interval: float = 1.0, read_timeout: float = 0.2):
        self.name = port
        self.bench = bench
        self.max_age = max_age  # a reading older than this is not the item on the plate now
        self.latest: Reading | None = None
        self._changed = threading.Condition()
        self._lines = SerialScanner(port, self._on_line, baudrate=baudrate, reconnect_interval=reconnect_interval,
                                    read_timeout=read_timeout)

    def __repr__(self):
        return f"<SerialScale {self.name} {self.state.value}>"

    @property
    def state(self) -> ScaleState:
        return self._lines.status

    def start(self) -> None:
        try:
            self._lines.start()
        except Exception as exc:
            raise ScaleError(str(exc)) from exc

    def stop(self) -> None:
        self._lines.stop()

    def wait_for(self, state: ScaleState, timeout: float = 5.0) -> bool:
        return self._lines.wait_for(state, timeout)

    def _on_line(self, line: str):
        reading = parse_line(line, time.monotonic())
        if reading is None:
            return
        with self._changed:
            self.latest = reading
            self._changed.notify_all()

    def reading(self) -> Reading | None:
        """The latest reading if it is fresh (stable or not), else None."""
        latest = self.latest
        if latest is None or time.monotonic() - latest.at > self.max_age:
            return None
        return latest

    def weigh(self, timeout: float = 0.0) -> float | None:
        """Grams on the plate: a fresh stable reading, waiting up to `timeout` s for one; else None."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while True:
                now = self.reading()
                if now is not None and now.stable:
                    return now.grams
                left = deadline - time.monotonic()
                if left <= 0:
                    return None
                self._changed.wait(left)

    def status(self) -> dict:
        """The device registry's view (hardware/registry.py)."""
        lines = self._lines
        now = self.reading()
        state = {ScaleState.CONNECTED: "ok", ScaleState.DISCONNECTED: "offline",
                 ScaleState.CONNECTING: "unknown", ScaleState.STOPPED: "offline"}[lines.status]
        if lines.status is ScaleState.CONNECTED and now is None:
            said = ("no reading", {})
        elif lines.status is ScaleState.CONNECTED:
            said = ("%(grams)s g" if now.stable else "%(grams)s g (moving)", {"grams": f"{now.grams:g}"})
        elif lines.status is ScaleState.DISCONNECTED:
            said = retrying("unplugged or failing, retrying", lines.last_error)
        else:
            said = (lines.status.value, {})  # "connecting", "stopped"
        return {"state": state, **detail(said), "last_seen": lines.last_seen}
