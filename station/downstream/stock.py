"""Stock by SKU, bin and condition: new, open-box, refurbished and used units are counted apart, so
no unit is counted, exported or sold as better than it is (DESIGN.md "Stock by condition")."""
from flask_babel import gettext as _

from station.db import one, rows
from station.errors import bad, not_found
from station.events import emit
from station.languages import N_

CONDITIONS = ("new", "open_box", "refurbished", "used")
# the conditions a returned item may be restocked in, by its grade: never better than it is
BY_GRADE = {"A": CONDITIONS, "B": ("open_box", "used"), "C": ("used",), "D": ("used",)}
DEFAULT_BY_GRADE = {"A": "new", "B": "open_box", "C": "used", "D": "used"}
POLICY_BINS = {"open_box": "bin_open_box", "refurbished": "bin_refurbished", "used": "bin_used"}


def any_bin(db, sku):
    """A bin that holds the SKU's new units (the fullest), for a product the catalogue gives no bin."""
    row = one(db, "SELECT bin FROM stock WHERE sku = ? AND condition = 'new' ORDER BY qty DESC, bin LIMIT 1", [sku])
    return row["bin"] if row else None


def bin_for(db, product, condition, policy):
    """Where a unit in `condition` goes: new units to the product's bin, the others each to their
    condition's bin (policy values)."""
    if condition == "new":
        if not product:
            return None
        # a product with no bin and no stock yet (a marketplace file brought it): the put-away bin
        return product.get("bin") or any_bin(db, product["sku"]) or policy.get("bin_put_away")
    return policy[POLICY_BINS[condition]]


def condition_for(grade, asked=None):
    """The condition a restocked item of `grade` goes in: `asked` if its grade allows it, else 400."""
    if asked is None:
        return DEFAULT_BY_GRADE.get(grade, "used")
    if asked not in CONDITIONS:
        raise bad("condition", _("must be one of %(choices)s", choices=", ".join(CONDITIONS)))
    if asked not in BY_GRADE.get(grade, ("used",)):
        joiner = " " + _("or") + " "
        raise bad("condition", _("a grade %(grade)s item is not sold as %(asked)s: %(choices)s", grade=grade,
                                 asked=asked.replace("_", "-"), choices=joiner.join(BY_GRADE.get(grade, ("used",)))))
    return asked


def put(db, sku, bin_, condition, qty, **event):
    """Add units to a bin in a condition, inside the caller's transaction, and say so on the feed."""
    if condition not in CONDITIONS:
        raise bad("condition", _("must be one of %(choices)s", choices=", ".join(CONDITIONS)))
    db.execute("INSERT INTO stock (sku, bin, condition, qty) VALUES (?, ?, ?, ?) "
               "ON CONFLICT (sku, bin, condition) DO UPDATE SET qty = qty + excluded.qty", [sku, bin_, condition, qty])
    emit(db, "stock.changed", sku=sku, bin=bin_, condition=condition, delta=qty, **event)


def stock_of(db, sku):
    """GET /api/stock: every bin with its condition, the total of every condition, and the count per
    condition (an open-box unit is never in `new`)."""
    if not sku or one(db, "SELECT 1 FROM products WHERE sku = ?", [sku]) is None:
        raise not_found(N_("product"), sku)
    bins = rows(db, "SELECT bin, condition, qty FROM stock WHERE sku = ? AND qty != 0 ORDER BY condition != 'new', "
                    "condition, bin", [sku])
    by_condition = dict.fromkeys(CONDITIONS, 0)
    for b in bins:
        by_condition[b["condition"]] += b["qty"]
    return {"sku": sku, "bins": bins, "total": sum(by_condition.values()), "by_condition": by_condition}
