"""Marketplace and ERP files as they come: a report read with a named mapping (a built-in preset or
a user's saved one), previewed, then imported under the CSV import's rules.

    python run.py import FILE --format amazon-orders      (CLI, CONTRACT.md)
    /admin/imports                                        (upload, preview, import, save a mapping)

Reading: tabular.py. Cell formats: values.py. Presets: presets.py. Rows to station rows:
targets.py. Return reasons per channel: reasons.py. Saved mappings: mappings.py.
"""
from station import db as db_module
from station import policy as policy_module
from station.data import importer
from station.data.importer.reading import ImportFailed
from station.data.marketplace import mappings, reasons
from station.data.marketplace.tabular import read_table
from station.data.marketplace.targets import TARGETS, Context, Fields, Problems

PREVIEW_ROWS = 5


def convert(db, name, data, format_name):
    """The report's rows as station rows: (mapping, Table, Output); ImportFailed with every problem."""
    mapping = mappings.get(db, format_name)
    table = read_table(name, data)
    return mapping, table, _convert(db, mapping, table, Fields(table, mapping))


def _convert(db, mapping, table, fields):
    """A table already read, as station rows (Output); ImportFailed with every problem."""
    problems = Problems(table.name)
    out = TARGETS[mapping["target"]](Context(db, policy_module.load(db), mapping), table, fields, problems)
    if problems.lines:
        raise ImportFailed(problems.lines)
    return out


def _write_rows(db, out):
    """The station rows in the caller's transaction, through the CSV import's checks: customers of
    unknown country first (so the orders' references find them); {file: count}."""
    unknown = _write_unknown_country(db, out)
    tables = out.for_import()
    counts = importer.import_rows(db, tables) if tables else {}
    if unknown:
        counts["customers"] = counts.get("customers", 0) + unknown
    return counts


def import_file(db, name, data, format_name, user="import"):
    """Import one report; returns {"rows": n, "tables": {file: count}, "unmapped": [codes]}.

    One transaction: the station rows, the RMAs' platform reason and source, and the unmapped
    reason codes are written together or not at all.
    """
    mapping, table, out = convert(db, name, data, format_name)
    with db_module.write(db):
        counts = _write_rows(db, out)
        if out.rma_extras:
            db.conn.executemany("UPDATE rmas SET channel_reason = ?, source = ? WHERE rma_no = ? "
                                "AND (channel_reason IS NOT ? OR source IS NOT ?)",
                                [(code, source, rma_no, code, source) for rma_no, (code, source) in out.rma_extras.items()])
        for code, line in out.unmapped.items():
            reasons.note_unmapped(db, mapping.get("options", {}).get("channel") or mapping["name"], code,
                                  f"{name}:{line}")
        if out.unmapped:
            reasons.refresh_unmapped_counts(db)
    return {"format": mapping["name"], "rows": len(table.rows), "tables": counts,
            "unmapped": sorted(out.unmapped)}


def preview(db, name, data, format_name, limit=PREVIEW_ROWS):
    """What an import would do, written nowhere: the header, the first rows as the mapping reads
    them, what would be created, and every problem."""
    mapping = mappings.get(db, format_name)
    try:
        table = read_table(name, data)
    except ImportFailed as failed:
        return {"format": mapping["name"], "header": [], "rows": [], "problems": failed.errors, "counts": {},
                "unmapped": [], "columns": {}}
    fields = Fields(table, mapping)
    shown = [{"line": line, "cells": {f: fields.get(values, f) for f in fields.columns if fields.has(f)}}
             for line, values in table.rows[:limit]]
    columns = {f: (cols[0] if cols else None) for f, cols in fields.columns.items()}
    try:  # the table read above, converted once (never the file read again)
        out = _convert(db, mapping, table, fields)
    except ImportFailed as failed:
        return {"format": mapping["name"], "header": table.header, "rows": shown, "problems": failed.errors,
                "counts": {}, "unmapped": [], "columns": columns}
    problems = []
    counts = {t: len(v) for t, v in out.tables.items() if v}
    try:  # the import's own checks, in a transaction that is always rolled back
        with db_module.write(db):
            _write_rows(db, out)
            raise _Rollback
    except ImportFailed as failed:
        problems = failed.errors
    except _Rollback:
        pass
    return {"format": mapping["name"], "header": table.header, "rows": shown, "problems": problems,
            "counts": counts, "unmapped": sorted(out.unmapped), "columns": columns}


def _write_unknown_country(db, out):
    """Customers of unknown country (ZZ), written first in the import's transaction so the orders'
    references find them; a customer the station has keeps its country, a re-import changes nothing."""
    rows_ = out.unknown_country()
    if rows_:
        db.conn.executemany(
            "INSERT INTO customers (customer_id, name, email, phone, country) VALUES (?, coalesce(?, 'customer'), ?, ?, 'ZZ') "
            "ON CONFLICT (customer_id) DO UPDATE SET name = excluded.name, email = coalesce(excluded.email, email), "
            "phone = coalesce(excluded.phone, phone) WHERE name IS NOT excluded.name "
            "OR (excluded.email IS NOT NULL AND email IS NOT excluded.email) "
            "OR (excluded.phone IS NOT NULL AND phone IS NOT excluded.phone)", rows_)
    return len(rows_)


class _Rollback(Exception):
    pass
