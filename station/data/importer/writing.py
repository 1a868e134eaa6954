"""Writing checked rows in one transaction: upserts, serials, allocated orders, and what a big import pauses."""
import contextlib
import json
import sys

from sqlite_utils.db import quote_identifier
from stdnum import ean
from tqdm import tqdm

from station import db as db_module
from station.data.importer.rules import SPECS
from station.reporting import aggregates
from station.timeutil import now_iso

CHUNK = 5000  # rows per executemany, so the progress bar moves
PAUSE_REPORTS_FROM = 10_000  # rows; smaller imports let the report triggers do the work
STAMPS = ("updated_by", "updated_at")  # a stamped table's: set when a row is new or changes, never compared
IMPORTED_BY = "import"  # updated_by of what an import set (the admin screen writes the user's name)


def write_checked(db, checked, stored, rows, progress):
    """Upsert every checked file in SPECS order, in one transaction; returns row counts per file."""
    counts = {}
    with _page_cache(db, rows), _foreign_keys_unenforced(db), db_module.write(db), _reports_paused(db, rows):
        for spec in SPECS:
            if spec.file in checked:
                counts[spec.file] = _write(db, spec, checked[spec.file], stored, progress)
        if "orders" in checked or "order_lines" in checked:
            _settle_allocated_orders(db, checked)
    return counts


@contextlib.contextmanager
def _page_cache(db, rows):
    """A large import keeps the pages it changes in memory until it commits.

    SQLite's default page cache is 2 MB; a million-order import changes hundreds of MB of
    index pages at random and would otherwise spill and re-read them (measured: 165 s ->
    126 s at 5.1 million rows). About 200 bytes per imported row, capped at 1 GB.
    """
    if rows < 50_000:
        yield
        return
    before = db.execute("PRAGMA cache_size").fetchone()[0]
    kib = min(rows * 200 // 1024, 1 << 20)
    db.conn.execute(f"PRAGMA cache_size={-kib}")
    try:
        yield
    finally:
        db.conn.execute(f"PRAGMA cache_size={int(before)}")


@contextlib.contextmanager
def _foreign_keys_unenforced(db):
    """SQLite does not check the foreign keys while the import writes: it checked them itself.

    Every reference the schema enforces is a `ref` field of the Specs (rules.py), checked against the stored
    keys and this import's (which are never deleted), so SQLite's own per-row lookup of the
    parent is work done twice. The pragma only takes effect outside a transaction; inside
    someone else's it stays on, which is only slower.
    """
    if db.conn.in_transaction or not db.execute("PRAGMA foreign_keys").fetchone()[0]:
        yield
        return
    db.conn.execute("PRAGMA foreign_keys=OFF")
    try:
        yield
    finally:
        db.conn.execute("PRAGMA foreign_keys=ON")


@contextlib.contextmanager
def _reports_paused(db, imported):
    """A large import stops the report triggers and rebuilds the aggregates once at the end.

    Triggers cost ~35 us per imported row, the rebuild ~2 us per stored row (measured with
    300k rows), so pausing pays when the import is large next to what is stored. The
    triggers on the imported tables are dropped and put back, not only paused (a paused
    trigger still runs per row). All of it happens inside the import's transaction: nobody
    ever reads half-built reports or sees a trigger missing.
    """
    if imported < PAUSE_REPORTS_FROM:
        yield
        return
    paused, stored = db.execute(
        "SELECT (SELECT paused FROM report_state), (SELECT count(*) FROM order_lines)").fetchone()
    if paused or imported * 10 < stored:  # already paused: whoever paused rebuilds
        yield
        return
    aggregates.pause(db)
    with aggregates.triggers_dropped(db, [spec.table for spec in SPECS]):
        yield
    aggregates.rebuild(db)


def _write(db, spec, result, stored, progress):
    """Upsert one file's rows: only the columns the file has are inserted or updated."""
    columns = dict(result["columns"])
    if "gtin" in columns:  # scans match on the zero-padded GTIN-14
        columns["gtin14"] = [ean.compact(g).zfill(14) if g else None for g in columns["gtin"]]
    if spec.stamped:  # who set a rate and when, as the admin screen records it
        rows = len(next(iter(columns.values()), []))
        columns["updated_by"], columns["updated_at"] = [IMPORTED_BY] * rows, [now_iso()] * rows
    names = list(columns)
    records = list(zip(*columns.values()))
    bar = tqdm(total=len(records), desc=f"writing {result['file']}", unit="row", file=sys.stderr,
               disable=not progress)
    sql = _upsert_sql(spec, names)
    for start in range(0, len(records), CHUNK):
        chunk = records[start:start + CHUNK]
        db.conn.executemany(sql, chunk)
        bar.update(len(chunk))
    bar.close()
    if spec.file == "order_lines" and "serials" in columns:
        _replace_serials(db, columns, stored["orders"])
    return len(records)


def _upsert_sql(spec, columns):
    """INSERT ... ON CONFLICT(key) DO UPDATE of exactly the file's columns.

    Built from the Spec's fixed column names, never from the file's header text.
    Not upsert_all(): it converts every value through jsonify_if_needed, which
    costs about as much as SQLite's own work and the import must stay fast.
    """
    names = ", ".join(quote_identifier(c) for c in columns)
    marks = ", ".join("?" for _ in columns)
    key = ", ".join(quote_identifier(c) for c in spec.key)
    others = [quote_identifier(c) for c in columns if c not in spec.key]
    compared = [quote_identifier(c) for c in columns if c not in spec.key and not (spec.stamped and c in STAMPS)]
    if not compared:
        return f"INSERT INTO {quote_identifier(spec.table)} ({names}) VALUES ({marks}) ON CONFLICT({key}) DO NOTHING"
    # The WHERE skips rows that are already equal: a re-import rewrites no page for them (nor their stamps).
    return (f"INSERT INTO {quote_identifier(spec.table)} ({names}) VALUES ({marks}) ON CONFLICT({key}) "
            f"DO UPDATE SET {', '.join(f'{c} = excluded.{c}' for c in others)} "
            f"WHERE ({', '.join(compared)}) IS NOT ({', '.join(f'excluded.{c}' for c in compared)})")


def _replace_serials(db, columns, stored_orders):
    """One order_serials row per shipped serial; each imported line's list replaces its stored one.

    Only lines whose serials differ are touched, so a re-import writes nothing here.
    """
    lines = list(zip(columns["order_no"], columns["line_no"], columns["sku"], columns["serials"]))
    again = sorted({o for o, _, _, _ in lines if o in stored_orders})
    old = {}
    if again:  # one indexed query for the orders this import touches, not one per line
        for order_no, line_no, serial, sku in db.execute(
            "SELECT s.order_no, s.line_no, s.serial, s.sku FROM json_each(?) j "
            "JOIN order_serials s ON s.order_no = j.value",
            [json.dumps(again)],
        ):
            old.setdefault((order_no, line_no), set()).add((serial, sku))
    drop, add = [], []
    for order_no, line_no, sku, text in lines:
        before = old.get((order_no, line_no)) if old else None
        serials = [x for x in dict.fromkeys(y.strip() for y in text.split(";")) if x] if text else []
        if before is not None:
            if before == {(x, sku) for x in serials}:
                continue
            drop.append((order_no, line_no))
        add.extend((x, order_no, line_no, sku) for x in serials)
    db.conn.executemany("DELETE FROM order_serials WHERE order_no = ? AND line_no = ?", drop)
    db.conn.executemany("INSERT INTO order_serials (serial, order_no, line_no, sku) VALUES (?, ?, ?, ?)", add)


def _settle_allocated_orders(db, checked):
    """The bench's cross-docks survive a re-import, and the waiting order's status follows them.

    For each order this import wrote (in orders.csv or order_lines.csv) that the bench has
    allocated to: waiting (awaiting_stock) and covered by its allocations -> ready_to_ship;
    ready_to_ship but no longer covered (a line grew or was added) -> awaiting_stock again.
    Orders the file moved on (shipped, delivered, cancelled) are left as the file says.
    """
    touched = set()
    for name in ("orders", "order_lines"):
        if name in checked:
            touched.update(checked[name]["columns"]["order_no"])
    allocated = {r[0] for r in db.execute("SELECT DISTINCT order_no FROM order_lines WHERE qty_allocated > 0")}
    settled = ("CASE WHEN EXISTS (SELECT 1 FROM order_lines l WHERE l.order_no = orders.order_no"
               " AND l.qty_allocated < l.qty) THEN 'awaiting_stock' ELSE 'ready_to_ship' END")
    db.conn.executemany(  # only rows whose status moves are written (a re-import writes nothing)
        f"UPDATE orders SET status = {settled}"
        f" WHERE order_no = ? AND status IN ('awaiting_stock', 'ready_to_ship') AND status != {settled}",
        [(o,) for o in sorted(touched & allocated)],
    )
