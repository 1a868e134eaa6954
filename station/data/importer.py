"""CSV import: check every row of every file first, then upsert them all in one transaction.

The same path serves `run.py import DIR` (files) and the demo data set (rows in memory),
so the demo can never load something an import would refuse.
"""
import contextlib
import csv
import gc
import io
import json
import math
import re
import sys
from datetime import datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path

from sqlite_utils.db import quote_identifier
from stdnum import ean
from stdnum.exceptions import ValidationError
from tqdm import tqdm

from station import db as db_module
from station.reporting import aggregates
from station.policy import REASONS
from station.timeutil import normalise

ORDER_STATUSES = ("shipped", "delivered", "awaiting_stock", "cancelled")
RESOLUTIONS = ("refund", "exchange")
CHUNK = 5000  # rows per executemany, so the progress bar moves
PAUSE_REPORTS_FROM = 10_000  # rows; smaller imports let the report triggers do the work
_CANONICAL_TIME = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z\Z")
_NAIVE_TIME = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}[T ][0-9]{2}:[0-9]{2}:[0-9]{2}\Z")
_INT = re.compile(r"[+-]?[0-9]+\Z")
_UPPER = {2: re.compile(r"[A-Z]{2}\Z"), 3: re.compile(r"[A-Z]{3}\Z")}
# ISO 3166-1 alpha-2: the 249 assigned codes, and XK (Kosovo), which carriers and marketplaces use.
COUNTRIES = frozenset("""
AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ BR BS
BT BV BW BY BZ CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ DE DJ DK DM DO DZ EC EE
EG EH ER ES ET FI FJ FK FM FO FR GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS GT GU GW GY HK HM
HN HR HT HU ID IE IL IM IN IO IQ IR IS IT JE JM JO JP KE KG KH KI KM KN KP KR KW KY KZ LA LB LC
LI LK LR LS LT LU LV LY MA MC MD ME MF MG MH MK ML MM MN MO MP MQ MR MS MT MU MV MW MX MY MZ NA
NC NE NF NG NI NL NO NP NR NU NZ OM PA PE PF PG PH PK PL PM PN PR PS PT PW PY QA RE RO RS RU RW
SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS ST SV SX SY SZ TC TD TF TG TH TJ TK TL TM TN TO
TR TT TV TW TZ UA UG UM US UY UZ VA VC VE VG VI VN VU WF WS YE YT ZA ZM ZW XK
""".split())
# ISO 4217 currencies money is paid in (recently withdrawn ones too, for older orders); not the
# precious metals, bond units, SDR or the testing and "no currency" codes (XAU, XDR, XTS, XXX, ...).
CURRENCIES = frozenset("""
AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BHD BIF BMD BND BOB BOV BRL BSD BTN BWP
BYN BZD CAD CDF CHE CHF CHW CLF CLP CNY COP COU CRC CUC CUP CVE CZK DJF DKK DOP DZD EGP ERN ETB
EUR FJD FKP GBP GEL GHS GIP GMD GNF GTQ GYD HKD HNL HRK HTG HUF IDR ILS INR IQD IRR ISK JMD JOD
JPY KES KGS KHR KMF KPW KRW KWD KYD KZT LAK LBP LKR LRD LSL LYD MAD MDL MGA MKD MMK MNT MOP MRU
MUR MVR MWK MXN MXV MYR MZN NAD NGN NIO NOK NPR NZD OMR PAB PEN PGK PHP PKR PLN PYG QAR RON RSD
RUB RWF SAR SBD SCR SDG SEK SGD SHP SLE SLL SOS SRD SSP STN SVC SYP SZL THB TJS TMT TND TOP TRY
TTD TWD TZS UAH UGX USD USN UYI UYU UYW UZS VED VES VND VUV WST XAF XCD XCG XOF XPF YER ZAR ZMW
ZWG ZWL
""".split())
_CODE_HINTS = {"UK": " (the United Kingdom is GB)", "EL": " (Greece is GR)", "RMB": " (the renminbi is CNY)",
               "NTD": " (the New Taiwan dollar is TWD)", "UKP": " (the pound sterling is GBP)"}


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
        if abs(number) >= 2**63:  # SQLite's INTEGER is 64-bit
            raise ValueError(f"out of range: {value!r}")
        if minimum is not None and number < minimum:
            raise ValueError(f"must be at least {minimum}, got {number}")
        return number

    return parse


def _money(value):
    try:
        number = Decimal(value)
    except InvalidOperation:
        raise ValueError(f"not a decimal number: {value!r}") from None
    if not number.is_finite() or number < 0 or math.isinf(float(number)):
        raise ValueError(f"must be a decimal number of at least 0, got {value!r}")
    return float(number)


def _grams(value):
    """A product's weight in grams (optional column weight_g): above 0, at most 1,000 kg."""
    try:
        number = float(Decimal(value))
    except (InvalidOperation, OverflowError):
        raise ValueError(f"not a weight in grams: {value!r}") from None
    if not 0 < number <= 1_000_000:
        raise ValueError(f"must be a weight in grams above 0 and at most 1000000, got {value!r}")
    return number


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


def _letters(length, what, known):
    """An ISO code, any case, stored upper-case: assigned codes only (`XX` or `XYZ` is refused)."""
    def parse(value):
        upper = value.upper()
        if not _UPPER[length].match(upper):
            raise ValueError(f"not a {what} ({length} letters A-Z): {value!r}")
        if upper not in known:
            hint = _CODE_HINTS.get(upper, "")
            raise ValueError(f"not an assigned {what}: {value!r}{hint}")
        return upper

    return parse


def _timestamp(value):
    try:
        # Fast paths for the two commonest exports (stored form, and no offset = UTC):
        # check it is a real time and reuse the text; anything else goes the long way.
        if _CANONICAL_TIME.match(value):
            datetime.fromisoformat(value[:-1])
            return value
        if _NAIVE_TIME.match(value):
            datetime.fromisoformat(value)
            return f"{value[:10]}T{value[11:]}Z"
        return normalise(value)
    except (ValueError, OverflowError):  # year 9999 with an offset overflows on the way to UTC
        raise ValueError(f"not an ISO 8601 time: {value!r}") from None


def _gtin(value):
    try:
        ean.validate(value)
    except ValidationError:
        raise ValueError(f"not a valid EAN-8/UPC-A/EAN-13/GTIN-14 (length or check digit): {value!r}") from None
    return value


# Columns that are codes: scanned at the bench, printed on labels or typed as a key. Like a scan
# (station.scans: at most 128 characters, no control characters), else nothing could ever find them.
CODE_COLUMNS = frozenset({"supplier_id", "sku", "customer_id", "order_no", "carton_code", "tracking_no",
                          "rma_no", "return_tracking_no", "bin"})
CODE_MAX = 128
_CODE_BAD = re.compile(r"[\x00-\x1f\x7f-\x9f]")  # Unicode's control characters (Cc)
_TEXT_BAD = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")  # the same but tab and line breaks
_SCAN_CHUNK = 65536  # cells per regex pass


def _check_text(name, cells, problems):
    """Report codes that are too long or hold control characters, and control characters in text.

    One regex pass over a chunk of joined cells, cell by cell only when something is wrong:
    the import stays as fast as before for the files that are fine.
    """
    code = name in CODE_COLUMNS
    bad = _CODE_BAD if code or name == "serials" else _TEXT_BAD
    for start in range(0, len(cells), _SCAN_CHUNK):
        chunk = cells[start:start + _SCAN_CHUNK]
        if not (code and max(map(len, chunk)) > CODE_MAX) and not bad.search(" ".join(chunk)):
            continue
        for i, c in enumerate(chunk, start):
            found = bad.search(c)
            if found:
                what = "a code" if code else "the serials" if name == "serials" else "the text"
                problems.setdefault(i, []).append(
                    f"{name}: control character U+{ord(found.group()):04X} in {what}")
            elif code and len(c) > CODE_MAX:
                problems.setdefault(i, []).append(
                    f"{name}: a code is at most {CODE_MAX} characters (as a scan), got {len(c)}")


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


class Batch:
    """One file's rows, column by column: `cells[column]` lists the raw values, `lines[i]`
    the physical line of row i. Columns, not rows, because CPython runs one tight loop per
    column much faster than a loop over columns inside a loop over rows (~2x, 300k rows)."""

    def __init__(self, file, lines, cells, text=False, header_line=1):
        self.file, self.lines, self.cells = file, lines, cells
        self.text = text  # every cell is a str (from a file), so no conversion is needed
        self.header_line = header_line  # where a header problem is reported


def import_dir(db, directory, progress=False):
    """Import the known CSV files found in `directory`; returns row counts per file."""
    with _collector_paused():
        return _import_dir(db, Path(directory), progress)


def import_files(directory):
    """The import files in `directory` by file name, matched in any case (ORDERS.CSV from a
    Windows export is orders.csv), and the other .csv files there, which are not imported."""
    found, others = {}, []
    for path in sorted(Path(directory).iterdir()):
        if not (path.suffix.lower() == ".csv" and path.is_file()):
            continue
        name = path.name.lower()[:-4]
        if name in SPEC_BY_FILE:
            found.setdefault(name, []).append(path)
        else:
            others.append(path.name)
    return found, others


def _import_dir(db, directory, progress):
    batches, errors, unreadable = {}, [], set()
    found, _ = import_files(directory)
    for spec in SPECS:
        paths = found.get(spec.file, [])
        if len(paths) > 1:  # orders.csv and Orders.csv: which one is meant?
            errors.append(f"{paths[1].name}:1: {paths[0].name} is here too; keep one of them")
            unreadable.add(spec.file)
        elif paths:
            path = paths[0]
            try:
                batches[spec.file] = read_csv(path, spec)
            except ImportFailed as exc:
                errors.extend(exc.errors)
                unreadable.add(spec.file)
    if not batches and not errors:
        names = ", ".join(f"{s.file}.csv" for s in SPECS)
        raise ImportFailed([f"{directory}: no files to import (looked for {names})"])
    # The readable files are still checked, so one run reports every bad row.
    return _import(db, batches, progress, errors, unreadable)


def read_csv(path, spec):
    """One CSV file as a Batch of the columns `spec` knows; the header is line 1."""
    name = path.name
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ImportFailed([f"{name}:1: cannot be read ({exc.strerror or exc})"]) from None
    try:
        text = data.decode("utf-8-sig")  # Excel writes a BOM; accept it
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise ImportFailed([f"{name}:{line}: not UTF-8 text"]) from None
    # strict: a quote left open, or text after a closing quote, is a bad row, not a field that
    # silently swallows the rest of the file
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        for header in reader:
            if "".join(header).strip():
                break  # blank lines above the header are skipped
        else:
            raise ImportFailed([f"{name}:1: empty file, a header row is required"])
    except csv.Error as exc:
        raise ImportFailed([f"{name}:{reader.line_num}: {_csv_problem(exc)}"]) from None
    header_line, raw_header = reader.line_num, header
    header = [h.strip().lower() for h in header]
    known = [(h, i) for i, h in enumerate(header) if h in spec.by_name]
    if not known:
        hint = next((f"; the header looks separated by {shown}, the files are comma-separated"
                     for sep, shown in ((";", "';'"), ("\t", "tabs")) if sep in "".join(raw_header)), "")
        raise ImportFailed([f"{name}:{header_line}: no known columns in the header ({', '.join(spec.by_name)}){hint}"])
    twice = sorted({h for h, _ in known if header.count(h) > 1})
    if twice:
        raise ImportFailed([f"{name}:{header_line}: column(s) named more than once: {', '.join(twice)}"])
    width = max(i for _, i in known) + 1
    rows, lines, line = [], [], reader.line_num
    try:
        for cells in reader:
            start, line = line + 1, reader.line_num  # a quoted field may span lines
            if not (cells and cells[0].strip()) and not "".join(cells).strip():
                continue  # a blank line
            if len(cells) < width:
                cells += [""] * (width - len(cells))
            rows.append(cells)
            lines.append(start)
    except csv.Error as exc:
        raise ImportFailed([f"{name}:{line + 1}: {_csv_problem(exc)}"]) from None
    return Batch(name, lines, {h: [r[i] for r in rows] for h, i in known}, text=True, header_line=header_line)


def _csv_problem(exc):
    """The csv module's complaint in words for whoever fixes the export."""
    text = str(exc)
    if "unexpected end of data" in text:
        return "a quoted field is not closed (a '\"' opens it and the file ends before it closes)"
    if "expected after" in text:
        return "text after the closing quote of a field (a '\"' inside a quoted field is written '\"\"')"
    return text


def import_rows(db, tables, progress=False):
    """Validate then upsert rows given per file: {"orders": [(file, line, {column: value}), ...]}.

    A row may also be a bare dict: it is then named `orders.csv` at its position + 1, as
    if under a header. Values may be text or numbers; None or empty text is "not given";
    the columns of a file are those its rows name. A Batch is accepted as it is.
    Raises ImportFailed with every bad row and writes nothing; else returns counts.
    """
    with _collector_paused():
        batches = {}
        for name, rows in tables.items():
            spec = SPEC_BY_FILE.get(name.removesuffix(".csv")) or SPEC_BY_TABLE.get(name)
            if spec is None:
                raise ValueError(f"unknown import table {name!r}")
            batch = rows if isinstance(rows, Batch) else _batch(spec, rows)
            if batch.lines:
                batches[spec.file] = batch
        return _import(db, batches, progress, [], set())


def _batch(spec, rows):
    files, lines, dicts = [], [], []
    for n, row in enumerate(rows, start=2):
        file, line, row = (f"{spec.file}.csv", n, row) if isinstance(row, dict) else row
        files.append(file)
        lines.append(line)
        dicts.append(row)
    present = set()
    for row in dicts:
        present.update(row)
    return Batch(files[0] if files else f"{spec.file}.csv", lines,
                 {c: [row.get(c) for row in dicts] for c in spec.by_name if c in present})


def _import(db, batches, progress, errors, unreadable):
    """Check every batch, then write them all; `errors` may hold unreadable files' already."""
    checked, keys = {}, {}  # keys: table -> keys this import brings (bad rows too: no knock-on errors)
    for spec in SPECS:
        if spec.file in batches:
            checked[spec.file] = _check(spec, batches[spec.file], progress)
            keys[spec.table] = checked[spec.file]["keys"]
    stored, known = _known_keys(db, checked, keys, unreadable)
    for spec in SPECS:
        if spec.file in checked:
            result = checked[spec.file]
            _check_refs(result, known)
            errors.extend(result["header"])
            lines, problems = batches[spec.file].lines, result["problems"]
            errors.extend(f"{result['file']}:{lines[i]}: {'; '.join(problems[i])}" for i in sorted(problems))
    if errors:
        raise ImportFailed(errors)

    # Checked outside the write lock (benches keep scanning meanwhile); stored keys are
    # never deleted, so what was checked still holds inside the transaction.
    counts = {}
    rows = sum(len(b.lines) for b in batches.values())
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

    Every reference the schema enforces is a `ref` field above, checked against the stored
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


def _write(db, spec, result, stored, progress):
    """Upsert one file's rows: only the columns the file has are inserted or updated."""
    columns = dict(result["columns"])
    if "gtin" in columns:  # scans match on the zero-padded GTIN-14
        columns["gtin14"] = [ean.compact(g).zfill(14) if g else None for g in columns["gtin"]]
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
    if not others:
        return f"INSERT INTO {quote_identifier(spec.table)} ({names}) VALUES ({marks}) ON CONFLICT({key}) DO NOTHING"
    # The WHERE skips rows that are already equal: a re-import rewrites no page for them.
    return (f"INSERT INTO {quote_identifier(spec.table)} ({names}) VALUES ({marks}) ON CONFLICT({key}) "
            f"DO UPDATE SET {', '.join(f'{c} = excluded.{c}' for c in others)} "
            f"WHERE ({', '.join(others)}) IS NOT ({', '.join(f'excluded.{c}' for c in others)})")


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
