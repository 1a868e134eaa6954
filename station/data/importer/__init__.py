"""CSV import: check every row of every file first, then upsert them all in one transaction.

The same path serves `run.py import DIR` (files) and the demo data set (rows in memory),
so the demo can never load something an import would refuse.

Here the entry points and the order of the work; the files are read in reading.py, the
values parsed in values.py, the rows checked against each file's rules in rules.py and
written in writing.py.
"""
import contextlib
import gc
from pathlib import Path

from flask_babel import gettext as _

from station.data.importer.reading import Batch, ImportFailed, read_csv
from station.data.importer.rules import (
    SPEC_BY_FILE, SPEC_BY_TABLE, SPECS, _check, _check_money, _check_refs, _known_keys)
from station.data.importer.writing import write_checked


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
    found, _others = import_files(directory)
    for spec in SPECS:
        paths = found.get(spec.file, [])
        if len(paths) > 1:  # orders.csv and Orders.csv: which one is meant?
            errors.append(f"{paths[1].name}:1: " + _("%(file)s is here too; keep one of them", file=paths[0].name))
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
        raise ImportFailed([f"{directory}: " + _("no files to import (looked for %(files)s)", files=names)])
    # The readable files are still checked, so one run reports every bad row.
    return _import(db, batches, progress, errors, unreadable)



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
    _check_money(db, checked, stored)
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
    return write_checked(db, checked, stored, sum(len(b.lines) for b in batches.values()), progress)
