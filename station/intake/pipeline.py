"""The one scan pipeline: every input source (wedge, serial, camera, typed) comes through here.

A scan is classified once and resolved once; what it opens (a return, and the parcel it puts
aside) is written in one transaction together with its line in the scan log. A scan that acts
on nothing (a product of the parcel on screen, a bad code) is logged on its own.
"""
import logging

from flask_babel import gettext as _

from station import policy as policy_module
from station.db import one, write
from station.errors import ServiceError
from station.intake.lookup import product_candidates, resolve
from station.intake.closing import put_aside
from station.intake.returns import open_found
from station.intake.scan_log import record_scan
from station.rules.classify import classify, courier_label, shipping_code

log = logging.getLogger(__name__)


def process_scan(db, raw, source="wedge", station=None, user=None, current_return_id=None):
    """Classify, resolve and act on one scan; answers what the screen should show.

    kind "parcel" (a return opened or brought back; `previous`: what happened to the parcel that
    was on screen), "product" (an item for the parcel on screen, or with `candidates` when no
    parcel is open), or "error" (ok False, nothing created).
    """
    try:
        scan = classify(raw)
    except ServiceError as exc:
        return _logged(db, raw, source, station, user, {"kind": "error", "ok": False, "message": exc.message,
                                                         "code": exc.code})
    found = resolve(db, scan)
    current = None
    if current_return_id and (found is None or found[0] == "product"):
        # what an unknown code or a product means depends on the parcel on screen (its row, read
        # once, is shown again); a parcel's own code needs none of it: the one on screen is put
        # aside by its id, put_aside checking in the transaction that it is still open
        current = one(db, "SELECT * FROM returns WHERE return_id = ?", [current_return_id])
        if current and current["status"] != "open":
            current = None
    if found is None:
        carrier = courier_label(scan.text)
        shipping = shipping_code(scan) if current else None
        if current and shipping:
            # the courier's own barcode on the box, another shipment's label: no item of this parcel
            outcome = {"kind": "courier", "ok": True, "code": scan.text, "return_id": current["return_id"],
                       "message": _("%(code)s is a %(what)s, not an item: nothing recorded", code=scan.text,
                                    what=_(shipping))}
        elif current:
            # a code we don't know, scanned while inspecting: the box held something not ours
            outcome = {"kind": "product", "ok": True, "unknown": True, "sku": None, "code": scan.text,
                       "serial": scan.serial, "product": None, "return_id": current["return_id"], "row": current,
                       "message": _("%(code)s is not in the catalogue: grade it to record it (it goes to quarantine)",
                                    code=scan.text)}
        else:
            what = f"{carrier} label" if carrier else "code"
            outcome = {"kind": "error", "ok": False, "code": "not_found",
                       "message": _("Unknown %(what)s %(code)s: no carton, RMA, tracking number, order or product",
                                    what=_(what), code=scan.text)}
        return _logged(db, raw, source, station, user, outcome)
    match, order_no, _rma, product = found
    if match == "product" and (current or order_no is None):
        # With a parcel on screen a product scan is an item of that parcel, even when its serial
        # was shipped on another order: that is a serial mismatch here (quarantine), not a
        # reason to put this parcel aside and open the other one.
        outcome = {"kind": "product", "ok": True, "match": match, "sku": product["sku"], "code": scan.text,
                   "serial": scan.serial, "product": product,
                   "return_id": current["return_id"] if current else None, "row": current,
                   "message": f"{product['name']} ({product['sku']})"}
        if not current:
            outcome["candidates"] = product_candidates(db, product["sku"], policy_module.load(db))
            outcome["message"] = _("%(product)s: which order? Tap it below, or scan the parcel label",
                                   product=product["name"])
        return _logged(db, raw, source, station, user, outcome)
    try:
        with write(db, group=True):
            ret, created = open_found(db, scan, found, station, user)
            previous = None
            if current_return_id and current_return_id != ret["return_id"]:
                previous = put_aside(db, current_return_id, user)  # None when it is not open
            outcome = {"kind": "parcel", "ok": True, "match": match, "return_id": ret["return_id"],
                       "order_no": ret["order_no"], "created": created, "previous": previous,
                       "row": ret,  # the return's row as it stands after this scan: shown without reading it again
                       "message": (_("Opened return %(return_id)s for order %(order_no)s", return_id=ret["return_id"],
                                     order_no=ret["order_no"]) if created else
                                   _("Back to return %(return_id)s for order %(order_no)s", return_id=ret["return_id"],
                                     order_no=ret["order_no"]))}
            record_scan(db, raw, source, station, user, match, True, outcome["message"])
    except ServiceError as exc:
        return _logged(db, raw, source, station, user, {"kind": "error", "ok": False, "code": exc.code, "match": match,
                                                         "message": exc.message})
    return outcome


def _logged(db, raw, source, station, user, outcome):
    """A scan that wrote nothing else: its log line alone (which must never cost the operator the scan)."""
    try:
        record_scan(db, raw, source, station, user, outcome.get("match") or outcome["kind"], outcome["ok"],
                    outcome["message"])
    except Exception:
        log.exception("could not record scan %r", raw)
    return outcome
