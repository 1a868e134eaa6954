"""The return window and the supplier's RTV window, measured to the second."""
from datetime import timedelta

from station.timeutil import parse


def window_start(order):
    """The return window runs from delivery, else from shipment (None: no date to measure from)."""
    if not order:
        return None
    start = order["delivered_at"] or order["shipped_at"]
    return parse(start) if start else None


def within_window(order, at, policy):
    """The return window runs from delivery (else shipment) to the parcel's first scan."""
    start = window_start(order)
    if start is None:
        return True
    return at - start <= timedelta(days=int(policy["return_window_days"]))


def rtv_open(supplier, shipped_at, at):
    """A supplier takes the unit back: it accepts RTV and its window (from our shipment) is open.

    To the second, like the return window: 90 days and 12 hours is outside a 90-day window.
    """
    if not supplier or not supplier["accepts_rtv"]:
        return False
    if supplier["rtv_window_days"] is None or not shipped_at:
        return True
    return at - parse(shipped_at) <= timedelta(days=supplier["rtv_window_days"])
