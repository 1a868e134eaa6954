"""Times: stored as ISO 8601 UTC text ('2026-11-22T03:10:00Z'), parsed strictly."""
from datetime import datetime, timezone


def now():
    return datetime.now(timezone.utc)


def iso(dt):
    """UTC ISO 8601 text with a Z, second precision (microseconds when present)."""
    if dt is None:
        return None
    dt = dt.astimezone(timezone.utc)
    text = dt.isoformat(timespec="microseconds" if dt.microsecond else "seconds")
    return text.replace("+00:00", "Z")


def now_iso():
    return iso(now())


def parse(text):
    """Parse ISO 8601; a time without an offset is UTC. Raises ValueError on bad text."""
    if text is None:
        return None
    text = str(text).strip()
    if not text:
        return None
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    dt = datetime.fromisoformat(text)
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=timezone.utc)
    return dt


def normalise(text):
    """Any accepted ISO 8601 text to our stored UTC form; None stays None."""
    return iso(parse(text))


def site_zone():
    """The site's time zone (config TIMEZONE of the running app; UTC outside one)."""
    from zoneinfo import ZoneInfo

    try:
        from flask import current_app

        name = current_app.config.get("TIMEZONE") or "UTC"
    except RuntimeError:  # no app: a script, a test of a rule
        name = "UTC"
    return ZoneInfo(name)


def local(dt, zone=None):
    """A UTC datetime in the site's time zone (or `zone`)."""
    return dt.astimezone(zone or site_zone())
