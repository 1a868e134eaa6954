"""The station's top navigation: each screen, who may open it, shown only where it exists.

One list, read by base.html: a screen appears in the bar for the roles that may use it (the
same roles its view checks with security.roles_required), so nobody is offered a door that
answers 403.
"""
from flask import current_app, request, url_for
from flask_babel import gettext as _

from station.languages import N_
from station.roles import ADMINS, OPERATORS, SUPERVISORS, TECHNICIANS

# (endpoint, label, roles)
SCREENS = [
    ("bench.index", N_("Bench"), OPERATORS),
    ("downstream.refurbish", N_("Refurbish"), TECHNICIANS),
    ("downstream.rtv", N_("RTV"), SUPERVISORS),
    ("downstream.quarantine", N_("Quarantine"), SUPERVISORS),
    ("downstream.refunds", N_("Refunds"), SUPERVISORS),
    ("downstream.parcels", N_("Parcels"), SUPERVISORS),
    ("reports.overview", N_("Reports"), SUPERVISORS),
    ("devices.index", N_("Devices"), SUPERVISORS),
    ("admin.policy", N_("Policy"), SUPERVISORS),
    ("admin.users", N_("Users"), ADMINS),
    ("admin.integrations", N_("Integrations"), ADMINS),
]


def links(user):
    """[(url, label, current)] for the screens this user may open that this app has."""
    if not user:
        return []
    views = current_app.view_functions
    here = request.endpoint or ""
    out = []
    for endpoint, label, roles in SCREENS:
        if endpoint in views and user["role"] in roles:
            url = url_for(endpoint)
            # this screen, or a page below it (/rtv/12 under /rtv); one tab is current, not a whole area
            current = endpoint == here or (url != "/" and request.path.startswith(url.rstrip("/") + "/"))
            out.append((url, _(label), current))
    return out if len(out) > 1 else []


def init_app(app):
    app.jinja_env.globals["nav_links"] = links
    app.jinja_env.globals["home_link"] = home_link


def home_link(user):
    """(url, label) of the user's own first screen: the way back from a page not for them."""
    endpoint = home(user)
    label = next((label for e, label, _roles in SCREENS if e == endpoint), N_("Bench"))
    return url_for(endpoint), _(label)


def home(user):
    """Where a user lands after signing in: the first screen their role may open."""
    views = current_app.view_functions
    for endpoint, _label, roles in SCREENS:
        if endpoint in views and user["role"] in roles:
            return endpoint
    return "bench.index"
