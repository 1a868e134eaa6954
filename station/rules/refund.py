"""The refund rule (DESIGN.md "Refund policy"): one line per returned item, each with its amount,
its status and a sentence saying why.

Plain functions over plain data; station/downstream/refunds.py stores the lines and moves them
(approve, reject, pay, a quarantine review). A line is `ready` (paid at the next payment),
`held` (waits for a supervisor; its amount is the one proposed), `rejected`, `paid` or
`exchange` (no money moves: the replacement ships). What is clear is paid at once; only what
is in doubt waits: one doubtful item never holds the others.
"""
from decimal import Decimal

from station.languages import N_
from station.money import rounded, text
from station.policy import CUSTOMER_SIDE, MISMATCH_FLAGS, SELLER_FAULT, dec

# why a line waits for a supervisor; the refunds screen shows these names
HOLD_LABELS = {
    "grade_x": N_("Grade X"),
    "mismatch": N_("Mismatch"),
    "out_of_window": N_("Outside window"),
    "customer_damage": N_("Customer damage (D)"),
    "other": N_("Other reason"),
    "earlier_fraud": N_("Earlier fraud"),
    "frequent_returner": N_("Frequent returner"),
    "bulk_return": N_("Bulk return"),
    "fraud_review": N_("Fraud in this return"),
}

# The sentences of a refund line's `why` and of an adjustment's. They are kept in English (the
# refund's record, the API); a screen says them in its language by these templates
# (station/web/bench/wording.py).
WHY_GRADE_X = N_("grade X")
WHY_MISMATCH = N_("mismatch: %(flags)s")
WHY_SELLER_FAULT = N_("seller fault (%(reason)s): full refund")
WHY_CUSTOMER_A = N_("customer side, grade A: full refund")
WHY_CUSTOMER_FEE = N_("customer side, grade %(grade)s: minus %(fee)s restocking fee")
WHY_CUSTOMER_D = N_("customer side, grade D: a supervisor decides")
WHY_OTHER = N_("reason %(reason)s: a supervisor decides")
WHY_OUTSIDE = N_("outside the return window: %(why)s")
WHY_EXCHANGE = N_("exchange: no money moves, the replacement ships (a refund would be %(amount)s)")
WHY_PLUS_SHIPPING = N_("%(why)s; plus the return shipping the customer paid (%(amount)s)")
WHY_HELD = N_("%(why)s; held: %(hold)s")
WHY_MINUS_LABEL = N_("%(why)s; minus the return label the seller paid (%(amount)s)")
ADJUST_SHIPPING = N_("return shipping the customer paid, refunded with a seller-fault item")
ADJUST_LABEL = N_("the return label the seller paid (%(amount)s), charged once on a customer-side return")
ADJUST_LABEL_LEFT = N_("%(why)s; %(amount)s could not be taken from this refund")
SENTENCES = (WHY_GRADE_X, WHY_MISMATCH, WHY_SELLER_FAULT, WHY_CUSTOMER_A, WHY_CUSTOMER_FEE, WHY_CUSTOMER_D, WHY_OTHER,
             WHY_OUTSIDE, WHY_EXCHANGE, WHY_PLUS_SHIPPING, WHY_HELD, WHY_MINUS_LABEL, ADJUST_SHIPPING, ADJUST_LABEL,
             ADJUST_LABEL_LEFT)


def _percent(fraction):
    """0.15 -> '15%', 0.125 -> '12.5%' (a fee is stated as it is charged)."""
    value = (fraction * 100).normalize()
    return f"{value:f}%"


def judge_item(item, unit_price, inside_window, policy):
    """(amount, hold kinds, why) for one item by DESIGN.md's precedence; a held item's amount is
    what the policy would pay it without the hold (for grade X or a mismatch: nothing)."""
    mismatch = [f for f in item["flags"] if f in MISMATCH_FLAGS]
    if item["grade"] == "X":
        return Decimal("0"), ["grade_x"], WHY_GRADE_X
    if mismatch:
        return Decimal("0"), ["mismatch"], WHY_MISMATCH % {"flags": ", ".join(mismatch)}
    full = Decimal(str(unit_price or 0)) * item["qty"]
    reason, grade = item["reason"], item["grade"]
    holds = []
    if reason in SELLER_FAULT:
        amount, why = full, WHY_SELLER_FAULT % {"reason": reason}
    elif reason in CUSTOMER_SIDE:
        if grade == "A":
            amount, why = full, WHY_CUSTOMER_A
        elif grade in ("B", "C"):
            fee = dec(policy, "restocking_fee")
            amount, why = full * (1 - fee), WHY_CUSTOMER_FEE % {"grade": grade, "fee": _percent(fee)}
        else:
            amount, why = full, WHY_CUSTOMER_D
            holds.append("customer_damage")
    else:
        amount, why = full, WHY_OTHER % {"reason": reason}
        holds.append("other")
    if not inside_window:
        return amount, ["out_of_window"] + holds, WHY_OUTSIDE % {"why": why}
    return amount, holds, why


def item_refund(item, unit_price, inside_window, policy):
    """(amount, held, why) for one item."""
    amount, holds, why = judge_item(item, unit_price, inside_window, policy)
    return amount, bool(holds), why


def refund_lines(items, unit_prices, inside_window, policy, currency="USD", resolution="refund",
                 return_shipping=None, label=None, customer_holds=()):
    """The refund of a return, a line per item.

    inside_window: a bool, or a function of an item's policy (the window's length is policy).
    An item carrying `policy` (what was in force when it was inspected) is judged by that.
    return_shipping: what the customer paid to send it back (refunded with a seller-fault line).
    label: {"cost", "paid_by"} of the return label (a seller-paid label is charged back once on
    a customer-side return when policy `charge_return_label` is on).
    customer_holds: [{"kind", "why", "above"}]: the customer's cautions (earlier fraud, frequent
    returner, bulk return); `above` (an amount in the refund's currency, or None for every line)
    holds only lines of more than that.
    """
    lines = []
    for item in items:
        item_policy = {**policy, **item["policy"]} if item.get("policy") else policy
        inside = inside_window(item_policy) if callable(inside_window) else inside_window
        amount, holds, why = judge_item(item, unit_prices.get(item["sku"]), inside, item_policy)
        line = {"item_id": item.get("item_id"), "sku": item["sku"], "amount": rounded(amount, currency),
                "holds": holds, "why": why, "seller_fault": item["reason"] in SELLER_FAULT,
                "clean": not (item["grade"] == "X" or set(item["flags"]) & set(MISMATCH_FLAGS))}
        if resolution == "exchange" and line["clean"]:
            line["status"] = "exchange"
            line["why"] = WHY_EXCHANGE % {"amount": text(amount, currency)}
            line["amount"] = rounded(0, currency)
            line["holds"] = []
        lines.append(line)
    adjustments = []
    shipping = rounded(return_shipping or 0, currency)
    if shipping > 0:
        payer = next((line for line in lines if line["seller_fault"] and line["clean"]
                      and line.get("status") != "exchange" and line["amount"] > 0), None)
        if payer is not None:
            payer["amount"] += shipping
            payer["why"] = WHY_PLUS_SHIPPING % {"why": payer["why"], "amount": text(shipping, currency)}
            adjustments.append({"kind": "return_shipping", "item_id": payer["item_id"], "amount": text(shipping, currency),
                                "why": ADJUST_SHIPPING})
    for hold in customer_holds:
        for line in lines:
            if line.get("status") == "exchange":
                continue
            if hold.get("above") is None or line["amount"] > hold["above"]:
                line["holds"].append(hold["kind"])
                line["why"] = WHY_HELD % {"why": line["why"], "hold": hold["why"]}
    _charge_label(lines, label, policy, currency, adjustments)
    for line in lines:
        line.setdefault("status", "held" if line["holds"] else "ready")
    return summary([{"item_id": line["item_id"], "sku": line["sku"], "amount": text(line["amount"], currency),
                     "status": line["status"], "why": line["why"], "holds": line["holds"]} for line in lines],
                   currency, adjustments=adjustments)


def _charge_label(lines, label, policy, currency, adjustments):
    """A customer-side return whose label the seller paid bears the label's cost, once per return:
    taken from its customer-side lines (the clear ones first), never below zero."""
    if not label or label.get("paid_by") != "seller" or not _switch(policy.get("charge_return_label", 1)):
        return
    cost = rounded(label.get("cost") or 0, currency)
    if cost <= 0:
        return
    payers = [line for line in lines if not line["seller_fault"] and line["clean"]
              and line.get("status") != "exchange" and line["amount"] > 0]
    payers.sort(key=lambda line: bool(line["holds"]))  # clear lines first, then held ones
    left = cost
    for line in payers:
        take = min(left, line["amount"])
        line["amount"] -= take
        line["why"] = WHY_MINUS_LABEL % {"why": line["why"], "amount": text(take, currency)}
        left -= take
        if left <= 0:
            break
    charged = cost - left
    if charged > 0:
        why = ADJUST_LABEL % {"amount": text(cost, currency)}
        if left > 0:
            why = ADJUST_LABEL_LEFT % {"why": why, "amount": text(left, currency)}
        adjustments.append({"kind": "return_label", "amount": text(-charged, currency), "why": why})


def _switch(value):
    return str(value).strip().lower() not in ("0", "false", "off", "no", "")


def summary(lines, currency, paid=None, adjustments=()):
    """The refund's figures from its lines (CONTRACT.md REFUND): `amount` the lines not rejected
    (a held line at its proposed amount), `payable` the ready ones, `paid` the paid ones."""
    def total(statuses):
        return sum((Decimal(line["amount"]) for line in lines if line["status"] in statuses), Decimal("0"))
    payable = total(("ready",))
    paid_total = total(("paid",)) if paid is None else Decimal(paid)
    return {"currency": currency,
            "amount": text(total(("ready", "held", "paid", "exchange")), currency),
            "payable": text(payable, currency),
            "paid": text(paid_total, currency),
            "status": refund_status(lines, payable, paid_total),
            "lines": lines,
            "adjustments": list(adjustments)}


def refund_status(lines, payable, paid):
    """`ready` while something is payable; else `held` while a line is held; else `exchange` when
    every line is; else `paid` when something was paid; else `rejected`."""
    if payable > 0:
        return "ready"
    statuses = [line["status"] for line in lines]
    if "held" in statuses:
        return "held"
    if statuses and all(s == "exchange" for s in statuses):
        return "exchange"
    if paid > 0 or "paid" in statuses:
        return "paid"
    return "rejected"
