"""CSV import: check every row of every file first, then upsert them all in one transaction.

The same path serves `run.py import DIR` (files) and the demo data set (rows in memory),
so the demo can never load something an import would refuse.
"""
import contextlib
import csv
import gc
import io
import operator
import re
import sys
from datetime import datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path

from sqlite_utils.db import quote_identifier
from stdnum import ean
from stdnum.exceptions import ValidationError
from tqdm import tqdm

from . import db as db_module
from .policy import REASONS
from .timeutil import normalise

ORDER_STATUSES = ("shipped", "delivered", "awaiting_stock", "cancelled")
RESOLUTIONS = ("refund", "exchange")
BATCH = 500
CHUNK = 5000  # rows per executemany, so the progress bar moves
_CANONICAL_TIME = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z\Z")
_INT = re.compile(r"[+-]?[0-9]+\Z")
_UPPER = {2: re.compile(r"[A-Z]{2}\Z"), 3: re.compile(r"[A-Z]{3}\Z")}


class ImportFailed(Exception):
    """Some rows were bad; nothing was written. `errors` holds one `FILE:LINE: reason` each."""

    def __init__(self, errors):
        self.errors = list(errors)
        super().__init__(f"import failed: {len(self.errors)} error(s)\n" + "\n".join(self.errors))


# --- value parsers: take stripped, non-empty text, return the stored value or raise ValueError


def _text(value):
    return value


def _integer(minimum=None):
    def parse(value):
        if not _INT.match(value):
            raise ValueError(f"not an integer: {value!r}")
        number = int(value)
        if minimum is not None and number < minimum:
            raise ValueError(f"must be at least {minimum}, got {number}")
        return number

    return parse


def _money(value):
    try:
        number = Decimal(value)
    except InvalidOperation:
        raise ValueError(f"not a decimal number: {value!r}") from None
    if not number.is_finite() or number < 0:
        raise ValueError(f"must be a decimal number of at least 0, got {value!r}")
    return float(number)


def _flag(value):
    if value not in ("0", "1"):
        raise ValueError(f"must be 0 or 1, got {value!r}")
    return int(value)


def _choice(*allowed):
    def parse(value):
        if value not in allowed:
            raise ValueError(f"must be one of {', '.join(allowed)}, got {value!r}")
        return value

    return parse


def _letters(length, what):
    def parse(value):
        upper = value.upper()
        if not _UPPER[length].match(upper):
            raise ValueError(f"not a {what} ({length} letters A-Z): {value!r}")
        return upper

    return parse


def _timestamp(value):
    try:
        if _CANONICAL_TIME.match(value):  # already stored form: only check it is a real time
            datetime.fromisoformat(value[:-1])
            return value
        return normalise(value)
    except ValueError:
        raise ValueError(f"not an ISO 8601 time: {value!r}") from None


def _gtin(value):
    try:
        ean.validate(value)
    except ValidationError:
        raise ValueError(f"not a valid EAN-8/UPC-A/EAN-13/GTIN-14 (length or check digit): {value!r}") from None
    return value


class Field:
    def __init__(self, name, parse=_text, required=False, default=None, ref=None):
        self.name, self.parse, self.required, self.default, self.ref = name, parse, required, default, ref


class Spec:
    """One import file: the table it fills, its key and its columns."""

    def __init__(self, file, table, key, fields):
        self.file, self.table, self.key, self.fields = file, table, key, fields
        self.by_name = {f.name: f for f in fields}


def _f(name, parse=_text, **kw):
    return Field(name, parse, **kw)


def _r(name, parse=_text, **kw):
    return Field(name, parse, required=True, **kw)


# Files in dependency order: a table is written after the tables it refers to.
SPECS = [
    Spec("suppliers", "suppliers", ("supplier_id",), [
        _r("supplier_id"), _r("name"), _f("country", _letters(2, "country code")),
        _f("accepts_rtv", _flag, default=0), _f("rtv_window_days", _integer(0))]),
    Spec("products", "products", ("sku",), [
        _r("sku"), _r("name"), _f("gtin", _gtin), _f("supplier_id", ref="suppliers"),
        _f("unit_cost", _money), _r("price", _money), _f("refurbishable", _flag, default=0),
        _f("refurb_cost", _money, default=0.0), _f("bin"), _f("has_serial", _flag, default=0)]),
    Spec("customers", "customers", ("customer_id",), [
        _r("customer_id"), _r("name"), _f("email"), _f("phone"),
        _r("country", _letters(2, "country code"))]),
    Spec("orders", "orders", ("order_no",), [
        _r("order_no"), _r("customer_id", ref="customers"), _r("placed_at", _timestamp),
        _f("channel"), _f("shipped_at", _timestamp), _f("delivered_at", _timestamp),
        _r("currency", _letters(3, "currency code")), _r("status", _choice(*ORDER_STATUSES)),
        _f("priority", _integer(), default=0)]),
    Spec("order_lines", "order_lines", ("order_no", "line_no"), [
        _r("order_no", ref="orders"), _r("line_no", _integer(0)), _r("sku", ref="products"),
        _r("qty", _integer(1)), _r("unit_price", _money), _f("serials")]),
    Spec("cartons", "cartons", ("carton_code",), [
        _r("carton_code"), _r("order_no", ref="orders"), _f("tracking_no"), _f("carrier")]),
    Spec("rmas", "rmas", ("rma_no",), [
        _r("rma_no"), _r("order_no", ref="orders"), _f("created_at", _timestamp),
        _f("reason", _choice(*REASONS)), _f("resolution", _choice(*RESOLUTIONS), default="refund"),
        _f("return_tracking_no")]),
    Spec("rma_lines", "rma_lines", ("rma_no", "sku"), [
        _r("rma_no", ref="rmas"), _r("sku", ref="products"), _r("qty", _integer(1))]),
    Spec("inventory", "stock", ("sku", "bin"), [
        _r("sku", ref="products"), _r("bin"), _r("qty", _integer(0))]),
]
SPEC_BY_FILE = {s.file: s for s in SPECS}
SPEC_BY_TABLE = {s.table: s for s in SPECS}  # references name the referred table


@contextlib.contextmanager
def _collector_paused():
    """A large import builds millions of small objects that are never cyclic garbage;
    left on, the collector rescans them again and again (measured: ~35% of the time)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def import_dir(db, directory, progress=False):
    """Import the known CSV files found in `directory`; returns row counts per file."""
    with _collector_paused():
        return _import_dir(db, Path(directory), progress)


def _import_dir(db, directory, progress):
    tables, errors = {}, []
    for spec in SPECS:
        path = directory / f"{spec.file}.csv"
        if path.is_file():
            try:
                tables[spec.file] = read_csv(path, spec)
            except ImportFailed as exc:
                errors.extend(exc.errors)
    if errors:
        raise ImportFailed(errors)
    if not tables:
        names = ", ".join(f"{s.file}.csv" for s in SPECS)
        raise ImportFailed([f"{directory}: no files to import (looked for {names})"])
    return import_rows(db, tables, progress=progress)


def read_csv(path, spec):
    """Rows of one CSV file as (file name, physical line, {column: text}); header is line 1."""
    name = path.name
    data = path.read_bytes()
    try:
        text = data.decode("utf-8-sig")  # Excel writes a BOM; accept it
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise ImportFailed([f"{name}:{line}: not UTF-8 text"]) from None
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader)
    except StopIteration:
        raise ImportFailed([f"{name}:1: empty file, a header row is required"]) from None
    except csv.Error as exc:
        raise ImportFailed([f"{name}:1: {exc}"]) from None
    header = [h.strip().lower() for h in header]
    columns = [(h, i) for i, h in enumerate(header) if h in spec.by_name]
    if not columns:
        raise ImportFailed([f"{name}:1: no known columns in the header ({', '.join(spec.by_name)})"])
    rows, line = [], reader.line_num
    try:
        for cells in reader:
            start, line = line + 1, reader.line_num  # a quoted field may span lines
            if not "".join(cells).strip():
                continue
            n = len(cells)
            rows.append((name, start, {h: cells[i] if i < n else "" for h, i in columns}))
    except csv.Error as exc:
        raise ImportFailed([f"{name}:{line + 1}: {exc}"]) from None
    if not rows:  # a header alone still says which columns the file has
        rows.append((name, None, {h: None for h, _ in columns}))
    return rows


def import_rows(db, tables, progress=False):
    """Validate then upsert rows given per file: {"orders": [(file, line, {col: value}), ...]}.

    A row may also be a bare dict (its line is then its position + 1, as if under a
    header). Values may be text or numbers; empty text or None means "not given".
    Raises ImportFailed with every bad row and writes nothing; else returns counts.
    """
    with _collector_paused():
        return _import_rows(db, tables, progress)


def _import_rows(db, tables, progress):
    batches = {}
    for name, rows in tables.items():
        rows = list(rows)
        if not rows:
            continue
        spec = SPEC_BY_FILE.get(name.removesuffix(".csv")) or SPEC_BY_TABLE.get(name)
        if spec is None:
            raise ValueError(f"unknown import table {name!r}")
        batches[spec.file] = _as_rows(spec, rows)

    errors, checked = [], {}
    keys = {}  # table -> keys the import brings (bad rows included: no knock-on errors)
    for spec in SPECS:
        if spec.file in batches:
            checked[spec.file] = _check(spec, batches[spec.file], errors, progress)
            keys[spec.table] = checked[spec.file]["keys"]
    stored, known = _known_keys(db, checked, keys)
    for spec in SPECS:
        if spec.file in checked:
            _check_refs(spec, checked[spec.file], known)
            for file, line, _, problems in checked[spec.file]["rows"]:
                if problems:
                    errors.append(f"{file}:{line}: " + "; ".join(problems))
    if errors:
        raise ImportFailed(errors)

    counts = {}
    with db_module.write(db):
        allocated = _allocated_orders(db) if "orders" in checked else set()
        for spec in SPECS:
            if spec.file in checked:
                counts[spec.file] = _write(db, spec, checked[spec.file], stored, progress)
        if "orders" in checked:
            _keep_ready_to_ship(db, checked["orders"], allocated)
    return counts


def _as_rows(spec, rows):
    out = []
    for i, row in enumerate(rows, start=2):
        out.append((f"{spec.file}.csv", i, row) if isinstance(row, dict) else row)
    return out


def _check(spec, rows, errors, progress):
    """Parse every row of one file; problems stay with their row for the reference pass."""
    present = set()
    for _, _, row in rows:
        present.update(row)
    fields = [f for f in spec.fields if f.name in present]
    file = rows[0][0] if rows else f"{spec.file}.csv"
    missing = [f.name for f in spec.fields if f.required and f.name not in present]
    result = {"fields": fields, "rows": [], "keys": set(), "broken": bool(missing)}
    if missing:
        errors.append(f"{file}:1: missing required column(s): {', '.join(missing)}")
        return result
    rows = [r for r in rows if r[1] is not None]  # drop the header-only placeholder
    names = [f.name for f in fields]
    key_of = operator.itemgetter(*(names.index(k) for k in spec.key))  # a value, or a tuple
    compound = len(spec.key) > 1
    first_line = {}
    bar = tqdm(total=len(rows), desc=f"checking {file}", unit="row", file=sys.stderr,
               disable=not progress, leave=False)
    plan = [(f.name, None if f.parse is _text else f.parse, f.required, f.default) for f in fields]
    for n, (file, line, row) in enumerate(rows):
        values, problems = [], []
        for name, parse, required, default in plan:  # the hot loop of a large import
            raw = row.get(name)
            if raw.__class__ is not str:  # rows in memory may carry numbers (0 included)
                raw = None if raw is None else str(raw)
            if raw:
                raw = raw.strip()
            if not raw:
                if required:
                    problems.append(f"{name} is required")
                values.append(default)
            elif parse is None:
                values.append(raw)
            else:
                try:
                    values.append(parse(raw))
                except ValueError as exc:
                    problems.append(f"{name}: {exc}")
                    values.append(None)
        key = key_of(values)
        if None not in key if compound else key is not None:
            if key in first_line:
                shown = ", ".join(f"{k}={v}" for k, v in zip(spec.key, key if compound else (key,)))
                problems.append(f"duplicate key {shown} (first on line {first_line[key]})")
            else:
                first_line[key] = line
        result["rows"].append((file, line, values, problems))
        if n % 1000 == 999:
            bar.update(1000)
    bar.update(len(rows) % 1000)
    bar.close()
    result["keys"] = set(first_line)
    return result


# Constant queries (no SQL built from names): the stored keys a reference may name.
_STORED_KEYS = {
    "suppliers": "SELECT supplier_id FROM suppliers",
    "products": "SELECT sku FROM products",
    "customers": "SELECT customer_id FROM customers",
    "orders": "SELECT order_no FROM orders",
    "rmas": "SELECT rma_no FROM rmas",
}


def _known_keys(db, checked, keys):
    """Keys a reference may name: stored ones plus those this import brings.

    One query per referred table, not one per row, so a large import stays fast.
    Returns (stored, known); known[table] is None when that file's header is broken
    (already reported, so its references are not checked again).
    """
    wanted = {f.ref for s in SPECS if s.file in checked for f in checked[s.file]["fields"] if f.ref}
    stored, known = {}, {}
    for table in wanted:
        stored[table] = {row[0] for row in db.execute(_STORED_KEYS[table])}
        spec = SPEC_BY_TABLE[table]
        broken = spec.file in checked and checked[spec.file]["broken"]
        known[table] = None if broken else stored[table] | keys.get(table, set())
    return stored, known


def _check_refs(spec, result, known):
    refs = [(i, f) for i, f in enumerate(result["fields"]) if f.ref and known.get(f.ref) is not None]
    for _, _, values, problems in result["rows"]:
        for i, f in refs:
            value = values[i]
            if value is not None and value not in known[f.ref]:
                problems.append(f"{f.name} {value!r} is not a known {f.ref[:-1]}")


def _write(db, spec, result, stored, progress):
    """Upsert one file's rows: only the columns the file has are inserted or updated."""
    rows = result["rows"]
    columns = [f.name for f in result["fields"]]
    records = [values for _, _, values, _ in rows]
    if spec.file == "products" and "gtin" in columns:
        at = columns.index("gtin")
        columns.append("gtin14")
        records = [v + [ean.compact(v[at]).zfill(14) if v[at] else None] for v in records]
    bar = tqdm(total=len(records), desc=f"writing {rows[0][0] if rows else spec.file}", unit="row",
               file=sys.stderr, disable=not progress, leave=False)
    sql = _upsert_sql(spec, columns)
    for start in range(0, len(records), CHUNK):
        chunk = records[start:start + CHUNK]
        db.conn.executemany(sql, chunk)
        bar.update(len(chunk))
    bar.close()
    if spec.file == "order_lines" and "serials" in columns:
        _replace_serials(db, columns, records, stored["orders"])
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
    updates = [f"{quote_identifier(c)} = excluded.{quote_identifier(c)}" for c in columns if c not in spec.key]
    action = "DO UPDATE SET " + ", ".join(updates) if updates else "DO NOTHING"
    return f"INSERT INTO {quote_identifier(spec.table)} ({names}) VALUES ({marks}) ON CONFLICT({key}) {action}"


def _replace_serials(db, columns, records, stored_orders):
    """One order_serials row per shipped serial; the file's list replaces the stored one."""
    o, ln, s, sr = (columns.index(c) for c in ("order_no", "line_no", "sku", "serials"))
    # Only lines of orders that were already stored can have old serials to drop.
    db.conn.executemany(
        "DELETE FROM order_serials WHERE order_no = ? AND line_no = ?",
        [(v[o], v[ln]) for v in records if v[o] in stored_orders],
    )
    serial_rows = []
    for v in records:
        if v[sr]:
            for serial in dict.fromkeys(x.strip() for x in v[sr].split(";")):
                if serial:
                    serial_rows.append((serial, v[o], v[ln], v[s]))
    db.conn.executemany(
        "INSERT INTO order_serials (serial, order_no, line_no, sku) VALUES (?, ?, ?, ?)", serial_rows
    )


def _allocated_orders(db):
    return {r["order_no"] for r in db.query(
        "SELECT DISTINCT order_no FROM order_lines WHERE qty_allocated > 0")}


def _keep_ready_to_ship(db, result, allocated):
    """The bench's cross-docks survive: a waiting order its allocations cover stays ready."""
    columns = [f.name for f in result["fields"]]
    o, st = columns.index("order_no"), columns.index("status")
    waiting = [(v[o],) for _, _, v, _ in result["rows"] if v[st] == "awaiting_stock" and v[o] in allocated]
    db.conn.executemany(
        "UPDATE orders SET status = 'ready_to_ship' WHERE order_no = ? AND status = 'awaiting_stock'"
        " AND NOT EXISTS (SELECT 1 FROM order_lines l"
        " WHERE l.order_no = orders.order_no AND l.qty_allocated < l.qty)",
        waiting,
    )
