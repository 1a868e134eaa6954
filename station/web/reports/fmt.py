"""How report pages write numbers: rates as percentages, money with separators, times in words."""


def pct(rate, digits=1):
    return "—" if rate is None else f"{rate * 100:.{digits}f}%"


def num(value, digits=0):
    if value is None:
        return "—"
    return f"{value:,.{digits}f}"


def num1(value):
    return num(value, 1)


def money(text):
    """A decimal string ("1234.50") with thousands separators."""
    if text is None:
        return "—"
    return f"{float(text):,.2f}"


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
    """An ISO timestamp as 'YYYY-MM-DD HH:MM' (UTC)."""
    return "—" if not text else text[:16].replace("T", " ")
