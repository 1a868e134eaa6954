"""Recommend a disposition for one returned item by the default policy (DESIGN.md).

Plain data in, plain data out: the caller gathers the product, the supplier's RTV terms and
the best waiting order line; nothing here reads the database or reserves anything.

Values are NET recoveries in the base currency (DESIGN.md "Money, currencies and costs"):
restock as new = price − handling; open-box = 0.80 × price − handling; refurbish = 0.70 × price
− refurb cost − labour; rtv = unit cost − the supplier's RTV cost per unit; scrap = 0.05 × price;
each × quantity. An option that loses money says so, and is never the one recommended while
another does not (scrap never loses: it is always weighed as the floor).
"""
from decimal import ROUND_HALF_UP, Decimal

from station.languages import N_
from station.policy import MISMATCH_FLAGS, dec

# ties keep this order
ORDER = ("crossdock", "restock", "refurbish", "rtv", "scrap")
CENT = Decimal("0.01")
TRANSIT = "damaged_in_transit"

# The sentences of a recommendation's `why`. It is kept in English (the item's record, the API);
# a screen says it in its language by these templates (station/web/bench/wording.py).
WHY_QUARANTINE = N_("Quarantine for a supervisor: %(cause)s.")
WHY_NEVER_RESTOCK = N_("Policy: %(sku)s is never restocked; %(choice)s recovers the most of what is left.")
WHY_CROSSDOCK = N_("Grade A and order %(order)s is waiting for %(sku)s (priority %(priority)s, placed %(placed)s): "
                   "ship it straight out.")
WHY_RESTOCK_NEW = N_("Grade A, no order waiting for %(sku)s: restock as new to bin %(bin)s.")
WHY_REFURBISH = N_("Grade B and the product is refurbishable: repack it, then it sells as refurbished.")
WHY_OPEN_BOX_REFURB_LOSES = N_("Grade B, refurbishing would lose money: restock as open-box to bin %(bin)s.")
WHY_OPEN_BOX = N_("Grade B, not refurbishable: restock as open-box to bin %(bin)s.")
WHY_BEST = N_("Grade %(grade)s: %(choice)s recovers the most (%(weighed)s).")
WHY_BEST_SHELF_LOSES = N_("Grade %(grade)s: putting it back on a shelf would cost more than it sells for; "
                          "%(choice)s recovers the most (%(weighed)s).")
WHY_TRANSIT = N_("%(why)s Damaged in transit: the carrier's fault, claimed from the carrier, not returned to the "
                 "supplier.")
WHY_NO_RTV = N_("%(why)s RTV is not open (supplier does not take returns or its window has passed).")
WHY_LOSING = N_("%(why)s %(losing)s.")
OPTION = N_("%(disposition)s %(value)s %(currency)s")            # a weighed option, in a list with ", "
LOSES = N_("%(disposition)s would lose %(value)s %(currency)s")  # in a list with "; "
GRADE_X = N_("grade X")
UNKNOWN_PRODUCT = N_("unknown product")
NO_BIN = N_("(no bin)")
SENTENCES = (WHY_QUARANTINE, WHY_NEVER_RESTOCK, WHY_CROSSDOCK, WHY_RESTOCK_NEW, WHY_REFURBISH, WHY_OPEN_BOX_REFURB_LOSES,
             WHY_OPEN_BOX, WHY_BEST, WHY_BEST_SHELF_LOSES, WHY_TRANSIT, WHY_NO_RTV, WHY_LOSING, OPTION, LOSES,
             GRADE_X, UNKNOWN_PRODUCT, NO_BIN)


def money(value):
    return f"{Decimal(value).quantize(CENT, ROUND_HALF_UP)}"


def _dec(value):
    return Decimal(str(value or 0))


def option_values(grade, product, qty, policy, waiting_line=None, rtv_eligible=False, rtv_cost=0):
    """The expected net recovery of every option open to this item, as Decimals."""
    price = _dec(product["price"])
    handling = dec(policy, "handling_cost") if "handling_cost" in policy else Decimal(0)
    labour = dec(policy, "refurb_labour") if "refurb_labour" in policy else Decimal(0)
    values = {}
    if grade == "A":
        if waiting_line:
            values["crossdock"] = price * qty  # straight into a waiting order's tote: no shelf to handle
        values["restock"] = (price - handling) * qty
    elif grade == "B":
        values["restock"] = (price * dec(policy, "open_box_factor") - handling) * qty
    if grade in ("B", "C", "D") and product.get("refurbishable"):
        values["refurbish"] = (price * dec(policy, "refurbished_factor") - _dec(product.get("refurb_cost")) - labour) * qty
    if grade in ("C", "D"):
        if rtv_eligible:
            values["rtv"] = (_dec(product.get("unit_cost")) - _dec(rtv_cost)) * qty
        values["scrap"] = scrap_value(product, qty, policy)
    return values


def scrap_value(product, qty, policy):
    return _dec(product["price"]) * dec(policy, "liquidation_rate") * qty


def _best(values, allowed=ORDER):
    """The option that recovers the most (strict >: the earlier of equals wins)."""
    choice = None
    for disposition in ORDER:
        if disposition in values and disposition in allowed and (choice is None or values[disposition] > values[choice]):
            choice = disposition
    return choice


def recommend(grade, flags, product, qty, policy, waiting_line=None, rtv_eligible=False, bin_=None, supplier_id=None,
              never_restock=False, reason=None, rtv_cost=0, bins=None):
    """The recommended disposition with its target, a sentence why, and every option weighed.

    reason: the operator's verified reason (transit damage is the carrier's: never RTV for it);
    rtv_cost: what the supplier charges per unit taken back; bins: the bin per condition
    ({"new": product bin, "open_box": ...}); `bin_` is the new-stock bin when bins is not given.
    """
    currency = policy.get("base_currency", "USD")  # catalogue values are in the base currency
    bins = dict(bins or {})
    bins.setdefault("new", bin_)
    bins.setdefault("open_box", bin_)
    mismatch = [f for f in flags if f in MISMATCH_FLAGS]
    if grade == "X" or mismatch or product is None:
        cause = GRADE_X if grade == "X" else ", ".join(f.replace("_", " ") for f in mismatch)
        return {
            "disposition": "quarantine",
            "target": None,
            "condition": None,
            "why": WHY_QUARANTINE % {"cause": cause or UNKNOWN_PRODUCT},
            "options": [{"disposition": "quarantine", "value": "0.00", "currency": currency}],
            "currency": currency,
        }
    transit = reason == TRANSIT
    if never_restock and grade in ("A", "B"):
        # a per-SKU rule (hygiene products): weigh it like a used item
        values = option_values("C", product, qty, policy, None, rtv_eligible and not transit, rtv_cost)
    else:
        values = option_values(grade, product, qty, policy, waiting_line, rtv_eligible and not transit, rtv_cost)
    if never_restock:
        # a refurbished unit goes back on sale too, which the rule forbids: the work order could
        # only end in scrap, so refurbishing is not an option for it at any grade
        values.pop("refurbish", None)
    if grade in ("A", "B") and not never_restock and not any(v > 0 for v in values.values()):
        # A and B weigh scrap only as the way out when shelving them would lose money
        values["scrap"] = scrap_value(product, qty, policy)
    options = [{"disposition": d, "value": money(values[d]), "currency": currency} for d in ORDER if d in values]
    paying = [d for d in values if values[d] >= 0]
    condition = None
    if never_restock and grade in ("A", "B"):
        choice = _best(values, paying)
        why = WHY_NEVER_RESTOCK % {"sku": product["sku"], "choice": choice}
    elif grade == "A" and waiting_line:
        choice = "crossdock"
        why = WHY_CROSSDOCK % {"order": waiting_line["order_no"], "sku": product["sku"],
                               "priority": waiting_line["priority"], "placed": waiting_line["placed_at"][:10]}
    elif grade == "A" and values["restock"] > 0:
        choice, condition = "restock", "new"
        why = WHY_RESTOCK_NEW % {"sku": product["sku"], "bin": bins["new"] or NO_BIN}
    elif grade == "B" and product.get("refurbishable") and values.get("refurbish", Decimal(-1)) > 0:
        choice = "refurbish"
        why = WHY_REFURBISH
    elif grade == "B" and values.get("restock", Decimal(-1)) > 0:
        choice, condition = "restock", "open_box"
        why = (WHY_OPEN_BOX_REFURB_LOSES if product.get("refurbishable") else WHY_OPEN_BOX) % {
            "bin": bins["open_box"] or NO_BIN}
    else:
        choice = _best(values, paying) or _best(values)
        weighed = ", ".join(OPTION % {"disposition": o["disposition"], "value": o["value"], "currency": currency}
                            for o in options)
        why = (WHY_BEST_SHELF_LOSES if grade in ("A", "B") else WHY_BEST) % {
            "grade": grade, "choice": choice, "weighed": weighed}
        if transit:
            why = WHY_TRANSIT % {"why": why}
        elif "rtv" not in values and grade in ("C", "D"):
            why = WHY_NO_RTV % {"why": why}
    losing = [o for o in options if Decimal(o["value"]) < 0]
    if losing:
        why = WHY_LOSING % {"why": why, "losing": "; ".join(
            LOSES % {"disposition": o["disposition"], "value": money(-Decimal(o["value"])), "currency": currency}
            for o in losing)}
    target = {
        "crossdock": waiting_line["order_no"] if waiting_line else None,
        "restock": bins.get(condition or "new"),
        "rtv": supplier_id,
    }.get(choice)
    return {"disposition": choice, "target": target, "condition": condition, "why": why, "options": options,
            "currency": currency}
