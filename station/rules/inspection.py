"""What the inspection of one item implies: its flags, its default reason, whether it needs a photo.

Pure: the caller (station/intake/items.py) reads the product, the order's lines and what was
returned of them already, and hands them in.
"""
from station.policy import MISMATCH_FLAGS, REASONS

PHOTO_GRADES = ("D", "X")  # DESIGN.md: photos are required for grades D and X
WEIGHT_TOLERANCE = (10, 20)  # percent of the expected weight, or grams, whichever is more
GRADE_A_REASON = "no_longer_needed"  # CONTRACT.md: without an RMA, grade A pre-fills this


def needs_photo(grade):
    """A grade D or X item is decided only with a photo (at the bench and through the API)."""
    return grade in PHOTO_GRADES


def default_reason(grade, rma_reason=None):
    """The reason to pre-fill: the RMA's, else `no_longer_needed` for grade A, else none (tap one)."""
    if rma_reason in REASONS:
        return rma_reason
    return GRADE_A_REASON if grade == "A" else None


def item_flags(product, lines, already_returned, qty, serial):
    """Flags for an item against its order.

    product: the catalogue row or None; lines: the order's lines of that SKU (qty, serials);
    already_returned: units of that SKU already recorded in this order's returns.
    """
    flags = []
    if product is None:
        flags.append("unknown_product")
    elif not lines:
        flags.append("item_mismatch")
    if product and lines and already_returned + qty > sum(line["qty"] for line in lines):
        flags.append("qty_exceeds_order")
    shipped_serials = {s.strip() for line in lines for s in (line["serials"] or "").split(";") if s.strip()}
    # a serial is checked on a product that carries one (the catalogue says so, or the order recorded
    # serials for it); on one that does not (a maker's serial in its GS1 code) it is kept, not a mismatch
    carries_serial = product is not None and (product["has_serial"] or shipped_serials)
    if carries_serial and serial:
        if serial not in shipped_serials:
            flags.append("serial_mismatch")
    elif product is not None and product["has_serial"] and not serial:
        flags.append("serial_missing")
    return flags


def mismatches(flags):
    """The flags that send an item to quarantine and hold its refund."""
    return [f for f in flags if f in MISMATCH_FLAGS]


def weight_mismatch(product, qty, measured_g, tolerance=WEIGHT_TOLERANCE):
    """True when the scale and the catalogue disagree beyond the tolerance: an empty box, a
    swapped item. None when there is nothing to compare (no scale reading, no catalogue weight).

    Shown on the item and kept in its flags, but not a mismatch flag (policy.MISMATCH_FLAGS): a
    bench scale also weighs manuals, cables and a hand on the plate, so a weight alone does not
    hold the refund or quarantine the item; the operator opens the box and grades X if it is
    empty, which does.
    """
    if measured_g is None or not product or not product.get("weight_g"):
        return None
    expected = product["weight_g"] * qty
    pct, grams = tolerance
    return abs(measured_g - expected) > max(grams, expected * pct / 100)
