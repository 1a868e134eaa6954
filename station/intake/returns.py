"""A return at the bench: opened from a scan, put aside, closed with a refund.

Its items are recorded and listed by station/intake/items.py, decided by decisions.py; the
one scan pipeline (pipeline.py) opens returns through `open_found`.
"""
import json
from decimal import Decimal, InvalidOperation

from station import policy as policy_module
from station.db import one, rows, write
from station.errors import ServiceError, bad, conflict, not_found
from station.events import emit
from station.inputs import db_id
from station.intake import items as items_module
from station.intake.items import items_of
from station.intake.lookup import resolve
from station.intake.scan_log import record_scan
from station.rules.classify import classify
from station.rules.inspection import WEIGHT_TOLERANCE
from station.rules.refund import return_refund
from station.rules.window import within_window
from station.timeutil import now_iso, parse

NOT_RETURNABLE = ("cancelled", "awaiting_stock", "ready_to_ship")


def get_return_row(db, return_id):
    return_id = db_id(return_id, "return")
    row = one(db, "SELECT * FROM returns WHERE return_id = ?", [return_id])
    if row is None:
        raise not_found("return", return_id)
    return row


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


def open_return(db, code, station=None, user=None, order_no=None, source=None):
    """Open (or answer the already open) return for the parcel a code identifies.

    `source` ("api"): the code is a scan and goes to the scan log, in the same transaction as
    the return it opens, or on its own when it is refused. The bench's scans come through
    pipeline.process_scan instead (one classification, one resolution).
    """
    if not isinstance(code, str):
        raise bad("code", "must be a string")
    station = station_of(station)
    try:
        scan = classify(code)
        found = resolve(db, scan)
        if found is None:
            raise ServiceError("not_found", f"No carton, RMA, tracking number, order or product matches {scan.text!r}", 404)
        with write(db):
            ret, created = open_found(db, scan, found, station, user, order_no)
            if source:
                record_scan(db, code, source, station, user, found[0], True,
                            f"{'Opened' if created else 'Back to'} return {ret['return_id']}")
    except ServiceError as exc:
        if source:
            record_scan(db, code, source, station, user, "error", False, exc.message)
        raise
    return ret, created


def open_found(db, scan, found, station=None, user=None, order_no=None):
    """Open the return of a classified and resolved scan (found: lookup.resolve's answer), or answer
    the one already open for that order; (return, created)."""
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


def put_aside(db, return_id, user=None):
    """Take a parcel off the screen when another comes: closed (its refund computed) when every
    recorded item is decided, else left open with what was recorded. None when it is not open.

    Answers {"return_id", "closed": close_return's answer} or {"return_id", "set_aside": True}.
    """
    ret = one(db, "SELECT status FROM returns WHERE return_id = ?", [return_id])
    if ret is None or ret["status"] != "open":
        return None
    counts = one(db, "SELECT count(*) AS n, count(d.item_id) AS decided FROM return_items i "
                     "LEFT JOIN decisions d ON d.item_id = i.item_id WHERE i.return_id = ?", [return_id])
    if counts["n"] and counts["n"] == counts["decided"]:
        return {"return_id": return_id, "closed": close_return(db, return_id, user=user)}
    return {"return_id": return_id, "set_aside": True}


def _require_open(ret):
    if ret["status"] != "open":
        raise conflict("return_closed", f"Return {ret['return_id']} is closed")


def add_item(db, return_id, data, user=None, measured_g=None, weight_tolerance=WEIGHT_TOLERANCE, source=None,
             station=None):
    """Record one inspected item of an open return (station/intake/items.py): its flags and the
    recommended disposition."""
    ret = get_return_row(db, return_id)
    _require_open(ret)
    return items_module.add_item(db, ret, data, user=user, measured_g=measured_g, weight_tolerance=weight_tolerance,
                                 source=source, station=station)


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


def open_at(db, station, exclude=None, limit=8):
    """Parcels put aside at this station (still open), newest first."""
    return rows(
        db,
        "SELECT r.return_id, r.order_no, r.opened_at, c.name AS customer_name, "
        " (SELECT count(*) FROM return_items i WHERE i.return_id = r.return_id) AS n_items "
        "FROM returns r LEFT JOIN orders o ON o.order_no = r.order_no "
        "LEFT JOIN customers c ON c.customer_id = o.customer_id "
        "WHERE r.status = 'open' AND r.station = ? AND r.return_id IS NOT ? "
        "ORDER BY r.opened_at DESC LIMIT ?",
        [station, exclude, limit],
    )


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

