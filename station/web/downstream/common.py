"""What the downstream screens share: rendering a widget or its page, messages, ages, photos."""
from flask import current_app, request, send_file

from station.db import get_db
from station.errors import ServiceError
from station.roles import TECHNICIANS
from station.web.pages import msg, page_or_fragment
from station.web.security import current_user, roles_required, station_name
from station.timeutil import now, parse
from station.web.downstream import bp

# a queue entry this old is shown amber, then red (the bench's own day is 8 to 10 hours)
WARN_HOURS, LATE_HOURS = 24, 72


def user_name():
    return current_user()["name"]


def render(partial, page, status=200, /, **context):
    """The widget alone for htmx, else the whole page that includes it: one template, no drift."""
    context.setdefault("station", station_name())
    return page_or_fragment(page, partial, status, **context)


def error_message(exc):
    """A service error as the screen says it (the field is named in the message already)."""
    return msg("error", exc.message)


def form_text(name, limit=500):
    """A form field, stripped and bounded (a longer one is cut, never an error page)."""
    return (request.form.get(name) or "").strip()[:limit]


def reason_note(chips, note_limit=1000):
    """A tapped reason chip (one of `chips`) and an optional typed note, as one note text."""
    chip = form_text("reason", 200)
    if chip and chip not in chips:
        chip = ""
    note = form_text("note", note_limit)
    return " — ".join(part for part in (chip, note) if part)


def age(since, at=None):
    """How long something has waited, as a person reads it: '3 d 4 h', '5 h 12 min', '8 min'."""
    try:
        start = parse(since)
    except (TypeError, ValueError):
        return {"text": "—", "tone": "fresh", "hours": 0}
    seconds = max(0, int(((at or now()) - start).total_seconds()))
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes = rest // 60
    if days:
        text = f"{days} d {hours} h"
    elif hours:
        text = f"{hours} h {minutes} min"
    else:
        text = f"{minutes} min"
    total_hours = seconds / 3600
    tone = "late" if total_hours >= LATE_HOURS else "old" if total_hours >= WARN_HOURS else "fresh"
    return {"text": text, "tone": tone, "hours": total_hours}


@bp.app_template_filter("age")
def age_filter(since):
    return age(since)


@bp.get("/photos/<id:photo_id>")
@roles_required(*TECHNICIANS)
def photo(photo_id):
    """An inspection photo (quarantine review, evidence pack, work order)."""
    try:
        path, content_type = get_photo(photo_id)
    except ServiceError as exc:
        return exc.message, exc.status
    path = path.absolute()  # stored relative to the working directory, as the bench wrote it
    if not path.is_file():
        return "The photo file is missing", 404
    return send_file(path, mimetype=content_type, max_age=3600)


def get_photo(photo_id):
    from station.intake import photos

    return photos.photo_file(get_db(), photo_id, current_app.config["PHOTO_DIR"])
