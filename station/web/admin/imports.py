"""Imports: a marketplace or ERP file read with a preset or a saved mapping, previewed, then
imported; and the saved mappings (save, change, delete).

Every rule is station/data/marketplace's: these views read the form, call one function and render
the widget it changes. The server keeps no upload between the two steps: Preview and Import are two
buttons of one form, so Import sends the file again and the import checks it from scratch (what was
previewed proves nothing about the bytes that arrive next).
"""
from pathlib import PurePosixPath

from flask import request
from flask_babel import gettext as _
from werkzeug.exceptions import RequestEntityTooLarge

from station.data import marketplace
from station.data.importer.reading import ImportFailed
from station.data.marketplace import mappings
from station.data.marketplace.presets import PRESETS
from station.data.marketplace.targets import REQUIRED_FIELDS, TARGET_FIELDS
from station.data.marketplace.values import DATE_FORMATS
from station.db import get_db
from station.errors import ServiceError, bad
from station.languages import N_
from station.roles import ADMINS
from station.web.admin import answer, bp, render, user_name
from station.web.pages import msg
from station.web.security import accepts_upload, roles_required

MAX_BYTES = 20 * 1024 * 1024  # a month of a big seller's orders; the screen and the API say so
FORM_SLACK = 64 * 1024  # the multipart envelope and the other fields around the file
DRAIN_BYTES = 64 * 1024 * 1024  # read (and drop) a body up to this before answering 413 (see _drain)
KINDS = ("csv", "tsv", "tab", "txt", "xlsx", "xls")  # .xls: the reader says to save it as .xlsx
PROBLEMS_SHOWN = 500  # a page lists this many problems; the API answers every one
TABLE_LABELS = {"customers": N_("customers"), "products": N_("products"), "orders": N_("orders"),
                "order_lines": N_("order lines"), "cartons": N_("cartons (outbound tracking)"), "rmas": N_("RMAs"),
                "rma_lines": N_("RMA lines")}
# what a file holds (a mapping's target, targets.py) and a saved mapping's options, as the screen names them
TARGET_NAMES = {"orders": N_("orders"), "returns": N_("returns"), "fba_returns": N_("fba returns"),
                "removals": N_("removals")}
OPTION_NAMES = {"channel": N_("channel"), "dates": N_("dates"), "currency": N_("currency"),
                "default_status": N_("default status")}
OPTION_FIELDS = ("channel", "dates", "currency", "default_status")
MAPPING_FIELDS = ("name", "target", "columns") + OPTION_FIELDS + ("options",)


def file_name(raw):
    """The uploaded file's own name, fit to name it in `FILE:LINE` (no folders, no control characters)."""
    name = PurePosixPath((raw or "").replace("\\", "/")).name
    name = "".join(ch for ch in name if ch.isprintable()).strip()[:120]
    return name or "upload"


def read_upload(field="file", missing=N_("choose the file to read")):
    """(name, bytes) of the file sent as `field`, at most MAX_BYTES (also for POST /api/imports).

    Called before anything reads the form: the limit must be set before the body is parsed.
    ServiceError naming the field otherwise: 400, or 413 when the file is too large."""
    request.max_content_length = MAX_BYTES + FORM_SLACK
    try:
        upload = request.files.get(field)
    except RequestEntityTooLarge:
        _drain()
        raise _too_large(field) from None
    if upload is None or not upload.filename:
        raise bad(field, _(missing))
    name = file_name(upload.filename)
    kind = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    if kind and kind not in KINDS:
        raise bad(field, _("a .%(kind)s file: choose a CSV, TSV, TXT or XLSX file", kind=kind[:10]))
    data = upload.stream.read(MAX_BYTES + 1)
    if len(data) > MAX_BYTES:
        raise _too_large(field)
    return name, data


def _too_large(field):
    return ServiceError("too_large", f"{field}: " + _("larger than %(mb)s MB", mb=MAX_BYTES // (1024 * 1024)), 413,
                        field=field)


def _drain():
    """A browser still sending a body the server will not read sees a reset connection, not the
    answer: read a moderately large one to its end first (a huge one is cut off)."""
    length = request.content_length or 0
    stream = request.environ.get("wsgi.input")
    if stream is None or length > DRAIN_BYTES:
        return
    while length > 0:
        chunk = stream.read(min(length, 1024 * 1024))
        if not chunk:
            break
        length -= len(chunk)


def form_value(key):
    """A text field of the upload form ('' once the body was refused as too large)."""
    try:
        return request.form.get(key, "").strip()[:100]
    except RequestEntityTooLarge:
        return ""


def chosen_format(db):
    """The format the form names: a preset or a saved mapping; a ServiceError naming `format` otherwise."""
    name = form_value("format")
    if not name:
        raise bad("format", _("choose the file's format"))
    try:
        return mappings.get(db, name)["name"]
    except ServiceError as exc:
        raise ServiceError(exc.code, f"format: {exc.message}", exc.status, field="format") from None


def target_name(target):
    """What a file holds, in the screen's language (an unknown target as it is)."""
    return _(TARGET_NAMES[target]) if target in TARGET_NAMES else target.replace("_", " ")


def option_name(key):
    return _(OPTION_NAMES[key]) if key in OPTION_NAMES else key.replace("_", " ")


def blank_mapping(target="orders"):
    return {"name": "", "target": target if target in TARGET_FIELDS else "orders", "columns": {},
            "channel": "", "dates": "", "currency": "", "default_status": ""}


def _context(db, **extra):
    context = {"presets": list(PRESETS.values()), "saved": mappings.saved(db), "chosen": "", "result": None,
               "errors": {}, "max_mb": MAX_BYTES // (1024 * 1024), "kinds": KINDS,
               "table_labels": {key: _(label) for key, label in TABLE_LABELS.items()},
               "target_name": target_name, "option_name": option_name,
               "problems_shown": PROBLEMS_SHOWN, "mapping": blank_mapping(), "mapping_errors": {},
               "mapping_message": None, "list_message": None, "target_fields": TARGET_FIELDS,
               "required_fields": REQUIRED_FIELDS, "date_formats": list(DATE_FORMATS), "main": None}
    context.update(extra)
    return context


@bp.get("/imports")
@roles_required(*ADMINS)
def imports():
    """The upload form, the saved mappings and the form to save one (`?edit=NAME` fills it)."""
    db = get_db()
    mapping = _mapping_of(db, request.args.get("edit", "")) or blank_mapping(request.args.get("target", ""))
    return render("admin/imports.html", **_context(db, mapping=mapping))


def _refused(db, exc, chosen):
    """The result widget saying why nothing was read, the message also next to its field."""
    field = exc.extra.get("field") if exc.extra.get("field") in ("file", "format") else "file"
    words = exc.message.split(": ", 1)[-1]
    # a body refused as too large was never read: the format chosen on the page stays as it is
    return answer("admin/imports.html", "admin/_import_result.html", exc.status, oob=True,
                  keep_formats=exc.code == "too_large",
                  **_context(db, chosen=chosen, errors={field: words}, result={"kind": "refused", "message": words}))


@bp.post("/imports/preview")
@accepts_upload(MAX_BYTES + FORM_SLACK)
@roles_required(*ADMINS)
def import_preview():
    """What importing the file would write, and every problem; writes nothing."""
    db = get_db()
    try:
        name, data = read_upload()
        chosen = chosen_format(db)
        seen = marketplace.preview(db, name, data, chosen)
    except ServiceError as exc:
        return _refused(db, exc, form_value("format"))
    except ArithmeticError:  # see unreadable_number
        return _refused(db, unreadable_number(name), chosen)
    return answer("admin/imports.html", "admin/_import_result.html", oob=True,
                  **_context(db, chosen=chosen, result={"kind": "preview", "file": name, **seen}))


@bp.post("/imports/run")
@accepts_upload(MAX_BYTES + FORM_SLACK)
@roles_required(*ADMINS)
def import_run():
    """Import the file in one transaction: the counts and unmapped reason codes, or every problem and nothing written."""
    db = get_db()
    try:
        name, data = read_upload()
        chosen = chosen_format(db)
        done = marketplace.import_file(db, name, data, chosen, user=user_name())
    except ServiceError as exc:
        return _refused(db, exc, form_value("format"))
    except ImportFailed as failed:
        return answer("admin/imports.html", "admin/_import_result.html", 400, oob=True,
                      **_context(db, chosen=chosen, result={"kind": "failed", "file": name, "format": chosen,
                                                            "problems": failed.errors}))
    except ArithmeticError:
        return _refused(db, unreadable_number(name), chosen)
    return answer("admin/imports.html", "admin/_import_result.html", oob=True,
                  **_context(db, chosen=chosen, result={"kind": "imported", "file": name, **done}))


def unreadable_number(name):
    """The converter crashes on a money cell of hundreds of digits (decimal.InvalidOperation while
    rounding) before the import's own bounds are checked: refuse the file rather than answer a 500."""
    return ServiceError("import_failed", "file: " + _("%(file)s: a number in it is too long to read (at most "
                                                      "1,000,000,000)", file=name), 400, field="file")


# --- saved mappings ---------------------------------------------------------------------------

def _mapping_of(db, name):
    """A saved mapping as the form shows it (several column names joined by ' | '), or None."""
    if not name:
        return None
    found = next((m for m in mappings.saved(db) if m["name"] == name), None)
    if found is None:
        return None
    options = found["options"]
    return {"name": found["name"], "target": found["target"],
            "columns": {f: " | ".join(names) for f, names in found["columns"].items()},
            **{key: str(options.get(key, "")) for key in OPTION_FIELDS}}


def _mapping_form():
    """The mapping form as sent: its target's column fields and the options (echoed as typed)."""
    target = request.values.get("target", "")
    form = blank_mapping(target)
    form["name"] = request.values.get("name", "").strip()[:100]
    form["columns"] = {f: request.values.get(f"column-{f}", "").strip()[:500] for f in TARGET_FIELDS[form["target"]]}
    for key in OPTION_FIELDS:
        form[key] = request.values.get(key, "").strip()[:100]
    if form["target"] != "orders":
        form["default_status"] = ""  # an option of order files only
    return form, target


@bp.get("/imports/mapping")
@roles_required(*ADMINS)
def import_mapping_form():
    """The mapping form for another target (what was typed kept), or filled from a saved mapping (`edit`)."""
    db = get_db()
    mapping = _mapping_of(db, request.args.get("edit", "")) or _mapping_form()[0]
    return answer("admin/imports.html", "admin/_import_mapping.html", **_context(db, mapping=mapping))


@bp.post("/imports/mappings")
@roles_required(*ADMINS)
def import_mapping_save():
    """Save (or replace) a mapping; the list and the upload form's formats refresh with it."""
    db = get_db()
    form, target = _mapping_form()
    columns = {f: [part.strip() for part in text.split("|")] for f, text in form["columns"].items() if text}
    options = {key: form[key] for key in OPTION_FIELDS if form[key]}
    try:
        saved = mappings.save(db, form["name"], target, columns, options, user_name())
    except ServiceError as exc:
        field = exc.extra.get("field") if exc.extra.get("field") in MAPPING_FIELDS else "columns"
        errors = {field: exc.message.split(": ", 1)[-1]}
        if field == "columns":  # mark each required field left empty, beside the message above them
            errors.update({f"column-{f}": _("required") for f in REQUIRED_FIELDS.get(target, ()) if not form["columns"].get(f)})
        return answer("admin/imports.html", "admin/_import_mapping.html", exc.status,
                      **_context(db, mapping=form, mapping_errors=errors))
    text = _("Saved the mapping %(name)s (%(target)s): choose it under Format to read a file with it",
             name=saved["name"], target=saved["target"])
    return answer("admin/imports.html", "admin/_import_mapping.html", oob=True,
                  **_context(db, mapping_message=msg("ok", text)))


@bp.post("/imports/mappings/<name>/delete")
@roles_required(*ADMINS)
def import_mapping_delete(name):
    """Delete a saved mapping (files already imported with it keep their rows)."""
    db = get_db()
    try:
        mappings.delete(db, name)
    except ServiceError as exc:
        return answer("admin/imports.html", "admin/_import_mappings.html", exc.status, oob=True,
                      **_context(db, main="list", list_message=msg("error", exc.message)))
    return answer("admin/imports.html", "admin/_import_mappings.html", oob=True,
                  **_context(db, main="list", list_message=msg("ok", _("Deleted the mapping %(name)s", name=name))))
