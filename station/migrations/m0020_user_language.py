"""0020: each user's language, kept with their badge (the screens speak it once they sign in)."""
from station.migrations.registry import migrations


@migrations(name="0020_user_language")
def m0020_user_language(db):
    """users.language: a Babel locale code (`en`, `zh_Hans`); English for everyone until set."""
    db.execute("ALTER TABLE users ADD COLUMN language TEXT NOT NULL DEFAULT 'en'")
