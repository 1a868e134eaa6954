"""The refund rule (DESIGN.md "Refund policy"): what each returned item earns back.

Plain functions over plain data; station/refunds.py stores the result and moves its status.
"""
from decimal import ROUND_HALF_UP, Decimal

from station.policy import CUSTOMER_SIDE, MISMATCH_FLAGS, SELLER_FAULT, dec

CENT = Decimal("0.01")


def item_refund(item, unit_price, inside_window, policy):
    """(amount, held, why) for one item; a held item's amount is what policy would pay unheld."""
    mismatch = [f for f in item["flags"] if f in MISMATCH_FLAGS]
    if item["grade"] == "X" or mismatch:
        return Decimal("0"), True, "grade X" if item["grade"] == "X" else "mismatch: " + ", ".join(mismatch)
    full = Decimal(str(unit_price or 0)) * item["qty"]
    reason, grade = item["reason"], item["grade"]
    if reason in SELLER_FAULT:
        amount, held, why = full, False, f"seller fault ({reason}): full refund"
    elif reason in CUSTOMER_SIDE:
        if grade == "A":
            amount, held, why = full, False, "customer side, grade A: full refund"
        elif grade in ("B", "C"):
            fee = dec(policy, "restocking_fee")
            amount, held, why = full * (1 - fee), False, f"customer side, grade {grade}: minus {fee * 100:.0f}% restocking fee"
        else:
            amount, held, why = full, True, "customer side, grade D: a supervisor decides"
    else:
        amount, held, why = full, True, f"reason {reason}: a supervisor decides"
    if not inside_window:
        return amount, True, "outside the return window: " + why
    return amount, held, why


def return_refund(items, unit_prices, inside_window, policy, resolution="refund", return_shipping=None):
    """The refund for a whole return: summed, rounded once to cents, held if any item is held.

    `inside_window`: a bool, or a function of an item's policy (the window's length is policy).
    An item carrying `policy` (what was in force when it was inspected) is judged by that.
    """
    total = Decimal("0")
    held = False
    lines = []
    seller_fault = False
    for item in items:
        # the policy in force when the item was inspected (a later change is for new decisions)
        item_policy = {**policy, **item["policy"]} if item.get("policy") else policy
        inside = inside_window(item_policy) if callable(inside_window) else inside_window
        amount, item_held, why = item_refund(item, unit_prices.get(item["sku"]), inside, item_policy)
        total += amount
        held = held or item_held
        if item["reason"] in SELLER_FAULT and amount > 0:
            seller_fault = True
        lines.append({"item_id": item.get("item_id"), "sku": item["sku"], "amount": f"{amount.quantize(CENT, ROUND_HALF_UP)}",
                      "held": item_held, "why": why})
    if return_shipping and seller_fault:
        total += Decimal(str(return_shipping))
        lines.append({"item_id": None, "sku": None, "amount": f"{Decimal(str(return_shipping)):.2f}",
                      "held": False, "why": "return shipping paid by the customer (seller fault)"})
    status = "held" if held else "ready"
    if resolution == "exchange" and not any(
        item["grade"] == "X" or set(item["flags"]) & set(MISMATCH_FLAGS) for item in items
    ):
        # an exchange moves no money: the order system ships the replacement
        return {"amount": "0.00", "status": "exchange", "lines": lines}
    return {"amount": f"{total.quantize(CENT, ROUND_HALF_UP)}", "status": status, "lines": lines}
