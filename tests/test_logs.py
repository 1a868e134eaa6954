"""The station's log (station/logs.py): one line per request and per background job, with the bench,
the user and a request id, as text or JSON lines, and no secrets."""
import json

import pytest

from station import auth, create_app, logs
from station.data import webhooks
from tests import sample
from tests.fakeports import free_port
from tests.helpers import bench_client, post


@pytest.fixture
def site(tmp_path):
    """The sample data, an operator (badge OP-7, PIN 8642) and an API token; the log in a file."""
    path = tmp_path / "station.db"
    db = sample.fresh(path)
    sample.load_sample(db)
    auth.add_user(db, "Dana", "operator", "8642", "OP-7")
    token = auth.new_token(db, "Dana")
    log = tmp_path / "station.log"

    def app(fmt="json"):
        return create_app({"DATABASE": str(path), "SECRET_KEY": "t", "LOG_FORMAT": fmt, "LOG_FILE": str(log),
                           "PHOTO_DIR": str(tmp_path / "photos")})

    yield app, db, token, log
    db.close()
    logs.configure()  # back to stderr for the tests after this one


def lines(log):
    return [json.loads(x) for x in log.read_text("utf-8").splitlines()]


def test_a_bench_scan_is_one_line_with_its_request_id_bench_user_status_and_time(site):
    make, db, _, log = site
    bench = bench_client(make(), "OP-7", "8642", "bench-3")
    resp = post(bench, "/bench/scan", code=sample.CARTON)
    assert resp.status_code == 200 and db["returns"].count == 1
    scan = [x for x in lines(log) if x["path"] == "/bench/scan"]
    assert len(scan) == 1
    assert scan[0]["kind"] == "request" and scan[0]["method"] == "POST" and scan[0]["status"] == 200
    assert scan[0]["bench"] == "bench-3" and scan[0]["user"] == "Dana" and scan[0]["ms"] >= 0
    assert scan[0]["id"] == resp.headers["X-Request-Id"]


def test_the_api_takes_the_proxys_request_id_and_a_bad_one_is_replaced(site):
    make, _, token, log = site
    client = make().test_client()
    ok = client.get(f"/api/lookup?code={sample.CARTON}",
                    headers={"Authorization": f"Bearer {token}", "X-Request-Id": "lb-7f3a.2"})
    bad = client.get("/api/lookup?code=X", headers={"Authorization": f"Bearer {token}", "X-Request-Id": "a b<script>"})
    assert ok.status_code == 200 and ok.headers["X-Request-Id"] == "lb-7f3a.2"
    assert bad.headers["X-Request-Id"] != "a b<script>" and len(bad.headers["X-Request-Id"]) == 16
    found = {x["id"]: x for x in lines(log)}
    assert found["lb-7f3a.2"]["user"] == "Dana" and found["lb-7f3a.2"]["status"] == 200
    assert found[bad.headers["X-Request-Id"]]["status"] == 404


def test_no_pin_token_or_display_key_reaches_the_log(site):
    make, _, token, log = site
    app = make()
    bench_client(app, "OP-7", "8642", "bench-3")  # the PIN is posted in a form
    client = app.test_client()
    client.get(f"/api/lookup?code={sample.CARTON}", headers={"Authorization": f"Bearer {token}"})
    client.get("/reports/floor/s3cr3t-display-key?lang=zh_Hans&token=abc123")
    text = log.read_text("utf-8")
    assert "8642" not in text and token not in text and "s3cr3t-display-key" not in text and "abc123" not in text
    assert "/reports/floor/***?lang=zh_Hans&token=***" in text
    assert all(set(x) <= {"at", "kind", "id", "bench", "user", "method", "path", "status", "ms"} for x in lines(log))


def test_text_lines_keep_one_request_on_one_line_whatever_its_path_holds(site):
    make, _, _, log = site
    make("text").test_client().get("/bench/x%0Ay%1B")
    text = log.read_text("utf-8")
    assert len(text.splitlines()) == 1 and " kind" not in text
    assert 'request id=' in text and 'path="/bench/x\\ny\\u001b" status=404' in text


def test_a_webhook_delivery_is_a_job_line_with_its_name_and_never_its_url(site):
    make, db, _, log = site
    make()  # the log's settings
    port = free_port()  # nobody listens there: the delivery fails
    webhooks.add(db, "ERP feed", f"https://user:hunter2@127.0.0.1:{port}/hook")
    with db.conn:
        db.execute("INSERT INTO events (type, at, data) VALUES ('return.opened', '2026-12-05T00:00:00Z', '{}')")
    assert webhooks.deliver_due(db) == 0
    job = [x for x in lines(log) if x["kind"] == "job"]
    assert len(job) == 1 and job[0]["job"] == "webhook" and job[0]["outcome"] == "failed"
    assert job[0]["webhook"] == "ERP feed" and job[0]["events"] >= 1 and "hunter2" not in log.read_text()


def test_a_bad_log_format_stops_start_up_naming_it(site, monkeypatch):
    make, _, _, _ = site
    monkeypatch.setenv("STATION_LOG_FORMAT", "xml")
    with pytest.raises(SystemExit, match="LOG_FORMAT"):
        make()
