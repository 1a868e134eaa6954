"""0009: the admin screens - users can be deactivated; API tokens carry a hint and who revoked them."""
from station.migrations.registry import migrations


# --- 0009: admin ------------------------------------------------------------------------------
# A user who leaves is deactivated, never deleted: decisions, audits and refunds keep naming
# them. Tokens are stored only as a hash, so the admin needs a visible hint ("rs_Ab12...") to
# tell a user's tokens apart when revoking one.

@migrations(name="0009_admin")
def m0009_admin(db):
    """users.active (sign-in and tokens refuse inactive users); api_tokens hint, creator, revocation."""
    for statement in [
        "ALTER TABLE users ADD COLUMN active INTEGER NOT NULL DEFAULT 1",
        "ALTER TABLE users ADD COLUMN deactivated_at TEXT",
        "ALTER TABLE api_tokens ADD COLUMN hint TEXT",
        "ALTER TABLE api_tokens ADD COLUMN created_by TEXT",
        "ALTER TABLE api_tokens ADD COLUMN revoked_at TEXT",
        "ALTER TABLE api_tokens ADD COLUMN revoked_by TEXT",
        "CREATE INDEX api_tokens_user ON api_tokens(user_id)",
    ]:
        db.execute(statement)
