"""0019: floor displays: a TV shows the wall-board with a token an admin made and can revoke."""
from station.migrations.registry import migrations


@migrations(name="0019_display_tokens")
def m0019_display_tokens(db):
    """display_tokens: one per floor screen, named; only the token's hash is kept (shown once).
    A revoked token opens nothing any more."""
    db.execute("""CREATE TABLE display_tokens (
        token_id INTEGER PRIMARY KEY,
        name TEXT NOT NULL,
        token_hash TEXT NOT NULL UNIQUE,
        created_by TEXT,
        created_at TEXT NOT NULL,
        revoked_by TEXT,
        revoked_at TEXT
    )""")
