"""The devices page in real headless Chromium against a real HTTP server, a TCP printer and the
print queue's worker thread: a supervisor presses Reprint and the printer receives the label.

Debian's /usr/bin/chromium through Playwright (never a downloaded browser; the set-up is in
tests/browser.py and tests/conftest.py). Screenshots land in tests/screenshots/.
"""
import time

import pytest

from station.devices import print_queue
from hardware.decode import decode_image
from station import auth
from station.intake import label_content as labels
from station.db import connect
from tests.browser import enter_badge, expect, needs_chromium, serve, shot, station_app, tap_pin
from tests.sample import fresh, load_sample
from tests.test_hardware_printer import FakeZebra, hs_reply, wait_for_jobs
from tests.test_printing import decided

BADGE, PIN = "SV-0042", "8642"

pytestmark = needs_chromium


@pytest.fixture
def server(tmp_path):
    """The app on a real HTTP server, a printer on TCP, the queue's worker."""
    zebra = FakeZebra(hs_reply())
    path = tmp_path / "station.db"
    db = fresh(path)
    load_sample(db)
    auth.add_user(db, "Sue Visor", "supervisor", PIN, BADGE)
    item_id = decided(db, "crossdock", "SO-W1", "MUG-01")
    printer = f"zpl://127.0.0.1:{zebra.port}"
    zpl = labels.label_zpl(labels.label_data(db, item_id), "4x6", 203)
    job_id = print_queue.enqueue(db, bench="bench-1", printer=printer, payload=zpl,
                                 description=f"CROSS-DOCK RI-{item_id} (4x6)", item_id=item_id)
    db.execute("UPDATE print_jobs SET status = 'sent', attempts = 1, sent_at = created_at")
    db.close()
    app = station_app(path, PRINTER_TIMEOUT_MS=1000,
                      BENCHES={"bench-1": {"printer": printer, "scanner_port": "/dev/ttyACM0"},
                               "bench-2": {"printer": "browser", "label_size": "2x1", "dpi": 300}})
    worker = print_queue.start_worker(str(path), interval=0.1, timeout=1)
    with serve(app) as server:
        yield {**server, "zebra": zebra, "zpl": zpl, "job_id": job_id, "item_id": item_id, "printer": printer}
    worker.set()
    zebra.close()


def sign_in(page, server, station="bench-1"):
    enter_badge(page, server, BADGE, station)
    tap_pin(page, PIN)
    page.wait_for_load_state()


def test_a_supervisor_presses_reprint_on_the_devices_page_and_the_printer_receives_the_label(page, server):
    sign_in(page, server)
    page.get_by_role("link", name="Devices").click()
    expect(page.get_by_role("heading", name="Devices")).to_be_visible()
    bench_1 = page.get_by_role("region", name="Bench bench-1")
    expect(bench_1.locator(".device-printer .state")).to_have_text("ok")
    expect(bench_1.locator(".device-scanner")).to_contain_text("no driver running")
    expect(page.get_by_role("region", name="Bench bench-2")).to_contain_text("prints from the bench's browser")
    small = page.evaluate("""() => [...document.querySelectorAll('button, .btn')]
        .filter(el => el.offsetParent !== null)
        .map(el => [el.textContent.trim(), el.getBoundingClientRect()])
        .filter(([, r]) => r.width < 48 || r.height < 48)
        .map(([text, r]) => `${text} ${r.width}x${r.height}`)""")
    assert small == []  # touchscreen: every target at least 48 px
    shot(page, "devices-01-page", full_page=True)

    page.get_by_role("button", name=f"Reprint job {server['job_id']}").click()
    expect(page.get_by_role("status")).to_contain_text("Label queued again")
    received = [job for job in wait_for_jobs(server["zebra"], 1) if job != b"~HS"]
    deadline = time.time() + 10
    while not received and time.time() < deadline:
        time.sleep(0.05)
        received = [job for job in server["zebra"].jobs if job != b"~HS"]
    assert received == [server["zpl"].encode("ascii")]  # the same label, once
    db = connect(server["db"])
    try:
        statuses = db.execute("SELECT description, status FROM print_jobs ORDER BY job_id").fetchall()
    finally:
        db.close()
    assert statuses[-1] == (f"Reprint CROSS-DOCK RI-{server['item_id']} (4x6)", "sent")
    page.get_by_role("button", name="Test print").click()
    expect(page.get_by_role("status")).to_contain_text("Test label queued")
    expect(bench_1.locator(".job").first).to_contain_text("Test print")
    shot(page, "devices-02-reprinted", full_page=True)


@pytest.mark.parametrize("size", ["4x6", "2x1"])
def test_the_label_page_as_chromium_draws_it_scans_back_at_both_sizes(browser, server, size):
    # 3 device pixels per CSS pixel: 288 per inch, about a 300 dpi printer's dots
    context = browser.new_context(viewport={"width": 900, "height": 800}, device_scale_factor=3)
    page = context.new_page()
    page.set_default_timeout(10_000)
    sign_in(page, server, station="bench-2")
    page.goto(f"{server['url']}/bench/items/{server['item_id']}/label?size={size}")
    label = page.locator("main.label")
    box = label.bounding_box()
    assert (round(box["width"] / 96, 1), round(box["height"] / 96, 1)) == (float(size[0]), float(size[2]))
    path = shot(page, f"devices-03-label-{size}", full_page=True)
    read = decode_image(label.screenshot(scale="device"))
    item_code = f"RI-{server['item_id']}"
    expected = {item_code} | ({f"{item_code}/ORDER SO-W1/LANE " + labels.outbound_lane("SO-W1")} if size == "4x6" else set())
    assert {r["data"] for r in read} == expected, path
    context.close()


LONG_NAME = "Stoneware coffee mug 350 ml, matte glaze, dishwasher and microwave safe, in a gift box " * 2
OVERFLOW = """(label) => {
  // every piece of text and every code inside the label's padding box: nothing clipped or spilled
  const box = label.getBoundingClientRect(), pad = parseFloat(getComputedStyle(label).paddingLeft);
  const out = [];
  for (const el of label.querySelectorAll('.dest, .target, .lines li, .code, .barcode svg, .barcode-text')) {
    const r = el.getBoundingClientRect();
    if (r.width === 0 && r.height === 0) continue;  // not shown on this stock
    if (r.left < box.left + pad - 1 || r.right > box.right - pad + 1 || r.bottom > box.bottom + 1
        || el.scrollWidth > el.clientWidth + 1)
      out.push(`${el.className.baseVal ?? el.className}: ${el.textContent.trim().slice(0, 40)}`);
  }
  return out;
}"""


@pytest.mark.parametrize("size", ["4x6", "2x1"])
def test_every_label_title_and_a_long_order_and_name_stay_inside_the_printed_label(browser, server, size):
    # "RESTOCK" ran off the right edge of the 4x6 page; on 2x1 a marketplace order number cut the
    # cross-dock lane off; a long product name pushed the Code 128 below the 6 in page
    db = connect(server["db"])
    with db.conn:
        db.execute("UPDATE products SET name = ? WHERE sku = 'MUG-01'", [LONG_NAME])
    items = [decided(db, kind, target, sku) for kind, target, sku in [
        ("restock", "A-01-01", "MUG-01"), ("crossdock", "113-0295137-7990723", "MUG-01"),
        ("refurbish", None, "PHONE-01"), ("rtv", "SUP-RTV", "PHONE-01"), ("quarantine", None, "SHOE-01"),
        ("scrap", None, "SHOE-01")]]
    data = {item_id: labels.label_data(db, item_id) for item_id in items}
    db.close()
    context = browser.new_context(viewport={"width": 900, "height": 800}, device_scale_factor=3)
    page = context.new_page()
    page.set_default_timeout(10_000)
    sign_in(page, server, station="bench-2")
    page.emulate_media(media="print")
    for item_id in items:
        page.goto(f"{server['url']}/bench/items/{item_id}/label?size={size}")
        label = page.locator("main.label")
        assert label.evaluate(OVERFLOW) == [], data[item_id]["title"]
        if data[item_id]["kind"] == "crossdock":
            shot(page, f"devices-04-long-crossdock-{size}", full_page=True)
            assert data[item_id]["lane"] in label.locator(".target").inner_text()
        read = decode_image(label.screenshot(scale="device"))
        assert sorted((r["symbology"], r["data"]) for r in read) == sorted(labels.codes_on(data[item_id], size))
    context.close()


SVG_OVERFLOW = """(svg) => {
  // each text of the label document inside the stock, as Chromium lays out its font
  const [, , width, height] = svg.getAttribute('viewBox').split(' ').map(Number);
  return [...svg.querySelectorAll(':scope > text')].filter(t => {
    const b = t.getBBox();
    return b.x < 0 || b.y < 0 || b.x + b.width > width || b.y + b.height > height;
  }).map(t => t.textContent.slice(0, 40));
}"""


@pytest.mark.parametrize("size,dpi", [("4x6", 203), ("4x6", 300), ("2x1", 203), ("2x1", 300)])
def test_the_label_svg_an_integration_fetches_keeps_a_long_order_and_name_on_the_stock(browser, server, size, dpi):
    db = connect(server["db"])
    with db.conn:
        db.execute("UPDATE products SET name = ? WHERE sku = 'MUG-01'", [LONG_NAME])
    item_id = decided(db, "crossdock", "113-0295137-7990723", "MUG-01")
    svg = labels.label_svg(db, item_id, size, dpi)
    data = labels.label_data(db, item_id)
    db.close()
    context = browser.new_context(viewport={"width": 1300, "height": 1900})
    page = context.new_page()
    page.set_content(f"<!doctype html><body style='margin:0'>{svg}</body>")
    assert page.locator("body > svg").evaluate(SVG_OVERFLOW) == []
    assert f"lane {data['lane']}" in page.locator("body > svg").text_content()
    context.close()
