"""A return at the bench: open it from a scan, add the items inspected, close it with a refund."""
import json
from decimal import Decimal, InvalidOperation

from station import policy as policy_module
from station.downstream.crossdock import best_waiting_line
from station.db import one, rows, write
from station.errors import ServiceError, bad, conflict, db_id, not_found
from station.events import emit
from station.intake.lookup import find_product, resolve, within_window
from station.rules.recommend import recommend
from station.rules.refund import return_refund
from station.rules.classify import classify
from station.timeutil import now_iso, parse

MAX_QTY = 10_000
MAX_TEXT = 2_000
NOT_RETURNABLE = ("cancelled", "awaiting_stock", "ready_to_ship")


def get_return_row(db, return_id):
    return_id = db_id(return_id, "return")
    row = one(db, "SELECT * FROM returns WHERE return_id = ?", [return_id])
    if row is None:
        raise not_found("return", return_id)
    return row


def _text(data, key, required=False, limit=MAX_TEXT):
    value = data.get(key)
    if value is None or value == "":
        if required:
            raise bad(key, "is required")
        return None
    if not isinstance(value, str):
        raise bad(key, "must be a string")
    value = value.strip()
    if len(value) > limit:
        raise bad(key, f"is longer than {limit} characters")
    return value or None


MAX_STATION = 64


def station_of(value):
    """The bench's name as sent (None when not given); another type, or a long one, is a 400."""
    if value is None:
        return None
    if not isinstance(value, str):
        raise bad("station", "must be a string")
    value = value.strip()
    if len(value) > MAX_STATION:
        raise bad("station", f"is longer than {MAX_STATION} characters")
    if any(ord(c) < 32 or ord(c) == 127 for c in value):
        raise bad("station", "contains control characters")
    return value or None


def open_return(db, code, station=None, user=None, order_no=None):
    """Open (or answer the already open) return for the parcel a code identifies."""
    if not isinstance(code, str):
        raise bad("code", "must be a string")
    station = station_of(station)
    scan = classify(code)
    found = resolve(db, scan)
    if found is None:
        raise ServiceError("not_found", f"No carton, RMA, tracking number, order or product matches {scan.text!r}", 404)
    match, found_order, rma_no, _product = found
    if order_no is not None:  # a product-only scan where the operator chose the order
        if not isinstance(order_no, str) or not one(db, "SELECT 1 FROM orders WHERE order_no = ?", [order_no]):
            raise bad("order_no", "no such order")
        if found_order and found_order != order_no:
            raise conflict("order_mismatch", f"{scan.text} belongs to order {found_order}")
        found_order = order_no
    if found_order is None:
        raise conflict("needs_order", "A product code alone does not say which order: choose the order")
    order = one(db, "SELECT order_no, status FROM orders WHERE order_no = ?", [found_order])
    if order["status"] in NOT_RETURNABLE:
        raise conflict("not_returnable", f"Order {found_order} is {order['status']}: it cannot be returned")
    with write(db):
        existing = one(db, "SELECT return_id, order_no, status FROM returns WHERE order_no = ? AND status = 'open'", [found_order])
        if existing:
            return existing, False
        cursor = db.execute(
            "INSERT INTO returns (order_no, rma_no, code, match, station, opened_by, opened_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
            [found_order, rma_no, scan.text, match, station, user, now_iso()],
        )
        return_id = cursor.lastrowid
        emit(db, "return.opened", return_id=return_id, order_no=found_order, rma_no=rma_no, code=scan.text,
             match=match, station=station)
    return {"return_id": return_id, "order_no": found_order, "status": "open"}, True


def _require_open(ret):
    if ret["status"] != "open":
        raise conflict("return_closed", f"Return {ret['return_id']} is closed")


def _parse_item(data):
    if not isinstance(data, dict):
        raise bad("body", "must be a JSON object")
    qty = data.get("qty", 1)
    if isinstance(qty, bool) or not isinstance(qty, int) or not 1 <= qty <= MAX_QTY:
        raise bad("qty", f"must be a whole number from 1 to {MAX_QTY}")
    grade = data.get("grade")
    if grade not in policy_module.GRADES:
        raise bad("grade", "must be one of A, B, C, D, X")
    reason = data.get("reason")
    if reason not in policy_module.REASONS:
        raise bad("reason", "must be a reason code: " + ", ".join(policy_module.REASONS))
    sku, code = _text(data, "sku", limit=128), _text(data, "code", limit=128)
    if not sku and not code:
        raise bad("sku", "give the sku or the scanned code")
    notes = _text(data, "notes")
    if reason == "other" and not notes:
        raise bad("notes", "the reason 'other' needs a note")
    return {"qty": qty, "grade": grade, "reason": reason, "sku": sku, "code": code,
            "serial": _text(data, "serial", limit=128), "notes": notes}


def item_facts(db, ret, sku, qty, serial, exclude_item=None):
    """Flags for an item against its order: mismatch, serial, quantity."""
    flags = []
    product = one(db, "SELECT * FROM products WHERE sku = ?", [sku])
    lines = rows(db, "SELECT line_no, qty, serials FROM order_lines WHERE order_no = ? AND sku = ?", [ret["order_no"], sku])
    if product is None:
        flags.append("unknown_product")
    elif not lines:
        flags.append("item_mismatch")
    if product and lines:
        shipped = sum(line["qty"] for line in lines)
        already = one(
            db,
            "SELECT coalesce(sum(i.qty), 0) AS n FROM return_items i JOIN returns r ON r.return_id = i.return_id "
            "WHERE r.order_no = ? AND i.sku = ? AND i.item_id IS NOT ? "
            "AND i.flags NOT LIKE '%item_mismatch%' AND i.flags NOT LIKE '%unknown_product%'",
            [ret["order_no"], sku, exclude_item],
        )["n"]
        if already + qty > shipped:
            flags.append("qty_exceeds_order")
    shipped_serials = {s.strip() for line in lines for s in (line["serials"] or "").split(";") if s.strip()}
    # a serial is checked on a product that carries one (the catalogue says so, or the order recorded
    # serials for it); on one that does not (a maker's serial in its GS1 code) it is kept, not a mismatch
    carries_serial = product is not None and (product["has_serial"] or shipped_serials)
    if carries_serial and serial:
        if serial not in shipped_serials:
            flags.append("serial_mismatch")
    elif product is not None and product["has_serial"] and not serial:
        flags.append("serial_missing")
    return product, flags


WEIGHT_TOLERANCE = (10, 20)  # percent of the expected weight, or grams, whichever is more


def weight_mismatch(product, qty, measured_g, tolerance=WEIGHT_TOLERANCE):
    """True when the scale and the catalogue disagree beyond the tolerance: an empty box, a
    swapped item. None when there is nothing to compare (no scale reading, no catalogue weight).

    Shown on the item and kept in its flags, but not a mismatch flag (policy.MISMATCH_FLAGS): a
    bench scale also weighs manuals, cables and a hand on the plate, so a weight alone does not
    hold the refund or quarantine the item; the operator opens the box and grades X if it is
    empty, which does.
    """
    if measured_g is None or not product or not product.get("weight_g"):
        return None
    expected = product["weight_g"] * qty
    pct, grams = tolerance
    return abs(measured_g - expected) > max(grams, expected * pct / 100)


def _rtv_eligible(db, product, order_no):
    supplier = one(db, "SELECT accepts_rtv, rtv_window_days FROM suppliers WHERE supplier_id = ?", [product["supplier_id"]])
    if not supplier or not supplier["accepts_rtv"]:
        return False
    if supplier["rtv_window_days"] is None:
        return True
    shipped = one(db, "SELECT shipped_at FROM orders WHERE order_no = ?", [order_no])["shipped_at"]
    if not shipped:
        return True
    from datetime import timedelta

    from station.timeutil import now

    # to the second, like the return window: 90 days and 12 hours is outside a 90-day window
    return now() - parse(shipped) <= timedelta(days=supplier["rtv_window_days"])


def recommendation_for(db, ret, product, grade, flags, qty, policy):
    if product is None:
        return recommend(grade, flags, None, qty, policy)
    waiting = best_waiting_line(db, product["sku"], qty) if grade == "A" else None
    return recommend(
        grade, flags, product, qty, policy,
        waiting_line=waiting,
        rtv_eligible=_rtv_eligible(db, product, ret["order_no"]),
        bin_=product["bin"] or _any_bin(db, product["sku"]),
        supplier_id=product["supplier_id"],
        never_restock="never_restock" in policy_module.sku_rules(db, product["sku"]),
    )


def _any_bin(db, sku):
    row = one(db, "SELECT bin FROM stock WHERE sku = ? ORDER BY qty DESC, bin LIMIT 1", [sku])
    return row["bin"] if row else None


def add_item(db, return_id, data, user=None, measured_g=None, weight_tolerance=WEIGHT_TOLERANCE):
    """Record one inspected item with its flags and the recommended disposition.

    `measured_g`: what the bench scale read for it, checked against the catalogue weight.
    """
    ret = get_return_row(db, return_id)
    _require_open(ret)
    item = _parse_item(data)
    sku, serial = item["sku"], item["serial"]
    if not sku:
        scan = classify(item["code"])
        product = find_product(db, scan)
        sku = product["sku"] if product else scan.text
        serial = serial or scan.serial
    policy = policy_module.load(db)
    with write(db):
        product, flags = item_facts(db, ret, sku, item["qty"], serial)
        if weight_mismatch(product, item["qty"], measured_g, weight_tolerance):
            flags.append("weight_mismatch")
        rec = recommendation_for(db, ret, product, item["grade"], flags, item["qty"], policy)
        cursor = db.execute(
            "INSERT INTO return_items (return_id, sku, code, qty, grade, reason, serial, notes, flags, recommendation, "
            "added_by, added_at, measured_weight_g, policy) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [ret["return_id"], sku, item["code"], item["qty"], item["grade"], item["reason"], serial, item["notes"],
             json.dumps(flags), json.dumps(rec, ensure_ascii=False), user, now_iso(), measured_g, json.dumps(policy)],
        )
        item_id = cursor.lastrowid
        emit(db, "item.added", return_id=ret["return_id"], item_id=item_id, sku=sku, qty=item["qty"],
             grade=item["grade"], reason=item["reason"], flags=flags)
    return {"item_id": item_id, "flags": flags, "recommendation": rec}


def items_of(db, return_id):
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


def compute_refund(db, ret, items, return_shipping=None, policy=None):
    """What closing would pay now (not stored); each item by the policy it was inspected under."""
    policy = policy or policy_module.load(db)
    order = one(db, "SELECT * FROM orders WHERE order_no = ?", [ret["order_no"]])
    prices = {}
    for line in rows(db, "SELECT sku, unit_price FROM order_lines WHERE order_no = ? ORDER BY line_no DESC", [ret["order_no"]]):
        prices[line["sku"]] = line["unit_price"]
    opened = parse(ret["opened_at"])

    def inside(item_policy):  # the window runs to the first scan; its length is the item's policy
        return within_window(order, opened, item_policy)

    rma = one(db, "SELECT resolution FROM rmas WHERE rma_no = ?", [ret["rma_no"]]) if ret["rma_no"] else None
    result = return_refund(items, prices, inside, policy, (rma or {}).get("resolution") or "refund", return_shipping)
    result["currency"] = order["currency"]
    return result


def _parse_shipping(data):
    value = (data or {}).get("return_shipping")
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise bad("return_shipping", "must be a decimal amount")
    try:
        amount = Decimal(str(value))
    except InvalidOperation:
        raise bad("return_shipping", "must be a decimal amount") from None
    if not amount.is_finite() or amount < 0 or amount > Decimal("100000"):
        raise bad("return_shipping", "must be an amount from 0 to 100000")
    return amount


def close_return(db, return_id, data=None, user=None):
    """Close a return and compute its refund once; closing again answers the same refund."""
    if data is not None and not isinstance(data, dict):
        raise bad("body", "must be a JSON object")
    shipping = _parse_shipping(data)
    with write(db):
        ret = get_return_row(db, return_id)
        if ret["status"] == "closed":
            return {"return_id": ret["return_id"], "status": "closed", "refund": refund_of(db, ret["return_id"])}
        items = items_of(db, ret["return_id"])
        if not items:
            raise conflict("no_items", "Nothing was inspected: record the box's content (grade X for an empty box)")
        undecided = [i["item_id"] for i in items if i["decision"] is None]
        if undecided:
            raise conflict("undecided_items", f"Items {undecided} have no decision yet")
        refund = compute_refund(db, ret, items, shipping)
        at = now_iso()
        db.execute("UPDATE returns SET status = 'closed', closed_at = ?, return_shipping = ? WHERE return_id = ?",
                   [at, float(shipping) if shipping is not None else None, ret["return_id"]])
        cursor = db.execute(
            "INSERT INTO refunds (return_id, amount, currency, status, hold_reasons, computed_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
            [ret["return_id"], refund["amount"], refund["currency"], refund["status"],
             json.dumps([line for line in refund["lines"] if line["held"]], ensure_ascii=False), at, at],
        )
        refund_id = cursor.lastrowid
        emit(db, "refund.computed", refund_id=refund_id, return_id=ret["return_id"], amount=refund["amount"],
             currency=refund["currency"], status=refund["status"])
        if refund["status"] == "exchange":
            for item in items:
                emit(db, "exchange.requested", order_no=ret["order_no"], sku=item["sku"], qty=item["qty"],
                     return_id=ret["return_id"], item_id=item["item_id"])
        emit(db, "return.closed", return_id=ret["return_id"], order_no=ret["order_no"])
        if refund["status"] == "held":
            _settle_by_earlier_reviews(db, ret["return_id"])
    return {"return_id": ret["return_id"], "status": "closed", "refund": refund_of(db, ret["return_id"])}


def _settle_by_earlier_reviews(db, return_id):
    """A quarantined item a supervisor reviewed before the parcel closed settles the new refund
    as the review would have: fraud or return to the customer rejects it; restock or scrap
    releases it once every item it holds is reviewed (a hold for another cause still waits)."""
    from station.downstream.quarantine import REJECTS_REFUND, settle_refund

    reviews = rows(db, "SELECT q.outcome, q.note, q.reviewed_by FROM quarantine_reviews q "
                       "JOIN return_items i ON i.item_id = q.item_id WHERE i.return_id = ? ORDER BY q.reviewed_at",
                   [return_id])
    if not reviews:
        return
    rejecting = [r for r in reviews if r["outcome"] in REJECTS_REFUND]
    review = rejecting[0] if rejecting else reviews[-1]
    settle_refund(db, return_id, review["outcome"], review["note"], review["reviewed_by"])


def refund_of(db, return_id):
    row = one(db, "SELECT refund_id, amount, currency, status, payment_ref FROM refunds WHERE return_id = ?", [return_id])
    return row


def get_return(db, return_id):
    """The contract's view of a return."""
    ret = get_return_row(db, return_id)
    items = [
        {k: item[k] for k in ("item_id", "sku", "qty", "grade", "reason", "serial", "flags", "decision")}
        for item in items_of(db, ret["return_id"])
    ]
    return {"return_id": ret["return_id"], "order_no": ret["order_no"], "status": ret["status"],
            "rma_no": ret["rma_no"], "station": ret["station"], "opened_at": ret["opened_at"],
            "closed_at": ret["closed_at"], "items": items, "refund": refund_of(db, ret["return_id"])}

