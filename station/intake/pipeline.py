"""The one scan pipeline: every input source (wedge, serial, camera, typed) comes through here."""
import logging

from station import policy as policy_module
from station.db import one, write
from station.errors import ServiceError
from station.intake.lookup import product_candidates, resolve
from station.intake.returns import close_return, open_return
from station.rules.classify import classify
from station.timeutil import now_iso

log = logging.getLogger(__name__)


def record_scan(db, raw, source, station, user, kind, ok, message):
    """Every scan is logged, good or bad (its own small transaction)."""
    with write(db):
        db.execute(
            "INSERT INTO scans (at, station, user, source, raw, kind, ok, message) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            [now_iso(), station, user, source, str(raw)[:512], kind, int(ok), message],
        )


def _set_aside_or_close(db, return_id, user):
    """The parcel on screen when another is scanned: closed if every item is decided, else kept open."""
    ret = one(db, "SELECT status FROM returns WHERE return_id = ?", [return_id])
    if ret is None or ret["status"] != "open":
        return None
    items = one(db, "SELECT count(*) AS n, count(d.item_id) AS decided FROM return_items i "
                    "LEFT JOIN decisions d ON d.item_id = i.item_id WHERE i.return_id = ?", [return_id])
    if items["n"] and items["n"] == items["decided"]:
        return {"return_id": return_id, "closed": close_return(db, return_id, user=user)}
    return {"return_id": return_id, "set_aside": True}


def process_scan(db, raw, source="wedge", station=None, user=None, current_return_id=None):
    """Classify, resolve and act on one scan; returns what the screen should show."""
    outcome = _process(db, raw, station, user, current_return_id)
    try:
        record_scan(db, raw, source, station, user, outcome.get("match") or outcome["kind"], outcome["ok"], outcome["message"])
    except Exception:  # the log must never cost the operator the scan
        log.exception("could not record scan %r", raw)
    return outcome


def _process(db, raw, station, user, current_return_id):
    try:
        scan = classify(raw)
    except ServiceError as exc:
        return {"kind": "error", "ok": False, "message": exc.message, "code": exc.code}
    found = resolve(db, scan)
    current = None
    if current_return_id:
        current = one(db, "SELECT return_id, order_no, status FROM returns WHERE return_id = ?", [current_return_id])
        if current and current["status"] != "open":
            current = None
    if found is None:
        if current:
            # a code we don't know, scanned while inspecting: the box held something not ours
            return {"kind": "product", "ok": True, "unknown": True, "sku": None, "code": scan.text,
                    "serial": scan.serial, "product": None, "return_id": current["return_id"],
                    "message": f"{scan.text} is not in the catalogue: grade it to record it (it goes to quarantine)"}
        return {"kind": "error", "ok": False, "code": "not_found",
                "message": f"Unknown code {scan.text}: no carton, RMA, tracking number, order or product"}
    match, order_no, _rma, product = found
    if match == "product":
        # With a parcel on screen a product scan is an item of that parcel, even when its serial
        # was shipped on another order: that is a serial mismatch here (quarantine), not a
        # reason to put this parcel aside and open the other one.
        if current:
            return {"kind": "product", "ok": True, "match": match, "sku": product["sku"], "code": scan.text,
                    "serial": scan.serial, "product": product, "return_id": current["return_id"],
                    "message": f"{product['name']} ({product['sku']})"}
        if order_no is None:
            return {"kind": "product", "ok": True, "match": match, "sku": product["sku"], "code": scan.text,
                    "serial": scan.serial, "product": product, "return_id": None,
                    "candidates": product_candidates(db, product["sku"], policy_module.load(db)),
                    "message": f"{product['name']}: which order? Tap it below, or scan the parcel label"}
    previous = None
    try:
        ret, created = open_return(db, raw, station=station, user=user)
        if current and current["return_id"] != ret["return_id"]:
            previous = _set_aside_or_close(db, current["return_id"], user)
    except ServiceError as exc:
        return {"kind": "error", "ok": False, "code": exc.code, "match": match, "message": exc.message}
    return {"kind": "parcel", "ok": True, "match": match, "return_id": ret["return_id"], "order_no": ret["order_no"],
            "created": created, "previous": previous,
            "message": f"{'Opened' if created else 'Back to'} return {ret['return_id']} for order {ret['order_no']}"}
