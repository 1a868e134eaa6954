"""The items of a return: each inspected item recorded with its flags and recommendation."""
import json

from flask_babel import gettext as _

from station import policy as policy_module
from station.db import one, rows, write
from station.downstream.crossdock import best_waiting_line
from station.downstream.stock import bin_for
from station.errors import bad
from station.events import emit
from station.intake.lookup import find_product, is_bulk, order_facts
from station.intake.removals import is_removal
from station.intake.scan_log import record_scan
from station.rules.classify import classify
from station.rules.inspection import WEIGHT_TOLERANCE, default_reason, item_flags, weight_mismatch
from station.rules.recommend import recommend
from station.rules.window import rtv_open
from station import timeutil
from station.timeutil import now_iso

MAX_QTY = 10_000
MAX_TEXT = 2_000


def text_field(data, key, required=False, limit=MAX_TEXT, code=False):
    """An optional text field of a JSON body or form: stripped, bounded; a wrong type is a 400.

    code: a SKU, scanned code or serial: no control character (NUL, C0, DEL, C1) but the GS1
    group separator in a scanned code, as a scan never carries one."""
    value = data.get(key)
    if value is None or value == "":
        if required:
            raise bad(key, _("is required"))
        return None
    if not isinstance(value, str):
        raise bad(key, _("must be a string"))
    if code and any((ord(c) < 32 and c != "\x1d") or 127 <= ord(c) <= 159 for c in value.strip(" ")):
        raise bad(key, _("contains control characters"))
    if "\x00" in value:
        raise bad(key, _("contains a NUL character"))
    value = value.strip()
    if len(value) > limit:
        raise bad(key, _("is longer than %(most)s characters", most=limit))
    return value or None


def parse_item(data, rma_reason=None):
    """The fields of an inspected item, checked; a missing reason takes the default (rules/inspection.py)."""
    if not isinstance(data, dict):
        raise bad("body", _("must be a JSON object"))
    qty = data.get("qty", 1)
    if isinstance(qty, bool) or not isinstance(qty, int) or not 1 <= qty <= MAX_QTY:
        raise bad("qty", _("must be a whole number from 1 to %(most)s", most=MAX_QTY))
    grade = data.get("grade")
    if grade not in policy_module.GRADES:
        raise bad("grade", _("must be one of A, B, C, D, X"))
    reason = data.get("reason")
    if reason is None or reason == "":
        reason = default_reason(grade, rma_reason)
        if reason is None:
            raise bad("reason", _("is required for grade %(grade)s (the RMA gives none): a reason code", grade=grade))
    if reason not in policy_module.REASONS:
        raise bad("reason", _("must be a reason code: %(codes)s", codes=", ".join(policy_module.REASONS)))
    sku, code = text_field(data, "sku", limit=128, code=True), text_field(data, "code", limit=128, code=True)
    if not sku and not code:
        raise bad("sku", _("give the sku or the scanned code"))
    notes = text_field(data, "notes")
    if reason == "other" and not notes:
        raise bad("notes", _("the reason 'other' needs a note"))
    return {"qty": qty, "grade": grade, "reason": reason, "sku": sku, "code": code,
            "serial": text_field(data, "serial", limit=128, code=True), "notes": notes}


def item_facts(db, ret, sku, qty, serial, exclude_item=None):
    """(product, flags) for an item against its order: mismatch, serial, quantity."""
    product = one(db, "SELECT * FROM products WHERE sku = ?", [sku])
    lines = rows(db, "SELECT line_no, qty, serials FROM order_lines WHERE order_no = ? AND sku = ?", [ret["order_no"], sku])
    already = 0
    if product and lines:
        already = one(
            db,
            "SELECT coalesce(sum(i.qty), 0) AS n FROM return_items i JOIN returns r ON r.return_id = i.return_id "
            "WHERE r.order_no = ? AND i.sku = ? AND i.item_id IS NOT ? "
            "AND i.flags NOT LIKE '%item_mismatch%' AND i.flags NOT LIKE '%unknown_product%'",
            [ret["order_no"], sku, exclude_item],
        )["n"]
    return product, item_flags(product, lines, already, qty, serial)


def rtv_terms(db, product, order_no):
    """(the supplier takes it back now, what it charges per unit) for a product of this order."""
    supplier = one(db, "SELECT accepts_rtv, rtv_window_days, rtv_cost FROM suppliers WHERE supplier_id = ?",
                   [product["supplier_id"]])
    shipped = one(db, "SELECT shipped_at FROM orders WHERE order_no = ?", [order_no])["shipped_at"]
    return rtv_open(supplier, shipped, timeutil.now()), (supplier or {}).get("rtv_cost") or 0


def recommendation_for(db, ret, product, grade, flags, qty, policy, reason=None):
    """Gather what the recommendation weighs (waiting orders, the supplier's terms, the bins) and ask the rule."""
    if product is None:
        return recommend(grade, flags, None, qty, policy)
    waiting = best_waiting_line(db, product["sku"], qty) if grade == "A" else None
    eligible, rtv_cost = rtv_terms(db, product, ret["order_no"])
    return recommend(
        grade, flags, product, qty, policy,
        waiting_line=waiting,
        rtv_eligible=eligible,
        rtv_cost=rtv_cost,
        reason=reason,
        bins={condition: bin_for(db, product, condition, policy) for condition in ("new", "open_box")},
        supplier_id=product["supplier_id"],
        never_restock="never_restock" in policy_module.sku_rules(db, product["sku"]),
    )


def rma_reason(db, ret):
    """The reason the customer declared on the parcel's RMA, or None."""
    if not ret["rma_no"]:
        return None
    row = one(db, "SELECT reason FROM rmas WHERE rma_no = ?", [ret["rma_no"]])
    return row["reason"] if row else None


def add_item(db, ret, data, user=None, measured_g=None, weight_tolerance=WEIGHT_TOLERANCE, source=None, station=None):
    """Record one inspected item of an open return with its flags and the recommended disposition.

    `measured_g`: what the bench scale read for it, checked against the catalogue weight.
    `source`: an item sent with its scanned `code` through the API is a scan: it is logged (in
    this item's transaction) as the bench logs its own scans.
    """
    item = parse_item(data, rma_reason(db, ret))
    sku, serial = item["sku"], item["serial"]
    scan = None
    if not sku:
        scan = classify(item["code"])
        product = find_product(db, scan)
        sku = product["sku"] if product else scan.text
        serial = serial or scan.serial
    policy = policy_module.load(db)
    if not is_removal(db, ret["order_no"]) and is_bulk(order_facts(db, ret["order_no"], policy), policy):
        # DESIGN.md "Abuse and caution": a large order is checked unit by unit, serials included
        if item["qty"] != 1:
            raise bad("qty", _("a bulk return is recorded one unit per scan: qty must be 1"))
        carries = one(db, "SELECT has_serial FROM products WHERE sku = ?", [sku])
        if carries and carries["has_serial"] and not serial:
            raise bad("serial", _("a bulk return checks every serial: scan or type the serial of this %(sku)s", sku=sku))
    with write(db, group=True):
        product, flags = item_facts(db, ret, sku, item["qty"], serial)
        if weight_mismatch(product, item["qty"], measured_g, weight_tolerance):
            flags.append("weight_mismatch")
        rec = recommendation_for(db, ret, product, item["grade"], flags, item["qty"], policy, reason=item["reason"])
        cursor = db.execute(
            "INSERT INTO return_items (return_id, sku, code, qty, grade, reason, serial, notes, flags, recommendation, "
            "added_by, added_at, measured_weight_g, policy) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [ret["return_id"], sku, item["code"], item["qty"], item["grade"], item["reason"], serial, item["notes"],
             json.dumps(flags), json.dumps(rec, ensure_ascii=False), user, now_iso(), measured_g, json.dumps(policy)],
        )
        item_id = cursor.lastrowid
        emit(db, "item.added", return_id=ret["return_id"], item_id=item_id, sku=sku, qty=item["qty"],
             grade=item["grade"], reason=item["reason"], flags=flags)
        if scan is not None and source:
            record_scan(db, item["code"], source, station, user, "product", True,
                        f"item {item_id} of return {ret['return_id']}")
    return {"item_id": item_id, "flags": flags, "recommendation": rec}


def items_of(db, return_id):
    """The return's items with product name, flags, recommendation and decision."""
    items = rows(
        db,
        "SELECT i.*, p.name, p.weight_g, d.disposition, d.target, d.override_reason, d.decided_at FROM return_items i "
        "LEFT JOIN products p ON p.sku = i.sku LEFT JOIN decisions d ON d.item_id = i.item_id "
        "WHERE i.return_id = ? ORDER BY i.item_id",
        [return_id],
    )
    for item in items:
        item["flags"] = json.loads(item["flags"])
        item["recommendation"] = json.loads(item["recommendation"])
        item["policy"] = json.loads(item["policy"]) if item["policy"] else None
        item["decision"] = (
            {"disposition": item["disposition"], "target": item["target"]} if item["disposition"] else None
        )
    return items


def item_row(db, item_id):
    """One inspected item with its product name, flags and recommendation, or None."""
    item = one(db, "SELECT i.*, p.name FROM return_items i LEFT JOIN products p ON p.sku = i.sku WHERE i.item_id = ?",
               [item_id])
    if item is not None:
        item["recommendation"] = json.loads(item["recommendation"])
        item["flags"] = json.loads(item["flags"])
    return item
