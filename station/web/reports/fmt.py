"""How report pages write numbers: rates as percentages, money with separators, times in words,
times in the site's time zone (config TIMEZONE)."""
from decimal import ROUND_HALF_UP, Decimal


def pct(rate, digits=1):
    """0.0025 is 0.3% (half up, as a person rounds; a float's 0.25 would round to even, 0.2%)."""
    if rate is None:
        return "—"
    value = (Decimal(str(rate)) * 100).quantize(Decimal(1).scaleb(-digits), ROUND_HALF_UP)
    return f"{value:.{digits}f}%"


def num(value, digits=0):
    if value is None:
        return "—"
    return f"{value:,.{digits}f}"


def num1(value):
    return num(value, 1)


def money(text):
    """A decimal string ("1234.50") with thousands separators, exact (never through a float)."""
    if text is None:
        return "—"
    return f"{Decimal(str(text)).quantize(Decimal('0.01'), ROUND_HALF_UP):,.2f}"


def duration(seconds):
    """Seconds in the unit a person reads: 45 s, 12 min, 3.5 h, 2.1 days."""
    if seconds is None:
        return "—"
    if seconds < 90:
        return f"{seconds:.0f} s"
    if seconds < 5400:
        return f"{seconds / 60:.0f} min"
    if seconds < 172800:
        return f"{seconds / 3600:.1f} h"
    return f"{seconds / 86400:.1f} days"


def when(text):
    """An ISO timestamp as 'YYYY-MM-DD HH:MM' in the site's time zone."""
    if not text:
        return "—"
    from station.timeutil import local, parse

    try:
        return local(parse(text)).strftime("%Y-%m-%d %H:%M")
    except ValueError:
        return text[:16].replace("T", " ")


def zone():
    """The site's time zone name, as the pages name it."""
    from station.timeutil import site_zone

    return site_zone().key
