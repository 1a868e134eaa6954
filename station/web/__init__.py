"""Every Flask caller of the services: the bench, downstream, admin and report screens, the devices
page and the JSON API, with sign-in and roles (security.py), the screen bar (nav.py) and the one
page-or-fragment helper (pages.py)."""
import sqlite3

from flask import jsonify, request

from station.languages import N_


def init_app(app):
    """Sign-in and CSRF checks, the screen bar, and every blueprint."""
    from station.web import admin, api, bench, devices, downstream, i18n, nav, reports, requestlog, security
    from station.web.pages import IdConverter

    requestlog.init_app(app)  # first: its hook runs before sign-in's, which may turn a request away

    app.url_map.converters["id"] = IdConverter  # before any route that uses it
    security.init_app(app)
    i18n.init_app(app)
    nav.init_app(app)
    app.jinja_env.globals["base_currency"] = base_currency
    app.after_request(_safety_headers)
    app.register_error_handler(sqlite3.OperationalError, _database_busy)
    for blueprint in (api.bp, bench.bp, reports.bp, admin.bp, downstream.bp):
        app.register_blueprint(blueprint)
    devices.init_app(app)  # printers from BENCHES, /devices, /api/devices


def base_currency():
    """The policy's base currency, for screens that show catalogue values (prices, costs, credits)."""
    from station import policy
    from station.db import get_db

    return policy.load(get_db())["base_currency"]


# Scripts only from the station's own files (no inline script, no handler attribute, no eval), so
# text that slipped into a page could not run; inline style attributes stay (progress bars). The
# camera preview and the scan sounds use blob:/data: URLs; nothing loads from another host.
CSP = ("default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; "
       "media-src 'self' data: blob:; connect-src 'self'; font-src 'self'; frame-src 'self'; "
       "frame-ancestors 'self'; object-src 'none'; base-uri 'self'; form-action 'self'")


def _safety_headers(response):
    """No page of the station is framed by another site, no upload is sniffed into a script, and
    no script runs that is not one of the station's files."""
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Content-Security-Policy", CSP)
    response.headers.setdefault("Referrer-Policy", "same-origin")
    return response


BUSY = N_("The station is busy: nothing was saved. Try again.")


def _database_busy(exc):
    """A write that found the database held longer than its wait (another process's long import, or
    more work than the server keeps up with) was rolled back whole: 503 with the words to say so,
    not a 500. Any other OperationalError is a fault and stays one."""
    text = str(exc).lower()
    if "locked" not in text and "busy" not in text:
        raise exc
    from flask_babel import gettext

    if request.path == "/api" or request.path.startswith("/api/"):
        response = jsonify(error={"code": "busy", "message": "the station is busy: nothing was saved; try again"})
    else:  # a page's request (htmx shows the note of base.html; a whole page shows this text)
        response = jsonify(error={"code": "busy", "message": gettext(BUSY)}) if request.is_json else gettext(BUSY)
    return response, 503, {"Retry-After": "1"}
