"""Reading a marketplace or ERP report as it comes: CSV or tab-separated text, or an Excel workbook.

What the platforms' downloads do that the station's own CSV files do not: a BOM (Excel, Shopify),
tabs (Amazon's flat files), blank lines above the header and a summary below the data (eBay's
"N record(s) downloaded"), quoted cells with line breaks (addresses, notes), Windows-1252 text
(older Amazon flat files), and .xlsx workbooks (an ERP's export). The answer is always the same:
a Table of text cells, each row with the physical line (or sheet row) it came from, so that every
problem can be named `FILE:LINE: reason`.
"""
import csv
import io
from datetime import date, datetime, time
from decimal import Decimal

from flask_babel import gettext as _

from station.data.importer.reading import ImportFailed, _csv_problem

MAX_BYTES = 200 * 1024 * 1024  # a year of a big seller's orders is well below this
XLSX_MAGIC = b"PK\x03\x04"


class Table:
    """A report's header (as written) and its rows: `rows[i]` is (line, {header: text})."""

    def __init__(self, name, header_line, header, rows):
        self.name, self.header_line, self.header, self.rows = name, header_line, header, rows


def read_table(name, data):
    """`data` (bytes) as a Table; `name` is how problems name the file. ImportFailed when unreadable."""
    if len(data) > MAX_BYTES:
        raise ImportFailed([f"{name}:1: " + _("larger than %(mb)s MB", mb=MAX_BYTES // (1024 * 1024))])
    if data[:4] == XLSX_MAGIC:
        return _read_xlsx(name, data)
    if data[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1":
        raise ImportFailed([f"{name}:1: " + _("an old Excel .xls workbook: save it as .xlsx or CSV")])
    return _read_text(name, _decode(name, data))


def _decode(name, data):
    for encoding in ("utf-8-sig", "utf-16") if data[:2] in (b"\xff\xfe", b"\xfe\xff") else ("utf-8-sig",):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            pass
    # Not UTF-8: older Amazon flat files and Excel "CSV" on Windows are Windows-1252. Its five
    # unassigned bytes are refused by Python's codec, and that is the only other text we accept.
    try:
        return data.decode("cp1252")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise ImportFailed([f"{name}:{line}: " + _("not UTF-8 (nor Windows-1252) text")]) from None


def _delimiter(text):
    """Tab for flat files, else the comma; a header with tabs and no commas is tab-separated,
    and so is one with more tabs than commas (a product name in a TSV may hold a comma)."""
    for line in text.splitlines():
        if line.strip():
            return "\t" if line.count("\t") > line.count(",") else ","
    return ","


def _read_text(name, text):
    delimiter = _delimiter(text)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=delimiter == ",")
    try:
        for header in reader:
            if any(h.strip() for h in header):
                break  # eBay's download starts with a blank line
        else:
            raise ImportFailed([f"{name}:1: " + _("empty file, a header row is required")])
        header_line = reader.line_num
        rows, line = [], header_line
        for cells in reader:
            start, line = line + 1, reader.line_num  # a quoted cell may span lines
            if not cells or (len(cells) == 1 and not cells[0].strip()):
                continue  # a blank line, skipped here: a file of millions of them costs no dict each
            rows.append((start, cells))
    except csv.Error as exc:
        raise ImportFailed([f"{name}:{reader.line_num}: {_csv_problem(exc)}"]) from None
    return _table(name, header_line, header, rows)


def _read_xlsx(name, data):
    try:
        import openpyxl
        book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # a damaged zip, not a workbook, an encrypted file: all one answer
        raise ImportFailed([f"{name}:1: " + _("not a readable .xlsx workbook (%(why)s)", why=type(exc).__name__)]) from None
    try:
        sheet = book.worksheets[0]
        rows = [(number, [_cell_text(c) for c in cells])
                for number, cells in enumerate(sheet.iter_rows(values_only=True), start=1)]
    finally:
        book.close()
    for i, (number, cells) in enumerate(rows):
        if any(c.strip() for c in cells):
            return _table(name, number, cells, rows[i + 1:])
    raise ImportFailed([f"{name}:1: " + _("empty workbook, a header row is required")])


def _cell_text(value):
    """A workbook cell as the text a CSV export would have held."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, (date, time)):
        return value.isoformat()
    if isinstance(value, float):
        # Excel stores 12.5 as a double; its shortest repr is the number the user typed
        return format(Decimal(repr(value)).normalize(), "f") if value == value and abs(value) != float("inf") else ""
    return str(value)


def _table(name, header_line, header, raw_rows):
    header = [h.strip() for h in header]
    seen, twice = set(), []
    for h in header:
        if h and h in seen:
            twice.append(h)
        seen.add(h)
    if twice:
        raise ImportFailed([f"{name}:{header_line}: " + _("column(s) named more than once: %(columns)s",
                                                          columns=", ".join(sorted(set(twice))))])
    rows = []
    for line, cells in raw_rows:
        values = {h: (cells[i].strip() if i < len(cells) else "") for i, h in enumerate(header) if h}
        if not any(values.values()):
            continue  # a blank line (eBay leaves one under the header)
        if len(cells) > len(header) and any(c.strip() for c in cells[len(header):]):
            values["\0wide"] = _("%(count)s fields, the header has %(fields)s", count=len(cells), fields=len(header))
        rows.append((line, values))
    return Table(name, header_line, header, rows)
