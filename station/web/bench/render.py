"""What the bench shows: the parcel on screen and the item under inspection, kept in the session."""
from flask import current_app, session

from station import policy
from station.config import bench_config
from station.db import get_db
from station.errors import ServiceError
from station.intake import finishing, parcel
from station.web.pages import page_or_fragment
from station.web.security import current_user, station_name

_UNSET = object()


def user_name():
    user = current_user()
    return user["name"] if user else None


def current_view(db, ret=None):
    """The return on screen (None if none), dropping a stale id from the session.

    ret: its row, when this request read it already."""
    return_id = session.get("return_id")
    if not return_id:
        return None
    try:
        return parcel.bench_view(db, return_id, ret=ret if ret and ret["return_id"] == return_id else None)
    except ServiceError:
        session.pop("return_id", None)
        session.pop("inspect", None)
        return None


def inspect_context(db, view):
    """The inspect panel's state: the session's draft plus the added item, if any."""
    draft = session.get("inspect")
    if not draft or view is None:
        return None
    item = None
    if draft.get("item_id"):
        item = next((i for i in view["items"] if i["item_id"] == draft["item_id"]), None)
        if item is None or item["decision"]:
            session.pop("inspect", None)
            return None
        item = dict(item, photos=len(item["photos"]))  # the view has the item's photos already
    expected = any(line["sku"] == draft.get("sku") for line in view["expected"])
    return dict(draft, item=item, expected=expected)


def put_aside(db, view):
    """The parcels really unfinished at this bench, each with what it lacks (one read)."""
    return finishing.put_aside_at(db, station_name(), view["return"]["return_id"] if view else None)


def render_bench(message=None, status=200, view=_UNSET, **extra):
    """The bench widget for htmx, else the whole page; one template, so they never drift.

    view: the parcel as the caller built it in this request (built here when not given), so a
    request builds the parcel view once.
    """
    db = get_db()
    if view is _UNSET:
        view = current_view(db)
    context = {
        "view": view,
        "inspect": inspect_context(db, view),
        "put_aside": put_aside(db, view),
        "message": message,
        "grades": GRADES,
        "reasons": [(code, policy.REASON_LABELS[code]) for code in policy.REASONS],
        "reason_labels": policy.REASON_LABELS,
        "override_reasons": OVERRIDE_REASONS,
        "station": station_name(),
        # a browser bench prints the label page itself (bench.js); others queue it (printing.py)
        "browser_print": bench_config(current_app.config, station_name())["printer"] == "browser",
    }
    context.update(extra)
    return page_or_fragment("bench.html", "_bench.html", status, **context)


GRADES = [
    ("A", "New: unopened or unused"),
    ("B", "Like new: opened, complete"),
    ("C", "Used or cosmetic damage, works"),
    ("D", "Defective or broken"),
    ("X", "Not ours, empty, counterfeit, tampered"),
]

# why an operator departs from the recommendation; recorded with the decision
OVERRIDE_REASONS = [
    "Damage the grade does not show",
    "Missing parts or accessories",
    "Supervisor instruction",
    "Packaging unsellable",
    "Wrong bin or order",
]
