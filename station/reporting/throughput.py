"""Bench performance: parcels and items per station and operator per hour, timings, overrides.

From report_activity (per UTC hour, the parcel's station, the person) and report_durations
(per day of the parcel's first scan), both kept by the triggers of migration 0003_reports.
"""
from datetime import timedelta

from flask_babel import gettext as _

from station.db import rows
from station.errors import bad
from station.reporting.periods import parse_range
from station.languages import N_

# upper bounds in seconds of the timing bands (the last is open), and how a page names them (in
# English, as the API and CSV do; a page translates the label where it shows it)
BANDS = [(300, N_("≤ 5 min")), (900, N_("5–15 min")), (3600, N_("15–60 min")), (14400, N_("1–4 h")),
         (86400, N_("4–24 h")), (259200, N_("1–3 days")), (None, N_("over 3 days"))]
METRICS = {"dock_to_decision": N_("Dock to decision (first scan → last decision)"),
           "scan_to_refund_ready": N_("Scan to refund ready")}


def _bounds(column, start, end):
    """Conditions for a text time column (hour or day) inside [start, end]."""
    where, params = [], []
    if start:
        where.append(f"{column} >= ?")
        params.append(start.isoformat())
    if end:
        where.append(f"{column} < ?")
        params.append((end + timedelta(days=1)).isoformat())
    return " AND ".join(where) or "1", params


def _ratio(a, b, digits=2):
    return round(a / b, digits) if b else 0.0


def performance(db, by="station", from_=None, to=None):
    """Per station or operator: parcels, items, active hours, per-hour rates, overrides, timings."""
    if by not in ("station", "operator"):
        raise bad("by", _("must be station or operator"))
    start, end = parse_range(from_, to)
    where, params = _bounds("hour", start, end)
    found = rows(
        db,
        f"SELECT {by} AS key, sum(parcels) AS parcels, sum(items) AS items, sum(units) AS units, "
        "sum(decisions) AS decisions, sum(overrides) AS overrides, count(DISTINCT hour) AS active_hours "
        f"FROM report_activity WHERE {where} AND (parcels != 0 OR items != 0 OR decisions != 0) "
        "GROUP BY 1",
        params,
    )
    dwhere, dparams = _bounds("day", start, end)
    timings = {}
    for r in rows(
        db,
        f"SELECT {by} AS key, metric, sum(returns) AS n, sum(seconds) AS seconds FROM report_durations "
        f"WHERE {dwhere} GROUP BY 1, 2",
        dparams,
    ):
        timings[(r["key"], r["metric"])] = r
    result = []
    for r in found:
        dock = timings.get((r["key"], "dock_to_decision"))
        ready = timings.get((r["key"], "scan_to_refund_ready"))
        result.append({
            "key": r["key"] or None, "parcels": r["parcels"], "items": r["items"], "units": r["units"],
            "active_hours": r["active_hours"], "parcels_per_hour": _ratio(r["parcels"], r["active_hours"]),
            "items_per_hour": _ratio(r["items"], r["active_hours"]), "decisions": r["decisions"],
            "overrides": r["overrides"], "override_rate": _ratio(r["overrides"], r["decisions"], 4),
            "dock_to_decision_avg_s": _ratio(dock["seconds"], dock["n"], 1) if dock else None,
            "scan_to_refund_ready_avg_s": _ratio(ready["seconds"], ready["n"], 1) if ready else None,
        })
    result.sort(key=lambda r: (-r["parcels"], -r["items"], str(r["key"])))
    return {"rows": result}


def totals(db, from_=None, to=None):
    """Parcels, items, decisions and overrides at all stations together."""
    start, end = parse_range(from_, to)
    where, params = _bounds("hour", start, end)
    return rows(
        db,
        "SELECT coalesce(sum(parcels), 0) AS parcels, coalesce(sum(items), 0) AS items, "
        f"coalesce(sum(decisions), 0) AS decisions, coalesce(sum(overrides), 0) AS overrides FROM report_activity WHERE {where}",
        params,
    )[0]


def durations(db, from_=None, to=None):
    """Parcels per timing band for each metric, with the count and the mean, by day of first scan."""
    start, end = parse_range(from_, to)
    where, params = _bounds("day", start, end)
    found = {(r["metric"], r["band"]): r for r in rows(
        db,
        f"SELECT metric, band, sum(returns) AS n, sum(seconds) AS seconds FROM report_durations WHERE {where} "
        "GROUP BY 1, 2",
        params,
    )}
    result, summary = [], []
    for metric, label in METRICS.items():
        total = sum(found[(metric, b)]["n"] for b in range(len(BANDS)) if (metric, b) in found)
        seconds = sum(found[(metric, b)]["seconds"] for b in range(len(BANDS)) if (metric, b) in found)
        within = 0
        for band, (limit, name) in enumerate(BANDS):
            n = found[(metric, band)]["n"] if (metric, band) in found else 0
            if limit is not None and limit <= 3600:
                within += n
            result.append({"metric": metric, "band": name, "up_to_seconds": limit, "returns": n,
                           "share": _ratio(n, total, 4)})
        summary.append({"metric": metric, "label": label, "returns": total, "avg_seconds": _ratio(seconds, total, 1),
                        "within_1h_share": _ratio(within, total, 4)})
    return {"rows": result, "summary": summary}


def _per_hour(db, start, end):
    """Bench work per UTC hour: one pass in primary-key order (no sort), for the day and hour-of-day series."""
    where, params = _bounds("hour", start, end)
    return db.execute(
        f"SELECT hour, sum(parcels), sum(items), sum(decisions), sum(overrides) FROM report_activity WHERE {where} "
        "GROUP BY hour",
        params,
    ).fetchall()


def timeline(db, from_=None, to=None):
    """{"days": by_day rows, "hours": by_hour_of_day rows} from one pass over the hours."""
    start, end = parse_range(from_, to)
    days, hours = {}, {h: [0, 0] for h in range(24)}
    for hour, parcels, items, decisions, overrides in _per_hour(db, start, end):
        d = days.setdefault(hour[:10], [0, 0, 0, 0])
        d[0] += parcels
        d[1] += items
        d[2] += decisions
        d[3] += overrides
        h = hours.setdefault(int(hour[11:13]), [0, 0])
        h[0] += parcels
        h[1] += items
    return {
        "days": [{"day": day, "parcels": p, "items": i, "decisions": d, "overrides": o}
                 for day, (p, i, d, o) in sorted(days.items()) if p or i or d],
        "hours": [{"hour": h, "parcels": p, "items": i} for h, (p, i) in sorted(hours.items())],
    }


def by_hour_of_day(db, from_=None, to=None):
    """Parcels and items by UTC hour of day (0-23): when the bench is busy."""
    return {"rows": timeline(db, from_, to)["hours"]}


def by_day(db, from_=None, to=None):
    """Parcels opened, items inspected and decisions made per UTC day."""
    return {"rows": timeline(db, from_, to)["days"]}
