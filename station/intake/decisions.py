"""Decide where an inspected item goes, and make it so: stock, allocation, queues."""
import json

from station.db import one, write
from station.downstream import refurbish, rtv
from station.downstream.crossdock import allocate, best_waiting_line
from station.errors import bad, conflict, not_found
from station.events import emit
from station.inputs import db_id
from station.intake.items import any_bin
from station.intake.returns import get_return_row, station_of
from station.policy import DISPOSITIONS
from station.rules.inspection import needs_photo
from station.timeutil import now_iso


def _default_target(db, item, product, disposition):
    if disposition == "restock":
        return (product["bin"] or any_bin(db, item["sku"])) if product else None
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
        raise bad("body", "must be a JSON object")
    disposition = data.get("disposition")
    if disposition not in DISPOSITIONS:
        raise bad("disposition", "must be one of " + ", ".join(DISPOSITIONS))
    target = data.get("target")
    if target is not None and (not isinstance(target, str) or len(target) > 128):
        raise bad("target", "must be a string")
    reason = data.get("override_reason")
    if reason is not None and (not isinstance(reason, str) or len(reason) > 500):
        raise bad("override_reason", "must be a string")
    reason = (reason or "").strip() or None
    station = station_of(station)
    ret = get_return_row(db, return_id)
    with write(db):
        item = one(db, "SELECT * FROM return_items WHERE item_id = ? AND return_id = ?", [db_id(item_id, "item"), ret["return_id"]])
        if item is None:
            raise not_found("item", item_id)
        if one(db, "SELECT 1 FROM decisions WHERE item_id = ?", [item["item_id"]]):
            raise conflict("already_decided", f"Item {item['item_id']} is decided already")
        if ret["status"] != "open":
            raise conflict("return_closed", f"Return {ret['return_id']} is closed")
        rec = json.loads(item["recommendation"])
        product = one(db, "SELECT * FROM products WHERE sku = ?", [item["sku"]])
        if target is None:
            target = rec["target"] if disposition == rec["disposition"] else _default_target(db, item, product, disposition)
        if disposition in ("refurbish", "scrap", "quarantine"):
            target = None
        override = disposition != rec["disposition"] or target != rec["target"]
        if override and not reason:
            raise bad("override_reason", f"differs from the recommendation ({rec['disposition']} {rec['target'] or ''}): give a reason")
        if product is None and disposition in ("restock", "crossdock", "rtv", "refurbish"):
            raise conflict("unknown_product", "An item that is not in the catalogue can only be quarantined or scrapped")
        if needs_photo(item["grade"]) and not one(db, "SELECT 1 FROM photos WHERE item_id = ?", [item["item_id"]]):
            raise conflict("photo_required", f"Grade {item['grade']}: take a photo of item {item['item_id']} before deciding")
        if disposition == "restock":
            if not target:
                raise bad("target", "restock needs a bin")
            db.execute(
                "INSERT INTO stock (sku, bin, qty) VALUES (?, ?, ?) ON CONFLICT (sku, bin) DO UPDATE SET qty = qty + excluded.qty",
                [item["sku"], target, item["qty"]],
            )
        elif disposition == "crossdock":
            if not target:
                raise conflict("no_open_quantity", f"No order is waiting for {item['sku']}")
            allocate(db, item["item_id"], item["sku"], item["qty"], target)
        db.execute(
            "INSERT INTO decisions (item_id, disposition, target, recommended_disposition, recommended_target, override_reason, decided_by, station, decided_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [item["item_id"], disposition, target, rec["disposition"], rec["target"], reason if override else None,
             user, station, now_iso()],
        )
        emit(db, "decision.made", item_id=item["item_id"], return_id=ret["return_id"], disposition=disposition,
             target=target, override=override, override_reason=reason if override else None)
        if disposition == "restock":
            emit(db, "stock.changed", sku=item["sku"], bin=target, delta=item["qty"], item_id=item["item_id"])
        elif disposition == "refurbish":
            refurbish.open_work_order(db, item["item_id"])
        elif disposition == "rtv":
            if not target:
                raise bad("target", "rtv needs the supplier")
            if not one(db, "SELECT 1 FROM suppliers WHERE supplier_id = ?", [target]):
                raise bad("target", f"no supplier {target}")
            rtv.add_to_batch(db, item["item_id"], target, item["qty"], product["unit_cost"])
    return {"item_id": item["item_id"], "disposition": disposition, "target": target}
