"""Reading one import CSV file into a Batch, and ImportFailed: every bad row as `FILE:LINE: reason`."""
import csv
import io

from flask_babel import gettext as _


class ImportFailed(Exception):
    """Some rows were bad; nothing was written. `errors` holds one `FILE:LINE: reason` each."""

    def __init__(self, errors):
        self.errors = list(errors)
        super().__init__(f"import failed: {len(self.errors)} error(s)\n" + "\n".join(self.errors))


class Batch:
    """One file's rows, column by column: `cells[column]` lists the raw values, `lines[i]`
    the physical line of row i. Columns, not rows, because CPython runs one tight loop per
    column much faster than a loop over columns inside a loop over rows (~2x, 300k rows)."""

    def __init__(self, file, lines, cells, text=False, header_line=1, wide=None):
        self.file, self.lines, self.cells = file, lines, cells
        self.text = text  # every cell is a str (from a file), so no conversion is needed
        self.header_line = header_line  # where a header problem is reported
        # row index -> why it is bad: more fields than the header (its cells are in the wrong columns)
        self.wide = wide or {}


def read_csv(path, spec):
    """One CSV file as a Batch of the columns `spec` knows; the header is line 1."""
    name = path.name
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ImportFailed([f"{name}:1: " + _("cannot be read (%(why)s)", why=exc.strerror or exc)]) from None
    try:
        text = data.decode("utf-8-sig")  # Excel writes a BOM; accept it
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise ImportFailed([f"{name}:{line}: " + _("not UTF-8 text")]) from None
    # strict: a quote left open, or text after a closing quote, is a bad row, not a field that
    # silently swallows the rest of the file
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        for header in reader:
            if "".join(header).strip():
                break  # blank lines above the header are skipped
        else:
            raise ImportFailed([f"{name}:1: " + _("empty file, a header row is required")])
    except csv.Error as exc:
        raise ImportFailed([f"{name}:{reader.line_num}: {_csv_problem(exc)}"]) from None
    header_line, raw_header = reader.line_num, header
    header = [h.strip().lower() for h in header]
    known = [(h, i) for i, h in enumerate(header) if h in spec.by_name]
    if not known:
        joined = "".join(raw_header)
        hint = (_("; the header looks separated by ';', the files are comma-separated") if ";" in joined
                else _("; the header looks separated by tabs, the files are comma-separated") if "\t" in joined else "")
        raise ImportFailed([f"{name}:{header_line}: "
                            + _("no known columns in the header (%(columns)s)", columns=", ".join(spec.by_name)) + hint])
    twice = sorted({h for h, _ in known if header.count(h) > 1})
    if twice:
        raise ImportFailed([f"{name}:{header_line}: " + _("column(s) named more than once: %(columns)s",
                                                          columns=", ".join(twice))])
    width = max(i for _, i in known) + 1
    fields = len(header)  # a row with more is a bad row: '12,50' unquoted is two fields, never 12
    rows, lines, line, wide = [], [], reader.line_num, {}
    try:
        for cells in reader:
            start, line = line + 1, reader.line_num  # a quoted field may span lines
            if not (cells and cells[0].strip()) and not "".join(cells).strip():
                continue  # a blank line
            if len(cells) < width:  # fewer fields: the missing ones are empty
                cells += [""] * (width - len(cells))
            elif len(cells) > fields:
                wide[len(rows)] = _too_many_fields(len(cells), fields)
            rows.append(cells)
            lines.append(start)
    except csv.Error as exc:
        raise ImportFailed([f"{name}:{line + 1}: {_csv_problem(exc)}"]) from None
    return Batch(name, lines, {h: [r[i] for r in rows] for h, i in known}, text=True, header_line=header_line,
                 wide=wide)


def _too_many_fields(count, fields):
    """Why a row with more fields than the header is bad: its cells after the stray comma are in
    the wrong columns, so this is the only thing said about it."""
    return _("%(count)s fields, the header has %(fields)s: a comma inside a cell? write money as 12.50 (not 12,50) "
             "and quote text that holds a comma", count=count, fields=fields)


def _csv_problem(exc):
    """The csv module's complaint in words for whoever fixes the export."""
    text = str(exc)
    if "unexpected end of data" in text:
        return _("a quoted field is not closed (a '\"' opens it and the file ends before it closes)")
    if "expected after" in text:
        return _("text after the closing quote of a field (a '\"' inside a quoted field is written '\"\"')")
    return text
