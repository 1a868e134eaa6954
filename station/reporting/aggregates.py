"""The report aggregates: pause them for a bulk load, rebuild them, compare them.

Triggers (migration 0003_reports) keep them current with every change; a bulk load (the
benchmark's generator, a huge import) may pause the triggers and rebuild once at the end.
"""
import contextlib

from .. import migrations
from ..db import write

TABLES = {
    "report_cohort": ("shipped", "returned"),
    "report_reasons": ("units",),
    "report_lags": ("units",),
    "report_activity": ("parcels", "items", "units", "decisions", "overrides"),
    "report_durations": ("returns", "seconds"),
    "report_dock": ("return_id",),  # never netted to zero: a row per closed return
    "report_value": ("items", "units", "original", "recovered", "cost"),
    "report_customers": ("orders", "returns"),
    "report_customer_days": ("returns",),
}


def pause(db):
    """Stop the triggers counting (until rebuild): for loading millions of rows at once."""
    with write(db):
        db.execute("UPDATE report_state SET paused = 1")


@contextlib.contextmanager
def triggers_dropped(db, tables):
    """Inside the caller's transaction: drop the report triggers on `tables`, put them back after.

    A paused trigger still runs for every row to find out that it is paused (measured: 40%
    of a bulk insert into orders and order_lines). DDL is transactional in SQLite, so no other
    connection ever sees the triggers missing, and a failure rolls the drop back with the rest;
    the caller rebuilds the aggregates before it commits.
    """
    if not db.conn.in_transaction:
        raise RuntimeError("triggers_dropped needs an open transaction")
    saved = db.execute(
        "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND name LIKE 'report!_%' ESCAPE '!' "
        "AND tbl_name IN (SELECT value FROM json_each(?)) ORDER BY name",
        [__import__("json").dumps(sorted(tables))],
    ).fetchall()
    for name, _sql in saved:
        db.execute(f"DROP TRIGGER {quote(name)}")
    yield  # on an exception nothing is put back here: the caller's rollback restores them
    for _name, sql in saved:
        db.execute(sql)


def quote(name):
    return '"' + name.replace('"', '""') + '"'


def rebuild(db):
    """Recount every aggregate from the station's tables and resume the triggers, in one transaction."""
    with write(db):
        for statement in migrations.REBUILD_REPORTS:
            db.execute(statement)
        db.execute("UPDATE report_state SET paused = 0")


def snapshot(db):
    """Every aggregate row that counts something (rows netted to zero left out), per table."""
    result = {}
    for table, measures in TABLES.items():
        nonzero = " OR ".join(f"{m} != 0" for m in measures)
        result[table] = sorted(tuple(r) for r in db.execute(f"SELECT * FROM {table} WHERE {nonzero}").fetchall())
    return result
