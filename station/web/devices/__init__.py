"""The devices page: every configured device of every bench with its live status.

Drivers live in hardware/registry.py (app.extensions["devices"]). This package registers the
benches' printers from BENCHES at start-up; the serial scanners, scales and cameras register
themselves. A device configured in BENCHES for which no driver registered shows as "unknown".

    GET  /devices                         the page (supervisor, admin)
    GET  /devices/panel                   the status panel, refreshed by htmx every 5 s
    POST /devices/act                     a device's action: bench, kind, name, action
    POST /devices/jobs/<job_id>/reprint   print a queued or sent label again
    POST /devices/jobs/<job_id>/cancel    drop a label still waiting in the queue
    GET  /api/devices                     the statuses as JSON (supervisor token)
"""
import inspect
import logging

from flask import Blueprint, current_app, jsonify, redirect, request, url_for

from station.devices import print_queue
from hardware import registry

from station.config import BENCH_DEFAULTS
from station.db import get_db
from station.errors import ServiceError
from station.roles import SUPERVISORS
from station.web.pages import page_or_fragment, wants_fragment
from station.web.security import current_user, roles_required, station_name, token_required

log = logging.getLogger(__name__)

bp = Blueprint("devices", __name__, url_prefix="/devices")
api_bp = Blueprint("devices_api", __name__, url_prefix="/api")

# (kind, BENCHES key) of the input devices another module drives; shown even before one registers
INPUT_DEVICES = [("scanner", "scanner_port"), ("scale", "scale_port"), ("camera", "camera")]
ACTION_LABELS = {"retry": "Retry now", "test_print": "Test print"}


def init_app(app):
    """Register each bench's printer from BENCHES (ZPL/CUPS with its queue, or the browser)."""
    timeout = app.config["PRINTER_TIMEOUT_MS"] / 1000
    for bench, spec in app.config["BENCHES"].items():
        if spec["printer"] == "browser":
            registry.register(app, print_queue.BrowserPrinterDevice(bench))
        else:
            registry.register(app, print_queue.PrinterDevice(
                bench, spec["printer"], app.config["DATABASE"], timeout=timeout,
                label_size=spec["label_size"], dpi=spec["dpi"]))
    app.register_blueprint(bp)
    app.register_blueprint(api_bp)


def device_rows(app):
    """Every device with its status (registry.snapshot), plus configured input devices no driver
    has registered for yet, ordered by bench then kind."""
    rows = registry.snapshot(app)
    have = {(r["bench"], r["kind"]) for r in rows}
    for bench, spec in app.config.get("BENCHES", {}).items():
        for kind, key in INPUT_DEVICES:
            value = spec.get(key, BENCH_DEFAULTS[key])
            if value not in (None, "") and (bench, kind) not in have:
                rows.append({"bench": bench, "kind": kind, "name": str(value), "actions": [], "state": "unknown",
                             "detail": f"configured ({key}); no driver running", "last_seen": None})
    return sorted(rows, key=lambda r: (r["bench"], r["kind"], r["name"]))


def _panel_context(message=None, tone="ok"):
    app = current_app._get_current_object()
    rows = device_rows(app)
    db = get_db()
    for row in rows:
        if row["kind"] == "printer" and row["name"] != "browser":
            row["jobs"] = print_queue.recent(db, printer=row["name"], limit=5)
    benches = {}
    for row in rows:
        benches.setdefault(row["bench"], []).append(row)
    return {"benches": benches, "message": message, "tone": tone, "action_labels": ACTION_LABELS,
            "station": station_name()}


def _answer(message=None, tone="ok", status=200):
    """The panel for htmx; a plain form post goes back to the page (the message is lost then)."""
    if request.method == "POST" and not wants_fragment():
        return redirect(url_for("devices.index"))
    return page_or_fragment("devices/index.html", "devices/_panel.html", status, True,
                            **_panel_context(message, tone))


@bp.get("", strict_slashes=False)
@roles_required(*SUPERVISORS)
def index():
    """The devices page."""
    return _answer()


@bp.get("/panel")
@roles_required(*SUPERVISORS)
def panel():
    return _answer()


@bp.post("/act")
@roles_required(*SUPERVISORS)
def act():
    """Run one of a device's own actions (printer: retry now, test print)."""
    form = request.form
    driver = registry.find(current_app._get_current_object(), form.get("bench", ""), form.get("kind", ""),
                           form.get("name", ""))
    if driver is None:
        return _answer("No such device", "error", 404)
    action = form.get("action", "")
    if action not in (getattr(driver, "actions", ()) or ()):
        return _answer(f"{driver.kind} {driver.name} has no action {action!r}", "error", 400)
    try:
        if "user" in inspect.signature(driver.act).parameters:
            message = driver.act(action, user=current_user()["name"])
        else:
            message = driver.act(action)
    except Exception as exc:  # a device that fails its action is a message, not a 500
        log.exception("device action %s on %s failed", action, driver.name)
        return _answer(f"{ACTION_LABELS.get(action, action)} failed: {exc}", "error", 502)
    return _answer(message or "Done")


@bp.post("/jobs/<id:job_id>/reprint")
@roles_required(*SUPERVISORS)
def reprint_job(job_id):
    new_id = print_queue.reprint(get_db(), job_id, user=current_user()["name"])
    if new_id is None:
        return _answer(f"No print job {job_id}", "error", 404)
    return _answer(f"Label queued again (job {new_id})")


@bp.post("/jobs/<id:job_id>/cancel")
@roles_required(*SUPERVISORS)
def cancel_job(job_id):
    if print_queue.cancel(get_db(), job_id):
        return _answer(f"Job {job_id} cancelled")
    return _answer(f"Job {job_id} is not waiting", "error", 409)


@api_bp.errorhandler(ServiceError)
def service_error(exc):
    return jsonify(exc.as_dict()), exc.status


@api_bp.get("/devices")
@token_required(*SUPERVISORS)
def api_devices():
    """Every device of every bench with its status; printers with their queue."""
    return jsonify(devices=device_rows(current_app._get_current_object()))
