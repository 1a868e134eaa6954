"""Closing a return: its refund computed from the items once, a line per item, and stored.

Also `put_aside`: the parcel on screen when another one comes is closed when every recorded
item is decided, else left open with what was recorded.
"""
from decimal import Decimal

from flask_babel import gettext as _

from station import policy as policy_module
from station.data import fx
from station.db import one, rows, write
from station.downstream import refunds
from station.errors import bad, conflict
from station.events import emit
from station.intake.customers import flags as customer_flag_list
from station.intake.items import items_of
from station.intake.lookup import is_bulk, order_facts
from station.intake.removals import is_removal, tally
from station.intake.returns import get_return_row
from station.languages import N_
from station.money import parse as parse_money
from station.money import text as money_text
from station.rules.refund import refund_lines
from station.rules.window import within_window
from station.timeutil import now_iso, parse

# Why a customer's caution holds a refund line: kept in English in the refund line's `why` (the
# record, the API); a screen says it in its language by these (station/web/bench/wording.py).
HOLD_EARLIER_FRAUD = N_("earlier fraud confirmed for this customer")
HOLD_FREQUENT_NO_RATE = N_("frequent returner, and no exchange rate for %(currency)s to compare with %(limit)s %(base)s")
HOLD_FREQUENT = N_("frequent returner: a line above %(limit)s %(base)s (%(amount)s %(currency)s) waits")
HOLD_BULK = N_("bulk return (an order of %(units)s units, %(amount)s %(currency)s): a supervisor checks it")
SENTENCES = (HOLD_EARLIER_FRAUD, HOLD_FREQUENT_NO_RATE, HOLD_FREQUENT, HOLD_BULK)


def customer_holds(db, facts, policy, flagged=None):
    """The customer's cautions that hold refund lines, each saying which rule held it.

    flagged: the customer's flags (customers.flags) when the caller has them already."""
    order = facts["order"]
    if flagged is None:
        customer = one(db, "SELECT customer_id, fraud FROM customers WHERE customer_id = ?", [order["customer_id"]])
        flagged = customer_flag_list(db, customer, policy)
    holds = []
    if "earlier_fraud" in flagged:
        holds.append({"kind": "earlier_fraud", "why": HOLD_EARLIER_FRAUD, "above": None})
    if "frequent_returner" in flagged:
        limit = policy_module.dec(policy, "frequent_hold_above")
        above = fx.from_base(limit, facts["rate"])
        base = policy["base_currency"]
        if above is None:
            holds.append({"kind": "frequent_returner", "above": Decimal("0"),
                          "why": HOLD_FREQUENT_NO_RATE % {"currency": order["currency"], "limit": limit, "base": base}})
        else:
            holds.append({"kind": "frequent_returner", "above": above,
                          "why": HOLD_FREQUENT % {"limit": limit, "base": base, "currency": order["currency"],
                                                  "amount": money_text(above, order["currency"])}})
    if is_bulk(facts, policy):
        holds.append({"kind": "bulk_return", "above": None,
                      "why": HOLD_BULK % {"units": facts["units"], "currency": order["currency"],
                                          "amount": money_text(facts["value"], order["currency"])}})
    return holds


def compute_refund(db, ret, items, return_shipping=None, policy=None, card=None):
    """What closing would pay now (not stored); each item by the policy it was inspected under.

    card: (lookup.order_card's answer, its facts) when the caller built them in this request (the
    bench's preview), so the order, its RMA and the customer's flags are not read again."""
    policy = policy or policy_module.load(db)
    shown, facts = card if card else (None, order_facts(db, ret["order_no"], policy))
    order = facts["order"]
    prices = {}
    for line in reversed(facts["lines"]):  # the first line of a SKU names its price
        prices[line["sku"]] = line["unit_price"]
    opened = parse(ret["opened_at"])

    def inside(item_policy):  # the window runs to the first scan; its length is the item's policy
        return within_window(order, opened, item_policy)

    if shown:
        rma = shown["rma"]
    else:
        rma = one(db, "SELECT resolution, label_cost, label_paid_by FROM rmas WHERE rma_no = ?", [ret["rma_no"]]) \
            if ret["rma_no"] else None
    rma = rma or {}
    return refund_lines(items, prices, inside, policy, currency=order["currency"],
                        resolution=rma.get("resolution") or "refund", return_shipping=return_shipping,
                        label={"cost": rma.get("label_cost"), "paid_by": rma.get("label_paid_by")},
                        customer_holds=customer_holds(db, facts, policy,
                                                      shown["customer"]["flags"] if shown else None))


def _parse_shipping(data, currency):
    value = (data or {}).get("return_shipping")
    if value is None or value == "":
        return None
    return parse_money(value, "return_shipping", currency, maximum=Decimal("100000"))


def close_return(db, return_id, data=None, user=None):
    """Close a return and compute its refund once; closing again answers the same refund."""
    if data is not None and not isinstance(data, dict):
        raise bad("body", _("must be a JSON object"))
    with write(db, group=True):
        ret = get_return_row(db, return_id)
        removal = is_removal(db, ret["order_no"])
        if ret["status"] == "closed":
            if removal:
                return {"return_id": ret["return_id"], "status": "closed", "refund": None,
                        "removal": tally(db, ret["return_id"])}
            return {"return_id": ret["return_id"], "status": "closed", "refund": refunds.refund_of_return(db, ret["return_id"])}
        currency = one(db, "SELECT currency FROM orders WHERE order_no = ?", [ret["order_no"]])["currency"]
        shipping = _parse_shipping(data, currency)
        items = items_of(db, ret["return_id"])
        if not items:
            raise conflict("no_items", _("Nothing was inspected: record the box's content (grade X for an empty box)"))
        undecided = [i["item_id"] for i in items if i["decision"] is None]
        if undecided:
            raise conflict("undecided_items", _("Items %(items)s have no decision yet", items=undecided))
        if removal:
            return _close_removal(db, ret)
        computed = compute_refund(db, ret, items, shipping)
        at = now_iso()
        db.execute("UPDATE returns SET status = 'closed', closed_at = ?, return_shipping = ? WHERE return_id = ?",
                   [at, float(shipping) if shipping is not None else None, ret["return_id"]])
        refund_id = refunds.store(db, ret["return_id"], computed, at)
        emit(db, "refund.computed", refund_id=refund_id, return_id=ret["return_id"], amount=computed["amount"],
             payable=computed["payable"], currency=computed["currency"], status=computed["status"],
             item_ids=[line["item_id"] for line in computed["lines"]],
             lines=[{k: line[k] for k in ("item_id", "amount", "status")} for line in computed["lines"]])
        exchange_sku = (one(db, "SELECT exchange_sku FROM rmas WHERE rma_no = ?", [ret["rma_no"]]) or {}).get("exchange_sku") \
            if ret["rma_no"] else None
        exchanges = [(item, exchange_sku or item["sku"]) for item, line in zip(items, computed["lines"])
                     if line["status"] == "exchange"]
        replacement = _replacement_order(db, ret, exchanges, at) if exchanges else None
        for item, sku in exchanges:
            emit(db, "exchange.requested", order_no=ret["order_no"], sku=sku, returned_sku=item["sku"], qty=item["qty"],
                 return_id=ret["return_id"], item_id=item["item_id"], replacement_order_no=replacement)
        emit(db, "return.closed", return_id=ret["return_id"], order_no=ret["order_no"])
        _apply_earlier_reviews(db, ret["return_id"])
    return {"return_id": ret["return_id"], "status": "closed", "refund": refunds.refund_of_return(db, ret["return_id"])}


def _close_removal(db, ret):
    """A removal box: no customer to pay; what it held against the report, once, as an event."""
    at = now_iso()
    db.execute("UPDATE returns SET status = 'closed', closed_at = ? WHERE return_id = ?", [at, ret["return_id"]])
    counted = tally(db, ret["return_id"])
    emit(db, "removal.received", return_id=ret["return_id"], removal_id=counted["removal_id"],
         tracking_no=counted["tracking_no"], shortages=counted["shortages"], overages=counted["overages"])
    emit(db, "return.closed", return_id=ret["return_id"], order_no=ret["order_no"])
    return {"return_id": ret["return_id"], "status": "closed", "refund": None, "removal": counted}


def _replacement_order(db, ret, exchanges, at):
    """The replacement an exchange asks for, as an order waiting for stock (`<order>-EX<return>`,
    channel `exchange`, first in line): a grade-A unit of that variant coming back at any bench
    cross-docks to it, like to any waiting order; the order system reads `exchange.requested`.
    Only catalogue SKUs wait (an unknown exchange SKU is named in the event only)."""
    wanted = [(item, sku) for item, sku in exchanges if one(db, "SELECT 1 FROM products WHERE sku = ?", [sku])]
    if not wanted:
        return None
    order = one(db, "SELECT customer_id, currency FROM orders WHERE order_no = ?", [ret["order_no"]])
    order_no = f"{ret['order_no']}-EX{ret['return_id']}"
    db.execute("INSERT INTO orders (order_no, customer_id, placed_at, channel, currency, status, priority) "
               "VALUES (?, ?, ?, 'exchange', ?, 'awaiting_stock', ?)",
               [order_no, order["customer_id"], at, order["currency"], EXCHANGE_PRIORITY])
    for line_no, (item, sku) in enumerate(wanted, start=1):
        db.execute("INSERT INTO order_lines (order_no, line_no, sku, qty, unit_price) VALUES (?, ?, ?, ?, 0)",
                   [order_no, line_no, sku, item["qty"]])
    return order_no


EXCHANGE_PRIORITY = 1000  # a customer waiting for a replacement goes before new orders


def _apply_earlier_reviews(db, return_id):
    """A quarantined item a supervisor reviewed before the parcel closed settles its own line now,
    as the review would have then (fraud also holds the return's other lines)."""
    for review in rows(db, "SELECT q.item_id, q.outcome, q.note, q.reviewed_by, q.refund_amount FROM quarantine_reviews q "
                           "JOIN return_items i ON i.item_id = q.item_id WHERE i.return_id = ? ORDER BY q.reviewed_at",
                       [return_id]):
        amount = Decimal(review["refund_amount"]) if review["refund_amount"] is not None else None
        refunds.settle_by_review(db, review["item_id"], review["outcome"], review["note"], review["reviewed_by"], amount)


def put_aside(db, return_id, user=None):
    """Take a parcel off the screen when another comes: closed (its refund computed) when every
    recorded item is decided, else left open with what was recorded. None when it is not open.

    Answers {"return_id", "closed": close_return's answer} or {"return_id", "set_aside": True}.
    """
    counts = one(db, "SELECT r.status, count(i.item_id) AS n, count(d.item_id) AS decided FROM returns r "
                     "LEFT JOIN return_items i ON i.return_id = r.return_id LEFT JOIN decisions d ON d.item_id = i.item_id "
                     "WHERE r.return_id = ? GROUP BY r.return_id", [return_id])
    if counts is None or counts["status"] != "open":
        return None
    if counts["n"] and counts["n"] == counts["decided"]:
        return {"return_id": return_id, "closed": close_return(db, return_id, user=user)}
    return {"return_id": return_id, "set_aside": True}
