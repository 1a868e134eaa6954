"""Find the order behind a scan and describe it at a glance (GET /api/lookup, the bench card)."""
import json
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


# What a scan is, in one statement: each kind of match is a branch giving (stage, position of the
# code tried, order within that code), and the first by that order wins, as a loop over the stages
# and codes would find it: carton (the code's forms, then the SSCC's), RMA, return tracking (the
# RMA's, newest first, then the first outbound carton stored), order, '#' + a shop's number,
# product by GTIN (the first stored), product by SKU. The latest RMA of the order is read for the
# winner only; a serialised product finds the order its serial shipped on.
RESOLVE = """
WITH forms(pos, code) AS (SELECT key, value FROM json_each(:forms)),
     texts(pos, code) AS (SELECT key, value FROM json_each(:texts)),
     found(stage, pos, sub, match, order_no, rma_no, sku) AS (
  SELECT 1, f.pos, 0, 'carton', c.order_no, NULL, NULL FROM forms f JOIN cartons c ON c.carton_code = f.code
  UNION ALL
  SELECT 2, t.pos, 0, 'rma', m.order_no, m.rma_no, NULL FROM texts t JOIN rmas m ON m.rma_no = t.code
  UNION ALL
  SELECT 3, t.pos, 0, 'tracking', m.order_no, m.rma_no, NULL FROM texts t JOIN rmas m ON m.rma_no =
    (SELECT rma_no FROM rmas WHERE return_tracking_no = t.code ORDER BY created_at DESC)
  UNION ALL
  SELECT 3, t.pos, 1 + c.rowid, 'tracking', c.order_no, NULL, NULL FROM texts t JOIN cartons c ON c.tracking_no = t.code
  UNION ALL
  SELECT 4, t.pos, 0, 'order', o.order_no, NULL, NULL FROM texts t JOIN orders o ON o.order_no = t.code
  UNION ALL
  SELECT 5, 0, 0, 'order', order_no, NULL, NULL FROM orders WHERE order_no = :shop_order
  UNION ALL
  SELECT 6, 0, p.rowid, 'product', NULL, NULL, p.sku FROM products p WHERE p.gtin14 = :gtin14
  UNION ALL
  SELECT 7, t.pos, 0, 'product', NULL, NULL, p.sku FROM texts t JOIN products p ON p.sku = t.code),
  winner AS (SELECT * FROM found ORDER BY stage, pos, sub LIMIT 1),
  placed AS (SELECT match, sku, rma_no, coalesce(order_no, CASE WHEN :serial IS NOT NULL THEN (
      SELECT s.order_no FROM order_serials s JOIN orders o ON o.order_no = s.order_no
      WHERE s.serial = :serial AND s.sku = winner.sku ORDER BY o.shipped_at DESC) END) AS order_no FROM winner)
SELECT placed.match, placed.order_no,
       coalesce(placed.rma_no, (SELECT rma_no FROM rmas WHERE order_no = placed.order_no
                                ORDER BY created_at DESC, rma_no DESC)) AS rma_no,
       p.*
FROM placed LEFT JOIN products p ON p.sku = placed.sku
"""

# RESOLVE's first stage alone, with the latest RMA of the carton's order
CARTON = ("SELECT c.carton_code, c.order_no, (SELECT rma_no FROM rmas WHERE order_no = c.order_no "
          "ORDER BY created_at DESC, rma_no DESC) FROM cartons c WHERE c.carton_code IN ({marks})")


def resolve(db, scan):
    """What the scan is in our data: (match, order_no, rma_no, product) or None.

    Tried in order, first match wins: carton, RMA, return/outbound tracking, order, product.
    One statement (RESOLVE), however many forms of the code it tries.
    """
    sscc_forms = [scan.sscc, "00" + scan.sscc, f"(00){scan.sscc}"] if scan.sscc else []
    forms = scan.texts + sscc_forms
    # most scans at the bench are cartons, the first stage: asked alone, in a statement a fifth
    # of RESOLVE's cost; a carton found here is RESOLVE's winner too (its first form that matches)
    found = db.conn.execute(CARTON.format(marks=", ".join("?" * len(forms))), forms).fetchall()
    if found:
        code, order_no, rma_no = min(found, key=lambda row: forms.index(row[0]))
        return "carton", order_no, rma_no, None
    cursor = db.conn.execute(RESOLVE, {
        "forms": json.dumps(forms), "texts": json.dumps(scan.texts),
        # a shop's order number printed without its '#' (Shopify's #1001 as 1001)
        "shop_order": "#" + scan.text if scan.text.isdigit() else None,
        "gtin14": scan.gtin14, "serial": scan.serial or None,
    })
    row = cursor.fetchone()
    if row is None:
        return None
    match, order_no, rma_no = row[:3]
    product = dict(zip([c[0] for c in cursor.description[3:]], row[3:])) if match == "product" else None
    return match, order_no, rma_no, product


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


def _rma_and_lines(db, rma_no):
    """(the RMA as the card shows it, its lines with product names), in one read; (None, []) without one."""
    if not rma_no:
        return None, []
    found = rows(db, "SELECT m.rma_no, m.order_no, m.created_at, m.reason, m.resolution, m.return_tracking_no, "
                     "m.exchange_sku, p.name AS exchange_name, m.label_cost, m.label_paid_by, "
                     "l.sku AS line_sku, lp.name AS line_name, l.qty AS line_qty FROM rmas m "
                     "LEFT JOIN products p ON p.sku = m.exchange_sku LEFT JOIN rma_lines l ON l.rma_no = m.rma_no "
                     "LEFT JOIN products lp ON lp.sku = l.sku WHERE m.rma_no = ? ORDER BY l.sku", [rma_no])
    if not found:
        return None, []
    lines = [{"sku": r["line_sku"], "name": r["line_name"], "qty": r["line_qty"]} for r in found
             if r["line_sku"] is not None]
    rma = {k: v for k, v in found[0].items() if not k.startswith("line_")}
    rma["lines"] = [{"sku": line["sku"], "qty": line["qty"]} for line in lines]
    return rma, lines


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


def order_facts(db, order_no, policy, order=None, lines=None, rate=...):
    """What the refund and the flags weigh of an order: its row, value, units, rate to the base.

    order, lines, rate: its row, its lines (by line_no) and fx.rate's answer when the caller
    read them already."""
    if order is None:
        order = one(db, "SELECT * FROM orders WHERE order_no = ?", [order_no])
    if lines is None:
        lines = rows(db, "SELECT sku, qty, unit_price FROM order_lines WHERE order_no = ? ORDER BY line_no", [order_no])
    value = sum((Decimal(str(line["unit_price"])) * line["qty"] for line in lines), Decimal("0"))
    if rate is ...:
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
    return order_card(db, order_no, rma_no, policy, at)[0]


# the order's row with its open return's opening (when the parcel was first scanned) and its rate
ORDER_ROW = ("SELECT o.*, (SELECT opened_at FROM returns WHERE order_no = o.order_no AND status = 'open') AS open_since, "
             "(SELECT rate FROM fx_rates WHERE currency = upper(o.currency)) AS stored_rate "
             "FROM orders o WHERE o.order_no = ?")


def order_card(db, order_no, rma_no, policy, at=None):
    """(describe_order's answer, the order's facts: order_facts' answer, None for a removal).

    Each row is read once: the order (with its open return's opening and its rate), the customer
    with its counts, the RMA with its lines, the order's lines (the expected ones when the RMA
    lists none, and the facts' value and units).
    """
    order = one(db, ORDER_ROW, [order_no])
    open_since, stored_rate = order.pop("open_since"), order.pop("stored_rate")
    customer = customers.describe(db, order["customer_id"], policy)
    rma, rma_lines = _rma_and_lines(db, rma_no)
    order_lines = rows(db, "SELECT ol.sku, p.name, ol.qty, ol.unit_price FROM order_lines ol "
                           "LEFT JOIN products p ON p.sku = ol.sku WHERE ol.order_no = ? ORDER BY ol.line_no", [order_no])
    expected = _expected(rma_lines, order_lines)
    if order["status"] == "removal":
        # a marketplace's removal shipment: no customer, no window, no cautions to weigh
        return {"order": {key: order[key] for key in ORDER_FIELDS}, "customer": customer | {"flags": []},
                "expected": expected, "rma": rma, "within_window": True, "flags": ["removal_shipment"]}, None
    at = at or (parse(open_since) if open_since else now())  # first scanned: its open return's opening, else now
    inside = within_window(order, at, policy)
    flags = []
    if not inside:
        flags.append("out_of_window")
    facts = order_facts(db, order_no, policy, order=order, lines=order_lines,
                        rate=fx.known_rate(order["currency"], policy["base_currency"], stored_rate))
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
        "expected": expected,
        "rma": rma,
        "within_window": inside,
        "flags": flags,
    }, facts


def _expected(rma_lines, order_lines):
    """expected_lines' answer from rows read already: the RMA's lines, each at the price of the
    order's first line of its SKU, else the order's lines."""
    if rma_lines:
        price = {}
        for line in order_lines:
            price.setdefault(line["sku"], line["unit_price"])
        return [dict(line, unit_price=price.get(line["sku"])) for line in rma_lines]
    return [dict(line) for line in order_lines]  # copies: the bench adds its progress to them


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
