"""The devices a station talks to, one small driver interface for all of them.

A driver is any object with:

    kind     str   "printer", "scanner", "scale", "camera", ...
    name     str   unique within its bench, e.g. "zpl://10.0.0.5:9100" or "/dev/ttyACM0"
    bench    str   the bench (station cookie name) it belongs to
    status() dict  {"state": "ok"|"offline"|"error"|"unknown",
                    "detail": str,              # human text, e.g. "paper out"
                    "last_seen": iso str|None}  # when the device last answered

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
        return {"state": "error", "detail": f"status failed: {exc}", "last_seen": None}
    state = raw.get("state")
    status = dict(raw)
    status["state"] = state if state in STATES else "unknown"
    status["detail"] = str(raw.get("detail") or "")
    status["last_seen"] = raw.get("last_seen")
    return status


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
