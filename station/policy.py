"""Policy values: defaults here, a supervisor's edits in the `policy` table override them."""
import json
import re
from decimal import Decimal
from flask_babel import gettext as _

from station.languages import N_

DEFAULTS = {
    "return_window_days": 30,
    "restocking_fee": "0.15",          # customer-side B/C
    "open_box_factor": "0.80",         # restock as open-box (grade B)
    "refurbished_factor": "0.70",      # refurbish value = price x factor - refurb cost
    "liquidation_rate": "0.05",        # scrap value = price x rate
    "handling_cost": "0",              # per unit put back on a shelf (base currency): restock is worth price - this
    "refurb_labour": "0",              # per unit refurbished (base currency), beside the product's refurb cost
    "bin_open_box": "OPEN-BOX",        # stock by condition: new units go to the product's bin,
    "bin_refurbished": "REFURB",       # the others each to their condition's bin
    "bin_used": "USED",
    "bin_put_away": "PUT-AWAY",        # new units of a product with no bin yet (one a marketplace file brought)
    "base_currency": "USD",            # catalogue values, costs and thresholds are in this currency
    "high_value_threshold": "150",     # order value, in the base currency
    "charge_return_label": 1,          # a seller-paid return label is charged on customer-side returns (0: not)
    "frequent_hold_above": "100",      # a frequent returner's refund lines above this (base currency) wait
    "bulk_units": 10,                  # a return of an order of at least this many units ...
    "bulk_value": "1000",              # ... or this value (base currency) is a bulk return: held, unit by unit
    "frequent_returns_count": 3,       # returns ...
    "frequent_returns_days": 90,       # ... in this many days
    "frequent_return_rate": "0.50",    # or this return rate ...
    "frequent_min_orders": 4,          # ... over at least this many orders
    "candidate_days": 90,              # product-only scans: orders delivered this recently
    "board_target_parcels": 0,         # floor display: parcels a day the returns area aims for (0: no target)
    "board_max_open_parcels": 20,      # ... open parcels above this are an alarm
    "board_max_dock_minutes": 30,      # ... a mean dock-to-decision above this many minutes is an alarm
}

SELLER_FAULT = ("defective", "damaged_in_transit", "wrong_item_sent", "not_as_described", "arrived_late")
CUSTOMER_SIDE = ("size_fit", "no_longer_needed", "changed_mind", "ordered_by_mistake")
REASONS = SELLER_FAULT + CUSTOMER_SIDE + ("other",)
GRADES = ("A", "B", "C", "D", "X")
DISPOSITIONS = ("crossdock", "restock", "refurbish", "rtv", "scrap", "quarantine")
MISMATCH_FLAGS = ("item_mismatch", "unknown_product", "serial_mismatch", "qty_exceeds_order")

# the reasons as a screen names them (marked for the catalog; a screen shows `_(label)`)
REASON_LABELS = {
    "defective": N_("Defective"),
    "damaged_in_transit": N_("Damaged in transit"),
    "wrong_item_sent": N_("Wrong item sent"),
    "not_as_described": N_("Not as described"),
    "arrived_late": N_("Arrived late"),
    "size_fit": N_("Size / fit"),
    "no_longer_needed": N_("No longer needed"),
    "changed_mind": N_("Changed mind"),
    "ordered_by_mistake": N_("Ordered by mistake"),
    "other": N_("Other"),
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


# what a supervisor may set, and the bounds that keep a typo from wrecking the bench
BOUNDS = {
    "return_window_days": (int, 0, 3650),
    "restocking_fee": (Decimal, 0, 1),
    "open_box_factor": (Decimal, 0, 1),
    "refurbished_factor": (Decimal, 0, 1),
    "liquidation_rate": (Decimal, 0, 1),
    "handling_cost": (Decimal, 0, 100_000),
    "refurb_labour": (Decimal, 0, 100_000),
    "bin_open_box": ("bin", None, None),
    "bin_refurbished": ("bin", None, None),
    "bin_used": ("bin", None, None),
    "bin_put_away": ("bin", None, None),
    "board_target_parcels": (int, 0, 1_000_000),
    "board_max_open_parcels": (int, 0, 1_000_000),
    "board_max_dock_minutes": (int, 1, 100_000),
    "base_currency": ("currency", None, None),
    "high_value_threshold": (Decimal, 0, 10_000_000),
    "charge_return_label": (int, 0, 1),
    "frequent_hold_above": (Decimal, 0, 10_000_000),
    "bulk_units": (int, 1, 1_000_000),
    "bulk_value": (Decimal, 0, 100_000_000),
    "frequent_returns_count": (int, 1, 1000),
    "frequent_returns_days": (int, 1, 3650),
    "frequent_return_rate": (Decimal, 0, 1),
    "frequent_min_orders": (int, 1, 100_000),
    "candidate_days": (int, 1, 3650),
}
SKU_KEYS = {  # each per-SKU rule and what it does (marked for the catalog; the Policy screen translates it)
    "never_restock": N_("never restock (e.g. hygiene products): A and B go to the best other option"),
    "refurbished_can_crossdock": N_("a refurbished unit may fill a waiting order"),
}


def _coerce(key, value):
    from station.errors import bad

    kind, low, high = BOUNDS[key]
    if kind == "bin":
        text = value.strip() if isinstance(value, str) else ""
        if not 1 <= len(text) <= 64 or any(ord(c) < 32 or 127 <= ord(c) <= 159 for c in text):
            raise bad(key, _("must be a bin code of 1 to 64 characters"))
        return text
    if kind == "currency":
        from station.money import CURRENCIES

        code = str(value).strip().upper() if isinstance(value, str) else ""
        if code not in CURRENCIES:
            raise bad(key, _("must be an ISO 4217 currency code such as USD"))
        return code
    try:
        if isinstance(value, bool):
            raise ValueError
        text = str(value).strip()
        # ASCII digits only: int() and Decimal() also take "1_0", "٥" and "1e1", which no form means
        if not (_WHOLE if kind is int else _DECIMAL).fullmatch(text):
            raise ValueError
        parsed = kind(text)
        if kind is Decimal and not parsed.is_finite():
            raise ValueError
    except Exception:
        raise bad(key, _("must be a whole number") if kind is int else _("must be a decimal number")) from None
    if not low <= parsed <= high:
        raise bad(key, _("must be from %(low)s to %(high)s", low=low, high=high))
    if kind is Decimal and parsed.as_tuple().exponent < -MAX_PLACES:
        raise bad(key, _("has more than %(places)s decimal places", places=MAX_PLACES))
    if kind is int:
        return parsed
    return str(int(parsed)) if parsed == parsed.to_integral_value() else format(parsed, "f")


_WHOLE = re.compile(r"[+-]?[0-9]+")
_DECIMAL = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)")
MAX_PLACES = 4  # 0.1234 = 12.34%: finer than that is a typo, not a policy


def validate(changes):
    """({key: parsed value}, {key: message}) for a form of policy values: every field checked."""
    from station.errors import ServiceError

    parsed, errors = {}, {}
    for key, value in changes.items():
        if key not in BOUNDS:
            errors[key] = _("is not a policy value")
            continue
        try:
            parsed[key] = _coerce(key, value)
        except ServiceError as exc:
            errors[key] = exc.message.split(": ", 1)[-1]
    return parsed, errors


def _same(old, new):
    if isinstance(old, str) and isinstance(new, str) and not old.replace(".", "").isdigit():
        return old == new
    try:
        return Decimal(str(old)) == Decimal(str(new))
    except Exception:
        return str(old) == str(new)


def update(db, changes, user=None):
    """Set policy values (validated all first, audited); they apply to new decisions only."""
    from station.db import write
    from station.errors import bad
    from station.timeutil import now_iso

    if not isinstance(changes, dict) or not changes:
        raise bad("body", _("send the policy values to change"))
    unknown = [k for k in changes if k not in BOUNDS]
    if unknown:
        raise bad(unknown[0], _("is not a policy value"))
    parsed = {key: _coerce(key, value) for key, value in changes.items()}
    with write(db):
        current = load(db)
        at = now_iso()
        for key, value in parsed.items():
            if _same(current[key], value):
                continue
            db.execute(
                "INSERT INTO policy (key, value, updated_by, updated_at) VALUES (?, ?, ?, ?) "
                "ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_by = excluded.updated_by, updated_at = excluded.updated_at",
                [key, json.dumps(value), user, at],
            )
            db.execute("INSERT INTO policy_audit (key, old_value, new_value, changed_by, changed_at) VALUES (?, ?, ?, ?, ?)",
                       [key, str(current[key]), str(value), user, at])
    return load(db)


def set_sku_rule(db, sku, key, enabled, user=None):
    """Turn a per-SKU rule on or off (audited)."""
    from station.db import one, write
    from station.errors import bad, not_found
    from station.timeutil import now_iso

    if not isinstance(key, str) or key not in SKU_KEYS:  # a list or object is no key (and unhashable)
        raise bad("key", _("must be one of %(choices)s", choices=", ".join(SKU_KEYS)))
    if not isinstance(enabled, bool):
        raise bad("enabled", _("must be true or false"))
    if not isinstance(sku, str) or one(db, "SELECT 1 FROM products WHERE sku = ?", [sku]) is None:
        raise not_found(N_("product"), sku)
    with write(db):
        old = one(db, "SELECT value FROM sku_policy WHERE sku = ? AND key = ?", [sku, key])
        if enabled:
            db.execute("INSERT OR REPLACE INTO sku_policy (sku, key, value) VALUES (?, ?, '1')", [sku, key])
        else:
            db.execute("DELETE FROM sku_policy WHERE sku = ? AND key = ?", [sku, key])
        db.execute("INSERT INTO policy_audit (key, sku, old_value, new_value, changed_by, changed_at) VALUES (?, ?, ?, ?, ?, ?)",
                   [key, sku, "1" if old else "0", "1" if enabled else "0", user, now_iso()])
    return sku_rules(db, sku)


def sku_rules(db, sku):
    return {key for (key,) in db.execute("SELECT key FROM sku_policy WHERE sku = ?", [sku]).fetchall()}


def audit(db, limit=200):
    from station.db import rows

    return rows(db, "SELECT * FROM policy_audit ORDER BY audit_id DESC LIMIT ?", [limit])
