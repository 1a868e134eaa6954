"""Integrations: webhook subscribers and their delivery state, the pull feed, CSV exports by date, the
platforms' files (their downloads in platform_files.py)."""
from datetime import timedelta

from flask import Response, request, url_for
from flask_babel import gettext as _

from station import daterange
from station.data import exports, platform_files, webhooks
from station.db import get_db
from station.errors import ServiceError
from station.inputs import whole_number
from station.languages import N_
from station.events import feed
from station.roles import ADMINS
from station.reporting.tables import to_csv
from station.web.security import roles_required
from station.timeutil import now
from station.web.pages import msg, wants_fragment
from station.web.admin import answer, bp, render

KINDS = [("decisions", "Decisions"), ("stock-changes", "Stock changes"), ("refunds", "Refunds")]
DOWNLOADS = {"decisions": N_("Download decisions"), "stock-changes": N_("Download stock changes"),
             "refunds": N_("Download refunds")}  # each kind's button (the count follows it)
PRESETS = [("today", N_("Today")), ("yesterday", N_("Yesterday")), ("last-7-days", N_("Last 7 days")),
           ("last-30-days", N_("Last 30 days")), ("this-month", N_("This month")), ("last-month", N_("Last month"))]
FEED_PAGE = 50


def preset_range(name, today=None):
    """(from, to) days, inclusive, UTC, for a preset button."""
    today = today or now().date()
    first = today.replace(day=1)
    ranges = {
        "today": (today, today),
        "yesterday": (today - timedelta(days=1), today - timedelta(days=1)),
        "last-7-days": (today - timedelta(days=6), today),
        "last-30-days": (today - timedelta(days=29), today),
        "this-month": (first, today),
        "last-month": ((first - timedelta(days=1)).replace(day=1), first - timedelta(days=1)),
    }
    return ranges.get(name, ranges["last-7-days"])


def _range_args(args):
    """The form's range: a preset, else from/to as typed (checked when counted)."""
    if args.get("preset"):
        start, end = preset_range(args["preset"])
        return start.isoformat(), end.isoformat()
    return args.get("from", "")[:40], args.get("to", "")[:40]


def _exports(db, from_, to):
    """Counts per kind for the range, or the range's error for the field it names."""
    context = {"kinds": [(kind, _(DOWNLOADS[kind])) for kind, _label in KINDS],
               "presets": [(key, _(label)) for key, label in PRESETS], "from_": from_, "to": to, "counts": None,
               "range_error": None}
    try:
        for value, field in ((from_, "from"), (to, "to")):
            if value and len(value) != 10:
                raise ServiceError("bad_request", _("must be a date YYYY-MM-DD"), 400, field=field)
            daterange.parse_day(value, field)
        context["counts"] = {kind: exports.count(db, kind, from_ or None, to or None) for kind, _ in KINDS}
    except ServiceError as exc:
        text = exc.message.split(": ", 1)[-1]
        if text in ("is before from", _("is before from")):
            text = _("the end day is before the start day")
        context["range_error"] = {"field": exc.extra.get("field", "from"), "text": text}
    return context


def platform_panel(db, form=None, errors=None):
    """What the platform files panel shows: the channels to pick from and the form as typed (no row
    counts: each file reads every order of its channel, too slow for every visit at millions of lines)."""
    today = now().date()
    form = {"location": "", "channel": None, "from": (today - timedelta(days=29)).isoformat(),
            "to": today.isoformat(), **(form or {})}
    return {"pf": {"channels": platform_files.channels(db), "form": form, "errors": errors or {}}}


def _context(db, platform=None, **extra):
    """Everything the page shows; `platform` (default: for a whole page, not an htmx widget) adds the
    platform files panel, whose channel list is a pass over the orders."""
    from_, to = _range_args(request.args) if request.method == "GET" else ("", "")
    if not (from_ or to):
        start, end = preset_range("last-7-days")
        from_, to = start.isoformat(), end.isoformat()
    context = {"hooks": webhooks.status(db), "form": {}, "errors": {}, "message": None, "secret": None,
               "last_seq": db.execute("SELECT coalesce(max(seq), 0) FROM events").fetchone()[0],
               "feed_url": url_for("api.event_feed", _external=True)}
    context.update(_exports(db, from_, to))
    if platform or (platform is None and not wants_fragment()):
        context.update(platform_panel(db))
    context.update(extra)
    return context


@bp.get("/integrations")
@roles_required(*ADMINS)
def integrations():
    """Webhook subscribers, the pull feed, exports."""
    return render("admin/integrations.html", **_context(get_db(), platform=True))


@bp.get("/integrations/webhooks")
@roles_required(*ADMINS)
def webhook_table():
    """The subscribers' delivery state (the table refreshes itself)."""
    return answer("admin/integrations.html", "admin/_webhook_table.html", **_context(get_db()))


@bp.post("/integrations/webhooks")
@roles_required(*ADMINS)
def webhook_add():
    """Add a subscriber; a secret left empty is generated; either is shown this once."""
    db = get_db()
    form = {key: request.form.get(key, "").strip() for key in ("name", "url", "secret")}
    try:
        hook = webhooks.add(db, form["name"], form["url"], form["secret"] or None)
    except ServiceError as exc:
        form["secret"] = ""
        field = exc.extra.get("field") or "name"
        return answer("admin/integrations.html", "admin/_webhook_form.html", exc.status,
                      **_context(db, form=form, errors={field: exc.message.split(": ", 1)[-1]}))
    return answer("admin/integrations.html", "admin/_webhook_form.html", oob=True,
                  **_context(db, secret=hook["secret"], message=msg("ok", _("Added %(name)s: it receives events from now on", name=hook["name"]))))


@bp.post("/integrations/webhooks/<id:webhook_id>/active")
@roles_required(*ADMINS)
def webhook_active(webhook_id):
    """Pause or resume a subscriber."""
    active = request.form.get("active") == "1"
    webhooks.set_active(get_db(), webhook_id, active)
    return answer("admin/integrations.html", "admin/_webhook_table.html", **_context(get_db()))


@bp.post("/integrations/webhooks/<id:webhook_id>/retry")
@roles_required(*ADMINS)
def webhook_retry(webhook_id):
    """Try a failing subscriber again now instead of after the backoff."""
    webhooks.retry_now(get_db(), webhook_id)
    return answer("admin/integrations.html", "admin/_webhook_table.html", **_context(get_db()))


@bp.get("/integrations/exports")
@roles_required(*ADMINS)
def exports_panel():
    """The export form for a range or preset, with how many rows each file would have."""
    db = get_db()
    context = _context(db)
    return answer("admin/integrations.html", "admin/_exports.html", 400 if context["range_error"] else 200, **context)


@bp.get("/integrations/export.csv")
@roles_required(*ADMINS)
def export_csv():
    """Download one kind of record for the range as CSV; a bad range is the page with the message."""
    db = get_db()
    kind = request.args.get("kind", "")
    from_, to = _range_args(request.args)
    context = _context(db, platform=True)
    if kind not in dict(KINDS):
        context["range_error"] = {"field": "kind", "text": _("choose decisions, stock changes or refunds")}
    if context["range_error"]:
        return render("admin/integrations.html", 400, **context)
    columns, found = exports.export(db, kind, from_ or None, to or None)
    name = f"{kind}_{from_ or 'start'}_{to or 'now'}.csv"
    return Response(to_csv(found, columns), mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="{name}"', "Cache-Control": "no-store"})


@bp.get("/integrations/feed")
@roles_required(*ADMINS)
def feed_page():
    """The pull feed as integrations read it, a page at a time (newest cursor last)."""
    try:
        after = whole_number(request.args.get("after"), "after", 0, 2**62, default=0)
    except ServiceError:  # a hand-edited URL: the start of the feed
        after = 0
    page = feed(get_db(), after, FEED_PAGE)
    return render("admin/feed.html", page=page, after=after, limit=FEED_PAGE,
                  feed_url=url_for("api.event_feed", _external=True))
