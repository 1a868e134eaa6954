"""Parcels that finish: a parcel whose expected items are all decided closes itself (its refund
computed) after a quiet time, whoever walked away from it; the ones that are really unfinished are
listed with what is missing; a supervisor sees every open parcel of every bench and closes or
reassigns it.

`close_finished` runs in the server's background (run.py serve, every few seconds) and can be
called by anyone; the bench already closes a decided parcel when it moves on (next scan,
sign-out: closing.put_aside).
"""
import json
import logging
import threading
import time
from datetime import timedelta

from flask_babel import gettext as _

from station import logs
from station.db import connect, one, rows, write
from station.errors import ServiceError, bad, conflict, not_found
from station.inputs import db_id
from station.intake import closing
from station.timeutil import iso, now, parse
from station.languages import N_

log = logging.getLogger(__name__)
AUTO_CLOSER = "auto-close"


# What an open return `r` lacks, as columns of one row (no query per parcel): its expected lines
# (lookup.expected_lines: the RMA's lines, else the order's; each [position, sku, name, qty]), the
# units decided per SKU, its items and how many are decided. lacks() reads them.
LACKS = (
    "(SELECT count(*) FROM return_items i WHERE i.return_id = r.return_id) AS n_items, "
    "(SELECT count(*) FROM return_items i JOIN decisions d ON d.item_id = i.item_id "
    "  WHERE i.return_id = r.return_id) AS n_decided, "
    "(SELECT json_group_object(sku, qty) FROM (SELECT i.sku, sum(i.qty) AS qty FROM return_items i "
    "  JOIN decisions d ON d.item_id = i.item_id WHERE i.return_id = r.return_id GROUP BY i.sku)) AS decided_units, "
    "CASE WHEN EXISTS (SELECT 1 FROM rma_lines WHERE rma_no = r.rma_no) "
    " THEN (SELECT json_group_array(json_array(l.sku, l.sku, p.name, l.qty)) FROM rma_lines l "
    "       LEFT JOIN products p ON p.sku = l.sku WHERE l.rma_no = r.rma_no) "
    " ELSE (SELECT json_group_array(json_array(l.line_no, l.sku, p.name, l.qty)) FROM order_lines l "
    "       LEFT JOIN products p ON p.sku = l.sku WHERE l.order_no = r.order_no) END AS expected_lines"
)


def lacks(row):
    """What an open parcel still lacks, from a row with the LACKS columns: expected units not yet
    decided, and undecided items. {"lines": [{"sku", "name", "qty"}], "undecided": n, "items": n}"""
    decided = json.loads(row["decided_units"] or "{}")
    # in expected_lines' order (the RMA's by SKU, the order's by line), whatever order the aggregate kept
    expected = sorted(json.loads(row["expected_lines"] or "[]"), key=lambda line: line[0])
    lines = []
    for _position, sku, name, qty in expected:
        short = qty - decided.get(sku, 0)
        if short > 0:
            lines.append({"sku": sku, "name": name, "qty": short})
            decided[sku] = 0
        else:
            decided[sku] = decided.get(sku, 0) - qty
    return {"lines": lines, "undecided": row["n_items"] - row["n_decided"], "items": row["n_items"]}


def missing(db, return_id):
    """What an open parcel still lacks (lacks()), in one read."""
    return lacks(one(db, f"SELECT {LACKS} FROM returns r WHERE r.return_id = ?", [return_id]))


def put_aside_at(db, station, exclude=None, limit=8):
    """The parcels put aside at this station (open, newest first, but `exclude`: the one on screen)
    that are really unfinished, each with what it lacks, in one read. A decided one closes itself
    after the quiet time, so it is not offered again."""
    waiting = []
    for row in rows(db, "SELECT r.return_id, r.order_no, r.opened_at, c.name AS customer_name, "
                        f"{LACKS} FROM returns r LEFT JOIN orders o ON o.order_no = r.order_no "
                        "LEFT JOIN customers c ON c.customer_id = o.customer_id "
                        "WHERE r.status = 'open' AND r.station = ? AND r.return_id IS NOT ? "
                        "ORDER BY r.opened_at DESC LIMIT ?", [station, exclude, limit]):
        row["missing"] = lacking = lacks(row)
        if not (lacking["items"] and not lacking["lines"] and not lacking["undecided"]):
            waiting.append(row)
    return waiting


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
        started = time.perf_counter()
        try:
            closed_return = closing.close_return(db, row["return_id"], user=AUTO_CLOSER)
            closed.append(row["return_id"])
        except ServiceError:  # closed meanwhile at the bench, or an item added: the next round looks again
            continue
        refund = (closed_return or {}).get("refund") or {}
        logs.job("close-parcel", "closed", started, return_id=row["return_id"], user=AUTO_CLOSER,
                 refund=refund.get("status"))
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
                     f"c.name AS customer_name, o.status AS order_status, {LACKS} FROM returns r "
                     "JOIN orders o ON o.order_no = r.order_no LEFT JOIN customers c ON c.customer_id = o.customer_id "
                     "WHERE r.status = 'open' ORDER BY r.opened_at, r.return_id")
    for parcel in found:
        parcel["age_minutes"] = int((at - parse(parcel["opened_at"])).total_seconds() // 60)
        parcel["missing"] = lacks(parcel)
        for column in ("n_items", "n_decided", "decided_units", "expected_lines"):
            del parcel[column]
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
