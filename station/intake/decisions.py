"""Decide where an inspected item goes, and make it so: stock, allocation, queues."""
import json

from flask_babel import gettext as _

from station.db import one, write
from station.downstream import refurbish, rtv
from station.downstream.crossdock import allocate, best_waiting_line
from station.errors import bad, conflict, not_found
from station.events import emit
from station.inputs import db_id
from station import policy as policy_module
from station.downstream import stock
from station.intake.returns import get_return_row, station_of
from station.policy import DISPOSITIONS
from station.rules.inspection import needs_photo
from station.timeutil import now_iso
from station.languages import N_


def _default_target(db, item, product, disposition, condition=None):
    if disposition == "restock":
        return stock.bin_for(db, product, condition or "new", policy_module.load(db)) if product else None
    if disposition == "rtv":
        return product["supplier_id"] if product else None
    if disposition == "crossdock":
        line = best_waiting_line(db, item["sku"], item["qty"])
        return line["order_no"] if line else None
    return None


def decision_of(db, item_id):
    """The decision recorded for an item, or None."""
    return one(db, "SELECT disposition, target FROM decisions WHERE item_id = ?", [item_id])


def decide(db, return_id, item_id, data, user=None, station=None):
    """Record the decision for one item (once); a departure from the recommendation needs a reason."""
    if not isinstance(data, dict):
        raise bad("body", _("must be a JSON object"))
    disposition = data.get("disposition")
    if disposition not in DISPOSITIONS:
        raise bad("disposition", _("must be one of %(choices)s", choices=", ".join(DISPOSITIONS)))
    target = data.get("target")
    if target is not None and (not isinstance(target, str) or len(target) > 128):
        raise bad("target", _("must be a string"))
    reason = data.get("override_reason")
    if reason is not None and (not isinstance(reason, str) or len(reason) > 500):
        raise bad("override_reason", _("must be a string"))
    reason = (reason or "").strip() or None
    asked_condition = data.get("condition")
    if asked_condition is not None and asked_condition not in stock.CONDITIONS:
        raise bad("condition", _("must be one of %(choices)s", choices=", ".join(stock.CONDITIONS)))
    station = station_of(station)
    ret = get_return_row(db, return_id)
    with write(db, group=True):
        item = one(db, "SELECT * FROM return_items WHERE item_id = ? AND return_id = ?", [db_id(item_id, "item"), ret["return_id"]])
        if item is None:
            raise not_found(N_("item"), item_id)
        if one(db, "SELECT 1 FROM decisions WHERE item_id = ?", [item["item_id"]]):
            raise conflict("already_decided", _("Item %(item_id)s is decided already", item_id=item["item_id"]))
        if ret["status"] != "open":
            raise conflict("return_closed", _("Return %(return_id)s is closed", return_id=ret["return_id"]))
        rec = json.loads(item["recommendation"])
        product = one(db, "SELECT * FROM products WHERE sku = ?", [item["sku"]])
        condition = None
        if disposition == "restock":
            # the condition it is shelved in: never better than its grade (stock.BY_GRADE)
            condition = stock.condition_for(item["grade"], asked_condition or (
                rec.get("condition") if rec["disposition"] == "restock" else None))
        if target is None:
            same = disposition == rec["disposition"] and (condition or None) == (rec.get("condition") or condition)
            target = rec["target"] if same else _default_target(db, item, product, disposition, condition)
        if disposition in ("refurbish", "scrap", "quarantine"):
            target = None
        override = disposition != rec["disposition"] or target != rec["target"]
        if override and not reason:
            raise bad("override_reason", _("differs from the recommendation (%(disposition)s %(target)s): give a reason",
                                            disposition=rec["disposition"], target=rec["target"] or ""))
        if product is None and disposition in ("restock", "crossdock", "rtv", "refurbish"):
            raise conflict("unknown_product", _("An item that is not in the catalogue can only be quarantined or scrapped"))
        if needs_photo(item["grade"]) and not one(db, "SELECT 1 FROM photos WHERE item_id = ?", [item["item_id"]]):
            raise conflict("photo_required", _("Grade %(grade)s: take a photo of item %(item_id)s before deciding",
                                                grade=item["grade"], item_id=item["item_id"]))
        if disposition == "restock" and not target:
            raise bad("target", _("restock needs a bin"))
        if disposition == "crossdock":
            if not target:
                raise conflict("no_open_quantity", _("No order is waiting for %(sku)s", sku=item["sku"]))
            allocate(db, item["item_id"], item["sku"], item["qty"], target)
        db.execute(
            "INSERT INTO decisions (item_id, disposition, target, condition, recommended_disposition, recommended_target, "
            "override_reason, decided_by, station, decided_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [item["item_id"], disposition, target, condition, rec["disposition"], rec["target"], reason if override else None,
             user, station, now_iso()],
        )
        emit(db, "decision.made", item_id=item["item_id"], return_id=ret["return_id"], disposition=disposition,
             target=target, override=override, override_reason=reason if override else None)
        if disposition == "restock":
            stock.put(db, item["sku"], target, condition, item["qty"], item_id=item["item_id"])
        elif disposition == "refurbish":
            refurbish.open_work_order(db, item["item_id"])
        elif disposition == "rtv":
            if not target:
                raise bad("target", _("rtv needs the supplier"))
            if not one(db, "SELECT 1 FROM suppliers WHERE supplier_id = ?", [target]):
                raise bad("target", _("no supplier %(supplier)s", supplier=target))
            rtv.add_to_batch(db, item["item_id"], target, item["qty"], product["unit_cost"])
    answer = {"item_id": item["item_id"], "disposition": disposition, "target": target}
    if condition:
        answer["condition"] = condition
    return answer
