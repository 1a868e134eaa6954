"""The append-only event feed integrations pull (GET /api/events)."""
import json

from station.timeutil import now_iso

MAX_LIMIT = 1000


def emit(db, type_, **data):
    """Append one event; call inside the transaction of the change it reports."""
    db.execute(
        "INSERT INTO events (type, at, data) VALUES (?, ?, ?)",
        [type_, now_iso(), json.dumps(data, ensure_ascii=False, default=str)],
    )


def feed(db, after=0, limit=100):
    rows = db.execute(
        "SELECT seq, type, at, data FROM events WHERE seq > ? ORDER BY seq LIMIT ?",
        [after, limit],
    ).fetchall()
    events = [{"seq": s, "type": t, "at": at, "data": json.loads(d)} for s, t, at, d in rows]
    return {"events": events, "next": events[-1]["seq"] if events else after}
