"""What the browser tests share: Debian's chromium through Playwright, a real HTTP server over a
temp SQLite file, and a page driven as the bench is (a keyboard-wedge scanner, the PIN keypad).

Debian's /usr/bin/chromium through Playwright's Python API, never a downloaded browser. The
`browser` and `page` fixtures are in tests/conftest.py; a test module marks itself
`pytestmark = needs_chromium` and brings its own `server` fixture (its own data) built on
`serve(station_app(path))`. Screenshots land in tests/screenshots/ (git-ignored).
"""
import shutil
import threading
from contextlib import contextmanager
from pathlib import Path

import pytest

from station import create_app

sync_api = pytest.importorskip("playwright.sync_api")
expect = sync_api.expect

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run"]
SHOTS = Path(__file__).parent / "screenshots"
TOUCHSCREEN = {"width": 1280, "height": 800}

needs_chromium = pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian's chromium is not installed")


# -- the server ---------------------------------------------------------------------------------

def station_app(path, **config):
    """The app over the SQLite file at `path`, its photos beside it; `config` adds or overrides."""
    return create_app({"DATABASE": str(path), "SECRET_KEY": "browser-test",
                       "PHOTO_DIR": str(Path(path).parent / "photos"), **config})


@contextmanager
def serve(app):
    """The app on a real HTTP server (werkzeug, its own thread) on a free port of 127.0.0.1 while
    the block runs; yields {"url", "db", "app"}, "db" the path of its SQLite file."""
    from werkzeug.serving import make_server

    http = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=http.serve_forever, daemon=True)
    thread.start()
    try:
        yield {"url": f"http://127.0.0.1:{http.server_port}", "db": Path(app.config["DATABASE"]), "app": app}
    finally:
        http.shutdown()
        thread.join(5)


# -- pages ----------------------------------------------------------------------------------------

def watch(page):
    """Every browser dialog is dismissed and kept in page.dialogs, every script error in
    page.errors; Playwright's actions wait up to 10 s."""
    page.dialogs, page.errors = [], []
    page.on("dialog", lambda dialog: (page.dialogs.append(dialog.message), dialog.dismiss()))
    page.on("pageerror", lambda exc: page.errors.append(str(exc)))
    page.set_default_timeout(10_000)
    return page


def new_page(browser, viewport=TOUCHSCREEN, **options):
    """A watched page in a context of its own (a 1280x800 touchscreen unless told); downloads are
    accepted. page.context.close() closes it."""
    context = browser.new_context(viewport=viewport, accept_downloads=True, **options)
    return watch(context.new_page())


def checked_page(browser, **options):
    """For a fixture to `yield from`: a new_page that fails the test if a browser dialog opened."""
    page = new_page(browser, **options)
    yield page
    page.context.close()
    assert page.dialogs == [], f"a browser dialog opened: {page.dialogs}"


def shot(page, name, full_page=False, animations="disabled"):
    """A screenshot at tests/screenshots/<name>.png; answers its path."""
    SHOTS.mkdir(exist_ok=True)
    path = SHOTS / f"{name}.png"
    page.screenshot(path=str(path), animations=animations, full_page=full_page)
    return path


def shooter(prefix, **defaults):
    """A module's `shot(page, name, **options)`: its screenshots are named <prefix><name>.png."""
    def module_shot(page, name, **options):
        return shot(page, prefix + name, **{**defaults, **options})
    return module_shot


# -- scanning and signing in ------------------------------------------------------------------------

def scan(page, code, terminator="Enter"):
    """Type the code the way a keyboard-wedge scanner does: keys with no delay, then its terminator."""
    page.keyboard.type(code, delay=0)
    page.keyboard.press(terminator)


def open_sign_in(page, server, station="office"):
    page.goto(f"{server['url']}/sign-in?station={station}")
    expect(page.get_by_text("Scan your badge")).to_be_visible()


def enter_badge(page, server, badge, station="office"):
    """The sign-in page for `station`, the badge held under the scanner."""
    open_sign_in(page, server, station)
    scan(page, badge)


def tap_pin(page, pin):
    """The PIN tapped on the keypad, then OK."""
    expect(page.get_by_label("PIN")).to_be_visible()
    for digit in pin:
        page.get_by_role("button", name=digit, exact=True).click()
    page.get_by_role("button", name="OK", exact=True).click()


def sign_in_as(page, server, user, station="office"):
    """user: (name, badge, pin); signed in when the top bar names them."""
    name, badge, pin = user
    enter_badge(page, server, badge, station)
    tap_pin(page, pin)
    expect(page.locator(".topbar .who")).to_have_text(name)
