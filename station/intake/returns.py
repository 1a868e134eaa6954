"""A return at the bench: opened from a scan, its items added, read back.

Its items are recorded and listed by station/intake/items.py, decided by decisions.py, the
return closed (and put aside) by closing.py; the one scan pipeline (pipeline.py) opens returns
through `open_found`.
"""
import json

from flask_babel import gettext as _

from station.db import one, rows, write
from station.errors import ServiceError, bad, conflict, not_found
from station.events import emit
from station.inputs import db_id
from station.intake import items as items_module
from station.intake.items import items_of
from station.downstream import refunds
from station.intake.lookup import resolve
from station.intake.scan_log import record_scan
from station.rules.classify import classify
from station.rules.inspection import WEIGHT_TOLERANCE
from station.timeutil import now_iso
from station.languages import N_

NOT_RETURNABLE = ("cancelled", "awaiting_stock", "ready_to_ship")
# how the refusal names each of those statuses on a screen (the English names them by their code)
STATUS_WORDS = {"cancelled": N_("cancelled"), "awaiting_stock": N_("awaiting_stock"), "ready_to_ship": N_("ready_to_ship")}


def get_return_row(db, return_id):
    return_id = db_id(return_id, "return")
    row = one(db, "SELECT * FROM returns WHERE return_id = ?", [return_id])
    if row is None:
        raise not_found(N_("return"), return_id)
    return row


MAX_STATION = 64


def station_of(value):
    """The bench's name as sent (None when not given); another type, or a long one, is a 400."""
    if value is None:
        return None
    if not isinstance(value, str):
        raise bad("station", _("must be a string"))
    value = value.strip()
    if len(value) > MAX_STATION:
        raise bad("station", _("is longer than %(most)s characters", most=MAX_STATION))
    if any(ord(c) < 32 or ord(c) == 127 for c in value):
        raise bad("station", _("contains control characters"))
    return value or None


def open_return(db, code, station=None, user=None, order_no=None, source=None):
    """Open (or answer the already open) return for the parcel a code identifies.

    `source` ("api"): the code is a scan and goes to the scan log, in the same transaction as
    the return it opens, or on its own when it is refused. The bench's scans come through
    pipeline.process_scan instead (one classification, one resolution).
    """
    if not isinstance(code, str):
        raise bad("code", _("must be a string"))
    station = station_of(station)
    try:
        scan = classify(code)
        found = resolve(db, scan)
        if found is None:
            raise ServiceError("not_found", _("No carton, RMA, tracking number, order or product matches %(code)s",
                                              code=repr(scan.text)), 404)
        with write(db, group=True):
            ret, created = open_found(db, scan, found, station, user, order_no)
            if source:
                record_scan(db, code, source, station, user, found[0], True,
                            f"{'Opened' if created else 'Back to'} return {ret['return_id']}")
    except ServiceError as exc:
        if source:
            record_scan(db, code, source, station, user, "error", False, exc.message)
        raise
    return {k: ret[k] for k in ("return_id", "order_no", "status")}, created


def open_found(db, scan, found, station=None, user=None, order_no=None):
    """Open the return of a classified and resolved scan (found: lookup.resolve's answer), or answer
    the one already open for that order; (the return's row, created).

    Runs inside the caller's transaction (the scan's, with its line in the scan log), or in one of
    its own when called alone.
    """
    match, found_order, rma_no, _product = found
    with write(db, savepoint=False):
        if order_no is not None:  # a product-only scan where the operator chose the order
            if not isinstance(order_no, str) or not one(db, "SELECT 1 FROM orders WHERE order_no = ?", [order_no]):
                raise bad("order_no", _("no such order"))
            if found_order and found_order != order_no:
                raise conflict("order_mismatch", _("%(code)s belongs to order %(order_no)s", code=scan.text,
                                                     order_no=found_order))
            found_order = order_no
        if found_order is None:
            raise conflict("needs_order", _("A product code alone does not say which order: choose the order"))
        # The common case in one statement: a returnable order with no open return gets one (the
        # partial unique index allows one open return per order); RETURNING gives the new row as
        # stored, so the bench shows it without reading it back.
        opened = rows(db, "INSERT INTO returns (order_no, rma_no, code, match, station, opened_by, opened_at) "
                          "SELECT order_no, ?, ?, ?, ?, ?, ? FROM orders WHERE order_no = ? "
                          "AND status NOT IN (SELECT value FROM json_each(?)) "
                          "ON CONFLICT (order_no) WHERE status = 'open' DO NOTHING RETURNING *",
                      [rma_no, scan.text, match, station, user, now_iso(), found_order, json.dumps(NOT_RETURNABLE)])
        if opened:
            ret = opened[0]
            emit(db, "return.opened", return_id=ret["return_id"], order_no=found_order, rma_no=rma_no,
                 code=scan.text, match=match, station=station)
            return ret, True
        # nothing inserted: the order cannot be returned, or its return is open already
        existing = one(db, "SELECT o.status AS order_status, r.* FROM orders o LEFT JOIN returns r "
                           "ON r.order_no = o.order_no AND r.status = 'open' WHERE o.order_no = ?", [found_order])
        if existing["order_status"] in NOT_RETURNABLE:
            raise conflict("not_returnable", _("Order %(order_no)s is %(status)s: it cannot be returned",
                                               order_no=found_order, status=_(STATUS_WORDS[existing["order_status"]])))
        existing.pop("order_status")
        return existing, False


def _require_open(ret):
    if ret["status"] != "open":
        raise conflict("return_closed", _("Return %(return_id)s is closed", return_id=ret["return_id"]))


def add_item(db, return_id, data, user=None, measured_g=None, weight_tolerance=WEIGHT_TOLERANCE, source=None,
             station=None):
    """Record one inspected item of an open return (station/intake/items.py): its flags and the
    recommended disposition."""
    ret = get_return_row(db, return_id)
    _require_open(ret)
    return items_module.add_item(db, ret, data, user=user, measured_g=measured_g, weight_tolerance=weight_tolerance,
                                 source=source, station=station)


def get_return(db, return_id):
    """The contract's view of a return."""
    ret = get_return_row(db, return_id)
    items = [
        {k: item[k] for k in ("item_id", "sku", "qty", "grade", "reason", "serial", "flags", "decision")}
        for item in items_of(db, ret["return_id"])
    ]
    return {"return_id": ret["return_id"], "order_no": ret["order_no"], "status": ret["status"],
            "rma_no": ret["rma_no"], "station": ret["station"], "opened_at": ret["opened_at"],
            "closed_at": ret["closed_at"], "items": items, "refund": refunds.refund_of_return(db, ret["return_id"])}

