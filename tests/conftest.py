"""Shared fixtures: every test gets its own database file."""
import pytest

from station import migrations
from station.db import connect


@pytest.fixture
def fresh_db(tmp_path):
    """A new, migrated station database in the test's temp directory."""
    db = connect(tmp_path / "t.db")
    migrations.apply(db)
    yield db
    db.close()
