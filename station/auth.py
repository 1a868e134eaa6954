"""Users, badges, PINs and API tokens."""
import hashlib
import re
import secrets
from datetime import timedelta

from flask_babel import gettext as _
from werkzeug.security import check_password_hash, generate_password_hash

from station import db as db_module
from station import languages
from station.inputs import db_id
from station.db import one
from station.errors import ServiceError, bad, not_found
from station.roles import ROLE_LABELS, ROLES
from station.timeutil import iso, now, now_iso, parse
from station.languages import N_

PIN_RE = re.compile(r"[0-9]{4,8}")  # always fullmatch: "1234\n" is not a PIN anyone can type
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")  # Unicode's control characters (Cc)


# what a signed-in user is to the screens and the API (users aliased `u`): every read of a user for
# a session or a token selects these, so a column added here reaches them all
PUBLIC_COLUMNS = "u.id, u.name, u.role, u.badge, u.language"


def _public(row):
    return {"id": row["id"], "name": row["name"], "role": row["role"], "badge": row["badge"],
            "language": row["language"] if "language" in row.keys() else languages.DEFAULT}


def add_user(db, name, role, pin, badge, language=None):
    """Create a user; PINs are 4 to 8 digits and stored only as a salted hash. `language` is the
    screens' language for them (station/languages.py), English when not given."""
    name, badge = str(name or "").strip(), str(badge or "").strip()
    if not name or len(name) > 100:
        raise bad("name", _("a name of 1 to 100 characters is required"))
    if _CONTROL.search(name):
        raise bad("name", _("a name cannot hold control characters"))
    if role not in ROLES:
        # the roles by their labels: the same words in English (the API's message), Chinese on a Chinese screen
        raise bad("role", _("must be one of %(choices)s", choices=", ".join(_(ROLE_LABELS[r]) for r in ROLES)))
    if not PIN_RE.fullmatch(str(pin or "")):  # fullmatch: "1234\n" is not a PIN anyone can type
        raise bad("pin", _("a PIN is 4 to 8 digits"))
    if not badge or len(badge) > 64:
        raise bad("badge", _("a badge code of 1 to 64 characters is required"))
    if _CONTROL.search(badge):
        raise bad("badge", _("a badge code cannot hold control characters (no scanner sends them)"))
    language = languages.checked(language) if language else languages.DEFAULT
    with db_module.write(db):
        if db.execute("SELECT 1 FROM users WHERE name = ?", [name]).fetchone():
            raise ServiceError("exists", _("user %(name)s already exists", name=name), 409, field="name")
        if db.execute("SELECT 1 FROM users WHERE badge = ?", [badge]).fetchone():
            raise ServiceError("exists", _("badge %(badge)s is already in use", badge=badge), 409, field="badge")
        db["users"].insert(
            {"name": name, "role": role, "badge": badge, "language": language, "created_at": now_iso(),
             "pin_hash": generate_password_hash(str(pin))}
        )
    return get_user_by_name(db, name)


def get_user_by_name(db, name):
    rows = list(db["users"].rows_where("name = ?", [name]))
    if not rows:
        raise not_found(N_("user"), name)
    return _public(rows[0])


def get_user(db, user_id):
    """An active user by id (a bench session's user); None once deactivated."""
    row = one(db, f"SELECT {PUBLIC_COLUMNS} FROM users u WHERE u.id = ? AND u.active = 1", [user_id])
    return _public(row) if row else None


def _refuse_inactive(user):
    if not user["active"]:
        raise ServiceError("inactive", _("This badge is deactivated: ask an admin"), 403)


def badge_user(db, badge):
    """The active user a scanned badge belongs to (or a 404, or 403 when deactivated)."""
    rows = list(db["users"].rows_where("badge = ?", [str(badge or "").strip()]))
    if not rows:
        raise ServiceError("unknown_badge", _("This badge is not registered"), 404)
    _refuse_inactive(rows[0])
    return _public(rows[0])


def _locked(until):
    """The lockout, with how long it lasts and who can lift it (an admin's unlock or new PIN)."""
    minutes = max(1, -(-int((until - now()).total_seconds()) // 60))
    return ServiceError("locked", _("Too many wrong PINs: locked for %(minutes)s min, or ask an admin to unlock it",
                                   minutes=minutes), 423)


def sign_in(db, badge, pin, attempts=5, lock_minutes=15):
    """Check a badge's PIN; repeated wrong PINs lock the badge for a while."""
    rows = list(db["users"].rows_where("badge = ?", [str(badge or "").strip()]))
    if not rows:
        raise ServiceError("unknown_badge", _("This badge is not registered"), 404)
    user = rows[0]
    _refuse_inactive(user)
    locked_until = parse(user["locked_until"]) if user["locked_until"] else None
    if locked_until and locked_until > now():
        raise _locked(locked_until)
    right = bool(PIN_RE.fullmatch(str(pin or ""))) and check_password_hash(user["pin_hash"], str(pin))
    # the count is read and written inside one write transaction: wrong PINs tried in parallel are
    # each counted, and no attempt (a right PIN included) gets through once another one locked it
    with db_module.write(db):
        state = one(db, "SELECT failed_pins, locked_until FROM users WHERE id = ?", [user["id"]])
        locked_until = parse(state["locked_until"]) if state["locked_until"] else None
        if locked_until and locked_until > now():
            raise _locked(locked_until)
        if not right:
            failed = state["failed_pins"] + 1
            lock = iso(now() + timedelta(minutes=lock_minutes)) if failed >= attempts else None
            db["users"].update(user["id"], {"failed_pins": 0 if lock else failed, "locked_until": lock})
        elif state["failed_pins"] or state["locked_until"]:
            db["users"].update(user["id"], {"failed_pins": 0, "locked_until": None})
    if not right:
        if lock:  # say so on the attempt that locks, not only on the next one
            raise _locked(parse(lock))
        raise ServiceError("bad_pin", _("Wrong PIN"), 401)
    return _public(user)


def _hash_token(token):
    return hashlib.sha256(token.encode()).hexdigest()


def new_token(db, user_name, created_by=None):
    """A new API token for an active user; only its hash (and a short hint) is stored."""
    user = get_user_by_name(db, user_name)
    with db_module.write(db):
        if not one(db, "SELECT 1 FROM users WHERE id = ? AND active = 1", [user["id"]]):
            raise ServiceError("inactive", _("user %(name)s is deactivated", name=user_name), 409)
        token = "rs_" + secrets.token_urlsafe(32)
        db["api_tokens"].insert(
            {"token_hash": _hash_token(token), "user_id": user["id"], "created_at": now_iso(),
             "hint": token[:8] + "…", "created_by": created_by}
        )
    return token


def user_for_token(db, token):
    if not token:
        return None
    row = one(
        db,
        f"SELECT {PUBLIC_COLUMNS} FROM api_tokens t JOIN users u ON u.id = t.user_id "
        "WHERE t.token_hash = ? AND t.revoked = 0 AND u.active = 1",
        [_hash_token(token)],
    )
    return _public(row) if row else None


# --- what the admin screen does (station/admin/users.py) ---------------------------------


def _user_row(db, user_id):
    user_id = db_id(user_id, "user")
    row = one(db, "SELECT * FROM users WHERE id = ?", [user_id])
    if row is None:
        raise not_found(N_("user"), user_id)
    return row


def is_locked(row, at=None):
    return bool(row["locked_until"]) and parse(row["locked_until"]) > (at or now())


def list_users(db):
    """Every user with role, badge, locked and active state and live token count (admin screen)."""
    found = db_module.rows(
        db,
        "SELECT u.id, u.name, u.role, u.badge, u.language, u.active, u.failed_pins, u.locked_until, u.created_at, "
        "(SELECT count(*) FROM api_tokens t WHERE t.user_id = u.id AND t.revoked = 0) AS tokens "
        "FROM users u ORDER BY u.active DESC, u.name COLLATE NOCASE",
    )
    at = now()
    for user in found:
        user["locked"] = is_locked(user, at)
    return found


def reset_pin(db, user_id, pin):
    """Set a new PIN; it also lifts a lockout (the admin has seen the person)."""
    if not PIN_RE.fullmatch(str(pin or "")):
        raise bad("pin", _("a PIN is 4 to 8 digits"))
    with db_module.write(db):
        user = _user_row(db, user_id)
        db["users"].update(user["id"], {"pin_hash": generate_password_hash(str(pin)), "failed_pins": 0,
                                        "locked_until": None})
    return user["name"]


def unlock(db, user_id):
    """Lift a lockout after wrong PINs."""
    with db_module.write(db):
        user = _user_row(db, user_id)
        db["users"].update(user["id"], {"failed_pins": 0, "locked_until": None})
    return user["name"]


def set_active(db, user_id, active, by_user_id=None):
    """Deactivate (sign-in, sessions and tokens refused at once) or reactivate a user.

    Nobody deactivates their own badge, and the last active admin stays: either would leave
    the station with no one able to manage users.
    """
    with db_module.write(db):
        user = _user_row(db, user_id)
        if not active:
            if by_user_id is not None and user["id"] == by_user_id:
                raise ServiceError("self", _("You cannot deactivate your own badge"), 409)
            admins = db.execute("SELECT count(*) FROM users WHERE role = 'admin' AND active = 1 AND id != ?",
                                [user["id"]]).fetchone()[0]
            if user["role"] == "admin" and user["active"] and admins == 0:
                raise ServiceError("last_admin", _("The last active admin cannot be deactivated"), 409)
        db["users"].update(user["id"], {"active": 1 if active else 0,
                                        "deactivated_at": None if active else now_iso()})
    return user["name"]


def tokens_of(db, user_id):
    """A user's API tokens, newest first: hint, dates, revoked (never the token itself)."""
    found = db_module.rows(
        db,
        "SELECT substr(token_hash, 1, 12) AS token_id, hint, created_at, created_by, revoked, revoked_at, revoked_by "
        "FROM api_tokens WHERE user_id = ? ORDER BY created_at DESC",
        [int(_user_row(db, user_id)["id"])],
    )
    return found


def revoke_token(db, user_id, token_id, by=None):
    """Revoke one of a user's tokens, named by the first 12 hex digits of its hash."""
    if not isinstance(token_id, str) or not re.fullmatch(r"[0-9a-f]{12}", token_id):
        raise not_found(N_("token"), token_id)
    with db_module.write(db):
        user = _user_row(db, user_id)
        cursor = db.execute(
            "UPDATE api_tokens SET revoked = 1, revoked_at = ?, revoked_by = ? "
            "WHERE user_id = ? AND substr(token_hash, 1, 12) = ? AND revoked = 0",
            [now_iso(), by, user["id"], token_id],
        )
        if cursor.rowcount == 0:
            raise not_found(N_("token"), token_id)
    return user["name"]
