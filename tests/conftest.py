"""Shared fixtures: every test gets its own database file; the browser tests' chromium and page;
ptys standing in for serial devices."""
import pytest

from station import migrations
from station.db import connect
from tests.fakeports import FakeSerialPort


@pytest.fixture
def fresh_db(tmp_path):
    """A new, migrated station database in the test's temp directory."""
    db = connect(tmp_path / "t.db")
    migrations.apply(db)
    yield db
    db.close()


# -- serial devices -------------------------------------------------------------------------------

@pytest.fixture
def serial_port(tmp_path):
    """serial_port(name): a pty standing in for a serial device at <tmp>/<name>; unplugged after the test."""
    made = []

    def make(name):
        made.append(FakeSerialPort(tmp_path / name))
        return made[-1]

    yield make
    for fake in made:
        fake.close()


@pytest.fixture
def port(serial_port):
    """The bench scanner's serial port: a pty at <tmp>/ttyACM0."""
    return serial_port("ttyACM0")


# -- the browser (tests/browser.py) ---------------------------------------------------------------

@pytest.fixture(scope="module")
def browser():
    """Debian's chromium, headless, through Playwright (never a downloaded browser); one per module."""
    from tests.browser import ARGS, CHROMIUM, sync_api

    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        yield browser
        browser.close()


@pytest.fixture
def page(browser, server):
    """A 1280x800 touchscreen page on which any browser dialog fails the test; closed before the
    module's `server` stops."""
    from tests.browser import checked_page

    yield from checked_page(browser)


@pytest.fixture
def env(tmp_path):
    """The JSON API on the sample data: (test client, tokens of an operator and a supervisor, the database)."""
    from station import auth, create_app
    from tests import sample

    path = tmp_path / "station.db"
    db = sample.fresh(path)
    sample.load_sample(db)
    auth.add_user(db, "olga", "operator", "1234", "OP-1")
    auth.add_user(db, "sam", "supervisor", "4321", "SV-1")
    tokens = {"operator": auth.new_token(db, "olga"), "supervisor": auth.new_token(db, "sam")}
    app = create_app({"DATABASE": str(path), "TESTING": True, "SECRET_KEY": "test", "PHOTO_DIR": str(tmp_path / "photos")})
    client = app.test_client()
    yield client, tokens, db
    db.close()
