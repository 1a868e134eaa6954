"""What the downstream screens share: rendering a widget or its page, messages, ages, photos."""
from flask import current_app, request, send_file
from flask_babel import gettext as _
from markupsafe import Markup

from station.db import get_db
from station.errors import ServiceError
from station.languages import N_
from station.roles import TECHNICIANS
from station.web.pages import msg, page_or_fragment
from station.web.security import current_user, roles_required, station_name
from station.timeutil import now, parse
from station.web.downstream import bp

# a queue entry this old is shown amber, then red (the bench's own day is 8 to 10 hours)
WARN_HOURS, LATE_HOURS = 24, 72

# the codes these screens show as words (statuses, outcomes, actions, flags, dispositions): in
# English the code itself with its "_" read as a space, in another language its translation
# (the `code_word` filter); a code not listed here shows as it is
SHOWN_CODES = (
    # claim, refund line, RTV batch and RTV item statuses
    N_("open"), N_("claimed"), N_("settled"), N_("rejected"), N_("held"), N_("ready"), N_("paid"), N_("exchange"),
    N_("closed"), N_("in batch"), N_("accepted"), N_("refused"),
    # dispositions and outcomes
    N_("crossdock"), N_("restock"), N_("refurbish"), N_("rtv"), N_("scrap"), N_("quarantine"),
    # refurbish actions
    N_("cleaned"), N_("repackaged"), N_("part replaced"), N_("tested"), N_("relabelled"), N_("other"),
    # an item's flags
    N_("unknown product"), N_("item mismatch"), N_("qty exceeds order"), N_("serial mismatch"), N_("serial missing"),
    N_("weight mismatch"),
)


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


def said(code):
    """A code as a word on the screen: `in_batch` reads "in batch" in English, its translation in
    another language (SHOWN_CODES)."""
    if code is None or code == "":
        return ""
    return _(str(code).replace("_", " "))


@bp.app_template_filter("code_word")  # not "said": the bench's `said` reads the rules' sentences
def said_filter(code):
    return said(code)


@bp.app_template_filter("translated")
def translated(text):
    """Data that may hold a label (a part's name; a note made of a tapped reason chip, " — ", and
    what was typed) in the screen's language when the catalogue knows the label, else as it is;
    never %-formatted (a "%" in data is safe)."""
    if text in (None, ""):
        return ""
    label, dash, rest = str(text).partition(" — ")
    return _(label) + dash + rest if label else str(text)


@bp.app_template_global("invalid_attrs")
def invalid_attrs(problem, key, field):
    """The attributes of a refused form's field (`problem`: form, field): aria-invalid, and
    aria-describedby naming its error; nothing for any other field."""
    if problem and problem.get("form") == key and problem.get("field") == field:
        return Markup(' aria-invalid="true" aria-describedby="{}-{}-error"').format(key, field)
    return ""


@bp.app_template_filter("reason")
def reason_said(code):
    """A verified reason: its code in English (as these screens always showed it), its label's
    translation in another language (policy.REASON_LABELS; the code while the label has none)."""
    from station.policy import REASON_LABELS

    label = REASON_LABELS.get(code)
    if label is None:
        return code or ""
    shown = _(label)
    return shown if shown != label else code


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
        text = _("%(days)s d %(hours)s h", days=days, hours=hours)
    elif hours:
        text = _("%(hours)s h %(minutes)s min", hours=hours, minutes=minutes)
    else:
        text = _("%(minutes)s min", minutes=minutes)
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
        return _("The photo file is missing"), 404
    return send_file(path, mimetype=content_type, max_age=3600)


def get_photo(photo_id):
    from station.intake import photos

    return photos.photo_file(get_db(), photo_id, current_app.config["PHOTO_DIR"])
