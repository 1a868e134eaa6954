"""The devices a station talks to, one small driver interface for all of them.

A driver is any object with:

    kind     str   "printer", "scanner", "scale", "camera", ...
    name     str   unique within its bench, e.g. "zpl://10.0.0.5:9100" or "/dev/ttyACM0"
    bench    str   the bench (station cookie name) it belongs to
    status() dict  {"state": "ok"|"offline"|"error"|"unknown",
                    "detail": str,              # human text, e.g. "paper out"
                    "last_seen": iso str|None}  # when the device last answered
                   and optionally "detail_parts": the detail as [[English template, values], ...]
                   (see `detail()`), which the devices page shows in the reader's language

and optionally `actions` (a tuple of action names the devices page offers as buttons, e.g.
("retry", "test_print")) with `act(name)` performing one; the page calls nothing else.

Drivers are kept in `app.extensions["devices"]` (a list, in registration order):

    from hardware import registry
    registry.register(app, driver)
    registry.all(app)               -> list of drivers
    registry.for_bench(app, bench)  -> that bench's drivers
    registry.snapshot(app)          -> JSON-ready list of statuses (never raises)
"""
import threading
from concurrent.futures import ThreadPoolExecutor

STATES = ("ok", "offline", "error", "unknown")

_lock = threading.Lock()


def detail(*parts):
    """A status's "detail" and "detail_parts" from (template, values) parts: the English text (the
    parts joined by " · ", each template %-filled with its values) and the parts themselves. A
    screen translates each template (it is the message id, listed in station/web/devices) and
    fills it; a driver never translates: its status() runs in threads outside any request."""
    said = [[text, dict(values or {})] for text, values in parts]
    return {"detail": " · ".join(text % values if values else text for text, values in said), "detail_parts": said}


def register(app, driver):
    """Add `driver` to the app's devices; one with the same (bench, kind, name) is replaced."""
    for attr in ("kind", "name", "bench"):
        if not isinstance(getattr(driver, attr, None), str):
            raise TypeError(f"device driver needs a str .{attr}")
    if not callable(getattr(driver, "status", None)):
        raise TypeError("device driver needs a .status() method")
    with _lock:
        devices = app.extensions.setdefault("devices", [])
        key = (driver.bench, driver.kind, driver.name)
        devices[:] = [d for d in devices if (d.bench, d.kind, d.name) != key]
        devices.append(driver)
    return driver


def unregister(app, driver):
    with _lock:
        devices = app.extensions.get("devices", [])
        devices[:] = [d for d in devices if d is not driver]


def all(app):  # noqa: A001 - the name the interface promises
    with _lock:
        return list(app.extensions.get("devices", []))


def for_bench(app, bench):
    return [d for d in all(app) if d.bench == bench]


def find(app, bench, kind, name):
    for d in all(app):
        if d.bench == bench and d.kind == kind and d.name == name:
            return d
    return None


def safe_status(driver):
    """driver.status(), normalised; a driver that raises is reported as an error, not a 500."""
    try:
        raw = driver.status() or {}
    except Exception as exc:  # a broken driver must not take the page down
        return {"state": "error", **detail(("status failed: %(error)s", {"error": str(exc)})), "last_seen": None}
    state = raw.get("state")
    status = dict(raw)
    status["state"] = state if state in STATES else "unknown"
    status["detail"] = str(raw.get("detail") or "")
    if "detail_parts" in status and not _parts_ok(status["detail_parts"]):
        del status["detail_parts"]  # the screen shows the English detail then
    status["last_seen"] = raw.get("last_seen")
    return status


def retrying(text, error):
    """(template, values) for `text`, with the last error after a colon when there is one."""
    error = (error or "").rstrip(": ")
    return (text + ": %(error)s", {"error": error}) if error else (text, {})


def _parts_ok(parts):
    """[[template, values], ...] as detail() makes them (a driver's own may be anything)."""
    if not isinstance(parts, list):
        return False
    for part in parts:
        if not (isinstance(part, (list, tuple)) and len(part) == 2 and isinstance(part[0], str) and part[0]
                and isinstance(part[1], dict)):
            return False
    return True


def snapshot(app):
    """Every device with its status, JSON-ready, ordered by bench then kind then name.

    Statuses are asked in parallel: a printer that takes its time-out to answer holds up
    only its own row, not the whole page.
    """
    devices = sorted(all(app), key=lambda d: (d.bench, d.kind, d.name))
    if not devices:
        return []
    with ThreadPoolExecutor(max_workers=min(8, len(devices)), thread_name_prefix="device-status") as pool:
        statuses = list(pool.map(safe_status, devices))
    rows = []
    for d, status in zip(devices, statuses):
        row = {"bench": d.bench, "kind": d.kind, "name": d.name,
               "actions": list(getattr(d, "actions", ()) or ())}
        row.update(status)
        rows.append(row)
    return rows
