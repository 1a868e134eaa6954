"""Who is asking: bench sessions (badge + PIN), API bearer tokens, CSRF for forms."""
import functools
import hmac
import secrets

from flask import abort, current_app, g, jsonify, redirect, request, session, url_for
from flask_babel import gettext as _

from station import auth
from station.db import get_db, one, write
from station.errors import ServiceError
from station.timeutil import now, now_iso

CSRF_FIELD = "csrf_token"
CSRF_HEADER = "X-CSRF-Token"


def csrf_token():
    if "csrf" not in session:
        session["csrf"] = secrets.token_urlsafe(24)
    return session["csrf"]


def current_user():
    """The signed-in bench user (session) or the API token's user; None if neither."""
    if "user" not in g:
        g.user = None
        header = request.headers.get("Authorization", "")
        if request.path.startswith("/api/"):
            # the API takes bearer tokens only: a browser's session cookie is no key to it
            if header[:7].lower() == "bearer ":
                g.user = auth.user_for_token(get_db(), header[7:].strip())
            g.auth = "token"
        elif "user_id" in session:
            g.user = session_user(get_db(), session.get("sid"), session["user_id"])
            g.auth = "session"
    return g.user


def session_user(db, sid, user_id):
    """The user of a bench session the server still knows as open (a signed-out session's copied
    cookie is no key), or None."""
    if not sid:
        return None
    # one statement: the open session and its active user, as auth.get_user answers it
    return one(db, f"SELECT {auth.PUBLIC_COLUMNS} FROM bench_sessions s JOIN users u ON u.id = s.user_id "
                   "WHERE s.sid = ? AND s.user_id = ? AND s.ended_at IS NULL AND u.active = 1", [sid, user_id])


def start_bench_session(db, user_id, station):
    """Record a new bench session; answers its id (what the signed cookie carries)."""
    sid = secrets.token_urlsafe(24)
    with write(db):
        db.execute("INSERT INTO bench_sessions (sid, user_id, station, started_at) VALUES (?, ?, ?, ?)",
                   [sid, user_id, station, now_iso()])
    return sid


def end_bench_session(db, sid):
    if sid:
        with write(db):
            db.execute("UPDATE bench_sessions SET ended_at = ? WHERE sid = ? AND ended_at IS NULL", [now_iso(), sid])


def sign_in_session(user, station):
    session.clear()
    session.permanent = True
    session["user_id"] = user["id"]
    session["sid"] = start_bench_session(get_db(), user["id"], station)
    session["station"] = station
    session["seen"] = now().timestamp()
    csrf_token()


def sign_out_session():
    end_bench_session(get_db(), session.get("sid"))
    session.clear()


def station_name():
    return session.get("station") or request.headers.get("X-Station") or "bench"


def login_required(view):
    """Bench pages: a user signed in on this browser, else the sign-in page."""

    @functools.wraps(view)
    def wrapped(*args, **kwargs):
        if current_user() is None:
            if request.headers.get("HX-Request"):
                # htmx follows HX-Redirect with a full page load
                resp = jsonify(error={"code": "signed_out", "message": "Sign in again"})
                resp.headers["HX-Redirect"] = url_for("bench.sign_in")
                return resp, 401
            return redirect(url_for("bench.sign_in"))
        return view(*args, **kwargs)

    return wrapped


def roles_required(*roles):
    """Station pages: signed in (else the sign-in page) with one of `roles` (else a 403 page).

    The 403 is a page that says which role the screen needs and offers sign-out, so a
    technician who scans into the wrong screen is never left guessing.
    """

    def decorator(view):
        @functools.wraps(view)
        @login_required
        def wrapped(*args, **kwargs):
            if current_user()["role"] not in roles:
                from flask import render_template

                body = render_template("forbidden.html", roles=roles, station=station_name())
                return body, 403
            return view(*args, **kwargs)

        return wrapped

    return decorator


def home_or_forbidden(*roles):
    """`/`: a role that may not use this screen and has no other screen of its own gets the 403.

    The view itself sends a user whose first screen is elsewhere (a technician's refurbish
    station) there; this only closes the door for a role with nowhere to go.
    """

    def decorator(view):
        @functools.wraps(view)
        def wrapped(*args, **kwargs):
            from station.web import nav

            user = current_user()
            if user is not None and user["role"] not in roles and nav.home(user) == request.endpoint:
                from flask import render_template

                return render_template("forbidden.html", roles=roles, station=station_name()), 403
            return view(*args, **kwargs)

        return wrapped

    return decorator


def token_required(*roles):
    """API routes: a valid bearer token (401 otherwise) whose user has one of `roles` (403)."""

    def decorator(view):
        @functools.wraps(view)
        def wrapped(*args, **kwargs):
            user = current_user()
            if user is None:
                raise ServiceError("unauthorized", "a valid bearer token is required", 401)
            if roles and user["role"] not in roles:
                raise ServiceError("forbidden", f"needs the role {' or '.join(roles)}", 403)
            return view(*args, **kwargs)

        return wrapped

    return decorator


def _idle_timeout():
    """Sign a bench out after SESSION_IDLE_MINUTES without a request.

    The session is a cookie: whatever answer carries it last is what the browser keeps. So a static
    file never sends it back, and the time of the last request is written at most once a minute
    (a quarter of the time-out when it is shorter): otherwise the bench's label page's script,
    asked for while the operator scans the next item, came back after the scan with the cookie as
    it was before it, and the item scanned was forgotten ("Scan an item first")."""
    from flask import current_app

    if request.endpoint == "static" or "user_id" not in session:
        return
    seen = session.get("seen", 0)
    limit = current_app.config["SESSION_IDLE_MINUTES"] * 60
    at = now().timestamp()
    if at - seen > limit:
        end_bench_session(get_db(), session.get("sid"))
        session.clear()
        session["signed_out"] = "idle"  # the sign-in page says why
    elif at - seen >= min(60, limit / 4):
        session["seen"] = at


def accepts_upload(max_bytes):
    """A view that takes a file larger than the app's MAX_CONTENT_LENGTH: the limit holds from the
    first read of the body, the CSRF check's included (a form posted without script carries its
    token in the body)."""
    def mark(view):
        view.max_content_length = max_bytes
        return view
    return mark


def _check_csrf():
    """Every form post from a bench page carries the session's CSRF token."""
    if request.method in ("GET", "HEAD", "OPTIONS"):
        return None
    if request.path.startswith("/api/"):
        return None  # bearer tokens are not sent by browsers on their own: no CSRF risk
    limit = getattr(current_app.view_functions.get(request.endpoint), "max_content_length", None)
    if limit:
        request.max_content_length = limit
    sent = request.headers.get(CSRF_HEADER) or request.form.get(CSRF_FIELD, "")
    expected = session.get("csrf")
    if not expected or not hmac.compare_digest(str(sent), str(expected)):
        if "signed_out" in session:
            # the bench timed out since the page was loaded: its token went with the session.
            # Back to sign-in (htmx follows HX-Redirect), not a "Bad Request" page in the bench.
            if request.headers.get("HX-Request"):
                resp = jsonify(error={"code": "signed_out", "message": "Sign in again"})
                resp.headers["HX-Redirect"] = url_for("bench.sign_in")
                resp.status_code = 401
                return resp
            return redirect(url_for("bench.sign_in"), 303)
        abort(400, description=_("The form has expired: reload the page and try again"))
    return None


def init_app(app):
    app.before_request(_idle_timeout)
    app.before_request(_check_csrf)
    app.jinja_env.globals["csrf_token"] = csrf_token
    app.jinja_env.globals["current_user"] = current_user
