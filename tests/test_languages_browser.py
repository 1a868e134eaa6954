"""The bench in Simplified Chinese in Chromium: chosen at sign-in with a tap, kept as the user's
language, and the screens still fit the bench's 1024×768 and 1280×800 screens."""
import pytest

from tests.browser import expect, needs_chromium, open_sign_in, scan, serve, shot, station_app
from tests.helpers import query
from tests.sample import CARTON, MUG_GTIN
from tests.test_bench_browser import BADGE, PIN, assert_every_button_tappable, bench_station

pytestmark = needs_chromium

FITS = "() => document.documentElement.scrollHeight <= window.innerHeight"
WIDE = "() => document.documentElement.scrollWidth <= window.innerWidth"


@pytest.fixture
def server(tmp_path):
    with serve(station_app(bench_station(tmp_path / "station.db"))) as server:
        yield server


@pytest.mark.parametrize("width, height", [(1024, 768), (1280, 800)])
def test_an_operator_taps_chinese_at_sign_in_and_works_a_parcel_on_a_chinese_bench_that_fits(page, server, width, height):
    page.set_viewport_size({"width": width, "height": height})
    open_sign_in(page, server, "bench-zh")
    page.get_by_role("button", name="简体中文").click()
    expect(page.get_by_text("请扫描工牌")).to_be_visible()
    assert page.get_attribute("html", "lang") == "zh-Hans"
    expect(page.get_by_role("button", name="简体中文")).to_have_attribute("aria-pressed", "true")
    scan(page, BADGE)
    pin = page.locator("#pin")
    expect(pin).to_be_visible()
    for digit in PIN:
        page.get_by_role("button", name=digit, exact=True).click()
    page.locator(".key-ok").click()
    expect(page.get_by_role("button", name="退出登录")).to_be_visible()
    assert query(server, "SELECT language FROM users WHERE badge = ?", [BADGE]) == [("zh_Hans",)]
    scan(page, CARTON)
    expect(page.locator(".customer-name")).to_have_text("王小明")
    scan(page, MUG_GTIN)
    expect(page.get_by_role("button", name="A", exact=True)).to_be_visible()
    shot(page, f"zh-inspect-{width}")
    assert page.evaluate(FITS), page.evaluate("document.documentElement.scrollHeight")
    assert page.evaluate(WIDE), page.evaluate("document.documentElement.scrollWidth")
    assert_every_button_tappable(page)
    assert page.get_attribute("html", "lang") == "zh-Hans"
