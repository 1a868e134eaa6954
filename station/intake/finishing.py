"""Parcels that finish: a parcel whose expected items are all decided closes itself (its refund
computed) after a quiet time, whoever walked away from it; the ones that are really unfinished are
listed with what is missing; a supervisor sees every open parcel of every bench and closes or
reassigns it.

`close_finished` runs in the server's background (run.py serve, every few seconds) and can be
called by anyone; the bench already closes a decided parcel when it moves on (next scan,
sign-out: closing.put_aside).
"""
import logging
import threading
from datetime import timedelta

from flask_babel import gettext as _

from station.db import connect, one, rows, write
from station.errors import ServiceError, bad, conflict, not_found
from station.inputs import db_id
from station.intake import closing
from station.timeutil import iso, now, parse
from station.languages import N_

log = logging.getLogger(__name__)
AUTO_CLOSER = "auto-close"


def missing(db, return_id):
    """What an open parcel still lacks: expected units not yet decided, and undecided items.

    {"lines": [{"sku", "name", "qty"}], "undecided": n, "items": n}
    """
    ret = one(db, "SELECT order_no, rma_no FROM returns WHERE return_id = ?", [return_id])
    from station.intake.lookup import expected_lines

    decided = {r["sku"]: r["qty"] for r in rows(
        db, "SELECT i.sku, sum(i.qty) AS qty FROM return_items i JOIN decisions d ON d.item_id = i.item_id "
            "WHERE i.return_id = ? GROUP BY i.sku", [return_id])}
    lines = []
    for line in expected_lines(db, ret["order_no"], ret["rma_no"]):
        short = line["qty"] - decided.get(line["sku"], 0)
        if short > 0:
            lines.append({"sku": line["sku"], "name": line["name"], "qty": short})
            decided[line["sku"]] = 0
        else:
            decided[line["sku"]] = decided.get(line["sku"], 0) - line["qty"]
    counts = one(db, "SELECT count(*) AS n, count(d.item_id) AS decided FROM return_items i "
                     "LEFT JOIN decisions d ON d.item_id = i.item_id WHERE i.return_id = ?", [return_id])
    return {"lines": lines, "undecided": counts["n"] - counts["decided"], "items": counts["n"]}


def finished(db, return_id):
    """Every expected unit decided, and no item waiting for its decision."""
    lacking = missing(db, return_id)
    return lacking["items"] > 0 and not lacking["lines"] and lacking["undecided"] == 0


def close_finished(db, quiet_s, at=None):
    """Close every open parcel that is finished and quiet for `quiet_s` seconds; the closed ids."""
    at = at or now()
    cutoff = iso(at - timedelta(seconds=quiet_s))
    closed = []
    candidates = rows(
        db, "SELECT r.return_id FROM returns r WHERE r.status = 'open' "
            "AND EXISTS (SELECT 1 FROM return_items i WHERE i.return_id = r.return_id) "
            "AND NOT EXISTS (SELECT 1 FROM return_items i LEFT JOIN decisions d ON d.item_id = i.item_id "
            "                WHERE i.return_id = r.return_id AND d.item_id IS NULL) "
            "AND coalesce((SELECT max(d.decided_at) FROM decisions d JOIN return_items i ON i.item_id = d.item_id "
            "              WHERE i.return_id = r.return_id), r.opened_at) <= ?", [cutoff])
    for row in candidates:
        if not finished(db, row["return_id"]):
            continue
        try:
            closing.close_return(db, row["return_id"], user=AUTO_CLOSER)
            closed.append(row["return_id"])
        except ServiceError:  # closed meanwhile at the bench, or an item added: the next round looks again
            continue
    return closed


def start_closer(db_path, quiet_s, interval=5.0):
    """A daemon thread of the server that closes finished, quiet parcels."""
    stop = threading.Event()

    def loop():
        db = connect(db_path)
        while not stop.is_set():
            try:
                close_finished(db, quiet_s)
            except Exception:
                log.exception("closing finished parcels failed")
            stop.wait(interval)
        db.close()

    threading.Thread(target=loop, name="parcel-closer", daemon=True).start()
    return stop


def open_parcels(db, at=None):
    """Every open parcel on every bench, oldest first, with its age in minutes and what it lacks."""
    at = at or now()
    found = rows(db, "SELECT r.return_id, r.order_no, r.rma_no, r.station, r.opened_at, r.opened_by, "
                     "c.name AS customer_name, o.status AS order_status FROM returns r "
                     "JOIN orders o ON o.order_no = r.order_no LEFT JOIN customers c ON c.customer_id = o.customer_id "
                     "WHERE r.status = 'open' ORDER BY r.opened_at, r.return_id")
    for parcel in found:
        parcel["age_minutes"] = int((at - parse(parcel["opened_at"])).total_seconds() // 60)
        parcel["missing"] = missing(db, parcel["return_id"])
        parcel["closable"] = parcel["missing"]["items"] > 0 and parcel["missing"]["undecided"] == 0
    return found


def reassign(db, return_id, station, user):
    """Move an open parcel to another bench (its put-aside list); audited as an event."""
    from station.events import emit
    from station.intake.returns import station_of

    return_id = db_id(return_id, "return")
    if not isinstance(station, str) or not station.strip():
        raise bad("station", _("name the bench to move the parcel to"))
    station = station_of(station)
    with write(db):
        ret = one(db, "SELECT status, station FROM returns WHERE return_id = ?", [return_id])
        if ret is None:
            raise not_found(N_("return"), return_id)
        if ret["status"] != "open":
            raise conflict("return_closed", _("Return %(return_id)s is closed", return_id=return_id))
        db.execute("UPDATE returns SET station = ? WHERE return_id = ?", [station, return_id])
        emit(db, "return.reassigned", return_id=return_id, station=station, previous_station=ret["station"], by=user)
    return {"return_id": return_id, "station": station, "status": "open"}
