"""Find the order behind a scan and describe it at a glance (GET /api/lookup, the bench card)."""
from datetime import timedelta
from decimal import Decimal

from flask_babel import gettext as _

from station.intake import customers
from station import policy as policy_module
from station import money
from station.data import fx
from station.db import one, rows
from station.errors import ServiceError
from station.rules.classify import classify
from station.rules.window import within_window
from station.timeutil import iso, now, parse

ORDER_FIELDS = ("order_no", "placed_at", "shipped_at", "delivered_at", "channel", "currency", "status", "priority")
MAX_CANDIDATES = 20


def resolve(db, scan):
    """What the scan is in our data: (match, order_no, rma_no, product) or None.

    Tried in order, first match wins: carton, RMA, return/outbound tracking, order, product.
    """
    sscc_forms = [scan.sscc, "00" + scan.sscc, f"(00){scan.sscc}"] if scan.sscc else []
    for code in scan.texts + sscc_forms:
        row = one(db, "SELECT order_no FROM cartons WHERE carton_code = ?", [code])
        if row:
            return "carton", row["order_no"], latest_rma(db, row["order_no"]), None
    for code in scan.texts:
        row = one(db, "SELECT rma_no, order_no FROM rmas WHERE rma_no = ?", [code])
        if row:
            return "rma", row["order_no"], row["rma_no"], None
    for code in scan.texts:
        row = one(db, "SELECT rma_no, order_no FROM rmas WHERE return_tracking_no = ? ORDER BY created_at DESC", [code])
        if row:
            return "tracking", row["order_no"], row["rma_no"], None
        row = one(db, "SELECT order_no FROM cartons WHERE tracking_no = ?", [code])
        if row:
            return "tracking", row["order_no"], latest_rma(db, row["order_no"]), None
    for code in scan.texts:
        row = one(db, "SELECT order_no FROM orders WHERE order_no = ?", [code])
        if row:
            return "order", row["order_no"], latest_rma(db, row["order_no"]), None
    if scan.text.isdigit():  # a shop's order number printed without its '#' (Shopify's #1001 as 1001)
        row = one(db, "SELECT order_no FROM orders WHERE order_no = ?", ["#" + scan.text])
        if row:
            return "order", row["order_no"], latest_rma(db, row["order_no"]), None
    product = find_product(db, scan)
    if product:
        order_no = None
        if scan.serial:
            shipped = one(
                db,
                "SELECT s.order_no FROM order_serials s JOIN orders o ON o.order_no = s.order_no "
                "WHERE s.serial = ? AND s.sku = ? ORDER BY o.shipped_at DESC",
                [scan.serial, product["sku"]],
            )
            order_no = shipped["order_no"] if shipped else None
        return "product", order_no, latest_rma(db, order_no) if order_no else None, product
    return None


def find_product(db, scan):
    """A product by GTIN (any GS1 form) or by its SKU as printed on an internal label."""
    if scan.gtin14:
        product = one(db, "SELECT * FROM products WHERE gtin14 = ?", [scan.gtin14])
        if product:
            return product
    for code in scan.texts:
        product = one(db, "SELECT * FROM products WHERE sku = ?", [code])
        if product:
            return product
    return None


def latest_rma(db, order_no):
    row = one(db, "SELECT rma_no FROM rmas WHERE order_no = ? ORDER BY created_at DESC, rma_no DESC", [order_no])
    return row["rma_no"] if row else None


def get_order(db, order_no):
    return one(db, f"SELECT {', '.join(ORDER_FIELDS)}, customer_id FROM orders WHERE order_no = ?", [order_no])


def describe_rma(db, rma_no):
    if not rma_no:
        return None
    rma = one(db, "SELECT m.rma_no, m.order_no, m.created_at, m.reason, m.resolution, m.return_tracking_no, m.exchange_sku, "
                  "p.name AS exchange_name, m.label_cost, m.label_paid_by FROM rmas m "
                  "LEFT JOIN products p ON p.sku = m.exchange_sku WHERE m.rma_no = ?", [rma_no])
    rma["lines"] = rows(db, "SELECT sku, qty FROM rma_lines WHERE rma_no = ? ORDER BY sku", [rma_no])
    return rma


def expected_lines(db, order_no, rma_no):
    """The lines expected back: the RMA's, else the whole order's."""
    if rma_no and one(db, "SELECT 1 FROM rma_lines WHERE rma_no = ?", [rma_no]):
        return rows(
            db,
            "SELECT rl.sku, p.name, rl.qty, "
            " (SELECT unit_price FROM order_lines ol WHERE ol.order_no = ? AND ol.sku = rl.sku ORDER BY line_no) AS unit_price "
            "FROM rma_lines rl LEFT JOIN products p ON p.sku = rl.sku WHERE rl.rma_no = ? ORDER BY rl.sku",
            [order_no, rma_no],
        )
    return rows(
        db,
        "SELECT ol.sku, p.name, ol.qty, ol.unit_price FROM order_lines ol "
        "LEFT JOIN products p ON p.sku = ol.sku WHERE ol.order_no = ? ORDER BY ol.line_no",
        [order_no],
    )


def first_scan_time(db, order_no):
    """When this parcel was first scanned: its open return's opening, else now."""
    row = one(db, "SELECT opened_at FROM returns WHERE order_no = ? AND status = 'open'", [order_no])
    return parse(row["opened_at"]) if row else now()


def order_facts(db, order_no, policy):
    """What the refund and the flags weigh of an order: its row, value, units, rate to the base."""
    order = one(db, "SELECT * FROM orders WHERE order_no = ?", [order_no])
    lines = rows(db, "SELECT sku, qty, unit_price FROM order_lines WHERE order_no = ? ORDER BY line_no", [order_no])
    value = sum((Decimal(str(line["unit_price"])) * line["qty"] for line in lines), Decimal("0"))
    rate = fx.rate(db, order["currency"], policy["base_currency"])
    return {"order": order, "lines": lines, "value": value, "units": sum(line["qty"] for line in lines),
            "rate": rate, "value_base": fx.to_base(value, rate)}


def is_bulk(facts, policy):
    """A large order (DESIGN.md "Abuse and caution"): at least `bulk_units` units, or a value of at
    least `bulk_value` in the base currency (where the rate is known)."""
    if facts["units"] >= int(policy["bulk_units"]):
        return True
    return facts["value_base"] is not None and facts["value_base"] >= policy_module.dec(policy, "bulk_value")


def describe_order(db, order_no, rma_no, policy, at=None):
    """Everything the bench card and the lookup answer show about one order."""
    order = get_order(db, order_no)
    customer = customers.describe(db, order["customer_id"], policy)
    if order["status"] == "removal":
        # a marketplace's removal shipment: no customer, no window, no cautions to weigh
        return {"order": {key: order[key] for key in ORDER_FIELDS}, "customer": customer | {"flags": []},
                "expected": expected_lines(db, order_no, rma_no), "rma": describe_rma(db, rma_no),
                "within_window": True, "flags": ["removal_shipment"]}
    at = at or first_scan_time(db, order_no)
    inside = within_window(order, at, policy)
    flags = []
    if not inside:
        flags.append("out_of_window")
    facts = order_facts(db, order_no, policy)
    # thresholds are in the base currency: 8,400 JPY and 150 USD compared as money, not as numbers;
    # without a rate nothing is silently "not high value"
    if facts["value_base"] is None:
        flags.append("fx_missing")
    elif facts["value_base"] >= policy_module.dec(policy, "high_value_threshold"):
        flags.append("high_value")
    flags.extend(customer["flags"])
    if is_bulk(facts, policy):
        flags.append("bulk_return")
    value = facts["value"]
    return {
        "order": {key: order[key] for key in ORDER_FIELDS} | {"value": money.text(value, order["currency"])},
        "customer": customer,
        "expected": expected_lines(db, order_no, rma_no),
        "rma": describe_rma(db, rma_no),
        "within_window": inside,
        "flags": flags,
    }


def product_candidates(db, sku, policy):
    """Delivered orders with this product from the last 90 days, newest first."""
    since = iso(now() - timedelta(days=int(policy["candidate_days"])))
    return rows(
        db,
        "SELECT o.order_no, o.delivered_at, o.placed_at, o.channel, c.name AS customer_name, c.country "
        "FROM order_lines ol JOIN orders o ON o.order_no = ol.order_no "
        "JOIN customers c ON c.customer_id = o.customer_id "
        "WHERE ol.sku = ? AND o.status = 'delivered' AND o.delivered_at >= ? "
        "GROUP BY o.order_no ORDER BY o.delivered_at DESC, o.order_no DESC LIMIT ?",
        [sku, since, MAX_CANDIDATES],
    )


def lookup(db, code, policy=None):
    """The lookup answer for a scanned or typed code (contract: GET /api/lookup)."""
    scan = classify(code)
    found = resolve(db, scan)
    if found is None:
        raise ServiceError("not_found", _("No carton, RMA, tracking number, order or product matches %(code)s",
                                          code=repr(scan.text)), 404)
    policy = policy or policy_module.load(db)
    match, order_no, rma_no, product = found
    answer = {"match": match, "code": scan.text}
    if product:
        answer["product"] = {k: product[k] for k in ("sku", "name", "gtin", "price", "has_serial")}
        answer["serial"] = scan.serial
    if order_no:
        answer.update(describe_order(db, order_no, rma_no, policy))
    else:
        answer.update(order=None, customer=None, expected=[], rma=None, within_window=None, flags=[])
        if scan.serial:
            answer["flags"].append("serial_unknown")
        answer["candidates"] = product_candidates(db, product["sku"], policy)
    return answer
