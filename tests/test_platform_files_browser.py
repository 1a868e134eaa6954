"""The Platform files panel in real headless Chromium: big targets, a refused location named next to
its field, the files saved as downloads (tests/browser.py has the set-up)."""
import csv
from pathlib import Path

import pytest

from station import auth
from station.data.importer import import_rows
from tests.browser import expect, needs_chromium, serve, shooter, sign_in_as, station_app
from tests.sample import fresh, load_sample
from tests.test_platform_files import SHOPIFY_HEADER, marketplace_rows

ADMIN = ("Ada Admin", "AD-3001", "9999")
pytestmark = needs_chromium
shot = shooter("platform-files-", full_page=True)


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    path = tmp_path_factory.mktemp("platform") / "station.db"
    db = fresh(path)
    load_sample(db)
    import_rows(db, marketplace_rows())
    auth.add_user(db, ADMIN[0], "admin", ADMIN[2], ADMIN[1])
    db.close()
    with serve(station_app(path)) as running:
        yield running


def test_an_admin_downloads_shopifys_file_for_a_location_after_a_blank_one_is_refused_next_to_its_field(page, server):
    sign_in_as(page, server, ADMIN)
    page.goto(f"{server['url']}/admin/integrations")
    panel = page.locator("#platform-files")
    small = panel.evaluate("""panel => [...panel.querySelectorAll('button, input, select')]
        .map(el => [el.name || el.textContent.trim(), el.getBoundingClientRect()])
        .filter(([, r]) => r.width < 48 || r.height < 48).map(([name, r]) => `${name} ${r.width}x${r.height}`)""")
    assert small == []

    panel.get_by_role("button", name="Download Shopify inventory").click()
    panel = page.locator("#platform-files")
    expect(panel.locator("#pf-location-error")).to_have_text("give the Shopify location's name, exactly as Shopify shows it")
    expect(panel.get_by_label("Shopify location")).to_have_attribute("aria-invalid", "true")
    shot(page, "01-location-refused")

    panel.get_by_label("Shopify location").fill("Lager Nord")
    with page.expect_download() as info:
        panel.get_by_role("button", name="Download Shopify inventory").click()
    download = info.value
    assert download.suggested_filename.startswith("shopify-inventory_") and download.suggested_filename.endswith(".csv")
    header, *rows = list(csv.reader(Path(download.path()).open(encoding="utf-8", newline="")))
    assert ",".join(header) == SHOPIFY_HEADER
    assert [(r[header.index("SKU")], r[header.index("Location")], r[header.index("On hand (new)")]) for r in rows] == \
        [("TEE-RED/M", "Lager Nord", "3")]

    page.goto(f"{server['url']}/admin/integrations")
    panel = page.locator("#platform-files")
    panel.get_by_label("Channel").select_option("amazon")
    with page.expect_download() as info:
        panel.get_by_role("button", name="Download channel refunds").click()
    assert info.value.suggested_filename.startswith("refunds_amazon_")
    assert Path(info.value.path()).read_text("utf-8").startswith("channel,order_no,rma_no,refund_id")
