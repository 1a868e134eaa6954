"""What the bench shows: the parcel on screen and the item under inspection, kept in the session."""
from flask import current_app, session
from flask_babel import gettext as _

from station import policy
from station.config import bench_config
from station.db import get_db
from station.devices import live
from station.errors import ServiceError
from station.intake import finishing, parcel
from station.languages import N_
from station.web.pages import page_or_fragment
from station.web.security import current_user, station_name
from station.web.bench.wording import label

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
        "grades": [(grade, _(text)) for grade, text in GRADES],
        # (code, the label to read): policy.REASON_LABELS, said in the screen's language (wording.py)
        "reasons": [(code, label(code, "reason")) for code in policy.REASONS],
        "reason_labels": policy.REASON_LABELS,
        # (what the decision records, in English; what the button says)
        "override_reasons": [(reason, _(reason)) for reason in OVERRIDE_REASONS],
        "station": station_name(),
        # the live channel (static/js/live.js) only where a serial scanner or camera pushes scans
        "live_channel": live.hub(current_app).has_source(station_name()),
        # a browser bench prints the label page itself (bench.js); others queue it (printing.py)
        "browser_print": bench_config(current_app.config, station_name())["printer"] == "browser",
    }
    context.update(extra)
    return page_or_fragment("bench.html", "_bench.html", status, **context)


GRADES = [
    ("A", N_("New: unopened or unused")),
    ("B", N_("Like new: opened, complete")),
    ("C", N_("Used or cosmetic damage, works")),
    ("D", N_("Defective or broken")),
    ("X", N_("Not ours, empty, counterfeit, tampered")),
]

# why an operator departs from the recommendation; recorded with the decision (in English)
OVERRIDE_REASONS = [
    N_("Damage the grade does not show"),
    N_("Missing parts or accessories"),
    N_("Supervisor instruction"),
    N_("Packaging unsellable"),
    N_("Wrong bin or order"),
]
