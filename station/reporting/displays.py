"""Floor displays: a token per TV screen, made and revoked by an admin; the token opens the
read-only wall-board (/floor/<token>) without anyone signing in on the TV."""
import hashlib
import secrets

from station.db import one, rows, write
from station.errors import bad, not_found
from station.timeutil import now_iso
from station.languages import N_
from flask_babel import gettext as _

PREFIX = "fd_"


def _hash(token):
    return hashlib.sha256(token.encode()).hexdigest()


def create(db, name, user):
    """A new display token: {"token_id", "name", "token"}; the token itself is shown this once."""
    name = (name or "").strip() if isinstance(name, str) else ""
    if not name or len(name) > 80 or any(ord(c) < 32 for c in name):
        raise bad("name", _("Name the screen (up to 80 characters), e.g. 'Returns TV by dock 3'"))
    token = PREFIX + secrets.token_urlsafe(24)
    with write(db):
        cursor = db.execute("INSERT INTO display_tokens (name, token_hash, created_by, created_at) VALUES (?, ?, ?, ?)",
                            [name, _hash(token), user, now_iso()])
    return {"token_id": cursor.lastrowid, "name": name, "token": token}


def revoke(db, token_id, user):
    with write(db):
        done = db.execute("UPDATE display_tokens SET revoked_by = ?, revoked_at = ? WHERE token_id = ? "
                          "AND revoked_at IS NULL", [user, now_iso(), token_id]).rowcount
    if not done:
        raise not_found(N_("display token"), token_id)


def listing(db):
    return rows(db, "SELECT token_id, name, created_by, created_at, revoked_by, revoked_at FROM display_tokens "
                    "ORDER BY revoked_at IS NOT NULL, token_id DESC")


def check(db, token):
    """The display a token opens, or None (unknown, revoked, malformed)."""
    if not isinstance(token, str) or not token.startswith(PREFIX) or len(token) > 100:
        return None
    return one(db, "SELECT token_id, name FROM display_tokens WHERE token_hash = ? AND revoked_at IS NULL",
               [_hash(token)])
