"""Per-file row rules (each file's table, key, columns and references) and checking a batch against them."""
import sys

from tqdm import tqdm

from station.data.importer.values import (
    COUNTRIES, _check_text, _choice, _flag, _grams, _gtin, _integer, _letters, _money, _text, _timestamp)
from station.money import CURRENCIES
from station.policy import REASONS

ORDER_STATUSES = ("shipped", "delivered", "awaiting_stock", "cancelled")
RESOLUTIONS = ("refund", "exchange")


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
        _r("supplier_id"), _r("name"), _f("country", _letters(2, "country code", COUNTRIES)),
        _f("accepts_rtv", _flag, default=0), _f("rtv_window_days", _integer(0))]),
    Spec("products", "products", ("sku",), [
        _r("sku"), _r("name"), _f("gtin", _gtin), _f("supplier_id", ref="suppliers"),
        _f("unit_cost", _money), _r("price", _money), _f("refurbishable", _flag, default=0),
        _f("refurb_cost", _money, default=0.0), _f("bin"), _f("has_serial", _flag, default=0),
        _f("weight_g", _grams)]),
    Spec("customers", "customers", ("customer_id",), [
        _r("customer_id"), _r("name"), _f("email"), _f("phone"),
        _r("country", _letters(2, "country code", COUNTRIES))]),
    Spec("orders", "orders", ("order_no",), [
        _r("order_no"), _r("customer_id", ref="customers"), _r("placed_at", _timestamp),
        _f("channel"), _f("shipped_at", _timestamp), _f("delivered_at", _timestamp),
        _r("currency", _letters(3, "currency code", CURRENCIES)), _r("status", _choice(*ORDER_STATUSES)),
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


def _parse_repeating(name, parse, default, cells, problems):
    """A column of few distinct values (qty, line numbers, prices, statuses, currencies, ship
    dates) parsed once per value, not once per cell; None for a column of mostly unique values.

    Every parser is a function of the text alone, so the answer is the same cell for cell; a
    bad value is reported on every row that has it.
    """
    values = set(cells)
    if len(values) * 4 > len(cells):
        return None
    parsed, bad = {"": default, None: default}, {}
    for value in values:
        if value:
            try:
                parsed[value] = parse(value)
            except ValueError as exc:
                parsed[value], bad[value] = None, str(exc)
    if bad:
        for i, c in enumerate(cells):
            if c in bad:
                problems.setdefault(i, []).append(f"{name}: {bad[c]}")
    return [parsed[c] for c in cells]


def _check(spec, batch, progress):
    """Parse every cell of one batch; problems stay with their row for the reference pass."""
    fields = [f for f in spec.fields if f.name in batch.cells]
    missing = [f.name for f in spec.fields if f.required and f.name not in batch.cells]
    result = {"file": batch.file, "fields": fields, "columns": {}, "problems": {}, "keys": set(),
              "broken": bool(missing), "header": []}
    if missing:
        result["header"].append(f"{batch.file}:{batch.header_line}: missing required column(s): {', '.join(missing)}")
        return result
    problems = result["problems"]  # row index -> its problems, in column order
    bar = tqdm(total=len(fields), desc=f"checking {batch.file}", unit="column", file=sys.stderr,
               disable=not progress, leave=False)
    columns = {}
    for f in fields:
        name, parse, default = f.name, f.parse, f.default
        if batch.text:
            cells = [c.strip() for c in batch.cells[name]]
        else:  # rows in memory may carry numbers (0 included) and None
            cells = [c.strip() if c.__class__ is str else None if c is None else str(c).strip()
                     for c in batch.cells[name]]
        if parse is _text:
            out = [c or default for c in cells]
            _check_text(name, cells if batch.text else [c or "" for c in cells], problems)
        else:
            out = _parse_repeating(name, parse, default, cells, problems)
            if out is None:
                try:  # all good, the usual case: one comprehension
                    out = [parse(c) if c else default for c in cells]
                except ValueError:  # again, cell by cell, to name every bad one
                    out = []
                    for i, c in enumerate(cells):
                        try:
                            out.append(parse(c) if c else default)
                        except ValueError as exc:
                            problems.setdefault(i, []).append(f"{name}: {exc}")
                            out.append(None)
        if f.required and not all(cells):
            for i, c in enumerate(cells):
                if not c:
                    problems.setdefault(i, []).append(f"{name} is required")
        columns[name] = out
        bar.update(1)
    bar.close()
    first = {}
    key = [columns[k] for k in spec.key]
    for i, k in enumerate(zip(*key) if len(key) > 1 else key[0]):
        if k is None or (type(k) is tuple and None in k):
            continue
        if k in first:
            shown = ", ".join(f"{n}={v}" for n, v in zip(spec.key, k if len(key) > 1 else (k,)))
            problems.setdefault(i, []).append(f"duplicate key {shown} (first on line {batch.lines[first[k]]})")
        else:
            first[k] = i
    result["columns"] = columns
    result["keys"] = set(first)
    return result


# Constant queries (no SQL built from names): the stored keys a reference may name.
_STORED_KEYS = {
    "suppliers": "SELECT supplier_id FROM suppliers",
    "products": "SELECT sku FROM products",
    "customers": "SELECT customer_id FROM customers",
    "orders": "SELECT order_no FROM orders",
    "rmas": "SELECT rma_no FROM rmas",
}


def _known_keys(db, checked, keys, unreadable):
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
        broken = spec.file in unreadable or (spec.file in checked and checked[spec.file]["broken"])
        known[table] = None if broken else stored[table] | keys.get(table, set())
    return stored, known


def _check_refs(result, known):
    for f in result["fields"]:
        if f.ref and known.get(f.ref) is not None and f.name in result["columns"]:
            valid = known[f.ref]
            for i, value in enumerate(result["columns"][f.name]):
                if value is not None and value not in valid:
                    result["problems"].setdefault(i, []).append(f"{f.name} {value!r} is not a known {f.ref[:-1]}")
