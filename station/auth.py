"""Users, badges, PINs and API tokens."""
import hashlib
import re
import secrets
from datetime import timedelta

from werkzeug.security import check_password_hash, generate_password_hash

from . import db as db_module
from .db import one
from .errors import ServiceError, bad, not_found
from .timeutil import iso, now, now_iso, parse

ROLES = ("operator", "technician", "supervisor", "admin")
PIN_RE = re.compile(r"^[0-9]{4,8}$")
# roles that may do what a supervisor does
SUPERVISORS = ("supervisor", "admin")


def _public(row):
    return {"id": row["id"], "name": row["name"], "role": row["role"], "badge": row["badge"]}


def add_user(db, name, role, pin, badge):
    """Create a user; PINs are 4 to 8 digits and stored only as a salted hash."""
    name, badge = (name or "").strip(), (badge or "").strip()
    if not name:
        raise bad("name", "a name is required")
    if role not in ROLES:
        raise bad("role", f"must be one of {', '.join(ROLES)}")
    if not PIN_RE.match(str(pin or "")):
        raise bad("pin", "a PIN is 4 to 8 digits")
    if not badge or len(badge) > 64:
        raise bad("badge", "a badge code of 1 to 64 characters is required")
    with db_module.write(db):
        if db.execute("SELECT 1 FROM users WHERE name = ?", [name]).fetchone():
            raise ServiceError("exists", f"user {name} already exists", 409)
        if db.execute("SELECT 1 FROM users WHERE badge = ?", [badge]).fetchone():
            raise ServiceError("exists", f"badge {badge} is already in use", 409)
        db["users"].insert(
            {"name": name, "role": role, "badge": badge, "created_at": now_iso(),
             "pin_hash": generate_password_hash(str(pin))}
        )
    return get_user_by_name(db, name)


def get_user_by_name(db, name):
    rows = list(db["users"].rows_where("name = ?", [name]))
    if not rows:
        raise not_found("user", name)
    return _public(rows[0])


def get_user(db, user_id):
    row = one(db, "SELECT id, name, role, badge FROM users WHERE id = ?", [user_id])
    return _public(row) if row else None


def badge_user(db, badge):
    """The user a scanned badge belongs to (or a 404)."""
    rows = list(db["users"].rows_where("badge = ?", [(badge or "").strip()]))
    if not rows:
        raise ServiceError("unknown_badge", "This badge is not registered", 404)
    return _public(rows[0])


def sign_in(db, badge, pin, attempts=5, lock_minutes=15):
    """Check a badge's PIN; repeated wrong PINs lock the badge for a while."""
    rows = list(db["users"].rows_where("badge = ?", [(badge or "").strip()]))
    if not rows:
        raise ServiceError("unknown_badge", "This badge is not registered", 404)
    user = rows[0]
    locked_until = parse(user["locked_until"]) if user["locked_until"] else None
    if locked_until and locked_until > now():
        raise ServiceError("locked", "Too many wrong PINs: ask a supervisor or wait", 423)
    if not PIN_RE.match(str(pin or "")) or not check_password_hash(user["pin_hash"], str(pin)):
        with db_module.write(db):
            failed = user["failed_pins"] + 1
            lock = iso(now() + timedelta(minutes=lock_minutes)) if failed >= attempts else None
            db["users"].update(user["id"], {"failed_pins": 0 if lock else failed, "locked_until": lock})
        raise ServiceError("bad_pin", "Wrong PIN", 401)
    if user["failed_pins"] or user["locked_until"]:
        with db_module.write(db):
            db["users"].update(user["id"], {"failed_pins": 0, "locked_until": None})
    return _public(user)


def _hash_token(token):
    return hashlib.sha256(token.encode()).hexdigest()


def new_token(db, user_name):
    """A new API token for a user; only its hash is stored."""
    user = get_user_by_name(db, user_name)
    token = "rs_" + secrets.token_urlsafe(32)
    with db_module.write(db):
        db["api_tokens"].insert(
            {"token_hash": _hash_token(token), "user_id": user["id"], "created_at": now_iso()}
        )
    return token


def user_for_token(db, token):
    if not token:
        return None
    row = one(
        db,
        "SELECT u.id, u.name, u.role, u.badge FROM api_tokens t JOIN users u ON u.id = t.user_id "
        "WHERE t.token_hash = ? AND t.revoked = 0",
        [_hash_token(token)],
    )
    return _public(row) if row else None
