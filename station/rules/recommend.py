"""Recommend a disposition for one returned item by the default policy (DESIGN.md).

Plain data in, plain data out: the caller gathers the product, the supplier's RTV terms and
the best waiting order line; nothing here reads the database or reserves anything.
"""
from decimal import ROUND_HALF_UP, Decimal

from station.policy import MISMATCH_FLAGS, dec

# ties keep this order
ORDER = ("crossdock", "restock", "refurbish", "rtv", "scrap")
CENT = Decimal("0.01")


def money(value):
    return f"{Decimal(value).quantize(CENT, ROUND_HALF_UP)}"


def option_values(grade, product, qty, policy, waiting_line=None, rtv_eligible=False):
    """The expected net recovery of every option open to this item, as Decimals."""
    price = Decimal(str(product["price"]))
    values = {}
    if grade == "A":
        if waiting_line:
            values["crossdock"] = price * qty
        values["restock"] = price * qty
    elif grade == "B":
        values["restock"] = price * dec(policy, "open_box_factor") * qty
    if grade in ("B", "C", "D") and product.get("refurbishable"):
        refurb_cost = Decimal(str(product.get("refurb_cost") or 0))
        values["refurbish"] = (price * dec(policy, "refurbished_factor") - refurb_cost) * qty
    if grade in ("C", "D"):
        if rtv_eligible:
            values["rtv"] = Decimal(str(product.get("unit_cost") or 0)) * qty
        values["scrap"] = price * dec(policy, "liquidation_rate") * qty
    return values


def recommend(grade, flags, product, qty, policy, waiting_line=None, rtv_eligible=False, bin_=None, supplier_id=None,
              never_restock=False):
    """The recommended disposition with its target, a sentence why, and every option weighed."""
    currency = policy.get("base_currency", "USD")  # catalogue values are in the base currency
    mismatch = [f for f in flags if f in MISMATCH_FLAGS]
    if grade == "X" or mismatch or product is None:
        cause = "grade X" if grade == "X" else ", ".join(f.replace("_", " ") for f in mismatch)
        return {
            "disposition": "quarantine",
            "target": None,
            "why": f"Quarantine for a supervisor: {cause or 'unknown product'}.",
            "options": [{"disposition": "quarantine", "value": "0.00", "currency": currency}],
            "currency": currency,
        }
    if never_restock and grade in ("A", "B"):
        # a per-SKU rule (hygiene products): weigh it like a used item
        values = option_values("C", product, qty, policy, None, rtv_eligible)
    else:
        values = option_values(grade, product, qty, policy, waiting_line, rtv_eligible)
    if never_restock:
        # a refurbished unit goes back on sale too, which the rule forbids: the work order could
        # only end in scrap, so refurbishing is not an option for it at any grade
        values.pop("refurbish", None)
    options = [{"disposition": d, "value": money(values[d]), "currency": currency} for d in ORDER if d in values]
    if never_restock and grade in ("A", "B"):
        choice = max([d for d in ORDER if d in values], key=lambda d: values[d])  # first of equals wins
        why = f"Policy: {product['sku']} is never restocked; {choice} recovers the most of what is left."
    elif grade == "A":
        if waiting_line:
            choice = "crossdock"
            why = (f"Grade A and order {waiting_line['order_no']} is waiting for {product['sku']} "
                   f"(priority {waiting_line['priority']}, placed {waiting_line['placed_at'][:10]}): ship it straight out.")
        else:
            choice = "restock"
            why = f"Grade A, no order waiting for {product['sku']}: restock as new to bin {bin_ or '(no bin)'}."
    elif grade == "B":
        if product.get("refurbishable"):
            choice = "refurbish"
            why = "Grade B and the product is refurbishable: repack it, then it sells as refurbished."
        else:
            choice = "restock"
            why = f"Grade B, not refurbishable: restock as open-box to bin {bin_ or '(no bin)'}."
    else:
        choice = None
        for disposition in ORDER:  # strict > keeps the earlier option on a tie
            if disposition in values and (choice is None or values[disposition] > values[choice]):
                choice = disposition
        weighed = ", ".join(f"{o['disposition']} {o['value']} {currency}" for o in options)
        why = f"Grade {grade}: {choice} recovers the most ({weighed})."
        if "rtv" not in values and grade in ("C", "D"):
            why += " RTV is not open (supplier does not take returns or its window has passed)."
    target = {
        "crossdock": waiting_line["order_no"] if waiting_line else None,
        "restock": bin_,
        "rtv": supplier_id,
    }.get(choice)
    return {"disposition": choice, "target": target, "why": why, "options": options, "currency": currency}
