"""Date ranges for reports, and how a range is covered by year, month and day aggregate rows."""
import json
import re
from datetime import date, datetime, time, timedelta, timezone

from flask_babel import gettext as _

from station.errors import bad
from station import timeutil

FIRST, LAST = date(1900, 1, 1), date(2999, 12, 31)
# the quick choices on report pages: days back from today (None: all time)
PRESETS = {"7d": 7, "30d": 30, "90d": 90, "365d": 365, "all": None}
_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}([T ][0-9]{2}:[0-9]{2}|$)", re.ASCII)


def parse_bound(value, field):
    """(UTC day, UTC instant or None) of a YYYY-MM-DD day or an ISO 8601 timestamp; None when empty."""
    if value is None or value == "":
        return None
    text = str(value)
    try:
        if not _DAY.match(text):
            raise ValueError(text)
        if len(text) > 10:
            # a timestamp: checked whole (hours, minutes, offset), then taken in UTC
            instant = timeutil.parse(text)
            day = instant.astimezone(timezone.utc).date()
        else:
            instant, day = None, date.fromisoformat(text)
    except (ValueError, OverflowError):
        raise bad(field, _("must be a date YYYY-MM-DD (or an ISO 8601 timestamp)")) from None
    if not FIRST <= day <= LAST:
        raise bad(field, _("must be a date from %(first)s to %(last)s", first=FIRST, last=LAST))
    return day, instant


def parse_day(value, field):
    """A YYYY-MM-DD day, or None when empty; a timestamp counts as the UTC day it falls on."""
    found = parse_bound(value, field)
    return found and found[0]


def parse_range(from_=None, to=None):
    """(start, end) days, inclusive; None is open on that side."""
    start, end = parse_day(from_, "from"), parse_day(to, "to")
    if start and end and end < start:
        raise bad("to", _("is before from"))
    return start, end


def split_range(from_=None, to=None):
    """A range whose ends may be instants, as (whole days, part days).

    Whole days: (start, end) inclusive, None open on that side, or None when no whole day is
    left. Part days: [(day, low, high)], the instants of one UTC day from `low` to `high`
    inclusive (None: from the day's start / to its end) that the range takes from a day it only
    partly covers. A day or a midnight UTC `from` is a whole day; a `to` instant takes its day
    up to that instant.
    """
    low, high = parse_bound(from_, "from"), parse_bound(to, "to")
    if low and high and (high[1] or datetime.combine(high[0], time.max, timezone.utc)) < \
            (low[1] or datetime.combine(low[0], time.min, timezone.utc)):
        raise bad("to", _("is before from"))
    start, end = low and low[0], high and high[0]
    parts = []
    first = low and low[1] and low[1].astimezone(timezone.utc)
    last = high and high[1] and high[1].astimezone(timezone.utc)
    if first and first.timetz().replace(tzinfo=None) == time.min:
        first = None  # from midnight UTC: the whole day
    if first and last and start == end:
        return None, [(start, first, last)]
    if first:
        parts.append((start, first, None))
        start += timedelta(days=1)
    if last:
        parts.append((end, None, last))
        end -= timedelta(days=1)
    if start and end and end < start:
        return None, parts
    return (start, end), parts


def today():
    return timeutil.now().date()


def page_range(args, default="30d"):
    """A report page's range: `from`/`to` when given, else the `period` preset (7d, 30d, 90d, 365d, all)."""
    if args.get("from") or args.get("to"):
        start, end = parse_range(args.get("from"), args.get("to"))
        return start, end, "custom"
    preset = args.get("period") or default
    if preset not in PRESETS:
        raise bad("period", _("must be one of %(choices)s", choices=", ".join(PRESETS)))
    days = PRESETS[preset]
    if days is None:
        return None, None, preset
    end = today()
    return end - timedelta(days=days - 1), end, preset


def previous(start, end):
    """The range of the same length just before [start, end]."""
    length = (end - start).days + 1
    return start - timedelta(days=length), start - timedelta(days=1)


def _next_month(day):
    return date(day.year + (day.month == 12), day.month % 12 + 1, 1)


def decompose(start, end):
    """The fewest whole years, months and days that make up [start, end] exactly."""
    periods, day = [], start
    while day <= end:
        if day.month == 1 and day.day == 1 and date(day.year, 12, 31) <= end:
            periods.append(f"{day.year:04d}")
            day = date(day.year + 1, 1, 1)
        elif day.day == 1 and _next_month(day) - timedelta(days=1) <= end:
            periods.append(day.strftime("%Y-%m"))
            day = _next_month(day)
        else:
            periods.append(day.isoformat())
            day += timedelta(days=1)
    return periods


def cover(db, table, start, end, dim_column="dim", dim="all"):
    """JSON list of the periods of `table` to sum for [start, end]; all time also takes '' (no date).

    The range is first clamped to the years the table holds, so an open or very wide range
    stays a handful of rows (and all time is just the year rows).
    """
    years = [
        r[0] for r in db.execute(
            f"SELECT DISTINCT period FROM {table} WHERE {dim_column} = ? AND length(period) IN (0, 4) ORDER BY 1", [dim]
        ).fetchall()
    ]
    dated = [y for y in years if y]
    if start is None and end is None:
        return json.dumps(years)
    if not dated:
        return "[]"
    low, high = date(int(dated[0]), 1, 1), date(int(dated[-1]), 12, 31)
    start, end = max(start or low, low), min(end or high, high)
    return json.dumps(decompose(start, end) if start <= end else [])
