"""The supervisor's report pages under /reports: signed-in supervisors and admins only."""
import functools

from flask import Blueprint, make_response, render_template, request

from station.auth import SUPERVISORS
from station.errors import ServiceError
from station.web.security import current_user, login_required, station_name

bp = Blueprint("reports", __name__, url_prefix="/reports")


def supervisor_required(view):
    """A signed-in bench session whose user is a supervisor or admin (else the sign-in page, or 403)."""

    @functools.wraps(view)
    @login_required
    def wrapped(*args, **kwargs):
        if current_user()["role"] not in SUPERVISORS:
            return page("reports/error.html", 403, message="Reports are for supervisors: sign in with a supervisor badge.")
        return view(*args, **kwargs)

    return wrapped


def page(template, status=200, **context):
    """A report page (or its htmx fragment, when the template is one); never cached by the browser."""
    context.setdefault("station", station_name())
    resp = make_response(render_template(template, **context), status)
    resp.headers["Vary"] = "HX-Request"
    resp.headers["Cache-Control"] = "no-store"
    return resp


@bp.errorhandler(ServiceError)
def service_error(exc):
    """A bad parameter (or an unknown customer) is a page naming it, with its status; never a 500."""
    return page("reports/error.html", exc.status, message=exc.message, field=exc.extra.get("field"))


def wants_fragment():
    return bool(request.headers.get("HX-Request"))


from station.web.reports import pages  # noqa: E402,F401  (routes register on bp)
