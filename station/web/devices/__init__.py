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
from flask_babel import gettext as _

from station.devices import print_queue
from hardware import registry

from station.config import BENCH_DEFAULTS
from station.db import get_db
from station.errors import ServiceError
from station.languages import N_
from station.roles import SUPERVISORS
from station.web.pages import page_or_fragment, wants_fragment
from station.web.security import current_user, roles_required, station_name, token_required

log = logging.getLogger(__name__)

bp = Blueprint("devices", __name__, url_prefix="/devices")
api_bp = Blueprint("devices_api", __name__, url_prefix="/api")

# (kind, BENCHES key) of the input devices another module drives; shown even before one registers
INPUT_DEVICES = [("scanner", "scanner_port"), ("scale", "scale_port"), ("camera", "camera")]
ACTION_LABELS = {"retry": N_("Retry now"), "test_print": N_("Test print")}
KIND_LABELS = {"printer": N_("Printer"), "scanner": N_("Scanner"), "scale": N_("Scale"), "camera": N_("Camera")}
STATE_LABELS = {"ok": N_("ok"), "offline": N_("offline"), "error": N_("error"), "unknown": N_("unknown")}
JOB_LABELS = {"queued": N_("queued"), "sending": N_("sending"), "sent": N_("sent"), "cancelled": N_("cancelled")}
# what the drivers of hardware/ say in their status (registry.detail's templates), marked here
# because the catalogue is read from station/ and templates/ only; keep in step with
# hardware/scanners.py, scale.py, camera.py and registry.py (a template not listed shows in English)
DEVICE_TEXTS = (
    N_("connected, %(scans)s scan(s) read"),
    N_("connected, %(scans)s scan(s) read, %(dropped)s over-long line(s) dropped (wrong baud rate?)"),
    N_("unplugged or failing, retrying"), N_("unplugged or failing, retrying: %(error)s"),
    N_("opening the port"), N_("stopped"), N_("connecting"),
    N_("no picture for %(seconds)s s, waiting for the camera"), N_("decoding, %(codes)s code(s) read"),
    N_("opening the camera"), N_("no picture, retrying"), N_("no picture, retrying: %(error)s"),
    N_("the video file ended"),
    N_("no reading"), N_("%(grams)s g"), N_("%(grams)s g (moving)"),
    N_("status failed: %(error)s"),
)


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
                             **registry.detail((N_("configured (%(key)s); no driver running"), {"key": key})),
                             "last_seen": None})
    return sorted(rows, key=lambda r: (r["bench"], r["kind"], r["name"]))


def _panel_context(message=None, tone="ok"):
    app = current_app._get_current_object()
    rows = device_rows(app)
    db = get_db()
    for row in rows:
        if row["kind"] == "printer" and row["name"] != "browser":
            row["jobs"] = print_queue.recent(db, printer=row["name"], limit=5)
            for job in row["jobs"]:
                job["status_said"] = _(JOB_LABELS[job["status"]]) if job["status"] in JOB_LABELS else job["status"]
        row["kind_said"] = _(KIND_LABELS[row["kind"]]) if row["kind"] in KIND_LABELS else row["kind"].capitalize()
        row["state_said"] = _(STATE_LABELS[row["state"]])
        row["detail_said"] = said_detail(row)
        row["buttons"] = [(action, action_label(action)) for action in row["actions"]]
    benches = {}
    for row in rows:
        benches.setdefault(row["bench"], []).append(row)
    return {"benches": benches, "message": message, "tone": tone, "station": station_name()}


def action_label(action):
    """A device action's button: its label (translated), else its name as words."""
    if action in ACTION_LABELS:
        return _(ACTION_LABELS[action])
    words = str(action).replace("_", " ").capitalize()
    return _(words) if words else words


def said_detail(row):
    """A status detail in the screen's language: each of its parts translated and filled (the
    English detail when the driver gave no parts, or a part does not fill)."""
    parts = row.get("detail_parts")
    if not parts:
        return row["detail"]
    try:
        return " · ".join(_(text, **values) if values else _(text) for text, values in parts)
    except (KeyError, ValueError, TypeError):  # a translation that does not fit its values
        return row["detail"]


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
        return _answer(_("No such device"), "error", 404)
    action = form.get("action", "")
    if action not in (getattr(driver, "actions", ()) or ()):
        kind = _(KIND_LABELS[driver.kind]) if driver.kind in KIND_LABELS else driver.kind
        return _answer(_("%(kind)s %(name)s has no action %(action)s", kind=kind, name=driver.name, action=repr(action)),
                       "error", 400)
    try:
        if "user" in inspect.signature(driver.act).parameters:
            message = driver.act(action, user=current_user()["name"])
        else:
            message = driver.act(action)
    except Exception as exc:  # a device that fails its action is a message, not a 500
        log.exception("device action %s on %s failed", action, driver.name)
        return _answer(_("%(action)s failed: %(error)s", action=_(ACTION_LABELS[action]) if action in ACTION_LABELS
                         else action, error=exc), "error", 502)
    return _answer(_(str(message)) if message else _("Done"))


@bp.post("/jobs/<id:job_id>/reprint")
@roles_required(*SUPERVISORS)
def reprint_job(job_id):
    new_id = print_queue.reprint(get_db(), job_id, user=current_user()["name"])
    if new_id is None:
        return _answer(_("No print job %(job)s", job=job_id), "error", 404)
    return _answer(_("Label queued again (job %(job)s)", job=new_id))


@bp.post("/jobs/<id:job_id>/cancel")
@roles_required(*SUPERVISORS)
def cancel_job(job_id):
    if print_queue.cancel(get_db(), job_id):
        return _answer(_("Job %(job)s cancelled", job=job_id))
    return _answer(_("Job %(job)s is not waiting", job=job_id), "error", 409)


@api_bp.errorhandler(ServiceError)
def service_error(exc):
    return jsonify(exc.as_dict()), exc.status


@api_bp.get("/devices")
@token_required(*SUPERVISORS)
def api_devices():
    """Every device of every bench with its status; printers with their queue."""
    rows = device_rows(current_app._get_current_object())
    for row in rows:
        row.pop("detail_parts", None)  # for the screen's translation; the API says the English detail
    return jsonify(devices=rows)
