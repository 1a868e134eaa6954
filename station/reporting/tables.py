"""Every report table by name: how to compute it from query arguments, and its CSV columns.

The JSON API (station/api/reports.py) and the supervisor pages' CSV links both answer from
here, so a table and its export cannot disagree.
"""
import csv
import io
from dataclasses import dataclass
from typing import Callable

from flask_babel import gettext as _

from station import policy
from station.errors import bad
from station.reporting import backlog, forecast, rates, returners, throughput, value


@dataclass(frozen=True)
class Table:
    title: str
    compute: Callable  # (db, args) -> {"rows": [...], ...}
    columns: tuple


def _number(args, name, default, low, high, kind=int):
    raw = args.get(name)
    if raw in (None, ""):
        return default
    try:
        number = kind(raw)
    except (TypeError, ValueError):
        raise bad(name, _("must be a number")) from None
    if not low <= number <= high:
        raise bad(name, _("must be from %(low)s to %(high)s", low=low, high=high))
    return number


def _range(args):
    return args.get("from"), args.get("to")


def _in_base_currency(db, result):
    """Catalogue values (prices, costs) are in the base currency: every row says which."""
    currency = policy.load(db)["base_currency"]
    for row in result["rows"]:
        row["currency"] = currency
    if result.get("total"):
        result["total"]["currency"] = currency
    return result


TABLES = {
    "return-rates": Table(
        "Return rates",
        lambda db, a: rates.return_rates(db, a.get("group_by", "sku"), *_range(a)),
        ("key", "units_shipped", "units_returned", "rate")),
    "top-reasons": Table(
        "Top reasons",
        lambda db, a: rates.top_reasons(db, a.get("by", "sku"), *_range(a), limit=_number(a, "limit", 20, 1, 500),
                                        top=_number(a, "top", 3, 1, 10)),
        ("key", "rank", "reason", "units_returned", "share")),
    "rate-jumps": Table(
        "Return rates that jumped",
        lambda db, a: rates.rate_jumps(db, *_range(a), min_units=_number(a, "min_units", 20, 1, 10**9),
                                       min_increase=_number(a, "min_increase", 0.05, 0.0, 1.0, float)),
        ("sku", "units_shipped", "units_returned", "rate", "previous_units_shipped", "previous_units_returned",
         "previous_rate", "change")),
    "rate-trend": Table(
        "Return rate trend",
        lambda db, a: _trend(db, a),
        ("period", "units_shipped", "units_returned", "rate")),
    "bench": Table(
        "Bench performance",
        lambda db, a: throughput.performance(db, a.get("by", "station"), *_range(a)),
        ("key", "parcels", "items", "units", "active_hours", "parcels_per_hour", "items_per_hour", "decisions",
         "overrides", "override_rate", "dock_to_decision_avg_s", "scan_to_refund_ready_avg_s")),
    "durations": Table(
        "Parcel timings",
        lambda db, a: throughput.durations(db, *_range(a)),
        ("metric", "band", "up_to_seconds", "returns", "share")),
    "bench-hours": Table(
        "Parcels by hour of day",
        lambda db, a: throughput.by_hour_of_day(db, *_range(a)),
        ("hour", "parcels", "items")),
    "bench-days": Table(
        "Bench work per day",
        lambda db, a: throughput.by_day(db, *_range(a)),
        ("day", "parcels", "items", "decisions", "overrides")),
    "queues": Table(
        "Queues",
        lambda db, a: backlog.queues(db),
        ("queue", "items", "oldest_since", "oldest_age_days", "under_1d", "d1_to_3", "d3_to_7", "over_7d")),
    "crossdock": Table(
        "Cross-dock fills",
        lambda db, a: backlog.crossdock_fills(db, *_range(a), lead_days=backlog.lead_days_arg(a.get("lead_days"))),
        ("order_no", "line_no", "sku", "units", "item_id", "placed_at", "filled_at", "order_status", "days_waited",
         "completed_order", "days_saved")),
    "value": Table(
        "Recovery value by disposition",
        lambda db, a: _in_base_currency(db, value.recovery(db, *_range(a))),
        ("disposition", "items", "units", "original_value", "recovered_value", "lost_value", "recovery_rate", "currency")),
    "write-offs": Table(
        "Write-offs",
        lambda db, a: _in_base_currency(db, value.write_offs(db, *_range(a))),
        ("sku", "name", "supplier_id", "units", "cost_value", "liquidation_value", "written_off", "currency")),
    "frequent-returners": Table(
        "Frequent returners",
        lambda db, a: returners.frequent_returners(db, limit=returners.limit_arg(a.get("limit"), 100, returners.MAX_LIST)),
        ("customer_id", "name", "country", "orders", "returns", "recent", "return_rate", "last_return_day", "why")),
    "forecast": Table(
        "Expected returns",
        lambda db, a: forecast.expected_returns(db, days=forecast.days_arg(a.get("days"))),
        ("sku", "name", "supplier_id", "units_shipped_recent", "return_rate", "expected_returns",
         "expected_with_new_sales", "on_open_rmas")),
}

HISTORY_COLUMNS = returners.HISTORY_COLUMNS  # one customer's history, a row per item with its refund line


def _trend(db, args):
    group_by = args.get("group_by") or "all"
    if group_by == "reason":
        raise bad("group_by", _("a trend is by sku, supplier, country or channel"))
    return rates.trend(db, *_range(args), dim=group_by, key=args.get("key") or "")


def table(name):
    return TABLES[name]


def wants_csv(args):
    """format=csv or json (the default); anything else is a 400 naming `format`."""
    fmt = args.get("format") or "json"
    if fmt not in ("json", "csv"):
        raise bad("format", _("must be json or csv"))
    return fmt == "csv"


def to_csv(table_rows, columns):
    """CSV text with a header row; cells a spreadsheet would run as a formula are quoted with '."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=columns, extrasaction="ignore", lineterminator="\n")
    writer.writeheader()
    for row in table_rows:
        writer.writerow({k: _cell(row.get(k)) for k in columns})
    return out.getvalue()


def _cell(value):
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r") and not _is_number(value):
        return "'" + value
    return value


def _is_number(text):
    try:
        float(text)
    except ValueError:
        return False
    return True
