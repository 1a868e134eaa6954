"""The supervisor's report pages under /reports: signed-in supervisors and admins only."""
import functools

from flask import Blueprint
from flask_babel import gettext as _

from station.roles import SUPERVISORS
from station.errors import ServiceError
from station.web.pages import page_or_fragment
from station.web.security import current_user, login_required, station_name

bp = Blueprint("reports", __name__, url_prefix="/reports")


def supervisor_required(view):
    """A signed-in bench session whose user is a supervisor or admin (else the sign-in page, or 403)."""

    @functools.wraps(view)
    @login_required
    def wrapped(*args, **kwargs):
        if current_user()["role"] not in SUPERVISORS:
            return page("reports/error.html", 403, message=_("Reports are for supervisors: sign in with a supervisor badge."))
        return view(*args, **kwargs)

    return wrapped


def page(template, status=200, partial=None, **context):
    """A report page (or `partial`, its htmx fragment); never cached by the browser."""
    context.setdefault("station", station_name())
    return page_or_fragment(template, partial, status, True, **context)


@bp.errorhandler(ServiceError)
def service_error(exc):
    """A bad parameter (or an unknown customer) is a page naming it, with its status; never a 500."""
    return page("reports/error.html", exc.status, message=exc.message, field=exc.extra.get("field"))


from station.web.reports import pages  # noqa: E402,F401  (routes register on bp)
