"""The multi-process deployment: gunicorn serves station.wsgi:app in several processes, and
`run.py worker` does the background work once, beside them (real processes, a real database)."""
import json
import os
import signal
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest

from station import auth
from station.db import connect
from tests import sample
from tests.fakeports import free_port
from tests.helpers import wait_until

ROOT = Path(__file__).resolve().parent.parent
gunicorn = pytest.importorskip("gunicorn")


def call(base, token, method, url, body=None):
    request = urllib.request.Request(base + url, method=method, data=json.dumps(body).encode() if body else None,
                                     headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=30) as answer:
        return json.loads(answer.read())


def healthy(base):
    try:
        with urllib.request.urlopen(base + "/healthz", timeout=2) as answer:
            return answer.status == 200
    except OSError:
        return False


@pytest.fixture
def site(tmp_path):
    path = tmp_path / "site.db"
    db = sample.fresh(path)
    sample.load_sample(db)
    auth.add_user(db, "olga", "operator", "1234", "OP-1")
    token = auth.new_token(db, "olga")
    db.close()
    env = dict(os.environ, STATION_DATABASE=str(path), STATION_SECRET_KEY="deploy-test", STATION_PARCEL_QUIET_S="0")
    started = []

    def start(*args):
        process = subprocess.Popen([sys.executable, *args], cwd=ROOT, env=env, stdout=subprocess.PIPE,
                                   stderr=subprocess.PIPE, text=True)
        started.append(process)
        return process

    yield path, token, start
    for process in started:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()


def test_gunicorn_serves_the_api_and_one_worker_process_closes_the_decided_parcels(site):
    path, token, start = site
    port = free_port()
    start("-m", "gunicorn", "-k", "gthread", "-w", "2", "--threads", "4", "-b", f"127.0.0.1:{port}", "station.wsgi:app")
    base = f"http://127.0.0.1:{port}"
    wait_until(lambda: healthy(base), timeout=60)
    opened = call(base, token, "POST", "/api/returns", {"code": sample.CARTON, "station": "bench-7"})
    rid = opened["return_id"]
    item = call(base, token, "POST", f"/api/returns/{rid}/items", {"code": sample.MUG_GTIN, "qty": 1, "grade": "A",
                                                                 "reason": "changed_mind"})
    call(base, token, "POST", f"/api/returns/{rid}/items/{item['item_id']}/decision",
         {"disposition": item["recommendation"]["disposition"]})
    db = connect(path)
    try:
        # no worker yet: nothing in the web processes closes it by itself
        assert db.execute("SELECT status FROM returns WHERE return_id = ?", [rid]).fetchone()[0] == "open"
        worker = start("run.py", "worker", "--db", str(path))
        wait_until(lambda: db.execute("SELECT status FROM returns WHERE return_id = ?", [rid]).fetchone()[0] == "closed",
                   timeout=60)
        assert db.execute("SELECT amount FROM refunds WHERE return_id = ?", [rid]).fetchone()[0] == "19.99"
        second = start("run.py", "worker", "--db", str(path))
        assert second.wait(timeout=60) == 1 and "another server or worker" in second.stderr.read()
        assert worker.poll() is None
    finally:
        db.close()
    assert call(base, token, "GET", f"/api/returns/{rid}")["status"] == "closed"
