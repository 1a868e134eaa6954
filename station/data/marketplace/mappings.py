"""Mappings by name: the built-in presets and the ones a user saves for any other export (an ERP's).

A saved mapping is {"name", "target", "columns": {field: [header, ...]}, "options": {...}};
options a user may set: channel (the orders' channel, and whose reason codes apply), dates
(`iso`, `dmy`, `mdy`, `ymd`, or a platform's: `amazon`, `ebay`, `shopify`), currency (when the
file has no currency column), default_status (`shipped`/`delivered`).
"""
import json
import re

from flask_babel import gettext as _

from station.data.marketplace.presets import PRESETS
from station.data.marketplace.targets import REQUIRED_FIELDS, TARGET_FIELDS
from station.data.marketplace.values import DATE_FORMATS
from station.db import one, rows, write
from station.errors import ServiceError, bad
from station.money import CURRENCIES
from station.timeutil import now_iso

NAME = re.compile(r"[a-z0-9][a-z0-9._-]{0,39}\Z")
OPTIONS = ("channel", "dates", "currency", "default_status")


def get(db, name):
    """A preset, else a saved mapping; a ServiceError naming the known ones otherwise."""
    if name in PRESETS:
        return PRESETS[name]
    row = one(db, "SELECT * FROM import_mappings WHERE name = ?", [name])
    if row is None:
        known = ", ".join(list(PRESETS) + [m["name"] for m in saved(db)])
        raise ServiceError("unknown_format", _("No preset or saved mapping named %(name)s (known: %(known)s)",
                                               name=repr(name), known=known), 404)
    return {"name": row["name"], "target": row["target"], "columns": json.loads(row["columns"]),
            "options": json.loads(row["options"]), "saved": True, "title": row["name"]}


def saved(db):
    return [{"name": r["name"], "target": r["target"], "columns": json.loads(r["columns"]),
             "options": json.loads(r["options"]), "updated_by": r["updated_by"], "updated_at": r["updated_at"]}
            for r in rows(db, "SELECT * FROM import_mappings ORDER BY name")]


def check(name, target, columns, options):
    """The mapping as it will be stored, or a ServiceError naming the field at fault."""
    name = (name or "").strip().lower()
    if not NAME.match(name):
        raise bad("name", _("Use 1-40 lower-case letters, digits, '.', '_' or '-', starting with a letter or digit"))
    if name in PRESETS:
        raise bad("name", _("%(name)s is a built-in preset; choose another name", name=name))
    if target not in TARGET_FIELDS:
        raise bad("target", _("Must be one of: %(choices)s", choices=", ".join(TARGET_FIELDS)))
    if not isinstance(columns, dict):
        raise bad("columns", _("Give the column of each field"))
    clean = {}
    for field, headers in columns.items():
        if field not in TARGET_FIELDS[target]:
            raise bad("columns", _("%(field)s is not a field of %(target)s (fields: %(fields)s)", field=repr(field), target=target,
                                    fields=", ".join(TARGET_FIELDS[target])))
        headers = [headers] if isinstance(headers, str) else headers
        if not isinstance(headers, list) or not all(isinstance(h, str) for h in headers):
            raise bad("columns", _("%(field)s: give column names", field=field))
        headers = [h.strip() for h in headers if h.strip()]
        if any(len(h) > 200 or re.search(r"[\x00-\x1f\x7f]", h) for h in headers):
            raise bad("columns", _("%(field)s: a column name is too long or holds a control character", field=field))
        if headers:
            clean[field] = headers
    missing = [f for f in REQUIRED_FIELDS[target] if f not in clean]
    if target == "orders" and not ({"unit_price", "line_total"} & set(clean)):
        missing.append(_("unit_price or line_total"))
    if missing:
        raise bad("columns", _("Name the column of: %(fields)s", fields=", ".join(missing)))
    options = {k: v for k, v in (options or {}).items() if v not in (None, "")}
    unknown = [k for k in options if k not in OPTIONS]
    if unknown:
        raise bad("options", _("Unknown option(s): %(options)s (known: %(known)s)", options=", ".join(unknown),
                                known=", ".join(OPTIONS)))
    if "dates" in options and options["dates"] not in DATE_FORMATS:
        raise bad("dates", _("Must be one of: %(choices)s", choices=", ".join(DATE_FORMATS)))
    if "currency" in options:
        options["currency"] = str(options["currency"]).strip().upper()
        if options["currency"] not in CURRENCIES:
            raise bad("currency", _("Must be an ISO 4217 currency code"))
    if "default_status" in options and options["default_status"] not in ("shipped", "delivered"):
        raise bad("default_status", _("Must be shipped or delivered"))
    if "channel" in options:
        options["channel"] = str(options["channel"]).strip().lower()
        if not re.fullmatch(r"[a-z0-9][a-z0-9._-]{0,39}", options["channel"]):
            raise bad("channel", _("Use 1-40 lower-case letters, digits, '.', '_' or '-'"))
    return name, target, clean, options


def save(db, name, target, columns, options, user):
    name, target, columns, options = check(name, target, columns, options)
    with write(db):
        db.execute("INSERT INTO import_mappings (name, target, columns, options, updated_by, updated_at) "
                   "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (name) DO UPDATE SET target = excluded.target, "
                   "columns = excluded.columns, options = excluded.options, updated_by = excluded.updated_by, "
                   "updated_at = excluded.updated_at",
                   [name, target, json.dumps(columns, ensure_ascii=False), json.dumps(options), user, now_iso()])
    return get(db, name)


def delete(db, name):
    with write(db):
        if not db.execute("DELETE FROM import_mappings WHERE name = ?", [name]).rowcount:
            raise ServiceError("not_found", _("No saved mapping named %(name)s", name=repr(name)), 404)
