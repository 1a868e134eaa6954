"""Policy values: defaults here, a supervisor's edits in the `policy` table override them."""
import json
from decimal import Decimal

DEFAULTS = {
    "return_window_days": 30,
    "restocking_fee": "0.15",          # customer-side B/C
    "open_box_factor": "0.80",         # restock as open-box (grade B)
    "refurbished_factor": "0.70",      # refurbish value = price x factor - refurb cost
    "liquidation_rate": "0.05",        # scrap value = price x rate
    "high_value_threshold": "150",     # order value, in its own currency
    "frequent_returns_count": 3,       # returns ...
    "frequent_returns_days": 90,       # ... in this many days
    "frequent_return_rate": "0.50",    # or this return rate ...
    "frequent_min_orders": 4,          # ... over at least this many orders
    "candidate_days": 90,              # product-only scans: orders delivered this recently
}

SELLER_FAULT = ("defective", "damaged_in_transit", "wrong_item_sent", "not_as_described", "arrived_late")
CUSTOMER_SIDE = ("size_fit", "no_longer_needed", "changed_mind", "ordered_by_mistake")
REASONS = SELLER_FAULT + CUSTOMER_SIDE + ("other",)
GRADES = ("A", "B", "C", "D", "X")
DISPOSITIONS = ("crossdock", "restock", "refurbish", "rtv", "scrap", "quarantine")
MISMATCH_FLAGS = ("item_mismatch", "unknown_product", "serial_mismatch", "qty_exceeds_order")

REASON_LABELS = {
    "defective": "Defective",
    "damaged_in_transit": "Damaged in transit",
    "wrong_item_sent": "Wrong item sent",
    "not_as_described": "Not as described",
    "arrived_late": "Arrived late",
    "size_fit": "Size / fit",
    "no_longer_needed": "No longer needed",
    "changed_mind": "Changed mind",
    "ordered_by_mistake": "Ordered by mistake",
    "other": "Other",
}


def load(db):
    """The policy in force: defaults overlaid with the stored values."""
    policy = dict(DEFAULTS)
    for key, value in db.execute("SELECT key, value FROM policy").fetchall():
        if key in DEFAULTS:
            policy[key] = json.loads(value)
    return policy


def dec(policy, key):
    return Decimal(str(policy[key]))
