"""The scan log: every scan from every source (wedge, serial, camera, typed, API), good or bad, once."""
from station.db import write
from station.timeutil import now_iso


def record_scan(db, raw, source, station, user, kind, ok, message):
    """Log one scan. Inside the action's own transaction when there is one (one write per action);
    a rejected scan, whose action rolled back, is logged in a small transaction of its own."""
    with write(db, savepoint=False):  # the action's failure rolls its scan line back with it
        db.execute(
            "INSERT INTO scans (at, station, user, source, raw, kind, ok, message) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            [now_iso(), station, user, source, str(raw)[:512], kind, int(ok), message],
        )
