"""0016: bench sessions the server knows, so that signing out ends them for good."""
from station.migrations.registry import migrations


@migrations(name="0016_bench_sessions")
def m0016_bench_sessions(db):
    """bench_sessions: one row per sign-in; the signed cookie names it, and a session whose row has
    ended (sign-out, idle time-out) is no key any more, even as a copied cookie."""
    db.execute("""CREATE TABLE bench_sessions (
        sid TEXT PRIMARY KEY,
        user_id INTEGER NOT NULL REFERENCES users(id),
        station TEXT,
        started_at TEXT NOT NULL,
        ended_at TEXT
    )""")
