"""A serial scanner configured for a bench: a pty stands in for it, its scans reach that bench.

The browser side (the open page changing) is in test_live_browser.py; here the server side:
the reader thread, the bench's event stream, the claim that runs each scan once, double reads,
unplug and replug, the device registry.
"""
import functools
import re
import time

import pytest

from hardware import registry
from station import auth, create_app
from station.devices import live
from station.config import ConfigError
from tests.helpers import bench_client, post, query, wait_until
from tests.sample import CARTON, fresh, load_sample

BADGE, PIN = "BADGE-5", "2580"
wait_for = functools.partial(wait_until, timeout=5.0)


def make_app(tmp_path, **config):
    path = tmp_path / "station.db"
    if not path.exists():
        db = fresh(path)
        load_sample(db)
        auth.add_user(db, "Kim Serial", "operator", PIN, BADGE)
        db.close()
    settings = {"DATABASE": str(path), "SECRET_KEY": "serial-test", "TESTING": True,
                "PHOTO_DIR": str(tmp_path / "photos"), "LIVE_HEARTBEAT_S": 0.1}
    settings.update(config)
    return create_app(settings)


@pytest.fixture
def app(tmp_path, port):
    app = make_app(tmp_path, BENCHES={"bench-3": {"scanner_port": port.path}})
    live.start_devices(app)
    yield app
    live.stop_devices(app)


def sign_in(app, station="bench-3"):
    return bench_client(app, BADGE, PIN, station)


def post_scan(client, **data):
    return post(client, "/bench/scan", **data)


class Stream:
    """GET /bench/events read as the browser's EventSource would, chunk by chunk."""

    def __init__(self, client, headers=None):
        self.response = client.get("/bench/events", buffered=False, headers=headers or {})
        self.chunks = iter(self.response.response)
        self.text = ""

    def read_until(self, pattern, timeout=5.0):
        deadline = time.monotonic() + timeout
        while not re.search(pattern, self.text, re.S):
            assert time.monotonic() < deadline, f"no {pattern!r} in {self.text!r}"
            chunk = next(self.chunks)
            self.text += chunk.decode() if isinstance(chunk, bytes) else chunk
        return re.search(pattern, self.text, re.S)

    def close(self):
        self.response.close()


def scan_event(stream):
    found = stream.read_until(r"id: (\d+)\nevent: scan\ndata: (\{.*?\})\n\n")
    import json

    return int(found.group(1)), json.loads(found.group(2))


def scanner_state(app):
    return registry.find(app, "bench-3", "scanner", app.config["BENCHES"]["bench-3"]["scanner_port"]).status()["state"]


def test_a_line_from_the_bench_scanner_is_pushed_to_that_bench_s_page(app, port):
    client = sign_in(app)
    stream = Stream(client)
    try:
        assert stream.response.mimetype == "text/event-stream"
        stream.read_until(r"retry: \d+")
        wait_for(lambda: scanner_state(app) == "ok")
        port.send(CARTON.encode() + b"\r\n")
        _seq, data = scan_event(stream)
        assert data == {"code": CARTON, "source": "serial"}
    finally:
        stream.close()


def test_the_page_relaying_a_serial_scan_runs_it_once_through_the_pipeline(app, port):
    client = sign_in(app)
    stream = Stream(client)
    try:
        wait_for(lambda: scanner_state(app) == "ok")
        port.send(CARTON.encode() + b"\r\n")
        seq, data = scan_event(stream)
    finally:
        stream.close()
    first = post_scan(client, code=data["code"], source="serial", scan_id=seq)
    assert first.status_code == 200 and "Parcel open" in first.get_data(True)
    # a second tab at the same bench got the same event: it finds the scan taken
    other = sign_in(app)
    assert post_scan(other, code=data["code"], source="serial", scan_id=seq).status_code == 204
    assert query(app, "SELECT order_no, station FROM returns") == [("SO-1", "bench-3")]
    assert query(app, "SELECT source, station, ok FROM scans") == [("serial", "bench-3", 1)]


def test_a_scan_for_another_bench_does_not_reach_this_page(app, port):
    live.hub(app).add_source("bench-7")  # bench-7 has a device of its own (a camera, say)
    client = sign_in(app, station="bench-7")
    stream = Stream(client)
    try:
        wait_for(lambda: scanner_state(app) == "ok")
        port.send(b"RMA-ELSEWHERE\r\n")
        stream.read_until(r": keep-alive")
        time.sleep(0.3)
        stream.read_until(r"(: keep-alive\n\n.*){3}")
        assert "event: scan" not in stream.text
    finally:
        stream.close()


def test_a_scan_no_page_takes_is_logged_as_not_run(app, port):
    live.hub(app).claim_seconds = 0.2
    wait_for(lambda: scanner_state(app) == "ok")
    port.send(b"RMA-NOBODY\r\n")
    wait_for(lambda: query(app, "SELECT count(*) FROM scans")[0][0] == 1)
    assert query(app, "SELECT raw, source, station, ok, message FROM scans") == [
        ("RMA-NOBODY", "serial", "bench-3", 0, "not run: no bench page took it (none open, or a repeat)")]
    assert query(app, "SELECT count(*) FROM returns") == [(0,)]


def test_a_scan_made_while_the_page_reconnects_is_replayed_to_it(app, port):
    client = sign_in(app)
    wait_for(lambda: scanner_state(app) == "ok")
    port.send(CARTON.encode() + b"\r\n")
    wait_for(lambda: live.hub(app).last_seq == 1)
    stream = Stream(client, headers={"Last-Event-ID": "0"})
    try:
        seq, data = scan_event(stream)
    finally:
        stream.close()
    assert (seq, data["code"]) == (1, CARTON)
    assert post_scan(client, code=CARTON, source="serial", scan_id=seq).status_code == 200


def test_the_scanner_reading_one_label_twice_within_a_second_sends_it_once(app, port):
    client = sign_in(app)
    stream = Stream(client)
    try:
        wait_for(lambda: scanner_state(app) == "ok")
        port.send(b"RMA-TWICE\r\nRMA-TWICE\r\nRMA-ONCE\r\n")
        first = scan_event(stream)
        stream.text = stream.text[stream.text.index(f"id: {first[0]}") + 5:]
        second = scan_event(stream)
    finally:
        stream.close()
    assert [first[1]["code"], second[1]["code"]] == ["RMA-TWICE", "RMA-ONCE"]


def test_a_double_wedge_scan_at_one_bench_is_ignored_by_the_server(app):
    client = sign_in(app)
    assert post_scan(client, code=CARTON, source="wedge").status_code == 200
    assert post_scan(client, code=CARTON, source="wedge").status_code == 204
    assert query(app, "SELECT count(*) FROM scans") == [(1,)]
    # another bench scanning the same label is its own scan
    assert post_scan(sign_in(app, station="bench-4"), code=CARTON, source="wedge").status_code == 200
    assert query(app, "SELECT station FROM scans ORDER BY scan_id") == [("bench-3",), ("bench-4",)]


def test_a_code_typed_twice_is_meant_and_runs_twice(app):
    client = sign_in(app)
    assert post_scan(client, code=CARTON, source="typed").status_code == 200
    assert post_scan(client, code=CARTON, source="typed").status_code == 200
    assert query(app, "SELECT count(*) FROM scans") == [(2,)]


def test_a_device_scan_with_a_missing_or_unknown_scan_id_is_ignored_not_an_error(app):
    client = sign_in(app)
    assert post_scan(client, code=CARTON, source="serial").status_code == 204
    assert post_scan(client, code=CARTON, source="serial", scan_id="x'1").status_code == 204
    assert post_scan(client, code=CARTON, source="camera", scan_id="999").status_code == 204
    assert query(app, "SELECT count(*) FROM scans") == [(0,)]


def test_a_scan_without_the_csrf_token_is_refused(app):
    client = sign_in(app)
    response = client.post("/bench/scan", data={"code": CARTON}, headers={"HX-Request": "true"})
    assert response.status_code == 400
    assert query(app, "SELECT count(*) FROM scans") == [(0,)]


def test_the_event_stream_needs_a_signed_in_bench(app):
    response = app.test_client().get("/bench/events")
    assert response.status_code == 302 and response.location.endswith("/sign-in")


def test_unplugging_the_scanner_shows_offline_and_replugging_brings_scans_back(app, port):
    client = sign_in(app)
    wait_for(lambda: scanner_state(app) == "ok")
    port.unplug()
    wait_for(lambda: scanner_state(app) == "offline")
    snapshot = [d for d in registry.snapshot(app) if d["kind"] == "scanner"]
    assert snapshot[0]["bench"] == "bench-3" and "retrying" in snapshot[0]["detail"]

    port.plug()
    wait_for(lambda: scanner_state(app) == "ok")
    stream = Stream(client)
    try:
        port.send(b"AFTER-REPLUG\r\n")
        _seq, data = scan_event(stream)
    finally:
        stream.close()
    assert data["code"] == "AFTER-REPLUG"


def test_the_stream_ends_after_its_lifetime_and_tells_the_browser_when_to_reconnect(tmp_path):
    app = make_app(tmp_path, LIVE_STREAM_MAX_S=0.3)
    live.hub(app).add_source("bench-3")  # as start_devices() does for a bench's serial scanner
    client = sign_in(app)
    response = client.get("/bench/events", buffered=False)
    body = b"".join(response.response).decode()  # ends by itself
    response.close()
    assert body.startswith("retry: 1000\n\n") and ": keep-alive" in body
    assert live.hub(app).streams == 0  # its place was given back


def test_more_live_pages_than_allowed_are_refused_and_told_to_retry(tmp_path):
    app = make_app(tmp_path, LIVE_MAX_STREAMS=1)
    live.hub(app).add_source("bench-3")
    client = sign_in(app)
    first = client.get("/bench/events", buffered=False)
    try:
        refused = client.get("/bench/events")
        assert refused.status_code == 503 and refused.headers["Retry-After"]
    finally:
        first.close()
    second = client.get("/bench/events", buffered=False)
    assert second.status_code == 200
    second.close()


def test_holding_the_stream_open_does_not_keep_the_sign_in_alive(app):
    client = sign_in(app)
    response = client.get("/bench/events", buffered=False)
    assert "Set-Cookie" not in response.headers
    response.close()


def test_a_bad_terminator_in_the_config_stops_start_up(tmp_path):
    with pytest.raises(ConfigError, match="SCAN_TERMINATOR"):
        make_app(tmp_path, SCAN_TERMINATOR="Space")


def test_the_bench_page_carries_the_scanner_settings_from_the_config(tmp_path):
    app = make_app(tmp_path, SCAN_GAP_MS=30, SCAN_MIN_LENGTH=6, SCAN_PREFIX="#", SCAN_TERMINATOR="Tab",
                   SCAN_GS_SUBSTITUTE="~", SCAN_REPEAT_MS=800)
    page = sign_in(app).get("/").get_data(True)
    for attribute in ('data-scan-gap-ms="30"', 'data-scan-min-length="6"', 'data-scan-prefix="#"',
                      'data-scan-terminator="Tab"', 'data-scan-gs-substitute="~"', 'data-scan-repeat-ms="800"'):
        assert attribute in page


def test_a_bench_page_holds_a_live_channel_only_where_a_serial_scanner_or_camera_pushes_scans(tmp_path, port):
    # a keyboard-wedge bench types into its page: a stream or a poll a second would be load for nothing
    app = make_app(tmp_path, BENCHES={"bench-3": {"scanner_port": port.path}})
    wedge_only = sign_in(app, station="bench-4").get("/").get_data(True)
    assert 'data-live-url=""' in wedge_only and 'data-live-poll-url=""' in wedge_only
    # a process that runs no devices (a gunicorn worker: station.wsgi) gives none either, BENCHES or not
    not_started = sign_in(app, station="bench-3").get("/").get_data(True)
    assert 'data-live-url=""' in not_started
    live.start_devices(app)  # what `run.py serve` does: bench-3's serial scanner starts
    try:
        with_scanner = sign_in(app, station="bench-3").get("/").get_data(True)
        wedge_only = sign_in(app, station="bench-4").get("/").get_data(True)
    finally:
        live.stop_devices(app)
    assert 'data-live-url="/bench/events"' in with_scanner and 'data-live-poll-url="/bench/events/poll"' in with_scanner
    assert 'data-live-url=""' in wedge_only
    # a page from before (or a script) that asks anyway holds no thread: 204, which ends an EventSource
    asked = sign_in(app, station="bench-4").get("/bench/events")
    assert asked.status_code == 204 and asked.get_data() == b"" and live.hub(app).streams == 0


def test_through_waitress_a_scan_reaches_the_open_stream_at_once_and_a_closed_page_frees_its_thread(tmp_path, port):
    """The production server: the stream is not held back in a buffer, and a page that goes
    away gives its thread back at the next keep-alive."""
    import http.client
    import http.cookiejar
    import threading
    import urllib.request

    from waitress.server import create_server

    app = make_app(tmp_path, BENCHES={"bench-3": {"scanner_port": port.path}}, LIVE_HEARTBEAT_S=0.2)
    live.start_devices(app)
    server = create_server(app, host="127.0.0.1", port=0, threads=2)
    threading.Thread(target=server.run, daemon=True).start()
    try:
        base = f"http://127.0.0.1:{server.effective_port}"
        jar = http.cookiejar.CookieJar()
        opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
        page = opener.open(f"{base}/sign-in?station=bench-3").read().decode()
        token = re.search(r'data-csrf="([^"]+)"', page).group(1)
        badge = urllib.request.Request(f"{base}/sign-in/badge", data=f"code={BADGE}".encode(),
                                       headers={"X-CSRF-Token": token, "HX-Request": "true"})
        opener.open(badge).read()
        opener.open(f"{base}/sign-in", data=f"pin={PIN}&csrf_token={token}".encode()).read()
        cookie = "; ".join(f"{c.name}={c.value}" for c in jar)

        conn = http.client.HTTPConnection("127.0.0.1", server.effective_port, timeout=10)
        conn.request("GET", "/bench/events", headers={"Cookie": cookie})
        response = conn.getresponse()
        assert response.status == 200 and response.getheader("Content-Type").startswith("text/event-stream")
        wait_for(lambda: scanner_state(app) == "ok")
        port.send(CARTON.encode() + b"\r\n")
        text = ""
        while "event: scan" not in text or not text.endswith("\n\n"):
            text += response.fp.readline().decode()  # blocks until waitress sends the line
        assert f'"code": "{CARTON}"' in text
        response.close()  # the operator closed the page
        conn.close()
        # the next keep-alive write fails, waitress closes the response: the stream is counted out
        wait_for(lambda: live.hub(app).streams == 0)
    finally:
        server.close()
        live.stop_devices(app)


def test_a_page_without_a_stream_polls_for_its_scans_once_each(tmp_path):
    app = make_app(tmp_path, LIVE_MAX_STREAMS=0)
    client = sign_in(app)
    hub = live.hub(app)
    seq = hub.publish("bench-3", "00376130321109103420", "serial")
    polled = client.get("/bench/events/poll?after=0")
    assert polled.status_code == 200 and polled.get_json()["events"] == [
        {"seq": seq, "code": "00376130321109103420", "source": "serial"}]
    assert client.get(f"/bench/events/poll?after={seq}").get_json()["events"] == []
    assert "Set-Cookie" not in polled.headers  # polling is not an operator at work
    assert client.get("/bench/events/poll?after=x").status_code == 200  # a bad `after` is 0, never a 500
