"""Floor displays: an admin makes a link for a TV (shown once) and revokes it; the TV shows the
wall-board at that link without anyone signing in on it."""
from flask import request, url_for
from flask_babel import gettext as _

from station.db import get_db
from station.errors import ServiceError
from station.reporting import displays
from station.roles import ADMINS
from station.web.admin import bp, render, user_name
from station.web.pages import msg
from station.web.security import roles_required


def _screen(message=None, status=200, made=None, error=None):
    return render("admin/displays.html", status, displays=displays.listing(get_db()), message=message, made=made,
                  error=error)


@bp.get("/displays")
@roles_required(*ADMINS)
def displays_page():
    """The floor displays: their names, who made them, revoked or not; a form for a new one."""
    return _screen()


@bp.post("/displays")
@roles_required(*ADMINS)
def display_create():
    try:
        made = displays.create(get_db(), request.form.get("name"), user_name())
    except ServiceError as exc:
        return _screen(status=exc.status, error=exc.message)
    made["url"] = url_for("reports.floor", token=made["token"], _external=True)
    return _screen(msg("ok", _("Display “%(name)s” made: open its link on the TV (shown this once)", name=made["name"])), made=made)


@bp.post("/displays/<id:token_id>/revoke")
@roles_required(*ADMINS)
def display_revoke(token_id):
    try:
        displays.revoke(get_db(), token_id, user_name())
    except ServiceError as exc:
        return _screen(msg("error", exc.message), exc.status)
    return _screen(msg("ok", _("Display %(id)s revoked: its TV shows nothing any more", id=token_id)))
