"""Numbers a request sends as text: row ids and whole numbers, read one way everywhere.

ASCII digits only: int() also reads '٣', '１', '1_000' and ' 5', which no scanner, form or
integration means; and a row id must fit SQLite's 64-bit integers (a larger one in a query is an
OverflowError, a 500). A bad id is a 404 (there is nothing by that id); a bad number a 400
naming its field.
"""
import re

from flask_babel import gettext as _

from station.errors import bad, not_found

MAX_ID = 2**63 - 1
_WHOLE = re.compile(r"-?[0-9]{1,30}")


def maybe_id(value):
    """A row id from a URL, a form or a scan, or None when it cannot be one."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        number = value
    else:
        text = str(value) if value is not None else ""
        if not (text.isascii() and text.isdigit() and len(text) <= 19):
            return None
        number = int(text)
    return number if 0 < number <= MAX_ID else None


def db_id(value, what):
    """A row id, else 404 naming what was looked for."""
    number = maybe_id(value)
    if number is None:
        raise not_found(what, value)
    return number


def whole_number(raw, field, low, high, default=None, unit=""):
    """A whole number from low to high (None or '' gives the default), else a 400 naming the field."""
    if raw is None or raw == "":
        return default
    if isinstance(raw, bool) or not (isinstance(raw, int) or _WHOLE.fullmatch(str(raw))):
        # `unit` (" of days") is said in the screen's language when its caller marked it with N_
        raise bad(field, _("must be a whole number%(unit)s", unit=_(unit) if unit else ""))
    value = int(raw)
    if not low <= value <= high:
        raise bad(field, _("must be from %(low)s to %(high)s", low=low, high=high))
    return value
