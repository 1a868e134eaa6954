"""The wall-board for the floor screen: today at the bench, the queues, and whether it keeps up."""
from datetime import timedelta

from station.db import one, rows
from station import timeutil
from station.timeutil import iso
from station.reporting import backlog
from station.reporting.throughput import BANDS


def board(db, at=None, zone=None):
    """Today's figures (the site's day: config TIMEZONE), the queues now, and parcels per hour over
    the last 12 hours, labelled in the site's time."""
    at = at or timeutil.now()
    zone = zone or timeutil.site_zone()
    midnight = timeutil.local(at, zone).replace(hour=0, minute=0, second=0, microsecond=0)
    day = midnight.date()
    # the activity is kept by UTC hour: the site's day is the UTC hours from its midnight to the next
    start, end = iso(midnight)[:13], iso(midnight + timedelta(days=1))[:13]
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
    # durations are kept per UTC day: the one the site's day mostly falls on
    utc_day = iso(midnight + timedelta(hours=12))[:10]
    timings = {r["metric"]: r for r in rows(
        db,
        "SELECT metric, sum(returns) AS n, sum(seconds) AS seconds FROM report_durations WHERE day = ? GROUP BY 1",
        [utc_day],
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
        hours.append({"hour": timeutil.local(h, zone).strftime("%H:00"), "parcels": found.get(iso(h)[:13], 0)})
    return {"at": iso(at), "day": day.isoformat(), "zone": zone.key, "today": today, "stations": stations,
            "hours": hours, "queues": backlog.queues(db, at)["rows"], "bands": BANDS}


def alarms(b, policy, at=None):
    """Each floor tile's colour against the day's targets: "ok" (green), "warn" (amber), "alarm" (red).

    Parcels today against the target pro rata of the working day gone (8:00-18:00 site time): under
    80 % of it is amber, under 50 % red. Open parcels above the limit red, above 3/4 of it amber. The
    mean dock-to-decision above the limit red, above 3/4 of it amber. A queue whose oldest item is a
    week old is red (as on the reports).
    """
    today, out = b["today"], {}
    target = int(policy.get("board_target_parcels") or 0)
    if target:
        at = at or timeutil.now()
        hour = timeutil.local(at).hour + timeutil.local(at).minute / 60
        share = min(max((hour - 8) / 10, 0.1), 1.0)
        expected = target * share
        done = today["parcels"]
        out["parcels"] = "ok" if done >= 0.8 * expected else ("warn" if done >= 0.5 * expected else "alarm")
        out["parcels_target"] = target
    limit = int(policy.get("board_max_open_parcels") or 0)
    if limit:
        n = today["open_parcels"]
        out["open_parcels"] = "alarm" if n > limit else ("warn" if n > 0.75 * limit else "ok")
    minutes = int(policy.get("board_max_dock_minutes") or 0)
    mean = today.get("dock_to_decision_avg_s")
    if minutes and mean is not None:
        out["dock"] = "alarm" if mean > minutes * 60 else ("warn" if mean > 45 * minutes else "ok")
    return out
