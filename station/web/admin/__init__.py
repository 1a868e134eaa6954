"""Admin screens under /admin: the policy editor and the channel reason codes (supervisors); users,
integrations, currencies, marketplace imports and floor displays (admins).

Views are short callers of the services (station/policy.py, auth.py, webhooks.py, exports.py, fx.py):
parse the form, call one function, render the partial that owns the swapped widget. A
ServiceError comes back as the same partial with the message next to the field, 4xx.
"""
from flask import Blueprint

from station.errors import ServiceError
from station.web.pages import page_or_fragment, wants_fragment
from station.web.security import current_user, station_name

bp = Blueprint("admin", __name__, url_prefix="/admin")


def render(template, status=200, /, **context):
    """A page or a partial; never cached (a shown API token or secret must not linger)."""
    context.setdefault("station", station_name())
    return page_or_fragment(template, None, status, True, **context)


def answer(page, partial, status=200, /, **context):
    """The partial for htmx (with its out-of-band companions), else the whole page."""
    if not wants_fragment():
        context.pop("oob", None)  # a whole page holds every widget once already
    context.setdefault("station", station_name())
    return page_or_fragment(page, partial, status, True, **context)


def user_name():
    return current_user()["name"]


@bp.errorhandler(ServiceError)
def service_error(exc):
    """Anything a view did not catch itself (an unknown user or webhook id): a page naming it."""
    return render("admin/error.html", exc.status, message=exc.message)


from station.web.admin import currencies, displays, imports, integrations, platform_files, policy, reasons, users  # noqa: E402,F401  (routes register on bp)
