"""Sign-in at a bench: scan the badge, then the PIN on the keypad (or typed digits + Enter)."""
import re

from flask import current_app, redirect, request, session, url_for
from flask_babel import gettext as _

from station import auth, languages
from station.db import get_db
from station.errors import ServiceError
from station.web.pages import page_or_fragment
from station.intake import closing
from station.web.security import current_user, sign_in_session, sign_out_session
from station.web.bench import bp

STATION_COOKIE = "station"
STATION_RE = re.compile(r"^[\w .-]{1,40}$")
DEFAULT_STATION = "bench-1"
TEN_YEARS = 10 * 365 * 24 * 3600


def station_cookie():
    """The station this browser is: `?station=NAME` once on the sign-in URL, kept in a cookie."""
    name = request.args.get("station") or request.cookies.get(STATION_COOKIE) or ""
    return name if STATION_RE.match(name) else DEFAULT_STATION


def _page(template, partial=None, status=200, **context):
    context.setdefault("station", station_cookie())
    resp = page_or_fragment(template, partial, status, **context)
    if request.args.get("station") and STATION_RE.match(request.args["station"]):
        resp.set_cookie(STATION_COOKIE, request.args["station"], max_age=TEN_YEARS, samesite="Lax", httponly=True)
    return resp


def _signin(status=200, **context):
    """The sign-in widget alone for htmx, else the whole page."""
    context.setdefault("badge_user", session.get("badge_name"))
    if session.get("signed_out") == "idle" and not context.get("message") and not context["badge_user"]:
        minutes = current_app.config["SESSION_IDLE_MINUTES"]
        context["message"] = {"tone": "warn", "text": _("Signed out after %(minutes)s minutes without use: scan your badge",
                                                        minutes=minutes)}
    return _page("signin.html", "_signin.html", status, **context)


@bp.get("/sign-in")
def sign_in():
    """The sign-in page: badge first, then PIN."""
    if current_user() is not None:
        return redirect(url_for("bench.index"))
    if request.args.get("reset"):
        session.pop("badge", None)
        session.pop("badge_name", None)
        session.pop("badge_language", None)
    return _signin()


@bp.post("/sign-in/badge")
def sign_in_badge():
    """A badge was scanned (or typed): show the PIN keypad for its owner."""
    return _badge(request.form.get("code", ""))


def _badge(code):
    try:
        user = auth.badge_user(get_db(), code)
    except ServiceError as exc:
        session.pop("badge", None)
        session.pop("badge_name", None)
        return _signin(exc.status, message={"tone": "error", "text": exc.message})
    session["badge"], session["badge_name"] = user["badge"], user["name"]
    session["badge_language"] = user["language"]  # the PIN step speaks the badge owner's language
    session.pop("signed_out", None)
    return _signin(message={"tone": "ok", "text": _("Badge read")})


@bp.post("/sign-in/language")
def sign_in_language():
    """A language tapped on the sign-in screen: the screens speak it from now on, and it becomes
    the user's own (kept with their badge) when they sign in."""
    language = languages.normalize(request.form.get("language"))
    if language is None:
        return _signin(400, message={"tone": "error", "text": _("Choose one of the languages shown")})
    session["language"] = language
    return redirect(url_for("bench.sign_in"))


@bp.post("/sign-in")
def sign_in_pin():
    """Check the PIN for the badge scanned before; a non-PIN code here is a new badge."""
    pin = request.form.get("pin", "").strip()
    if pin and not auth.PIN_RE.fullmatch(pin) and len(pin) > 3:
        return _badge(pin)
    badge = session.get("badge")
    if not badge:
        return _signin(400, message={"tone": "error", "text": _("Scan your badge first")})
    config = current_app.config
    try:
        user = auth.sign_in(get_db(), badge, pin, config["PIN_ATTEMPTS"], config["PIN_LOCK_MINUTES"])
    except ServiceError as exc:
        if exc.code != "bad_pin":  # locked or unknown: start again from the badge
            session.pop("badge", None)
            session.pop("badge_name", None)
        return _signin(exc.status, message={"tone": "error", "text": exc.message})
    chosen = languages.normalize(session.get("language"))
    if chosen and chosen != user["language"]:
        languages.set_user_language(get_db(), user["id"], chosen)
        user = dict(user, language=chosen)
    sign_in_session(user, station_cookie())
    return redirect(url_for("bench.index"))


@bp.post("/sign-out")
def sign_out():
    """Sign out; the station name stays with the browser. The parcel on screen is put aside as a
    scan of the next one would: closed, its refund computed, when every recorded item is decided
    (an operator's last parcel of the day does not stay open waiting for a Close nobody taps)."""
    user = current_user()
    if session.get("return_id") and user:
        try:
            closing.put_aside(get_db(), session["return_id"], user=user["name"])
        except ServiceError:
            pass  # signing out never fails: the parcel stays as it was
    sign_out_session()
    return redirect(url_for("bench.sign_in"))
