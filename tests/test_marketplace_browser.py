"""An FBA removal box at the bench in real headless Chromium: opened by its tracking number after
the removal report was imported through the command line, counted with the quantity key, closed
with no refund and its shortage said. Screenshots: tests/screenshots/removal-*."""
import re
import subprocess
import sys
from pathlib import Path

import pytest

from station.db import connect
from tests.browser import expect, needs_chromium, open_sign_in, scan, serve, shooter, station_app, tap_pin
from tests.test_bench_browser import BADGE, PIN, bench_station

pytestmark = needs_chromium
ROOT = Path(__file__).resolve().parent.parent
shot = shooter("removal-")


@pytest.fixture
def server(tmp_path):
    path = bench_station(tmp_path / "station.db")
    imported = subprocess.run([sys.executable, str(ROOT / "run.py"), "import",
                               str(ROOT / "tests/samples/marketplace/amazon-removals.txt"), "--format",
                               "amazon-removals", "--db", str(path)], capture_output=True, text=True, timeout=120)
    assert imported.returncode == 0, imported.stderr
    with serve(station_app(path)) as running:
        yield running


def test_a_removal_box_is_opened_by_its_tracking_number_counted_and_closed_with_its_shortage(page, server):
    open_sign_in(page, server, "bench-rmv")
    scan(page, BADGE)
    expect(page.get_by_label("PIN")).to_be_visible()
    tap_pin(page, PIN)
    expect(page.get_by_text("Scan a parcel")).to_be_visible()
    scan(page, "1Z999AA10123456785")
    expect(page.locator("#removal-count")).to_contain_text("Removal box RMVL-2026-10-A")
    expect(page.get_by_text("Customer says")).to_have_count(0)
    shot(page, "01-opened")
    scan(page, "MP-HAT-S")
    page.locator("input[name=qty]").fill("3")
    page.get_by_role("button", name="A", exact=True).click()
    page.get_by_role("button", name=re.compile(r"^Confirm")).click()
    expect(page.locator("#removal-count tbody tr").first).to_contain_text("3")
    page.locator("#removal-count").get_by_role("button", name="Close").click()
    expect(page.locator(".message")).to_contain_text("1 × MP-HAT-S missing, 2 × MP-HAT-W missing")
    shot(page, "02-closed")
    db = connect(server["app"].config["DATABASE"])
    try:
        assert db.execute("SELECT status FROM returns").fetchall() == [("closed",)]
        assert db.execute("SELECT count(*) FROM refunds").fetchone()[0] == 0
        assert db.execute("SELECT sum(qty) FROM return_items WHERE sku = 'MP-HAT-S'").fetchone()[0] == 3
    finally:
        db.close()
