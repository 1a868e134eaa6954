"""Per-file row rules (each file's table, key, columns and references) and checking a batch against them."""
import json
import re
import sys
from decimal import Decimal
from itertools import compress

from flask_babel import gettext as _
from tqdm import tqdm

from station import money
from station import policy as policy_module
from station.data.importer.values import (
    _SCAN_CHUNK, COUNTRIES, _check_text, _choice, _flag, _grams, _gtin, _integer, _letters, _money, _money_text,
    _rate, _text, _timestamp)
from station.languages import N_
from station.money import CURRENCIES
from station.policy import REASONS

# `removal`: a marketplace's removal shipment coming back to the warehouse (Amazon FBA), not a
# customer's order: opened at the bench like a parcel, never refunded, never in the return rates
ORDER_STATUSES = ("shipped", "delivered", "awaiting_stock", "cancelled", "removal")
RESOLUTIONS = ("refund", "exchange")
STOCK_CONDITIONS = ("new", "open_box", "refurbished", "used")
LABEL_PAYERS = ("seller", "customer", "marketplace")
BASE, ORDER = "base", "order"  # a money column's currency: the base currency (policy), or its row's order's


class Field:
    def __init__(self, name, parse=_text, required=False, default=None, ref=None, currency=None):
        self.name, self.parse, self.required, self.default, self.ref = name, parse, required, default, ref
        self.currency = currency  # money: BASE or ORDER, whose decimals its cells may have


class Spec:
    """One import file: the table it fills, its key and its columns.

    `stamped`: the table records when and by whom a row was last set (updated_at, updated_by),
    which the writer fills when a row is new or changes, not when a re-import finds it equal.
    """

    def __init__(self, file, table, key, fields, stamped=False):
        self.file, self.table, self.key, self.fields, self.stamped = file, table, key, fields, stamped
        self.by_name = {f.name: f for f in fields}


def _f(name, parse=_text, **kw):
    return Field(name, parse, **kw)


def _r(name, parse=_text, **kw):
    return Field(name, parse, required=True, **kw)


# Files in dependency order: a table is written after the tables it refers to.
SPECS = [
    Spec("suppliers", "suppliers", ("supplier_id",), [
        _r("supplier_id"), _r("name"), _f("country", _letters(2, "country code", COUNTRIES)),
        _f("accepts_rtv", _flag, default=0), _f("rtv_window_days", _integer(0)),
        _f("rtv_cost", _money_text, currency=BASE)]),
    Spec("products", "products", ("sku",), [
        _r("sku"), _r("name"), _f("gtin", _gtin), _f("supplier_id", ref="suppliers"),
        _f("unit_cost", _money, currency=BASE), _r("price", _money, currency=BASE),
        _f("refurbishable", _flag, default=0), _f("refurb_cost", _money, default=0.0, currency=BASE), _f("bin"),
        _f("has_serial", _flag, default=0),
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
        _r("qty", _integer(1)), _r("unit_price", _money, currency=ORDER), _f("serials")]),
    Spec("cartons", "cartons", ("carton_code",), [
        _r("carton_code"), _r("order_no", ref="orders"), _f("tracking_no"), _f("carrier")]),
    Spec("rmas", "rmas", ("rma_no",), [
        _r("rma_no"), _r("order_no", ref="orders"), _f("created_at", _timestamp),
        _f("reason", _choice(*REASONS)), _f("resolution", _choice(*RESOLUTIONS), default="refund"),
        _f("return_tracking_no"), _f("label_cost", _money_text, currency=ORDER),
        _f("label_paid_by", _choice(*LABEL_PAYERS)), _f("exchange_sku", ref="products")]),
    Spec("rma_lines", "rma_lines", ("rma_no", "sku"), [
        _r("rma_no", ref="rmas"), _r("sku", ref="products"), _r("qty", _integer(1))]),
    # a key column with a default (condition) is in every batch: a file without it is all `new`
    Spec("inventory", "stock", ("sku", "bin", "condition"), [
        _r("sku", ref="products"), _r("bin"), _r("qty", _integer(0)),
        _f("condition", _choice(*STOCK_CONDITIONS), default="new")]),
    Spec("fx_rates", "fx_rates", ("currency",), [
        _r("currency", _letters(3, "currency code", CURRENCIES)), _r("rate", _rate), _f("as_of", _timestamp)],
        stamped=True),
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
              "broken": bool(missing), "header": [], "raw": {}, "wide": set(batch.wide)}
    if missing:
        result["header"].append(f"{batch.file}:{batch.header_line}: "
                                + _("missing required column(s): %(columns)s", columns=", ".join(missing)))
        return result
    problems = result["problems"]  # row index -> its problems, in column order
    bar = tqdm(total=len(fields), desc=f"checking {batch.file}", unit="column", file=sys.stderr,
               disable=not progress, leave=False)
    columns = {}
    for f in spec.fields:  # a key column the file does not have takes its default on every row
        if f.name in spec.key and f.name not in batch.cells and f.default is not None:
            columns[f.name] = [f.default] * len(batch.lines)
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
            required = _("%(column)s is required", column=name)
            for i, c in enumerate(cells):
                if not c:
                    problems.setdefault(i, []).append(required)
        columns[name] = out
        if f.currency:  # its decimals are checked against the currency once that is known
            result["raw"][name] = cells
        bar.update(1)
    bar.close()
    for i, why in batch.wide.items():  # its cells are in the wrong columns: nothing else is said
        problems[i] = [why]
    first = {}
    key = [columns[k] for k in spec.key]
    for i, k in enumerate(zip(*key) if len(key) > 1 else key[0]):
        if k is None or (type(k) is tuple and None in k):
            continue
        if k in first:
            shown = ", ".join(f"{n}={v}" for n, v in zip(spec.key, k if len(key) > 1 else (k,)))
            problems.setdefault(i, []).append(_("duplicate key %(key)s (first on line %(line)s)", key=shown,
                                                 line=batch.lines[first[k]]))
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


# what a reference names (the referred table, singular), as a message says it
REFERRED = {"suppliers": N_("supplier"), "products": N_("product"), "customers": N_("customer"), "orders": N_("order"),
            "rmas": N_("rma")}


def _check_refs(result, known):
    wide = result["wide"]
    for f in result["fields"]:
        if f.ref and known.get(f.ref) is not None and f.name in result["columns"]:
            valid = known[f.ref]
            what = _(REFERRED[f.ref]) if f.ref in REFERRED else f.ref[:-1]
            for i, value in enumerate(result["columns"][f.name]):
                if value is not None and value not in valid and i not in wide:
                    result["problems"].setdefault(i, []).append(
                        _("%(column)s %(value)s is not a known %(what)s", column=f.name, value=repr(value), what=what))


ORDER_CHUNK = 50_000  # order numbers per query for the stored orders' currencies


def _check_money(db, checked, stored):
    """Every money cell's decimals against its currency: 2 for most, 0 for JPY and KRW (8400.50
    JPY is a bad row), 3 for BHD. Catalogue values are in the base currency (policy
    `base_currency` of the database imported into); an order line's price and an RMA's label
    cost in the order's currency, from this import's orders.csv or the stored order.

    After parsing, on the raw text, and only the cells that could be wrong (a 5-million-row
    import stays fast): a chunk of cells is scanned by one regex for a point followed by more
    digits than 2 (or the base currency's decimals), and its cells are looked at one by one only
    where it hits; in an order currency without decimals (JPY), only its orders' rows are.
    An fx_rates.csv row for the base currency itself must say 1.
    `stored` is _known_keys's: the stored keys of the referred tables.
    """
    wanted = [(checked[spec.file], f) for spec in SPECS if spec.file in checked
              for f in checked[spec.file]["fields"] if f.currency and f.name in checked[spec.file]["raw"]]
    rates = checked.get("fx_rates")
    if not wanted and not (rates and rates["columns"]):
        return
    base = str(policy_module.load(db)["base_currency"]).upper()
    if rates and rates["columns"]:
        for i, (code, rate) in enumerate(zip(rates["columns"]["currency"], rates["columns"]["rate"])):
            if code == base and rate is not None and Decimal(rate) != 1 and i not in rates["wide"]:
                rates["problems"].setdefault(i, []).append(
                    "rate: " + _("%(base)s is the base currency, its rate is 1: got %(rate)s", base=base, rate=repr(rate)))
    orders = None
    for result, f in wanted:
        if f.currency == ORDER:
            orders = orders or _OrderCurrencies(db, checked, stored.get("orders"))
        _check_places(f.name, result, base, orders if f.currency == ORDER else None)


_MORE_THAN_2 = re.compile(r"\.[0-9]{3}")  # more decimals than most currencies have (BHD has 3)


def _check_places(name, result, base, orders):
    """One money column: in `base`, or (orders given) in the currency of its row's order."""
    cells, values, problems, wide = result["raw"][name], result["columns"][name], result["problems"], result["wide"]
    if orders is None:
        candidate = re.compile(r"\.[0-9]{%d}" % (money.places(base) + 1))
        order_nos = whole = None
    else:  # a cell with 3 decimals or more, in any currency; any decimal in JPY or KRW
        candidate, order_nos, whole = _MORE_THAN_2, result["columns"]["order_no"], orders.whole()
    for start in range(0, len(cells), _SCAN_CHUNK):
        chunk = cells[start:start + _SCAN_CHUNK]
        rows = range(start, start + len(chunk))
        if candidate.search(" ".join(filter(None, chunk))):
            pass  # every row of the chunk is looked at
        elif whole:  # only the rows of orders in a currency without decimals (a loop in C)
            rows = compress(rows, map(whole.__contains__, order_nos[start:start + len(chunk)]))
        else:
            continue  # the usual case: no cell here can have more decimals than its currency allows
        for i in rows:
            c = cells[i]
            if not c or values[i] is None or i in wide or "." not in c:
                continue
            currency = base if order_nos is None else orders.of(order_nos[i])
            if currency is None or len(c) - c.index(".") - 1 <= money.places(currency):
                continue  # an unknown order (reported as such), or few enough decimals
            try:
                money.check(c, currency)  # 12.500 is 12.50: trailing zeros are no decimals
            except ValueError as exc:
                problems.setdefault(i, []).append(f"{name}: {exc}")


class _OrderCurrencies:
    """The currencies of the orders the import's order lines and RMAs name: this import's
    orders.csv (what will be stored) and, for the others, the stored orders, asked for only
    when there are any and only for the order numbers needed, in chunks. The order_no ->
    currency map is built only when a cell needs it."""

    def __init__(self, db, checked, stored_orders):
        orders = checked.get("orders")
        self.imported = orders["columns"] if orders and orders["columns"] else {"order_no": [], "currency": []}
        self.currencies = set(self.imported["currency"])
        self.stored, self.map, self._whole = {}, None, None
        if stored_orders:  # a first import into an empty database has none to ask for
            needed = set()
            for name in ("order_lines", "rmas"):
                result = checked.get(name)
                if result and result["raw"]:
                    needed.update(result["columns"]["order_no"])
            needed.intersection_update(stored_orders)
            needed.difference_update(orders["keys"] if orders else ())
            needed = sorted(needed)
            for start in range(0, len(needed), ORDER_CHUNK):
                self.stored.update(db.execute(
                    "SELECT o.order_no, o.currency FROM json_each(?) j JOIN orders o ON o.order_no = j.value",
                    [json.dumps(needed[start:start + ORDER_CHUNK])]).fetchall())
            self.currencies.update(self.stored.values())

    def whole(self):
        """The order numbers whose currency has no decimals (JPY, KRW); empty in the usual case."""
        if self._whole is None:
            zero = {c for c in self.currencies if c and money.places(c) == 0}
            self._whole = set()
            if zero:
                self.of(None)  # builds the map
                self._whole = {o for o, c in self.map.items() if c in zero}
        return self._whole

    def of(self, order_no):
        if self.map is None:
            self.map = dict(self.stored)
            self.map.update(zip(self.imported["order_no"], self.imported["currency"]))
        return self.map.get(order_no)
