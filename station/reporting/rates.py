"""Return rates: units returned / units shipped, by shipment cohort (DESIGN.md, "Reports are cohorts").

Read from the report_cohort and report_reasons aggregates (migration 0003_reports), which the
triggers keep equal to the straight count in `return_rates_direct`.
"""
import json
from datetime import date, timedelta

from flask_babel import gettext as _

from station.db import rows
from station.errors import bad
from station.policy import REASON_LABELS
from station.reporting.periods import cover, parse_bound, parse_range, previous, split_range
from station.reporting.periods import today as _today

GROUPS = ("sku", "supplier", "reason", "country", "channel")
DIMS = ("sku", "supplier", "country", "channel")


def _key(value):
    """'' stands for 'none' in the aggregates (no supplier, no channel)."""
    return None if value == "" else value


def _rate(returned, shipped):
    return round(returned / shipped, 4) if shipped else 0.0


share = _rate  # a part of a whole, as a fraction to 4 places


def tie_key(key):
    """Rows that tie sort by key, the 'none' row (no supplier, no channel: key null) after the named ones."""
    return (key is None, str(key))


def _order(result):
    """Highest rate first, then most units returned, then by key (tie_key)."""
    result.sort(key=lambda r: (-r["rate"], -r["units_returned"], *tie_key(r["key"])))
    return result


def group_by_arg(value):
    if value not in GROUPS:
        raise bad("group_by", _("must be one of %(choices)s", choices=", ".join(GROUPS)))
    return value


def cohort_rows(db, dim, start, end):
    """[{key, units_shipped, units_returned, rate}] of one dimension over shipped days [start, end]."""
    periods = cover(db, "report_cohort", start, end)
    found = rows(
        db,
        "SELECT key, sum(shipped) AS shipped, sum(returned) AS returned FROM report_cohort "
        "WHERE dim = ? AND period IN (SELECT value FROM json_each(?)) GROUP BY key "
        "HAVING sum(shipped) != 0 OR sum(returned) != 0",
        [dim, periods],
    )
    return [
        {"key": _key(r["key"]), "units_shipped": r["shipped"], "units_returned": r["returned"],
         "rate": _rate(r["returned"], r["shipped"])}
        for r in found
    ]


def reason_rows(db, start, end):
    """Returned units by reason over all units shipped in the range."""
    periods = cover(db, "report_cohort", start, end)
    total = db.execute(
        "SELECT coalesce(sum(shipped), 0) FROM report_cohort WHERE dim = 'all' AND period IN (SELECT value FROM json_each(?))",
        [periods],
    ).fetchone()[0]
    found = rows(
        db,
        "SELECT reason, sum(units) AS units FROM report_reasons WHERE dim = 'all' AND key = '' "
        "AND period IN (SELECT value FROM json_each(?)) GROUP BY reason HAVING sum(units) != 0",
        [periods],
    )
    return [{"key": r["reason"], "units_shipped": total, "units_returned": r["units"], "rate": _rate(r["units"], total)}
            for r in found]


def _merge(found, extra):
    """Rows of whole days plus the counts of part days ({stored key: [shipped, returned]})."""
    by_key = {("" if r["key"] is None else r["key"]): [r["units_shipped"], r["units_returned"]] for r in found}
    for key, (shipped, returned) in extra.items():
        counts = by_key.setdefault(key, [0, 0])
        counts[0] += shipped
        counts[1] += returned
    return [{"key": _key(k), "units_shipped": s, "units_returned": n, "rate": _rate(n, s)}
            for k, (s, n) in by_key.items() if s or n]


_PART_KEYS = {"sku": "sku", "supplier": "supplier_id", "country": "country", "channel": "channel", "reason": "reason"}


def part_counts(db, group_by, parts):
    """{stored key: [shipped, returned]} of orders shipped in the part days (instants, UTC), straight from the
    report views (the rules the aggregates count by); for `reason` the shipped units are all under ''."""
    out = {}
    for day, low, high in parts:
        where = ["shipped_at >= ?", "shipped_at < ?"]
        params = [day.isoformat(), (day + timedelta(days=1)).isoformat()]
        if low:
            where.append("julianday(shipped_at) >= julianday(?)")
            params.append(low.isoformat())
        if high:
            where.append("julianday(shipped_at) <= julianday(?)")
            params.append(high.isoformat())
        cond = " AND ".join(where)
        # +key: grouping must not walk a key index (all of return_items); the day's orders lead
        column = "+" + _PART_KEYS[group_by]
        ship_key = "''" if group_by == "reason" else column
        for r in rows(db, f"SELECT {ship_key} AS k, sum(qty) AS n FROM report_shipped_lines WHERE {cond} GROUP BY 1",
                      params):
            out.setdefault(r["k"], [0, 0])[0] += r["n"]
        for r in rows(db, f"SELECT {column} AS k, sum(qty) AS n FROM report_returned_units WHERE {cond} GROUP BY 1",
                      params):
            out.setdefault(r["k"], [0, 0])[1] += r["n"]
    return out


def return_rates(db, group_by="sku", from_=None, to=None):
    """{"rows": [{key, units_shipped, units_returned, rate}]}, highest rate first (CONTRACT.md).

    `from`/`to` are days (inclusive, UTC) or instants: whole days come from the aggregates, the
    part of a day an instant cuts is counted straight from that day's orders.
    """
    group_by = group_by_arg(group_by)
    whole, parts = split_range(from_, to)
    if group_by == "reason":
        result = reason_rows(db, *whole) if whole else []
        if parts:
            extra = part_counts(db, "reason", parts)
            total = (result[0]["units_shipped"] if result else
                     (totals(db, *whole)["units_shipped"] if whole else 0)) + extra.pop("", [0, 0])[0]
            merged = {r["key"]: r["units_returned"] for r in result}
            for reason, (_shipped, returned) in extra.items():
                merged[reason] = merged.get(reason, 0) + returned
            result = [{"key": k, "units_shipped": total, "units_returned": n, "rate": _rate(n, total)}
                      for k, n in merged.items() if n]
    else:
        result = cohort_rows(db, group_by, *whole) if whole else []
        if parts:
            result = _merge(result, part_counts(db, group_by, parts))
    return {"rows": _order(result)}


def totals(db, start, end):
    """Units shipped and returned in the range, all keys together."""
    periods = cover(db, "report_cohort", start, end)
    shipped, returned = db.execute(
        "SELECT coalesce(sum(shipped), 0), coalesce(sum(returned), 0) FROM report_cohort "
        "WHERE dim = 'all' AND period IN (SELECT value FROM json_each(?))",
        [periods],
    ).fetchone()
    return {"units_shipped": shipped, "units_returned": returned, "rate": _rate(returned, shipped)}


def act_on(db, dim, start, end, limit=10):
    """The keys to act on first: most units returned above the overall rate ("excess returns")."""
    overall = totals(db, start, end)["rate"]
    found = cohort_rows(db, dim, start, end)
    for r in found:
        r["excess_returns"] = round(r["units_returned"] - r["units_shipped"] * overall, 1)
    found.sort(key=lambda r: (-r["excess_returns"], -r["rate"], *tie_key(r["key"])))
    return [r for r in found if r["excess_returns"] > 0][:limit]


def reasons_of(db, dim, keys, start, end, top=3):
    """{key: [{reason, reason_label, units_returned, share}]}: the `top` reasons of each SKU or supplier."""
    periods = cover(db, "report_cohort", start, end)
    stored = ["" if k is None else k for k in keys]
    found = rows(
        db,
        "SELECT key, reason, sum(units) AS units FROM report_reasons WHERE dim = ? "
        "AND period IN (SELECT value FROM json_each(?)) AND key IN (SELECT value FROM json_each(?)) "
        "GROUP BY key, reason HAVING sum(units) > 0",
        [dim, periods, json.dumps(stored)],
    )
    by_key = {}
    for r in found:
        by_key.setdefault(r["key"], []).append(r)
    result = {}
    for key in stored:
        reasons = sorted(by_key.get(key, []), key=lambda r: (-r["units"], r["reason"]))
        returned = sum(r["units"] for r in reasons)
        result[_key(key)] = [{"reason": r["reason"], "reason_label": REASON_LABELS.get(r["reason"], r["reason"]),
                              "units_returned": r["units"], "share": _rate(r["units"], returned)}
                             for r in reasons[:top]]
    return result


def top_reasons(db, by="sku", from_=None, to=None, limit=20, top=3):
    """For the `limit` SKUs (or suppliers) with the most units returned: their `top` reasons."""
    if by not in ("sku", "supplier"):
        raise bad("by", _("must be sku or supplier"))
    start, end = parse_range(from_, to)
    periods = cover(db, "report_cohort", start, end)
    keys = [_key(r["key"]) for r in rows(
        db,
        "SELECT key FROM report_cohort WHERE dim = ? AND period IN (SELECT value FROM json_each(?)) "
        "GROUP BY key HAVING sum(returned) > 0 ORDER BY sum(returned) DESC, key = '', key LIMIT ?",
        [by, periods, limit],
    )]
    reasons = reasons_of(db, by, keys, start, end, top)
    return {"rows": [dict(key=key, rank=rank, **r) for key in keys for rank, r in enumerate(reasons[key], 1)]}


def names(db, dim, keys):
    """Display names of SKUs (product name) or suppliers (supplier name)."""
    table = {"sku": ("products", "sku"), "supplier": ("suppliers", "supplier_id")}.get(dim)
    if table is None or not keys:
        return {}
    return {r["k"]: r["name"] for r in rows(
        db,
        f"SELECT {table[1]} AS k, name FROM {table[0]} WHERE {table[1]} IN (SELECT value FROM json_each(?))",
        [json.dumps([k for k in keys if k is not None])],
    )}


def rate_jumps(db, from_=None, to=None, min_units=20, min_increase=0.05, today=None):
    """SKUs whose return rate rose by at least `min_increase` against the period just before.

    Both periods need at least `min_units` units shipped, so one return of a slow seller is no
    jump. Without a range: the last 30 days against the 30 before.
    """
    start, end = parse_range(from_, to)
    if start is None or end is None:
        end = end or today or _today()
        start = start or end - timedelta(days=29)
        if start > end:
            raise bad("from", _("is after to"))
    prev_start, prev_end = previous(start, end)
    now_rows = {r["key"]: r for r in cohort_rows(db, "sku", start, end)}
    before = {r["key"]: r for r in cohort_rows(db, "sku", prev_start, prev_end)}
    result = []
    for key, cur in now_rows.items():
        old = before.get(key)
        if old is None or cur["units_shipped"] < min_units or old["units_shipped"] < min_units:
            continue
        change = round(cur["rate"] - old["rate"], 4)
        if change >= min_increase:
            result.append({"sku": key, "units_shipped": cur["units_shipped"], "units_returned": cur["units_returned"],
                           "rate": cur["rate"], "previous_units_shipped": old["units_shipped"],
                           "previous_units_returned": old["units_returned"], "previous_rate": old["rate"],
                           "change": change})
    result.sort(key=lambda r: (-r["change"], -r["units_returned"], r["sku"]))
    return {"from": start.isoformat(), "to": end.isoformat(), "previous_from": prev_start.isoformat(),
            "previous_to": prev_end.isoformat(), "rows": result}


def trend(db, from_=None, to=None, dim="all", key=""):
    """Return rate per week (ranges up to 26 weeks) or per month, by ship date, for one key."""
    if dim not in ("all",) + DIMS:
        raise bad("group_by", _("must be one of %(choices)s", choices=", ".join(DIMS)))
    start, end = parse_range(from_, to)
    lo, hi = db.execute(
        "SELECT min(period), max(period) FROM report_cohort WHERE dim = 'all' AND length(period) = 10"
    ).fetchone()
    if lo is None:
        return {"bucket": "week", "rows": []}
    # the bucket follows the range asked for; the rows come from the days that have data
    weekly = ((end or date.fromisoformat(hi)) - (start or date.fromisoformat(lo))).days <= 26 * 7
    start = max(start or date.fromisoformat(lo), date.fromisoformat(lo))
    end = min(end or date.fromisoformat(hi), date.fromisoformat(hi))
    level = 10 if weekly else 7
    found = rows(
        db,
        "SELECT period, shipped, returned FROM report_cohort WHERE dim = ? AND key = ? AND length(period) = ? "
        "AND period >= ? AND period <= ? ORDER BY period",
        [dim, key if key is not None else "", level, start.isoformat()[:level], end.isoformat()[:level]],
    )
    buckets = {}
    for r in found:
        if weekly:
            day = date.fromisoformat(r["period"])
            label = (day - timedelta(days=day.weekday())).isoformat()
        else:
            label = r["period"]
        b = buckets.setdefault(label, [0, 0])
        b[0] += r["shipped"]
        b[1] += r["returned"]
    return {"bucket": "week" if weekly else "month", "rows": [
        {"period": label, "units_shipped": s, "units_returned": n, "rate": _rate(n, s)}
        for label, (s, n) in sorted(buckets.items())
    ]}


# --- the straight count, kept as the reference the aggregates must equal ------------------

_DIRECT_KEYS = {"sku": ("ol.sku", "i.sku"), "supplier": ("p.supplier_id", "p.supplier_id"),
                "country": ("c.country", "c.country"), "channel": ("o.channel", "o.channel"), "reason": (None, "i.reason")}
_SHIPPED = "o.status IN ('shipped', 'delivered')"
_NOT_A_RETURN = "i.flags NOT LIKE '%item_mismatch%' AND i.flags NOT LIKE '%unknown_product%'"


def return_rates_direct(db, group_by="sku", from_=None, to=None):
    """The same answer as return_rates, counted straight from order lines and return items."""
    group_by = group_by_arg(group_by)
    split_range(from_, to)  # the same checks
    low, high = parse_bound(from_, "from"), parse_bound(to, "to")
    where, params = [_SHIPPED], []
    if low and low[1]:
        where.append("julianday(o.shipped_at) >= julianday(?)")
        params.append(low[1].isoformat())
    elif low:
        where.append("o.shipped_at >= ?")
        params.append(low[0].isoformat())
    if high and high[1]:
        where.append("julianday(o.shipped_at) <= julianday(?)")
        params.append(high[1].isoformat())
    elif high:
        where.append("o.shipped_at < ?")
        params.append((high[0] + timedelta(days=1)).isoformat())
    cohort = " AND ".join(where)
    ship_key, ret_key = _DIRECT_KEYS[group_by]
    joins = ("JOIN orders o ON o.order_no = {t}.order_no JOIN customers c ON c.customer_id = o.customer_id "
             "LEFT JOIN products p ON p.sku = {s}")
    returned = {r["key"]: r["n"] for r in rows(
        db,
        f"SELECT {ret_key} AS key, sum(i.qty) AS n FROM return_items i JOIN returns r ON r.return_id = i.return_id "
        + joins.format(t="r", s="i.sku") + f" WHERE {cohort} AND {_NOT_A_RETURN} GROUP BY 1",
        params,
    )}
    if ship_key is None:
        total = rows(db, "SELECT coalesce(sum(ol.qty), 0) AS n FROM order_lines ol " + joins.format(t="ol", s="ol.sku")
                     + f" WHERE {cohort}", params)[0]["n"]
        shipped = {key: total for key in returned}
    else:
        shipped = {r["key"]: r["n"] for r in rows(
            db,
            f"SELECT {ship_key} AS key, sum(ol.qty) AS n FROM order_lines ol " + joins.format(t="ol", s="ol.sku")
            + f" WHERE {cohort} GROUP BY 1",
            params,
        )}
    result = [
        {"key": key, "units_shipped": shipped.get(key, 0), "units_returned": returned.get(key, 0),
         "rate": _rate(returned.get(key, 0), shipped.get(key, 0))}
        for key in set(shipped) | set(returned)
    ]
    return {"rows": _order(result)}
