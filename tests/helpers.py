"""Small helpers the tests share: read a station database, wait on a condition, a Flask test
client signed in at a bench as the page does it (CSRF token, htmx headers)."""
import re
import time

from station.db import connect


def query(where, sql, params=()):
    """The rows of `sql`, read on a connection of its own; `where` is a test server ({"db": path,
    ...}, tests/browser.py), a Flask app or the database file."""
    if isinstance(where, dict):
        where = where["db"]
    elif hasattr(where, "config"):
        where = where.config["DATABASE"]
    db = connect(where)
    try:
        return db.execute(sql, list(params)).fetchall()
    finally:
        db.close()


def wait_until(condition, timeout=10.0):
    """Polls `condition` until it holds (answers True) or fails the test after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.02)
    return True


def csrf_token(response):
    return re.search(r'data-csrf="([^"]+)"', response.get_data(as_text=True)).group(1)


def bench_client(app, badge, pin, station):
    """A test client signed in at `station`: the badge, then the PIN; client.token is the CSRF
    token of the signed-in page."""
    client = app.test_client()
    token = csrf_token(client.get(f"/sign-in?station={station}"))
    client.post("/sign-in/badge", data={"code": badge}, headers={"X-CSRF-Token": token, "HX-Request": "true"})
    assert client.post("/sign-in", data={"pin": pin, "csrf_token": token}).status_code == 302
    client.token = csrf_token(client.get("/"))
    return client


def post(client, url, **data):
    """A form post as htmx sends it from the page of a bench_client."""
    return client.post(url, data=data, headers={"X-CSRF-Token": client.token, "HX-Request": "true"})


def bench_session(app, user_id, station="bench"):
    """A bench session the server knows (as sign-in makes one): its id, for a test client's cookie."""
    from station.db import connect
    from station.web.security import start_bench_session

    db = connect(app.config["DATABASE"])
    try:
        return start_bench_session(db, user_id, station)
    finally:
        db.close()


class Screen:
    """A signed-in browser on Flask's test client: gets and posts as htmx does, with the session's
    CSRF token (screens' tests: admin, currencies, imports)."""

    def __init__(self, client, csrf):
        self.client, self.csrf = client, csrf

    def get(self, url, htmx=False, **kw):
        if htmx:
            kw["headers"] = {**kw.get("headers", {}), "HX-Request": "true"}
        return self.client.get(url, **kw)

    def post(self, url, /, htmx=True, **data):
        headers = {"X-CSRF-Token": self.csrf}
        if htmx:
            headers["HX-Request"] = "true"
        return self.client.post(url, data=data, headers=headers)


def screen_as(app, user_name, csrf, screen=Screen):
    """`screen` (a Screen) signed in as the user named `user_name`, in a bench session the server knows."""
    from station.timeutil import now

    client = app.test_client()
    user_id = query(app, "SELECT id FROM users WHERE name = ?", [user_name])[0][0]
    with client.session_transaction() as session:
        session.update(user_id=user_id, sid=bench_session(app, user_id), csrf=csrf, seen=now().timestamp())
    return screen(client, csrf)
