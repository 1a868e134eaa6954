"""Report tables for supervisors' tokens: JSON, or CSV with `format=csv` (GET /api/reports/...).

The contract's /api/reports/return-rates first, then the other tables of the reports, computed
by station.reporting.tables exactly as the pages show them.
"""
from flask import Response, jsonify, request

from station.roles import SUPERVISORS
from station.db import get_db
from station.reporting import rates, returners, tables
from station.web.security import token_required
from station.web.api import bp

RATE_COLUMNS = ["key", "units_shipped", "units_returned", "rate"]


@bp.get("/reports/return-rates")
@token_required()
def return_rates():
    """Return rate by SKU, supplier, reason, country or channel; CSV with format=csv (json or csv, else 400)."""
    a = request.args
    as_csv = tables.wants_csv(a)
    result = rates.return_rates(get_db(), a.get("group_by", "sku"), a.get("from"), a.get("to"))
    if as_csv:
        return Response(tables.to_csv(result["rows"], RATE_COLUMNS), mimetype="text/csv")
    return jsonify(result)


def _answer(name):
    """The named table as JSON, or as CSV with a header row for format=csv."""
    as_csv = tables.wants_csv(request.args)
    table = tables.table(name)
    result = table.compute(get_db(), request.args)
    if as_csv:
        return Response(tables.to_csv(result["rows"], table.columns), mimetype="text/csv")
    return jsonify(result)


@bp.get("/reports/top-reasons")
@token_required(*SUPERVISORS)
def report_top_reasons():
    """The top reasons of the SKUs (by=sku) or suppliers (by=supplier) with most returns."""
    return _answer("top-reasons")


@bp.get("/reports/rate-jumps")
@token_required(*SUPERVISORS)
def report_rate_jumps():
    """SKUs whose return rate rose against the period just before."""
    return _answer("rate-jumps")


@bp.get("/reports/rate-trend")
@token_required(*SUPERVISORS)
def report_rate_trend():
    """Return rate per week or month, overall or for one key."""
    return _answer("rate-trend")


@bp.get("/reports/bench")
@token_required(*SUPERVISORS)
def report_bench():
    """Parcels and items per station or operator per hour, overrides, timings."""
    return _answer("bench")


@bp.get("/reports/durations")
@token_required(*SUPERVISORS)
def report_durations():
    """Dock-to-decision and scan-to-refund-ready times in bands."""
    return _answer("durations")


@bp.get("/reports/bench-hours")
@token_required(*SUPERVISORS)
def report_bench_hours():
    """Parcels and items by hour of day."""
    return _answer("bench-hours")


@bp.get("/reports/bench-days")
@token_required(*SUPERVISORS)
def report_bench_days():
    """Parcels, items and decisions per day."""
    return _answer("bench-days")


@bp.get("/reports/queues")
@token_required(*SUPERVISORS)
def report_queues():
    """Sizes and ages of the refurbish, RTV, quarantine and held-refund queues."""
    return _answer("queues")


@bp.get("/reports/crossdock")
@token_required(*SUPERVISORS)
def report_crossdock():
    """Waiting orders filled from returns, and the days saved."""
    return _answer("crossdock")


@bp.get("/reports/value")
@token_required(*SUPERVISORS)
def report_value():
    """Recovery value by disposition against the value as new."""
    return _answer("value")


@bp.get("/reports/write-offs")
@token_required(*SUPERVISORS)
def report_write_offs():
    """Scrapped units per SKU: cost written off."""
    return _answer("write-offs")


@bp.get("/reports/frequent-returners")
@token_required(*SUPERVISORS)
def report_frequent_returners():
    """Customers the frequent-returner rule flags, for review."""
    return _answer("frequent-returners")


@bp.get("/reports/forecast")
@token_required(*SUPERVISORS)
def report_forecast():
    """Expected returns per SKU over the next `days` days, for purchasing."""
    return _answer("forecast")


@bp.get("/reports/customers/<path:customer_id>")
@token_required(*SUPERVISORS)
def report_customer(customer_id):
    """One customer's return history: a row per returned item."""
    as_csv = tables.wants_csv(request.args)
    found = returners.history(get_db(), customer_id)
    if as_csv:
        return Response(tables.to_csv(returners.history_rows(found), tables.HISTORY_COLUMNS), mimetype="text/csv")
    return jsonify(found)
