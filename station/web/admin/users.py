"""Users and roles: add (badge + PIN on the keypad), reset a PIN, unlock, deactivate, API tokens,
the language the screens speak to each user."""
from flask import g, request
from flask_babel import gettext as _, refresh

from station import auth, languages
from station.db import get_db
from station.errors import ServiceError, not_found
from station.languages import N_
from station.roles import ADMINS, ROLES
from station.web.security import current_user, roles_required
from station.web.pages import msg, wants_fragment
from station.web.admin import answer, bp, render, user_name

FORM_FIELDS = ("name", "role", "badge", "pin")
# the roles as the screens name them (the stored role, station/roles.py, stays the code)
ROLE_NAMES = {"operator": N_("operator"), "technician": N_("technician"), "supervisor": N_("supervisor"),
              "admin": N_("admin")}


def role_name(role):
    """A role in the screen's language (an unknown one as it is stored)."""
    return _(ROLE_NAMES[role]) if role in ROLE_NAMES else role


def _context(db, **extra):
    context = {"users": auth.list_users(db), "roles": ROLES, "role_name": role_name, "form": {}, "errors": {},
               "detail": None, "tokens": [], "new_token": None, "message": None, "detail_message": None}
    context.update(extra)
    return context


def _detail(db, user_id, **extra):
    """The context with one user's panel open (reset PIN, unlock, deactivate, tokens)."""
    context = _context(db, **extra)
    wanted = str(user_id)
    context["detail"] = next((u for u in context["users"] if str(u["id"]) == wanted), None)
    if context["detail"] is None:
        raise not_found(N_("user"), user_id)
    context["tokens"] = auth.tokens_of(db, context["detail"]["id"])
    return context


def _on_detail(user_id, action, done):
    """Run one action on a user; the panel comes back with its outcome and the list refreshes."""
    db = get_db()
    _detail(db, user_id)  # an unknown user is the 404 page, not a panel
    try:
        name = action(db)
    except ServiceError as exc:
        return answer("admin/users.html", "admin/_user_detail.html", exc.status,
                      **_detail(db, user_id, detail_message=msg("error", exc.message)))
    return answer("admin/users.html", "admin/_user_detail.html", oob=True,
                  **_detail(db, user_id, detail_message=msg("ok", done(name))))


@bp.get("/users")
@roles_required(*ADMINS)
def users():
    """Every user: role, badge, locked and active state; the add form."""
    return render("admin/users.html", **_context(get_db()))


@bp.post("/users")
@roles_required(*ADMINS)
def user_add():
    """Add a user; the PIN was tapped on the keypad."""
    db = get_db()
    form = {key: request.form.get(key, "") for key in FORM_FIELDS}
    try:
        user = auth.add_user(db, form["name"], form["role"], form["pin"], form["badge"])
    except ServiceError as exc:
        form["pin"] = ""  # a PIN never goes back into the page
        field = exc.extra.get("field") or "name"
        return answer("admin/users.html", "admin/_user_form.html", exc.status,
                      **_context(db, form=form, errors={field: exc.message.split(": ", 1)[-1]}))
    return answer("admin/users.html", "admin/_user_form.html", oob=True,
                  **_context(db, message=msg("ok", _("Added %(name)s (%(role)s), badge %(badge)s", name=user["name"],
                                                         role=role_name(user["role"]), badge=user["badge"]))))


@bp.post("/users/badge")
@roles_required(*ADMINS)
def user_badge_scan():
    """A badge scanned on the users page fills the new user's badge field."""
    code = request.form.get("code", "").strip()[:64]
    taken = get_db().execute("SELECT name FROM users WHERE badge = ?", [code]).fetchone()
    errors = {"badge": _("already the badge of %(name)s", name=taken[0])} if taken else {}
    return render("admin/_badge_field.html", 409 if taken else 200, form={"badge": code}, errors=errors)


@bp.get("/users/<id:user_id>")
@roles_required(*ADMINS)
def user_detail(user_id):
    """One user's panel."""
    return answer("admin/users.html", "admin/_user_detail.html", **_detail(get_db(), user_id))


@bp.post("/users/<id:user_id>/pin")
@roles_required(*ADMINS)
def user_pin(user_id):
    """Set a new PIN (and lift any lockout)."""
    pin = request.form.get("pin", "")
    return _on_detail(user_id, lambda db: auth.reset_pin(db, user_id, pin), lambda n: _("New PIN set for %(name)s", name=n))


@bp.post("/users/<id:user_id>/unlock")
@roles_required(*ADMINS)
def user_unlock(user_id):
    """Lift a lockout after wrong PINs."""
    return _on_detail(user_id, lambda db: auth.unlock(db, user_id), lambda n: _("%(name)s can sign in again", name=n))


@bp.post("/users/<id:user_id>/active")
@roles_required(*ADMINS)
def user_active(user_id):
    """Deactivate or reactivate a user."""
    active = request.form.get("active") == "1"
    me = current_user()["id"]
    return _on_detail(user_id, lambda db: auth.set_active(db, user_id, active, by_user_id=me),
                      lambda n: _("%(name)s is active again", name=n) if active
                      else _("%(name)s is deactivated: badge and tokens refused", name=n))


@bp.post("/users/<id:user_id>/tokens")
@roles_required(*ADMINS)
def user_token(user_id):
    """Issue an API token; it is shown this once and stored only as a hash."""
    db = get_db()
    name = _detail(db, user_id)["detail"]["name"]
    try:
        token = auth.new_token(db, name, created_by=user_name())
    except ServiceError as exc:
        return answer("admin/users.html", "admin/_user_detail.html", exc.status,
                      **_detail(db, user_id, detail_message=msg("error", exc.message)))
    return answer("admin/users.html", "admin/_user_detail.html", oob=True,
                  **_detail(db, user_id, new_token=token,
                            detail_message=msg("ok", _("New API token for %(name)s: copy it now, it is not shown again",
                                                                    name=name))))


@bp.post("/users/<id:user_id>/tokens/<token_id>/revoke")
@roles_required(*ADMINS)
def user_token_revoke(user_id, token_id):
    """Revoke one API token."""
    return _on_detail(user_id, lambda db: auth.revoke_token(db, user_id, token_id, by=user_name()),
                      lambda n: _("Token revoked for %(name)s", name=n))


@bp.post("/users/<id:user_id>/language")
@roles_required(*ADMINS)
def user_language(user_id):
    """Set the language the screens speak to a user (from their next page on; kept with their badge)."""
    db = get_db()
    user = _detail(db, user_id)["detail"]  # an unknown user is the 404 page, not a panel
    try:
        language = languages.set_user_language(db, user["id"], request.form.get("language", ""))
    except ServiceError as exc:
        # the service names the codes (the API's words); the screen says it as the sign-in screen does
        return answer("admin/users.html", "admin/_user_detail.html", exc.status,
                      **_detail(db, user_id, detail_message=msg("error", _("Choose one of the languages shown"))))
    mine = user["id"] == current_user()["id"]
    if mine:  # the admin's own: this answer, and the whole page (htmx reloads it), in the new language
        g.language = language
        refresh()
    text = _("The screens speak %(language)s to %(name)s", language=languages.LANGUAGES[language], name=user["name"])
    response = answer("admin/users.html", "admin/_user_detail.html", oob=True,
                      **_detail(db, user_id, detail_message=msg("ok", text)))
    if mine and wants_fragment():
        response.headers["HX-Refresh"] = "true"
    return response
