"""Scanners at the bench in real headless Chromium against a real HTTP server.

A pty stands in for the serial scanner (its reader thread started as `run.py serve` does);
keyboard-wedge bursts are typed with Playwright's keyboard. The browser set-up is in
tests/browser.py and tests/conftest.py. Screenshots: tests/screenshots/live-*.
"""
from contextlib import ExitStack

import pytest

from hardware import registry
from station.devices import live
from station.db import connect
from tests.browser import checked_page, enter_badge, expect, needs_chromium, scan, serve, shooter, station_app
from tests.fakeports import FakeSerialPort
from tests.helpers import query, wait_until
from tests.sample import CARTON, MUG_GTIN
from tests.test_bench_browser import BADGE, PIN, bench_station

pytestmark = needs_chromium
BENCH = "bench-9"
shot = shooter("live-")


@pytest.fixture
def start_server(tmp_path):
    """start_server(**config): the app on a real HTTP server, its bench devices started."""
    with ExitStack() as running:
        def start(**config):
            app = station_app(bench_station(tmp_path / "station.db"), **config)
            live.start_devices(app)
            server = running.enter_context(serve(app))
            running.callback(live.stop_devices, app)  # first: the devices stop before the server
            return server

        yield start


@pytest.fixture
def page(browser):
    yield from checked_page(browser)


def sign_in(page, server):
    enter_badge(page, server, BADGE, station=BENCH)
    expect(page.get_by_label("PIN")).to_be_visible()
    scan(page, PIN)  # typed on the keyboard, not tapped
    expect(page.get_by_text("Scan a parcel")).to_be_visible()
    body = page.locator("body")
    if live.hub(server["app"]).has_source(BENCH):
        expect(body).to_have_attribute("data-live", "open")  # its event stream is up
    else:  # nothing but the keyboard scans at this bench: no live channel held for it
        expect(body).to_have_attribute("data-live-url", "")
        assert body.get_attribute("data-live") is None


def scanner_state(server, port):
    return registry.find(server["app"], BENCH, "scanner", port.path).status()["state"]


def test_a_line_from_the_serial_scanner_opens_the_parcel_on_the_open_bench_page(page, start_server, port):
    server = start_server(BENCHES={BENCH: {"scanner_port": port.path}})
    sign_in(page, server)
    wait_until(lambda: scanner_state(server, port) == "ok")
    port.send(CARTON.encode() + b"\r\n")
    expect(page.locator(".customer-name")).to_have_text("王小明")
    # the tone and flash a wedge scan of this parcel gives (amber: SO-1's customer has flags)
    expect(page.locator(".message.tone-warn")).to_contain_text("Parcel open")
    expect(page.locator("body")).to_have_attribute("data-last-feedback", "warn")
    shot(page, "01-serial-parcel")

    port.send(MUG_GTIN.encode() + b"\r\n")
    expect(page.get_by_role("button", name="A", exact=True)).to_be_visible()
    shot(page, "02-serial-item")
    assert query(server, "SELECT raw, source, station, ok FROM scans ORDER BY scan_id") == [
        (CARTON, "serial", BENCH, 1), (MUG_GTIN, "serial", BENCH, 1)]
    assert query(server, "SELECT order_no, station FROM returns") == [("SO-1", BENCH)]


def test_an_unknown_code_from_the_serial_scanner_gives_the_error_feedback(page, start_server, port):
    server = start_server(BENCHES={BENCH: {"scanner_port": port.path}})
    sign_in(page, server)
    wait_until(lambda: scanner_state(server, port) == "ok")
    port.send(b"NOPE-4711\n")
    expect(page.locator(".message.tone-error")).to_contain_text("Unknown code")
    expect(page.locator("body")).to_have_attribute("data-last-feedback", "error")
    shot(page, "03-serial-unknown")
    assert query(server, "SELECT count(*) FROM returns") == [(0,)]


def test_the_serial_scanner_unplugged_and_plugged_back_still_drives_the_page(page, start_server, port):
    server = start_server(BENCHES={BENCH: {"scanner_port": port.path}})
    sign_in(page, server)
    wait_until(lambda: scanner_state(server, port) == "ok")
    port.unplug()
    wait_until(lambda: scanner_state(server, port) == "offline")
    port.plug()
    wait_until(lambda: scanner_state(server, port) == "ok")
    port.send(b"CTN-AR\r\n")
    expect(page.locator(".customer-name")).to_have_text("فاطمة الزهراء")
    shot(page, "04-serial-after-replug")


def test_a_scanner_sending_a_prefix_and_tab_is_read_as_configured(page, start_server):
    server = start_server(SCAN_PREFIX="#", SCAN_TERMINATOR="Tab")
    sign_in(page, server)
    scan(page, "#" + CARTON, terminator="Tab")
    expect(page.locator(".customer-name")).to_have_text("王小明")
    assert query(server, "SELECT raw, source FROM scans") == [(CARTON, "wedge")]


def test_a_group_separator_sent_as_the_configured_substitute_survives(page, start_server):
    server = start_server(SCAN_GS_SUBSTITUTE="~")
    sign_in(page, server)
    # GTIN + lot, then the serial shipped on SO-1: only a real separator ends the lot, so only
    # then does the serial find the order
    scan(page, "]C10104006381333931" + "10LOT7~21SN1")
    expect(page.locator(".customer-name")).to_have_text("王小明")
    assert query(server, "SELECT raw FROM scans") == [("]C10104006381333931" + "10LOT7\x1d21SN1",)]


def test_a_double_scan_within_a_second_is_sent_once(page, start_server):
    server = start_server()
    sign_in(page, server)
    posts = []
    page.on("request", lambda r: posts.append(r.post_data) if r.url.endswith("/bench/scan") else None)
    scan(page, CARTON)
    scan(page, CARTON)
    expect(page.locator(".customer-name")).to_have_text("王小明")
    expect(page.locator("body")).to_have_attribute("data-last-ignored", CARTON)
    shot(page, "05-double-scan")
    assert len(posts) == 1
    assert query(server, "SELECT count(*) FROM scans") == [(1,)]


def test_a_parcel_and_its_item_held_under_the_bench_camera_scan_on_the_page_once_each(page, start_server, tmp_path):
    import numpy as np
    from barcode import EAN13, Code128

    from hardware.camera import CameraReader, CameraState
    from tests.test_camera import barcode_frame, write_video

    blank = np.full((480, 640, 3), 255, np.uint8)
    clip = write_video(tmp_path / "bench.avi", [
        (0.5, blank), (1.5, barcode_frame((Code128, CARTON))), (1.0, blank),
        (1.5, barcode_frame((EAN13, MUG_GTIN[:12]))), (0.5, blank)])
    server = start_server()
    live.hub(server["app"]).add_source(BENCH)  # a camera wired by hand, as start_devices() registers one
    sign_in(page, server)
    camera = CameraReader(clip, live.publisher(live.hub(server["app"]), BENCH, "camera", 1000), bench=BENCH)
    camera.start()
    try:
        expect(page.get_by_role("button", name="A", exact=True)).to_be_visible()
        assert camera.wait_for(CameraState.ENDED)
    finally:
        camera.stop()
    expect(page.locator(".customer-name")).to_have_text("王小明")
    shot(page, "06-camera-item")
    assert query(server, "SELECT raw, source, ok FROM scans ORDER BY scan_id") == [
        (CARTON, "camera", 1), (MUG_GTIN, "camera", 1)]


def test_an_item_the_scale_finds_too_light_is_flagged_on_the_inspect_panel(page, start_server, tmp_path):
    from hardware.scale import ScaleState

    scale_port = FakeSerialPort(tmp_path / "ttyUSB0")
    try:
        server = start_server(BENCHES={BENCH: {"scale_port": scale_port.path}})
        db = connect(server["db"])
        with db.conn:
            db.execute("UPDATE products SET weight_g = 350 WHERE sku = 'MUG-01'")
        db.close()
        assert live.device(server["app"], BENCH, "scale").wait_for(ScaleState.CONNECTED)
        sign_in(page, server)
        scan(page, CARTON)
        expect(page.locator(".customer-name")).to_have_text("王小明")
        scale_port.send(b"S S      12.0 g\r\n")  # an empty mug box on the plate
        scan(page, MUG_GTIN)
        expect(page.locator(".weight")).to_have_text("Scale: 12 g · expected 350 g")
        page.get_by_role("button", name="A", exact=True).click()
        expect(page.locator(".flag", has_text="weight mismatch")).to_be_visible()
        expect(page.locator(".weight")).to_contain_text("Weighed 12 g, expected 350 g: empty box or another item?")
        shot(page, "07-weight-mismatch")
    finally:
        scale_port.close()


def test_a_bench_whose_live_stream_is_refused_says_so_and_still_gets_its_serial_scans(page, start_server, port):
    # no stream for anyone (as the 321st bench with the default 320): the page polls, and says so
    server = start_server(BENCHES={BENCH: {"scanner_port": port.path}}, LIVE_MAX_STREAMS=0)
    enter_badge(page, server, BADGE, station=BENCH)
    expect(page.get_by_label("PIN")).to_be_visible()
    scan(page, PIN)
    expect(page.get_by_text("Scan a parcel")).to_be_visible()
    expect(page.locator("body")).to_have_attribute("data-live", "polling")
    expect(page.locator("#live-note")).to_be_visible()
    expect(page.locator("#live-note")).to_contain_text("Live channel busy")
    wait_until(lambda: scanner_state(server, port) == "ok")
    port.send(CARTON.encode() + b"\r\n")
    expect(page.locator(".customer-name")).to_have_text("王小明")
    shot(page, "03-polling")
    assert query(server, "SELECT raw, source, ok FROM scans ORDER BY scan_id") == [(CARTON, "serial", 1)]
