"""Report pages: short callers of station.reporting, one template each, CSV links for every table."""
from flask import Response, request, url_for
from flask_babel import gettext as _

from station import policy as policy_module
from station import languages, timeutil
from station.intake import customers as customer_flags
from station.db import get_db
from station.errors import ServiceError, bad
from station.reporting import backlog, board, displays, charts, forecast, periods, rates, returners, tables, throughput, value
from station.web.reports import bp, fmt, page, supervisor_required
from station.web.security import current_user

SORTS = {"excess": "excess_returns", "rate": "rate", "returned": "units_returned", "shipped": "units_shipped"}


@bp.context_processor
def helpers():
    return {"f": fmt, "charts": charts, "csv_url": csv_url, "this_page": this_page,
            "generated": fmt.when(timeutil.iso(timeutil.now()))}


def this_page(drop=(), **changes):
    """This page's URL with some query arguments changed (None removes one), for links and presets."""
    args = {k: v for k, v in request.args.items() if k not in drop}
    args.update(changes)
    args = {k: v for k, v in args.items() if v not in (None, "")}
    return url_for(request.endpoint, **(request.view_args or {}), **args)


def csv_url(name, **params):
    """The CSV export of a table with the page's resolved parameters (so the file equals the page)."""
    clean = {k: v for k, v in params.items() if v not in (None, "")}
    return url_for("reports.export", name=name, **clean)


def window(default):
    """The page's date range from `from`/`to` or the `period` preset, as the template shows it."""
    start, end, preset = periods.page_range(request.args, default)
    return {"start": start, "end": end, "preset": preset, "presets": list(periods.PRESETS),
            "from": start.isoformat() if start else None, "to": end.isoformat() if end else None}


def choice(name, allowed, default):
    value = request.args.get(name) or default
    if value not in allowed:
        raise bad(name, _("must be one of %(choices)s", choices=", ".join(allowed)))
    return value


@bp.get("/")
@supervisor_required
def overview():
    """Monday morning: the rate, what to act on, what jumped, whether the bench keeps up."""
    db, w = get_db(), window("90d")
    act = {dim: rates.act_on(db, dim, w["start"], w["end"], 5) for dim in ("sku", "supplier")}
    reasons = {dim: rates.reasons_of(db, dim, [r["key"] for r in act[dim]], w["start"], w["end"], 1) for dim in act}
    labels = {dim: rates.names(db, dim, [r["key"] for r in act[dim]]) for dim in act}
    return page("reports/overview.html", w=w, totals=rates.totals(db, w["start"], w["end"]), act=act, reasons=reasons,
                labels=labels, jumps=rates.rate_jumps(db, w["from"], w["to"]), trend=rates.trend(db, w["from"], w["to"]),
                timings=throughput.durations(db, w["from"], w["to"])["summary"], queues=backlog.queues(db)["rows"],
                bench=throughput.totals(db, w["from"], w["to"]))


@bp.get("/return-rates")
@supervisor_required
def return_rates():
    """Return rates by one dimension, with the top reasons, the jumps and the trend."""
    db, w = get_db(), window("90d")
    group_by = rates.group_by_arg(request.args.get("group_by") or "sku")
    sort = choice("sort", SORTS, "excess")
    limit = returners.limit_arg(request.args.get("limit"), 100)
    found = rates.return_rates(db, group_by, w["from"], w["to"])["rows"]
    total = rates.totals(db, w["start"], w["end"])
    by_reason = group_by == "reason"
    for r in found:
        r["excess_returns"] = round(r["units_returned"] - r["units_shipped"] * total["rate"], 1)
        # a reason's units are a share of all returns (every reason row has all units shipped)
        r["share_of_returns"] = rates.share(r["units_returned"], total["units_returned"])
    if by_reason and sort == "excess":
        sort = "returned"  # the same order: a reason's excess is its returns less a constant
    found.sort(key=lambda r: (-r[SORTS[sort]], *rates.tie_key(r["key"])))
    shown = found[:limit]
    keys = [r["key"] for r in shown]
    reasons = rates.reasons_of(db, group_by, keys, w["start"], w["end"]) if group_by in ("sku", "supplier") else {}
    jumps = rates.rate_jumps(db, w["from"], w["to"]) if group_by == "sku" else None
    labels = ({k: fmt.reason(k) for k in keys} if by_reason else rates.names(db, group_by, keys))
    return page("reports/rates.html", w=w, group_by=group_by, sort=sort,
                sorts=[s for s in SORTS if not (by_reason and s == "excess")], limit=limit,
                rows=shown, count=len(found), total=total, reasons=reasons, jumps=jumps, by_reason=by_reason,
                labels=labels, trend=rates.trend(db, w["from"], w["to"]))


@bp.get("/bench")
@supervisor_required
def bench():
    """Throughput per station and operator, timings, overrides, when the bench is busy."""
    db, w = get_db(), window("7d")
    series = throughput.timeline(db, w["from"], w["to"])
    return page("reports/bench.html", w=w,
                stations=throughput.performance(db, "station", w["from"], w["to"])["rows"],
                operators=throughput.performance(db, "operator", w["from"], w["to"])["rows"],
                durations=throughput.durations(db, w["from"], w["to"]), hours=series["hours"], days=series["days"])


@bp.get("/queues")
@supervisor_required
def queues():
    """What waits after the bench and for how long; waiting orders filled from returns."""
    db, w = get_db(), window("30d")
    lead_days = backlog.lead_days_arg(request.args.get("lead_days"))
    fills = backlog.crossdock_fills(db, w["from"], w["to"], lead_days)
    return page("reports/queues.html", w=w, queues=backlog.queues(db)["rows"], fills=fills, lead_days=lead_days)


@bp.get("/value")
@supervisor_required
def value_page():
    """Recovery value by disposition against the value as new, and the write-offs."""
    db, w = get_db(), window("30d")
    return page("reports/value.html", w=w, recovery=value.recovery(db, w["from"], w["to"]),
                write_offs=value.write_offs(db, w["from"], w["to"]))


@bp.get("/customers")
@supervisor_required
def customers():
    """Frequent returners for review."""
    limit = returners.limit_arg(request.args.get("limit"), 100, returners.MAX_LIST)
    return page("reports/customers.html", found=returners.frequent_returners(get_db(), limit=limit, say=_), limit=limit)


@bp.get("/customers/<path:customer_id>")
@supervisor_required
def customer(customer_id):
    """One customer's returns: what, why, where it went, the refund; the flags, clearable with a note."""
    return _customer_page(customer_id)


def _customer_page(customer_id, message=None, status=200):
    db = get_db()
    history = returners.history(db, customer_id)
    card = customer_flags.describe(db, customer_id, policy_module.load(db))
    return page("reports/customer.html", status, history=history, flags=card["flags"] if card else [],
                clearances=customer_flags.clearances(db, customer_id), message=message)


@bp.post("/customers/<path:customer_id>/flags/clear")
@supervisor_required
def clear_customer_flag(customer_id):
    """A supervisor clears a customer's flag, with a note (audited)."""
    user = current_user()
    try:
        customer_flags.clear_flag(get_db(), customer_id, request.form.get("flag", ""), request.form.get("note", ""),
                             user=user["name"] if user else None)
    except ServiceError as exc:
        return _customer_page(customer_id, {"tone": "error", "text": exc.message}, exc.status)
    return _customer_page(customer_id, {"tone": "ok", "text": _("Flag cleared, with your note")})


@bp.get("/purchasing")
@supervisor_required
def purchasing():
    """Expected returns per SKU over the next days, to order net of them."""
    days = forecast.days_arg(request.args.get("days"))
    limit = returners.limit_arg(request.args.get("limit"), 100)
    return page("reports/purchasing.html", result=forecast.expected_returns(get_db(), days=days), days=days,
                limit=limit)


@bp.get("/board")
@supervisor_required
def wall_board():
    """The floor screen: today at the bench and the queues; it refreshes itself (htmx, every `refresh` s)."""
    refresh = returners.limit_arg(request.args.get("refresh"), 30, 3600, "refresh")
    return page("reports/board.html", partial="reports/_board.html", b=board.board(get_db()), refresh=refresh,
                lang=languages.normalize(request.args.get("lang")))


@bp.get("/floor/<token>")
def floor(token):
    """The wall-board on a floor TV: opened by a display token an admin made (no sign-in on the
    TV, read-only, revocable), full screen, large type, the site's time, targets in colour.

    Its language is the URL's `?lang=` (no one signs in on a TV): `/reports/floor/<token>?lang=zh_Hans`
    speaks Simplified Chinese, and its refreshes keep asking in that language."""
    db = get_db()
    display = displays.check(db, token)
    if display is None:
        return page("reports/floor_closed.html", 404)
    refresh = returners.limit_arg(request.args.get("refresh"), 30, 3600, "refresh")
    b = board.board(db)
    return page("reports/floor.html", partial="reports/_floor.html", b=b, refresh=refresh, token=token,
                display=display, alarms=board.alarms(b, policy_module.load(db)),
                lang=languages.normalize(request.args.get("lang")))


@bp.get("/export/<name>.csv")
@supervisor_required
def export(name):
    """Any report table as CSV, from the same arguments as its API route."""
    if name not in tables.TABLES:
        raise ServiceError("not_found", _("There is no report table %(name)s: the tables are %(tables)s", name=name,
                                          tables=", ".join(tables.TABLES)), 404)  # the reports' error page, not a bare 404
    table = tables.table(name)
    result = table.compute(get_db(), request.args)
    return _csv(tables.to_csv(result["rows"], table.columns), name)


@bp.get("/export/customers/<path:customer_id>.csv")
@supervisor_required
def export_customer(customer_id):
    """One customer's history as CSV, a row per returned item."""
    found = returners.history(get_db(), customer_id)
    return _csv(tables.to_csv(returners.history_rows(found), tables.HISTORY_COLUMNS), "customer-history")


def _csv(text, name):
    return Response(text, mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="{name}.csv"', "Cache-Control": "no-store"})
