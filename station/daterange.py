"""Inclusive date ranges from query parameters (`from`, `to` as YYYY-MM-DD)."""
from datetime import date, timedelta

from flask_babel import gettext as _

from station.errors import bad


def parse_day(value, field):
    if value in (None, ""):
        return None
    try:
        return date.fromisoformat(str(value)[:10])
    except ValueError:
        raise bad(field, _("must be a date YYYY-MM-DD")) from None


def where(column, from_=None, to=None):
    """SQL conditions and parameters for `column` (ISO text) between the two days, inclusive."""
    start, end = parse_day(from_, "from"), parse_day(to, "to")
    if start and end and end < start:
        raise bad("to", _("is before from"))
    conditions, params = [], []
    if start:
        conditions.append(f"{column} >= ?")
        params.append(start.isoformat())
    if end:
        conditions.append(f"{column} < ?")
        params.append((end + timedelta(days=1)).isoformat())
    return conditions, params
