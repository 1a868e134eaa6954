"""The report screens in real headless Chromium against a real HTTP server, on the small hand-made set.

Debian's /usr/bin/chromium through Playwright's Python API (the set-up is in tests/browser.py and
tests/conftest.py). Screenshots land in tests/screenshots/ (git-ignored) as reports-*.png. The
clock stays pinned at 2025-04-01 12:00 UTC, so the pages' default ranges cover the set.
"""
import re
from pathlib import Path

import pytest

from station import auth, timeutil
from station.db import connect, write
from station import migrations
from tests.browser import enter_badge, expect, needs_chromium, new_page, serve, shooter, station_app, tap_pin, watch
from tests.test_reports import Clock, build

SUPERVISOR, OPERATOR = ("SV-2042", "4321"), ("OP-1042", "1234")
DESK = {"width": 1440, "height": 900}

pytestmark = needs_chromium
shot = shooter("reports-", full_page=True, animations="allow")


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """One server for the module, the clock pinned at 2025-04-01 12:00 UTC while it runs."""
    with pytest.MonkeyPatch.context() as mp:
        clock = Clock()
        mp.setattr(timeutil, "now", clock)
        path = tmp_path_factory.mktemp("reports") / "station.db"
        db = connect(path)
        migrations.apply(db)
        build(db, clock)
        auth.add_user(db, "Sam Supervisor", "supervisor", SUPERVISOR[1], SUPERVISOR[0])
        auth.add_user(db, "Olga Operator", "operator", OPERATOR[1], OPERATOR[0])
        db.close()
        with serve(station_app(path)) as server:
            yield server


@pytest.fixture(scope="module")
def signed_in(browser, server):
    """A supervisor signs in once at the bench with badge and PIN; the tests reuse the session."""
    page = new_page(browser, viewport=DESK)
    sign_in(page, server)
    state = page.context.storage_state()
    page.context.close()
    return state


@pytest.fixture
def page(browser, server, signed_in):
    """A desk screen with the supervisor's session on which any browser dialog (an unescaped
    <script>alert</script>) or script error fails the test."""
    page = new_page(browser, viewport=DESK, storage_state=signed_in)
    yield page
    page.context.close()
    problems = page.dialogs + page.errors
    assert problems == [], f"a dialog opened or a script failed: {problems}"


def sign_in(page, server, who=SUPERVISOR):
    enter_badge(page, server, who[0])
    tap_pin(page, who[1])
    page.wait_for_url(re.compile(r"/(bench)?$"))


def test_a_supervisor_sees_what_to_act_on_from_the_overview(page, server):
    page.goto(f"{server['url']}/reports/")
    expect(page.get_by_role("heading", name="What to act on")).to_be_visible()
    expect(page.locator(".tile").filter(has_text="Return rate")).to_contain_text("33.3%")  # 10 of 30 units: the order with no ship date is all-time only
    skus = page.locator("section").filter(has_text="SKUs to act on")
    expect(skus.locator("tbody tr")).to_have_count(1)
    expect(skus.locator("tbody tr").first).to_contain_text("PHONE")
    expect(skus.locator("tbody tr").first).to_contain_text("Defective (50%)")
    expect(page.locator("section").filter(has_text="Suppliers to act on")).to_contain_text("Shenzhen Parts")
    expect(page.locator("svg.chart").first).to_be_visible()
    shot(page, "01-overview")


def test_return_rates_by_each_dimension_with_reasons_and_csv(page, server):
    page.goto(f"{server['url']}/reports/return-rates?period=all&sort=rate")
    table = page.locator("section").filter(has_text="Return rates by SKU").locator("table")
    expect(table.locator("tbody tr")).to_have_count(3)
    expect(table.locator("tbody tr").nth(0)).to_contain_text("PHONE")
    expect(table.locator("tbody tr").nth(0)).to_contain_text("66.7%")
    expect(table.locator("tbody tr").nth(2)).to_contain_text("Runner <shoe>")  # escaped, shown as text
    shot(page, "02-rates-sku")
    page.get_by_role("link", name="supplier", exact=True).click()
    expect(page.locator("h1")).to_have_text("Return rates by supplier")
    expect(page.get_by_text("Porto <Goods>")).to_be_visible()
    shot(page, "03-rates-supplier")
    with page.expect_download() as download:
        page.locator("section").filter(has_text="Return rates by supplier").get_by_role("link", name="CSV", exact=True).click()
    text = Path(download.value.path()).read_text("utf-8")
    assert text.splitlines() == ["key,units_shipped,units_returned,rate", "SUP-A,3,2,0.6667", "SUP-B,28,8,0.2857"]
    page.goto(f"{server['url']}/reports/return-rates?from=2025-02-01&to=2025-02-28&group_by=reason")
    expect(page.locator("table.report").first.locator("tbody tr")).to_have_count(3)  # size_fit, not_as_described, other
    shot(page, "04-rates-reason-february")


def test_bench_queues_value_customers_and_purchasing_pages(page, server):
    page.goto(f"{server['url']}/reports/bench?period=all")
    stations = page.locator("section").filter(has_text="Per station").locator("tbody tr")
    expect(stations).to_have_count(3)
    expect(stations.first).to_contain_text("bench-1")
    expect(page.locator(".tile").filter(has_text="Override rate")).to_contain_text("11.1%")  # 1 of 9
    shot(page, "05-bench")
    page.goto(f"{server['url']}/reports/queues?period=all")
    expect(page.locator("tbody tr").filter(has_text="Refurbish")).to_contain_text("40.1")
    expect(page.locator("tbody tr").filter(has_text="SO-106")).to_contain_text("6.6")
    shot(page, "06-queues")
    page.goto(f"{server['url']}/reports/value?period=all")
    expect(page.locator("tr.total").first).to_contain_text("283.50")
    shot(page, "07-value")
    page.goto(f"{server['url']}/reports/customers")
    expect(page.get_by_role("link", name="<script>alert(1)</script>")).to_be_visible()
    shot(page, "08-customers")
    page.get_by_role("link", name="<script>alert(1)</script>").click()
    expect(page.locator("table.report tbody tr")).to_have_count(3)
    shot(page, "09-customer-history")
    page.goto(f"{server['url']}/reports/purchasing")
    expect(page.locator("tbody tr").first).to_contain_text("3.7")
    expect(page.locator("tbody tr").first).to_contain_text("5.7")
    shot(page, "10-purchasing")


def test_pages_print_without_the_navigation(page, server):
    page.goto(f"{server['url']}/reports/value?period=all")
    page.emulate_media(media="print")
    expect(page.locator(".report-nav")).to_be_hidden()
    expect(page.locator("header.topbar")).to_be_hidden()
    expect(page.locator("svg.chart").first).to_be_visible()
    shot(page, "12-value-print")


def test_a_bad_parameter_is_a_page_naming_it_and_operators_are_turned_away(page, server, browser):
    resp = page.goto(f"{server['url']}/reports/return-rates?from=2025-02-31")
    assert resp.status == 400
    expect(page.get_by_role("alert")).to_contain_text("from")
    shot(page, "13-bad-parameter")
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    operator = watch(context.new_page())
    sign_in(operator, server, OPERATOR)
    assert operator.goto(f"{server['url']}/reports/").status == 403
    expect(operator.get_by_role("alert")).to_contain_text("supervisor")
    context.close()


def test_the_wall_board_fills_a_1920_wide_floor_screen(page, server):
    page.set_viewport_size({"width": 1920, "height": 1080})
    page.goto(f"{server['url']}/reports/board?refresh=60")
    box = page.locator(".reports.board").bounding_box()
    assert box["width"] >= 1860, box  # the desk pages' 1400 px column left a quarter of the screen empty
    shot(page, "11a-board-1920", full_page=False)


def test_the_wall_board_refreshes_itself(page, server):
    """Last in the module: it opens one more parcel."""
    page.set_viewport_size({"width": 1280, "height": 800})
    page.goto(f"{server['url']}/reports/board?refresh=1")
    open_tile = page.locator(".tile").filter(has_text="Open parcels").locator(".value")
    expect(open_tile).to_have_text("1")
    shot(page, "11-board", full_page=False)
    db = connect(server["db"])
    with write(db):  # another parcel is opened at a bench
        db.execute("INSERT INTO returns (order_no, code, match, station, status, opened_at) "
                   "VALUES ('SO-109', 'SO-109', 'order', 'bench-4', 'open', '2025-04-01T11:00:00Z')")
    db.close()
    expect(open_tile).to_have_text("2", timeout=8_000)  # no reload: the board fetched itself
    expect(page.locator("#board")).to_contain_text("bench-4")
    shot(page, "11b-board-refreshed", full_page=False)


# every report page with a table; the customer's history is reached from the list
REPORT_PAGES = ["/reports/", "/reports/return-rates?period=all", "/reports/return-rates?period=all&group_by=supplier",
                "/reports/return-rates?period=all&group_by=reason", "/reports/bench?period=all",
                "/reports/queues?period=all", "/reports/value?period=all", "/reports/customers",
                "/reports/purchasing", "/reports/board?refresh=60"]

# Each table.report: the page does not scroll sideways, and the table either shows whole (inside
# every box that clips it, and the window) or sits in a box of its own (the table alone in it)
# that scrolls sideways; a whole panel scrolling, its heading and CSV link with it, is not that.
_TABLES_FIT_OR_SCROLL = """() => {
  const problems = [];
  const root = document.documentElement;
  if (root.scrollWidth > window.innerWidth) problems.push(`the page scrolls sideways: ${root.scrollWidth} > ${window.innerWidth}`);
  document.querySelectorAll("table.report").forEach((table, n) => {
    const name = `table ${n} (${(table.querySelector("th") || {}).textContent || ""})`;
    const rect = table.getBoundingClientRect();
    let box = table.parentElement;
    while (box && box !== document.body && !/(auto|scroll|hidden|clip)/.test(getComputedStyle(box).overflowX)) box = box.parentElement;
    const clipper = box && box !== document.body ? box : null;
    const edge = clipper ? Math.min(clipper.getBoundingClientRect().right, window.innerWidth) : window.innerWidth;
    const whole = rect.right <= edge + 1 && rect.left >= -1 && table.scrollWidth <= Math.ceil(rect.width) + 1;
    if (whole) return;
    if (!clipper) { problems.push(`${name} runs past the window with no box of its own to scroll`); return; }
    const style = getComputedStyle(clipper).overflowX;
    if (!(style === "auto" || style === "scroll") || clipper.scrollWidth <= clipper.clientWidth)
      problems.push(`${name} is cut off by a box that does not scroll (overflow-x ${style})`);
    else if (clipper.children.length !== 1 || clipper.firstElementChild !== table)
      problems.push(`${name} scrolls only with the panel around it (${clipper.className}), headings and all`);
  });
  return problems;
}"""


@pytest.mark.parametrize("size", [{"width": 1024, "height": 768}, {"width": 1280, "height": 800}],
                         ids=["1024x768", "1280x800"])
def test_every_report_table_fits_or_scrolls_inside_its_own_box(page, server, size):
    page.set_viewport_size(size)
    urls = list(REPORT_PAGES)
    page.goto(f"{server['url']}/reports/customers")
    urls.append(page.get_by_role("link", name="<script>alert(1)</script>").get_attribute("href"))
    problems = []
    for url in urls:
        page.goto(f"{server['url']}{url}")
        expect(page.locator("table.report").first).to_be_attached()
        problems += [f"{url}: {problem}" for problem in page.evaluate(_TABLES_FIT_OR_SCROLL)]
    assert problems == [], f"at {size['width']}x{size['height']}:\n" + "\n".join(problems)


def test_a_floor_display_asked_in_chinese_stays_in_chinese_as_it_refreshes(browser, server):
    """A TV signs no one in: its language is the link's ?lang=, kept by every refresh it fetches."""
    from station.reporting import displays

    db = connect(server["db"])
    token = displays.create(db, "TV by dock 3", "sam")["token"]
    db.close()
    tv = new_page(browser, viewport={"width": 1920, "height": 1080})
    asked = []
    tv.on("request", lambda request: asked.append(request.url) if "/reports/floor/" in request.url else None)
    tv.goto(f"{server['url']}/reports/floor/{token}?lang=zh_Hans&refresh=1")
    expect(tv.locator("html")).to_have_attribute("lang", "zh-Hans")
    expect(tv.locator("h1")).to_have_text("今日退货")
    tv.wait_for_function("n => performance.getEntriesByType('resource').filter(e => e.name.includes('/reports/floor/')).length >= n", arg=2)
    refreshes = asked[1:]
    assert refreshes and all("lang=zh_Hans" in url for url in refreshes), asked
    expect(tv.locator(".floor-foot")).to_contain_text("更新于")
    expect(tv.locator("h1")).to_have_text("今日退货")
    shot(tv, "14-floor-zh-1920", full_page=False)
    tv.context.close()
    assert tv.errors == [] and tv.dialogs == []
