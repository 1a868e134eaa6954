"""The devices page and GET /api/devices: every bench's devices with their live status.

Printers are TCP listeners on 127.0.0.1 speaking ~HS (tests/test_hardware_printer.FakeZebra).
"""
import re

import pytest

from station.devices import print_queue
from hardware import registry
from station import auth, create_app
from station.db import connect
from tests.fakeports import free_port
from tests.sample import fresh, load_sample
from tests.test_hardware_printer import FakeZebra, hs_reply, wait_for_jobs

SUPERVISOR, OPERATOR = ("SV-9", "4321"), ("OP-9", "1234")


@pytest.fixture
def zebra():
    z = FakeZebra(hs_reply(paper_out=1))
    yield z
    z.close()


@pytest.fixture
def app(tmp_path, zebra):
    path = tmp_path / "station.db"
    db = fresh(path)
    load_sample(db)
    auth.add_user(db, "Sue Visor", "supervisor", SUPERVISOR[1], SUPERVISOR[0])
    auth.add_user(db, "Olly Operator", "operator", OPERATOR[1], OPERATOR[0])
    db.close()
    return create_app({
        "DATABASE": str(path), "SECRET_KEY": "devices-test", "TESTING": True, "PRINTER_TIMEOUT_MS": 500,
        "BENCHES": {
            "bench-1": {"printer": f"zpl://127.0.0.1:{zebra.port}", "scanner_port": "/dev/ttyACM7"},
            "bench-2": {"printer": f"zpl://127.0.0.1:{free_port()}", "label_size": "2x1", "dpi": 300},
            "bench-3": {"printer": "browser", "camera": 0},
        },
    })


def csrf(response):
    return re.search(r'data-csrf="([^"]+)"', response.get_data(as_text=True)).group(1)


def signed_in(app, who):
    badge, pin = who
    client = app.test_client()
    token = csrf(client.get("/sign-in?station=bench-1"))
    client.post("/sign-in/badge", data={"code": badge}, headers={"X-CSRF-Token": token, "HX-Request": "true"})
    assert client.post("/sign-in", data={"pin": pin, "csrf_token": token}).status_code == 302
    return client, csrf(client.get("/devices" if who == SUPERVISOR else "/"))


def post(client, token, url, **data):
    return client.post(url, data=data, headers={"X-CSRF-Token": token, "HX-Request": "true"})


def jobs(app):
    db = connect(app.config["DATABASE"])
    try:
        return db.execute("SELECT job_id, bench, printer, description, status FROM print_jobs ORDER BY job_id").fetchall()
    finally:
        db.close()


def text(response):
    return response.get_data(as_text=True)


def test_a_supervisor_sees_every_bench_with_its_printer_state_and_configured_devices(app, zebra):
    client, _ = signed_in(app, SUPERVISOR)
    page = client.get("/devices")
    assert page.status_code == 200
    html = text(page)
    for bench in ("bench-1", "bench-2", "bench-3"):
        assert f'aria-label="Bench {bench}"' in html
    row = re.search(rf'data-name="zpl://127.0.0.1:{zebra.port}">(.*?)</tr>', html, re.S).group(1)
    assert "state-error" in row and "paper out" in row and "Retry now" in row and "Test print" in row
    assert "state-offline" in html  # bench-2's printer: nothing listens there
    assert "/dev/ttyACM7" in html and "no driver running" in html  # configured, not started here
    assert "prints from the bench&#39;s browser" in html
    assert ">Devices</a>" in html  # in the screen bar


def test_an_operator_is_turned_away_with_a_page_naming_the_role(app):
    client, _ = signed_in(app, OPERATOR)
    answer = client.get("/devices")
    assert answer.status_code == 403 and "supervisor" in text(answer)
    assert "/devices" not in text(client.get("/"))  # not offered in the bar either


def test_test_print_queues_a_label_the_printer_then_receives(app, zebra):
    client, token = signed_in(app, SUPERVISOR)
    url = f"zpl://127.0.0.1:{zebra.port}"
    answer = post(client, token, "/devices/act", bench="bench-1", kind="printer", name=url, action="test_print")
    assert answer.status_code == 200 and "Test label queued" in text(answer)
    assert [j[1:] for j in jobs(app)] == [("bench-1", url, "Test print (4x6, 203 dpi)", "queued")]
    assert "1 waiting" in text(client.get("/devices/panel", headers={"HX-Request": "true"}))
    db = connect(app.config["DATABASE"])
    try:
        assert print_queue.deliver_due(db, timeout=2) == 1
    finally:
        db.close()
    received = [j for j in wait_for_jobs(zebra, 2) if j != b"~HS"]
    assert len(received) == 1 and b"^FDTEST-BENCH-1^FS" in received[0] and b"^FDTEST PRINT^FS" in received[0]


def test_retry_now_makes_a_backed_off_queue_due_at_once(app):
    client, token = signed_in(app, SUPERVISOR)
    url = app.config["BENCHES"]["bench-2"]["printer"]
    db = connect(app.config["DATABASE"])
    try:
        print_queue.enqueue(db, bench="bench-2", printer=url, payload="^XA^XZ", description="RESTOCK RI-1 (2x1)")
        print_queue.deliver_due(db, timeout=0.3)  # offline: backs off
        due_before = db.execute("SELECT next_attempt_at FROM print_jobs").fetchone()[0]
        html = text(client.get("/devices/panel", headers={"HX-Request": "true"}))
        assert "cannot reach printer" in html and "1 tries" in html
        answer = post(client, token, "/devices/act", bench="bench-2", kind="printer", name=url, action="retry")
        assert "1 label(s) to send now" in text(answer)
        assert db.execute("SELECT next_attempt_at FROM print_jobs").fetchone()[0] < due_before
    finally:
        db.close()


def test_reprint_and_cancel_from_the_devices_page(app, zebra):
    client, token = signed_in(app, SUPERVISOR)
    url = f"zpl://127.0.0.1:{zebra.port}"
    db = connect(app.config["DATABASE"])
    try:
        job_id = print_queue.enqueue(db, bench="bench-1", printer=url, payload="^XA^FDx^FS^XZ", description="RTV RI-4 (4x6)")
    finally:
        db.close()
    html = text(client.get("/devices"))
    assert f"Reprint job {job_id}" in html and f"Cancel job {job_id}" in html
    answer = post(client, token, f"/devices/jobs/{job_id}/reprint")
    assert answer.status_code == 200 and "Label queued again" in text(answer)
    assert post(client, token, f"/devices/jobs/{job_id}/cancel").status_code == 200
    assert post(client, token, f"/devices/jobs/{job_id}/cancel").status_code == 409
    assert [(j[3], j[4]) for j in jobs(app)] == [("RTV RI-4 (4x6)", "cancelled"), ("Reprint RTV RI-4 (4x6)", "queued")]
    assert post(client, token, "/devices/jobs/999/reprint").status_code == 404
    assert post(client, token, f"/devices/jobs/{2**64}/reprint").status_code == 404  # beyond SQLite's integers
    assert post(client, token, f"/devices/jobs/{2**64}/cancel").status_code == 404  # no such job: the route does not match


def test_bad_input_is_a_message_never_a_500(app, zebra):
    client, token = signed_in(app, SUPERVISOR)
    url = f"zpl://127.0.0.1:{zebra.port}"
    unknown = post(client, token, "/devices/act", bench="bench-9", kind="printer", name=url, action="retry")
    assert unknown.status_code == 404 and "No such device" in text(unknown)
    bad_action = post(client, token, "/devices/act", bench="bench-1", kind="printer", name=url, action="format_disk")
    assert bad_action.status_code == 400 and "has no action" in text(bad_action)
    assert post(client, token, "/devices/act").status_code == 404
    assert client.post("/devices/act", data={"bench": "bench-1"}).status_code == 400  # no CSRF token
    plain = client.post("/devices/act", data={"csrf_token": token, "bench": "bench-1", "kind": "printer", "name": url,
                                              "action": "retry"})
    assert plain.status_code == 302 and plain.location.endswith("/devices")  # a form post without htmx


class FakeScale:
    """What the input-device engineer registers: the registry's whole interface."""

    kind, name, bench = "scale", "/dev/ttyUSB3", "bench-3"
    actions = ("tare",)

    def __init__(self):
        self.tared = 0

    def status(self):
        return {"state": "ok", "detail": "1,234 g stable", "last_seen": "2026-11-22T03:10:00Z"}

    def act(self, action):
        self.tared += 1
        return "Tared"


class BrokenCamera:
    kind, name, bench = "camera", "rtsp://cam", "bench-3"

    def status(self):
        raise RuntimeError("capture thread died")


def test_any_registered_driver_shows_with_its_status_and_its_own_buttons(app):
    scale = registry.register(app, FakeScale())
    registry.register(app, BrokenCamera())
    client, token = signed_in(app, SUPERVISOR)
    html = text(client.get("/devices"))
    assert "1,234 g stable" in html and ">Tare</button>" in html
    assert "status failed: capture thread died" in html  # a broken driver is a row, not a 500
    assert "no driver running" not in re.search(r'aria-label="Bench bench-3">(.*?)</section>', html, re.S).group(1)
    answer = post(client, token, "/devices/act", bench="bench-3", kind="scale", name="/dev/ttyUSB3", action="tare")
    assert "Tared" in text(answer) and scale.tared == 1


def test_the_registry_replaces_a_driver_registered_again_and_refuses_one_without_the_interface(app):
    registry.register(app, FakeScale())
    registry.register(app, FakeScale())
    assert [d.kind for d in registry.all(app)].count("scale") == 1
    with pytest.raises(TypeError):
        registry.register(app, object())


def test_the_api_lists_devices_as_json_for_a_supervisor_token(app, zebra):
    db = connect(app.config["DATABASE"])
    try:
        token = auth.new_token(db, "Sue Visor")
        operator_token = auth.new_token(db, "Olly Operator")
    finally:
        db.close()
    client = app.test_client()
    answer = client.get("/api/devices", headers={"Authorization": f"Bearer {token}"})
    assert answer.status_code == 200
    devices = answer.get_json()["devices"]
    printer = next(d for d in devices if d["name"] == f"zpl://127.0.0.1:{zebra.port}")
    assert printer == {**printer, "bench": "bench-1", "kind": "printer", "state": "error", "printer": "paper_out",
                       "queue": 0, "last_error": None}
    assert printer["detail"] == "paper out" and printer["last_seen"]
    assert {(d["bench"], d["kind"]) for d in devices} >= {("bench-1", "scanner"), ("bench-2", "printer"),
                                                          ("bench-3", "camera"), ("bench-3", "printer")}
    assert client.get("/api/devices").status_code == 401
    assert client.get("/api/devices", headers={"Authorization": f"Bearer {operator_token}"}).status_code == 403
