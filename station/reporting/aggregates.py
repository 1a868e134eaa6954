"""The report aggregates: pause them for a bulk load, rebuild them, compare them.

Triggers (migration 0003_reports) keep them current with every change; a bulk load (the
benchmark's generator, a huge import) may pause the triggers and rebuild once at the end.
"""
import contextlib
import json

from sqlite_utils.db import quote_identifier

from station import migrations
from station.db import write

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
        [json.dumps(sorted(tables))],
    ).fetchall()
    for name, _sql in saved:
        db.execute(f"DROP TRIGGER {quote_identifier(name)}")
    yield  # on an exception nothing is put back here: the caller's rollback restores them
    for _name, sql in saved:
        db.execute(sql)


def _sql_cohort_statement(statement):
    text = statement.lstrip()
    return "report_facts" in text or text.startswith("INSERT INTO report_cohort")


# The rebuild in SQL (migration 0003) groups every shipped line by day, SKU, supplier, country
# and channel, then again by each of those: two sorts of millions of rows (measured: 60 of the
# 65 s of the rebuild at 3,000,000 lines). `_count_cohorts` reads the lines once and sums them
# in dictionaries instead (about 20 s); the other aggregates keep their SQL.
REBUILD = [s for s in migrations.REBUILD_REPORTS if not _sql_cohort_statement(s)]
COHORT_DIMS = ("all", "sku", "supplier", "country", "channel")
_COHORT_SOURCES = (  # (view, column of the count): the units shipped, then those returned
    ("SELECT substr(shipped_at, 1, 10), sku, supplier_id, country, channel, qty FROM report_shipped_lines", 0),
    ("SELECT substr(shipped_at, 1, 10), sku, supplier_id, country, channel, qty FROM report_returned_units", 1),
)


def _count_cohorts(db):
    """report_cohort from the lines, as migration 0003's statements count it: per dimension and
    key, a row per ship day, month and year; lines with no ship date in period '' only."""
    per_day = [dict() for _ in COHORT_DIMS]  # dimension -> {(day, key): [shipped, returned]}
    everyone, by_sku, by_supplier, by_country, by_channel = per_day
    for sql, column in _COHORT_SOURCES:
        for day, sku, supplier, country, channel, qty in db.conn.execute(sql):
            for counts, key in ((everyone, ""), (by_sku, sku), (by_supplier, supplier),
                                (by_country, country), (by_channel, channel)):
                cell = counts.get((day, key))
                if cell is None:
                    cell = counts[(day, key)] = [0, 0]
                cell[column] += qty
    rows = {}
    for dim, counts in zip(COHORT_DIMS, per_day):
        for (day, key), (shipped, returned) in counts.items():
            for period in ((day, day[:7], day[:4]) if day is not None else ("",)):
                cell = rows.get((dim, period, key))
                if cell is None:
                    cell = rows[(dim, period, key)] = [0, 0]
                cell[0] += shipped
                cell[1] += returned
    db.conn.executemany("INSERT INTO report_cohort (dim, period, key, shipped, returned) VALUES (?, ?, ?, ?, ?)",
                        [(*k, *v) for k, v in rows.items()])


def rebuild(db):
    """Recount every aggregate from the station's tables and resume the triggers, in one transaction."""
    with write(db):
        for statement in REBUILD:  # report_cohort among the tables it empties
            db.execute(statement)
        _count_cohorts(db)
        db.execute("UPDATE report_state SET paused = 0")


def snapshot(db):
    """Every aggregate row that counts something (rows netted to zero left out), per table."""
    result = {}
    for table, measures in TABLES.items():
        nonzero = " OR ".join(f"{m} != 0" for m in measures)
        result[table] = sorted(tuple(r) for r in db.execute(f"SELECT * FROM {table} WHERE {nonzero}").fetchall())
    return result
