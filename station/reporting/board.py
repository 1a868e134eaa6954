"""The wall-board for the floor screen: today at the bench, the queues, and whether it keeps up."""
from datetime import timedelta

from station.db import one, rows
from station import timeutil
from station.timeutil import iso
from station.reporting import backlog
from station.reporting.throughput import BANDS


def board(db, at=None):
    """Today's figures (UTC day), the queues now, and parcels per hour over the last 12 hours."""
    at = at or timeutil.now()
    day = at.date()
    start, end = day.isoformat(), (day + timedelta(days=1)).isoformat()
    today = one(
        db,
        "SELECT coalesce(sum(parcels), 0) AS parcels, coalesce(sum(items), 0) AS items, "
        "coalesce(sum(decisions), 0) AS decisions, coalesce(sum(overrides), 0) AS overrides "
        "FROM report_activity WHERE hour >= ? AND hour < ?",
        [start, end],
    )
    today["open_parcels"] = db.execute("SELECT count(*) FROM returns WHERE status = 'open'").fetchone()[0]
    today["closed_parcels"] = db.execute(
        "SELECT count(*) FROM returns WHERE status = 'closed' AND closed_at >= ? AND closed_at < ?", [start, end]
    ).fetchone()[0]
    timings = {r["metric"]: r for r in rows(
        db,
        "SELECT metric, sum(returns) AS n, sum(seconds) AS seconds FROM report_durations WHERE day = ? GROUP BY 1",
        [start],
    )}
    for metric in ("dock_to_decision", "scan_to_refund_ready"):
        t = timings.get(metric)
        today[metric + "_avg_s"] = round(t["seconds"] / t["n"], 1) if t and t["n"] else None
    today["crossdock_fills"] = db.execute(
        "SELECT count(*) FROM allocations WHERE at >= ? AND at < ?", [start, end]
    ).fetchone()[0]
    stations = rows(
        db,
        "SELECT station, sum(parcels) AS parcels, sum(items) AS items FROM report_activity "
        "WHERE hour >= ? AND hour < ? GROUP BY 1 HAVING sum(parcels) != 0 OR sum(items) != 0 ORDER BY 2 DESC, 1",
        [start, end],
    )
    first_hour = (at - timedelta(hours=11)).replace(minute=0, second=0, microsecond=0)
    found = {r["hour"]: r["parcels"] for r in rows(
        db,
        "SELECT hour, sum(parcels) AS parcels FROM report_activity WHERE hour >= ? GROUP BY 1",
        [iso(first_hour)[:13]],
    )}
    hours = []
    for n in range(12):
        h = first_hour + timedelta(hours=n)
        hours.append({"hour": h.strftime("%H:00"), "parcels": found.get(iso(h)[:13], 0)})
    return {"at": iso(at), "day": start, "today": today, "stations": stations, "hours": hours,
            "queues": backlog.queues(db, at)["rows"], "bands": BANDS}
