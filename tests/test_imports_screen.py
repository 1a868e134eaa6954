"""The Imports and Reason codes screens (Flask's test client), POST /api/imports, and one run of the
Imports screen in Debian's Chromium.

Files are the platforms' own (tests/samples/marketplace/); each test asserts what the page or the API
answered and what landed in the database (a whole-database dump where nothing may change).
"""
import html
import io
import re
from pathlib import Path

import pytest

from station import auth, create_app
from station.data.marketplace import mappings
from station.data.marketplace.presets import PRESETS
from station.db import connect
from tests import helpers
from tests.helpers import query, screen_as
from tests.sample import fresh, load_sample

try:  # the Chromium test needs Playwright; the rest of the module does not
    from tests.browser import expect, needs_chromium, serve, shooter, sign_in_as, station_app
except pytest.skip.Exception:
    needs_chromium = pytest.mark.skip(reason="Playwright is not installed")

SAMPLES = Path(__file__).resolve().parent / "samples" / "marketplace"
CSRF = "imports-csrf"
USERS = {"admin": ("Ada Admin", "AD-3001", "9999"), "supervisor": ("Sam Supervisor", "SV-2001", "4321"),
         "operator": ("Olga Operator", "OP-1001", "1234")}
AMAZON_ORDERS = ("113-4826613-7751405", "302-1234567-7654321", "503-7777777-1111111")


def station_db(path):
    db = fresh(path)
    load_sample(db)
    for role, (name, badge, pin) in USERS.items():
        auth.add_user(db, name, role, pin, badge)
    return db


@pytest.fixture
def app(tmp_path):
    path = tmp_path / "station.db"
    station_db(path).close()
    return create_app({"DATABASE": str(path), "SECRET_KEY": "imports-test", "TESTING": True,
                       "PHOTO_DIR": str(tmp_path / "photos")})


@pytest.fixture
def db(app):
    handle = connect(app.config["DATABASE"])
    yield handle
    handle.close()


class Screen(helpers.Screen):
    """A signed-in browser that also sends files as multipart."""

    def upload(self, url, format_name, name, data=None, **fields):
        """The upload form sent with `name` (a sample file's, or `data` under that name)."""
        data = (SAMPLES / name).read_bytes() if data is None else data
        return self.post(url, format=format_name, file=(io.BytesIO(data), name), **fields)


def signed_in(app, role):
    return screen_as(app, USERS[role][0], CSRF, Screen)


@pytest.fixture
def admin(app):
    return signed_in(app, "admin")


@pytest.fixture
def supervisor(app):
    return signed_in(app, "supervisor")


def text(response):
    return response.get_data(as_text=True)


def dump(db):
    """Every row of the database, except the bench sessions signing in makes."""
    return "\n".join(line for line in db.conn.iterdump() if "bench_sessions" not in line)


def field_error(response, key):
    found = re.search(rf'id="{key}-error"[^>]*>([^<]*)<', text(response))
    return html.unescape(found.group(1)) if found else None


def section(page, widget_id):
    start = page.index(f'id="{widget_id}"')
    return page[start:page.index("</section>", start)]


def counts(page):
    """{table: n} of the counts table of the result."""
    return {t: int(n) for t, n in re.findall(r'data-count="(\w+)"><td>[^<]*</td><td class="num">(\d+)<', page)}


def problems(page):
    return [html.unescape(p) for p in re.findall(r"<li><code>([^<]*)</code></li>", section(page, "import-result"))]


def broken_orders():
    """The Amazon order report with three bad rows: a date (line 3), a quantity (4), no order number (5)."""
    lines = (SAMPLES / "amazon-orders.txt").read_text(encoding="utf-8").splitlines()
    header, rows = lines[0], lines[1:]
    bad = [rows[0], rows[1].replace("2026-10-03T14:18:23-07:00", "yesterday", 1),
           rows[2].replace("\t1\tEUR\t", "\ttwo\tEUR\t"), rows[3].replace("503-7777777-1111111", "")]
    return ("\n".join([header] + bad) + "\n").encode()


BROKEN_PROBLEMS = ("orders.txt:3: purchase-date: not a date", "orders.txt:4: quantity-purchased: not a quantity",
                   "orders.txt:5: order-id: an order number is required")


def amazon_orders(db):
    """The report's orders as stored (the sample set has an Amazon order of its own, SO-2)."""
    return db.execute("SELECT order_no, channel, currency, customer_id FROM orders WHERE order_no IN (?, ?, ?) "
                      "ORDER BY order_no", AMAZON_ORDERS).fetchall()


# --- the Imports screen ---------------------------------------------------------------------------

def test_the_screen_offers_the_six_presets_with_their_sources_then_the_saved_mappings(admin, db):
    mappings.save(db, "erp-orders", "orders", {"order_no": "No", "placed_at": "Date", "sku": "SKU", "qty": "Qty",
                                               "unit_price": "Price"}, {"currency": "EUR"}, "Ada Admin")
    response = admin.get("/admin/imports")
    page = text(response)
    assert response.status_code == 200
    assert re.findall(r'name="format" value="([^"]+)"', page) == list(PRESETS) + ["erp-orders"]
    for preset in PRESETS.values():
        assert preset["title"] in page
        assert all(f'href="{url}"' in page for url in preset["sources"])
    upload = section(page, "import-upload")
    assert 'enctype="multipart/form-data"' in upload and 'hx-encoding="multipart/form-data"' in upload
    assert "CSV, TSV, TXT or XLSX, at most 20 MB" in upload and 'name="csrf_token"' in upload
    assert 'hx-post="/admin/imports/preview"' in upload and 'hx-post="/admin/imports/run"' in upload
    assert re.findall(r"<script(?![^>]*\bsrc=)", page) == []  # no inline script (the CSP allows none)
    assert "https://" not in "".join(re.findall(r'<(?:script|link)[^>]*>', page))  # nothing from a CDN
    # the mapping form: one field per field of the target, the required ones marked
    form = section(page, "import-mapping")
    assert re.findall(r'name="column-(\w+)"', form) == ["order_no", "placed_at", "sku", "qty", "unit_price", "line_total",
                                                          "currency", "customer_key", "customer_name", "email", "phone",
                                                          "country", "status", "shipped_at", "tracking_no", "carrier",
                                                          "product_name", "cancelled_at"]
    assert len(re.findall(r'<abbr title="required">\*</abbr>', form)) == 4
    assert 'data-mapping="erp-orders"' in section(page, "import-mappings")


def test_a_preview_shows_the_header_the_rows_as_the_mapping_reads_them_and_the_counts_and_writes_nothing(admin, db):
    before = dump(db)
    response = admin.upload("/admin/imports/preview", "amazon-orders", "amazon-orders.txt")
    page = text(response)
    assert response.status_code == 200
    assert "No problem found" in page and "<html" not in page.lower()  # the result widget for htmx
    assert counts(page) == {"customers": 3, "products": 3, "orders": 3, "order_lines": 4}
    assert "(30 columns)" in page and "<code>order-id</code> · <code>order-item-id</code>" in page
    # field -> the column it is read from -> the value on each of the first rows
    row = re.search(r'<tr data-field="(\w+)"><th scope="row"[^>]*><code>\1</code></th><td>([^<]*)</td>(.*?)</tr>',
                    page[page.index('data-field="qty"') - 4:], re.S)
    assert row.group(1, 2) == ("qty", "quantity-purchased")
    assert re.findall(r'<bdi dir="auto">([^<]*)</bdi>', row.group(3)) == ["2", "1", "1", "1"]
    assert "Schreibtischlampe „Eiche“" in page and "<th scope=\"col\">Line 5</th>" in page
    assert 'id="import-formats" class="form-field" hx-swap-oob="true"' in page  # the chosen format stays chosen
    assert 'value="amazon-orders" checked' in page
    assert dump(db) == before


def test_importing_the_amazon_order_report_through_the_screen_creates_its_orders(admin, db):
    response = admin.upload("/admin/imports/run", "amazon-orders", "amazon-orders.txt")
    page = text(response)
    assert response.status_code == 200
    assert "Imported 4 rows of the file in one go." in page
    assert counts(page) == {"customers": 3, "products": 3, "orders": 3, "order_lines": 4}
    assert [(o[0], o[1], o[2]) for o in amazon_orders(db)] == [
        ("113-4826613-7751405", "amazon", "USD"), ("302-1234567-7654321", "amazon", "EUR"),
        ("503-7777777-1111111", "amazon", "JPY")]
    lines = db.execute("SELECT sku, qty, unit_price FROM order_lines WHERE order_no = ? ORDER BY line_no",
                       [AMAZON_ORDERS[0]]).fetchall()
    assert lines == [("MP-HAT-S", 2, 9.88), ("MP-HAT-W", 1, 10)]
    # the same file again changes nothing
    after = dump(db)
    assert admin.upload("/admin/imports/run", "amazon-orders", "amazon-orders.txt").status_code == 200
    assert dump(db) == after


def test_a_bad_file_shows_every_problem_as_file_line_and_writes_nothing(admin, db):
    before = dump(db)
    preview = admin.upload("/admin/imports/preview", "amazon-orders", "orders.txt", broken_orders())
    assert preview.status_code == 200
    assert "3 problems: importing this file now would write nothing" in text(preview)
    assert all(any(p.startswith(want) for p in problems(text(preview))) for want in BROKEN_PROBLEMS)
    response = admin.upload("/admin/imports/run", "amazon-orders", "orders.txt", broken_orders())
    page = text(response)
    assert response.status_code == 400
    assert "Nothing imported: 3 problems in the file." in page
    listed = problems(page)
    assert len(listed) == 3 and all(any(p.startswith(want) for p in listed) for want in BROKEN_PROBLEMS), listed
    assert dump(db) == before


@pytest.mark.parametrize("url", ["/admin/imports/preview", "/admin/imports/run"])
def test_a_missing_file_a_missing_format_or_an_unknown_one_is_named_next_to_its_field(admin, db, url):
    before = dump(db)
    no_file = admin.post(url, format="amazon-orders")
    assert no_file.status_code == 400 and field_error(no_file, "file") == "choose the file to read"
    no_format = admin.upload(url, "", "amazon-orders.txt")
    assert no_format.status_code == 400 and field_error(no_format, "format") == "choose the file's format"
    unknown = admin.upload(url, "walmart-orders", "amazon-orders.txt")
    assert unknown.status_code == 404
    assert field_error(unknown, "format").startswith("No preset or saved mapping named 'walmart-orders' (known: amazon-orders")
    pdf = admin.upload(url, "amazon-orders", "orders.pdf", b"%PDF-1.7")
    assert pdf.status_code == 400 and field_error(pdf, "file") == "a .pdf file: choose a CSV, TSV, TXT or XLSX file"
    assert "Nothing read:" in text(pdf) and 'id="file-error" class="field-error" role="alert" hx-swap-oob="true"' in text(pdf)
    assert dump(db) == before


def test_a_file_over_20_mb_is_refused_with_413_on_the_screen_and_through_the_api(app, admin, db):
    token = auth.new_token(db, "Ada Admin")
    before = dump(db)
    big = b"order-id\tsku\n" + b"1\tA\n" * (20 * 1024 * 1024 // 4)
    response = admin.upload("/admin/imports/run", "amazon-orders", "big.txt", big)
    assert response.status_code == 413 and field_error(response, "file") == "larger than 20 MB"
    assert 'id="import-formats"' not in text(response)  # never read: the page keeps the format chosen
    api = app.test_client().post("/api/imports", data={"format": "amazon-orders", "file": (io.BytesIO(big), "big.txt")},
                                 headers={"Authorization": f"Bearer {token}"})
    assert api.status_code == 413
    assert api.get_json()["error"] == {"code": "too_large", "message": "file: larger than 20 MB", "field": "file"}
    assert dump(db) == before


def test_a_script_in_a_file_cell_or_its_name_is_shown_as_text(admin, db):
    data = (SAMPLES / "amazon-orders.txt").read_bytes().replace(b"Mens Winter Hat", b"<script>alert(1)</script>")
    name = "<img src=x onerror=alert(2)>.txt"
    preview = text(admin.upload("/admin/imports/preview", "amazon-orders", name, data))
    assert "<script>alert(1)" not in preview and "&lt;script&gt;alert(1)&lt;/script&gt;" in preview
    imported = text(admin.upload("/admin/imports/run", "amazon-orders", name, data))
    for page in (preview, imported):
        assert "<script>alert" not in page and "<img src=x" not in page
        assert "&lt;img src=x onerror=alert(2)&gt;.txt" in page
    assert db.execute("SELECT name FROM products WHERE sku = 'MP-HAT-W'").fetchone()[0] == "<script>alert(1)</script>"
    # in a problem, too
    bad = data.replace(b"\t2\tUSD\t", b"\t<script>alert(3)</script>\tUSD\t")
    page = text(admin.upload("/admin/imports/run", "amazon-orders", "orders.txt", bad))
    assert "<script>alert(3)" not in page and "&lt;script&gt;alert(3)&lt;/script&gt;" in page


def test_a_number_too_long_to_read_is_a_bad_row_named_with_its_line_and_nothing_is_written(admin, db):
    before = dump(db)
    data = (SAMPLES / "amazon-orders.txt").read_bytes().replace(b"\t19.76\t", b"\t" + b"1" * 300 + b"\t")
    for url in ("/admin/imports/preview", "/admin/imports/run"):
        response = admin.upload(url, "amazon-orders", "orders.txt", data)
        assert response.status_code in (200, 400) and "orders.txt:2: item-price: not an amount (too many digits)" in \
            html.unescape(text(response))
    assert admin.upload("/admin/imports/run", "amazon-orders", "orders.txt", data).status_code == 400
    assert dump(db) == before


# --- saved mappings -------------------------------------------------------------------------------

def test_a_mapping_saved_on_the_screen_reads_an_erp_export_which_then_imports(admin, db):
    response = admin.post("/admin/imports/mappings", name="erp-orders", target="orders", **{
        "column-order_no": "单号", "column-placed_at": "下单时间", "column-sku": "SKU | 货号", "column-qty": "数量",
        "column-unit_price": "单价", "column-customer_key": "买家ID", "column-customer_name": "收件人",
        "column-country": "国家"}, channel="dhgate", dates="ymd", currency="cny")
    page = text(response)
    assert response.status_code == 200
    assert "Saved the mapping erp-orders (orders)" in page
    assert 'data-mapping="erp-orders"' in page and 'value="erp-orders"' in page  # the list and the formats follow
    saved = mappings.get(db, "erp-orders")
    assert saved["columns"]["sku"] == ["SKU", "货号"] and saved["columns"]["order_no"] == ["单号"]
    assert saved["options"] == {"channel": "dhgate", "dates": "ymd", "currency": "CNY"}
    export = ("单号,下单时间,货号,数量,单价,收件人,国家,买家ID\n"
              "DH-1,2026/10/01 08:30:00,MP-LAMP,2,129.50,李雷,CN,buyer-1\n").encode()
    imported = admin.upload("/admin/imports/run", "erp-orders", "erp.csv", export)
    assert imported.status_code == 200 and counts(text(imported))["orders"] == 1
    assert db.execute("SELECT channel, currency, customer_id FROM orders WHERE order_no = 'DH-1'").fetchone() == (
        "dhgate", "CNY", "dhgate:buyer-1")
    # Change fills the form from the saved mapping; Delete removes it from the list and the formats
    form = text(admin.get("/admin/imports/mapping?edit=erp-orders", htmx=True))
    assert 'name="column-sku" class="field" value="SKU | 货号"' in form and 'value="dhgate"' in form
    deleted = admin.post("/admin/imports/mappings/erp-orders/delete")
    assert deleted.status_code == 200 and "Deleted the mapping erp-orders" in text(deleted)
    assert 'value="erp-orders"' not in text(deleted) and mappings.saved(db) == []
    assert admin.post("/admin/imports/mappings/erp-orders/delete").status_code == 404


def test_a_mapping_without_a_required_column_or_with_a_bad_name_is_refused_next_to_its_fields(admin, db):
    response = admin.post("/admin/imports/mappings", name="half", target="orders", **{"column-order_no": "No"})
    assert response.status_code == 400
    assert "placed_at" in field_error(response, "columns") and "unit_price or line_total" in field_error(response, "columns")
    assert field_error(response, "column-sku") == "required" and field_error(response, "column-order_no") is None
    assert 'name="column-order_no" class="field" value="No"' in text(response)  # kept to correct
    named = admin.post("/admin/imports/mappings", name="Bad Name!", target="returns")
    assert named.status_code == 400 and "lower-case letters" in field_error(named, "name")
    preset = admin.post("/admin/imports/mappings", name="amazon-orders", target="orders")
    assert "built-in preset" in field_error(preset, "name")
    assert mappings.saved(db) == []


def test_choosing_another_target_shows_its_fields_and_keeps_what_was_typed(admin):
    page = text(admin.get("/admin/imports/mapping?target=returns&name=erp&column-order_no=No&column-unit_price=P",
                          htmx=True))
    assert page.lstrip().startswith('<section id="import-mapping"') and "<html" not in page
    assert re.findall(r'name="column-(\w+)"', page)[:4] == ["rma_no", "order_no", "sku", "qty"]
    assert 'name="column-order_no" class="field" value="No"' in page and "column-unit_price" not in page
    assert 'id="mapping-name" name="name" class="field" value="erp"' in page


# --- roles ----------------------------------------------------------------------------------------

def test_an_operator_gets_403_on_both_screens_and_a_supervisor_on_imports_and_nothing_is_written(app, db):
    before = dump(db)
    operator, supervisor = signed_in(app, "operator"), signed_in(app, "supervisor")
    for screen in (operator, supervisor):
        assert screen.get("/admin/imports").status_code == 403
        assert screen.upload("/admin/imports/run", "amazon-orders", "amazon-orders.txt").status_code == 403
        assert screen.post("/admin/imports/mappings", name="x", target="orders").status_code == 403
    assert operator.get("/admin/reasons").status_code == 403
    assert operator.post("/admin/reasons", channel="amazon", code="X", reason="other").status_code == 403
    assert operator.post("/admin/reasons/dismiss", channel="amazon", code="X").status_code == 403
    assert supervisor.get("/admin/reasons").status_code == 200
    assert dump(db) == before
    # the links above the admin screens: only those the badge opens
    assert 'href="/admin/reasons"' in text(supervisor.get("/admin/policy"))
    assert 'href="/admin/imports"' not in text(supervisor.get("/admin/policy"))


# --- the Reason codes screen ----------------------------------------------------------------------

def import_returns(admin):
    """The order report then the returns report, through the screen: AMZ-PG-WJ-TOO-SMALL has no mapping."""
    assert admin.upload("/admin/imports/run", "amazon-orders", "amazon-orders.txt").status_code == 200
    response = admin.upload("/admin/imports/run", "amazon-returns", "amazon-returns.txt")
    assert response.status_code == 200
    return text(response)


def test_a_supervisor_maps_a_code_an_import_met_unmapped_and_the_waiting_rma_gets_the_reason_and_an_audit_row(
        admin, supervisor, db):
    result = import_returns(admin)
    assert 'data-unmapped="AMZ-PG-WJ-TOO-SMALL"' in result and 'href="/admin/reasons"' in result
    assert db.execute("SELECT reason, channel_reason FROM rmas WHERE rma_no = 'Dk2mQ9xPRRMA'").fetchone() == (
        None, "AMZ-PG-WJ-TOO-SMALL")
    page = text(supervisor.get("/admin/reasons"))
    waiting = section(page, "reason-waiting")
    row = waiting[waiting.index('data-waiting="amazon:AMZ-PG-WJ-TOO-SMALL"'):]
    assert "amazon-returns.txt:4" in row and '<td class="num">1</td>' in row  # first seen in FILE:LINE, 1 RMA waits
    assert re.search(r'href="/admin/reasons" aria-current="page"[^>]*>Reason codes<span id="reason-count">&nbsp;· 1 waiting</span>',
                     page)
    response = supervisor.post("/admin/reasons", widget="waiting", channel="amazon", code="AMZ-PG-WJ-TOO-SMALL",
                               reason="size_fit")
    page = text(response)
    assert response.status_code == 200
    assert "amazon AMZ-PG-WJ-TOO-SMALL → Size / fit (customer side); 1 RMA waiting for it got the reason" in page
    assert "No code is waiting" in section(page, "reason-waiting")
    assert 'id="reason-audit" class="panel" hx-swap-oob="true"' in page and "Sam Supervisor" in section(page, "reason-audit")
    assert 'id="reason-count" hx-swap-oob="true"></span>' in page
    assert db.execute("SELECT reason FROM rmas WHERE rma_no = 'Dk2mQ9xPRRMA'").fetchone()[0] == "size_fit"
    assert db.execute("SELECT channel, code, old_reason, new_reason, changed_by FROM channel_reason_audit").fetchall() == [
        ("amazon", "AMZ-PG-WJ-TOO-SMALL", None, "size_fit", "Sam Supervisor")]
    assert db.execute("SELECT reason FROM channel_reasons WHERE channel = 'amazon' AND code = 'AMZ-PG-WJ-TOO-SMALL'"
                      ).fetchone()[0] == "size_fit"


def test_a_supervisor_dismisses_a_waiting_code_and_its_rma_is_left_to_the_bench(admin, supervisor, db):
    import_returns(admin)
    response = supervisor.post("/admin/reasons/dismiss", channel="amazon", code="AMZ-PG-WJ-TOO-SMALL")
    page = text(response)
    assert response.status_code == 200 and "Dismissed amazon AMZ-PG-WJ-TOO-SMALL" in page
    assert "No code is waiting" in section(page, "reason-waiting")
    assert "dismissed, left unmapped" in section(page, "reason-audit")
    assert db.execute("SELECT dismissed_by FROM unmapped_reasons").fetchall() == [("Sam Supervisor",)]
    assert db.execute("SELECT reason FROM rmas WHERE rma_no = 'Dk2mQ9xPRRMA'").fetchone()[0] is None
    again = supervisor.post("/admin/reasons/dismiss", channel="amazon", code="AMZ-PG-WJ-TOO-SMALL")
    assert again.status_code == 404 and "no longer waiting" in text(again)


def test_a_supervisor_changes_a_mapping_and_adds_one_and_a_bad_value_is_refused_next_to_its_field(supervisor, db):
    old = db.execute("SELECT reason FROM channel_reasons WHERE channel = 'amazon' AND code = 'AMZ-PG-BAD-DESC'").fetchone()[0]
    changed = supervisor.post("/admin/reasons", widget="mappings", channel="amazon", code="AMZ-PG-BAD-DESC",
                              reason="defective")
    assert changed.status_code == 200 and "amazon AMZ-PG-BAD-DESC → Defective (seller side)" in text(changed)
    row = section(text(changed), "reason-mappings").split('data-mapping="amazon:AMZ-PG-BAD-DESC"')[1].split("</tr>")[0]
    assert '<span class="reason-label">Defective</span> <span class="hint">seller side</span>' in row
    added = supervisor.post("/admin/reasons", widget="form", channel="DHgate", code="not_as_pictured", reason="not_as_described")
    assert added.status_code == 200 and "dhgate NOT_AS_PICTURED → Not as described" in text(added)
    assert db.execute("SELECT channel, code, old_reason, new_reason FROM channel_reason_audit ORDER BY audit_id").fetchall() == [
        ("amazon", "AMZ-PG-BAD-DESC", old, "defective"), ("dhgate", "NOT_AS_PICTURED", None, "not_as_described")]
    before = dump(db)
    for fields, key in (({"channel": "dhgate", "code": "X", "reason": ""}, "reason"),
                        ({"channel": "", "code": "X", "reason": "other"}, "channel"),
                        ({"channel": "dhgate", "code": "", "reason": "other"}, "code")):
        refused = supervisor.post("/admin/reasons", widget="form", **fields)
        assert refused.status_code == 400 and field_error(refused, key), fields
        assert "hx-swap-oob" not in text(refused)  # the form alone: nothing else changed
    script = supervisor.post("/admin/reasons", widget="form", channel="dhgate", code="<script>alert(1)</script>", reason="")
    assert "<script>alert(1)" not in text(script) and "&lt;script&gt;alert(1)&lt;/script&gt;" in text(script)
    assert dump(db) == before


# --- POST /api/imports ----------------------------------------------------------------------------

def api_post(app, token, **fields):
    return app.test_client().post("/api/imports", data=fields, headers={"Authorization": f"Bearer {token}"})


def sample_file(name, data=None):
    return (io.BytesIO((SAMPLES / name).read_bytes() if data is None else data), name)


def test_the_api_previews_a_file_writing_nothing_then_imports_it(app, db):
    token = auth.new_token(db, "Ada Admin")
    before = dump(db)
    seen = api_post(app, token, format="amazon-orders", preview="1", file=sample_file("amazon-orders.txt"))
    assert seen.status_code == 200
    body = seen.get_json()
    assert body["problems"] == [] and body["counts"] == {"customers": 3, "order_lines": 4, "orders": 3, "products": 3}
    assert body["columns"]["qty"] == "quantity-purchased" and body["rows"][0]["cells"]["order_no"] == AMAZON_ORDERS[0]
    assert dump(db) == before
    done = api_post(app, token, format="amazon-orders", file=sample_file("amazon-orders.txt"))
    assert done.status_code == 200
    assert done.get_json() == {"format": "amazon-orders", "rows": 4, "unmapped": [],
                               "tables": {"customers": 3, "order_lines": 4, "orders": 3, "products": 3}}
    assert [o[0] for o in amazon_orders(db)] == list(AMAZON_ORDERS)
    returns = api_post(app, token, format="amazon-returns", file=sample_file("amazon-returns.txt")).get_json()
    assert returns["unmapped"] == ["AMZ-PG-WJ-TOO-SMALL"] and returns["tables"]["rmas"] == 3


def test_the_api_answers_every_bad_row_as_file_line_in_a_400_and_writes_nothing(app, db):
    token = auth.new_token(db, "Ada Admin")
    before = dump(db)
    response = api_post(app, token, format="amazon-orders", file=sample_file("orders.txt", broken_orders()))
    assert response.status_code == 400
    error = response.get_json()["error"]
    assert error["code"] == "import_failed" and error["message"] == "3 problems in orders.txt: nothing imported"
    assert len(error["errors"]) == 3
    assert all(any(e.startswith(want) for e in error["errors"]) for want in BROKEN_PROBLEMS), error["errors"]
    assert dump(db) == before


def test_the_api_answers_404_for_an_unknown_format_and_400_naming_a_missing_file_or_format(app, db):
    token, supervisor = auth.new_token(db, "Ada Admin"), auth.new_token(db, "Sam Supervisor")
    before = dump(db)
    unknown = api_post(app, token, format="walmart-orders", file=sample_file("amazon-orders.txt"))
    assert unknown.status_code == 404 and unknown.get_json()["error"]["code"] == "unknown_format"
    for fields, field in (({"format": "amazon-orders"}, "file"), ({"file": sample_file("amazon-orders.txt")}, "format"),
                          ({"format": "amazon-orders", "preview": "maybe", "file": sample_file("amazon-orders.txt")},
                           "preview")):
        response = api_post(app, token, **fields)
        assert response.status_code == 400 and response.get_json()["error"]["field"] == field, fields
    assert api_post(app, supervisor, format="amazon-orders", file=sample_file("amazon-orders.txt")).status_code == 403
    assert dump(db) == before


@pytest.mark.parametrize("data", [b"", b"\x00\x01\x02garbage", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1old xls",
                                  b"PK\x03\x04not a zip", b'order-id\tsku\n"113-1\tMP\n',
                                  (SAMPLES / "amazon-orders.txt").read_bytes().replace(b"\t19.76\t", b"\t" + b"9" * 300 + b"\t")])
@pytest.mark.parametrize("preview", ["0", "1"])
def test_the_api_never_answers_500_for_a_file_it_cannot_read(app, db, data, preview):
    token = auth.new_token(db, "Ada Admin")
    response = api_post(app, token, format="amazon-orders", preview=preview, file=sample_file("f.csv", data))
    assert response.status_code in (200, 400), response.get_data(as_text=True)
    body = response.get_json()
    if response.status_code == 400:
        assert body["error"]["code"] in ("import_failed", "bad_request")
        assert all(e.startswith("f.csv:") for e in body["error"].get("errors", []))
    else:
        assert body["problems"] and all(p.startswith("f.csv:") for p in body["problems"])
    assert amazon_orders(db) == []


# --- in Chromium ----------------------------------------------------------------------------------

@pytest.fixture
def server(tmp_path):
    path = tmp_path / "station.db"
    station_db(path).close()
    with serve(station_app(path)) as running:
        yield running


def assert_every_target_tappable(page):
    """Every visible button, link-button, chip and field is at least 48x48 CSS px (gloves)."""
    small = page.evaluate("""() => [...document.querySelectorAll('main button, main .btn, main .chip, main input.field, main select.field')]
        .filter(el => el.offsetParent !== null)
        .map(el => [el.textContent.trim() || el.name, el.getBoundingClientRect()])
        .filter(([, r]) => r.width < 48 || r.height < 48)
        .map(([text, r]) => `${text} ${r.width}x${r.height}`)""")
    assert small == []


@needs_chromium
def test_an_admin_uploads_previews_and_imports_a_report_then_maps_its_unknown_reason_code_in_chromium(
        page, server, tmp_path):
    shot = shooter("imports-", full_page=True)
    sign_in_as(page, server, USERS["admin"])
    page.goto(server["url"] + "/admin/imports")
    expect(page.get_by_role("heading", name="Marketplace and ERP files")).to_be_visible()
    assert_every_target_tappable(page)
    result = page.locator("#import-result")

    # too large: the browser gets the answer (not a reset connection) and the format stays chosen
    page.get_by_role("radio", name="Amazon order report").check()
    big = tmp_path / "big.txt"
    big.write_bytes(b"order-id\tsku\n" + b"1\tA\n" * (21 * 1024 * 1024 // 4))
    page.set_input_files("#import-file", str(big))
    page.get_by_role("button", name="Preview", exact=True).click()
    expect(page.locator("#file-error")).to_have_text("larger than 20 MB")
    expect(page.get_by_role("radio", name="Amazon order report")).to_be_checked()

    page.set_input_files("#import-file", str(SAMPLES / "amazon-orders.txt"))
    page.get_by_role("button", name="Preview", exact=True).click()
    expect(result).to_contain_text("No problem found")
    expect(result.locator('[data-count="orders"] .num')).to_have_text("3")
    expect(result.locator('tr[data-field="order_no"]')).to_contain_text("113-4826613-7751405")
    assert query(server, "SELECT count(*) FROM orders WHERE order_no = ?", [AMAZON_ORDERS[0]]) == [(0,)]
    shot(page, "01-preview")

    page.get_by_role("button", name="Import", exact=True).click()  # the same file, sent again
    expect(result).to_contain_text("Imported 4 rows of the file in one go.")
    expect(result.locator('[data-count="order_lines"] .num')).to_have_text("4")
    assert query(server, "SELECT count(*) FROM orders WHERE order_no IN (?, ?, ?)", AMAZON_ORDERS) == [(3,)]
    assert_every_target_tappable(page)
    shot(page, "02-imported")

    page.get_by_role("radio", name="Amazon returns report").check()
    page.set_input_files("#import-file", str(SAMPLES / "amazon-returns.txt"))
    page.get_by_role("button", name="Import", exact=True).click()
    expect(result.locator('[data-unmapped="AMZ-PG-WJ-TOO-SMALL"]')).to_be_visible()
    result.get_by_role("link", name="Map them on the Reason codes screen").click()

    expect(page.get_by_role("heading", name="Return reason codes")).to_be_visible()
    waiting = page.locator('tr[data-waiting="amazon:AMZ-PG-WJ-TOO-SMALL"]')
    expect(waiting).to_contain_text("amazon-returns.txt:4")
    expect(page.locator("#reason-count")).to_contain_text("· 1 waiting")
    assert_every_target_tappable(page)
    shot(page, "03-reasons-waiting", full_page=False)
    waiting.get_by_role("combobox").select_option("size_fit")
    waiting.get_by_role("button", name="Map").click()
    expect(page.locator("#reason-waiting")).to_contain_text("1 RMA waiting for it got the reason")
    expect(page.locator("#reason-count")).to_have_text("")
    expect(page.locator("#reason-audit")).to_contain_text("Ada Admin")
    assert query(server, "SELECT reason FROM rmas WHERE rma_no = 'Dk2mQ9xPRRMA'") == [("size_fit",)]
    assert page.errors == []
    shot(page, "04-reason-mapped", full_page=False)


def test_a_15_mb_file_posted_by_a_plain_form_without_script_is_read_not_refused_at_the_door(admin, db):
    # the CSRF token in the form body (no header): the app-wide 12 MB limit must not stop it first
    data = (SAMPLES / "amazon-orders.txt").read_bytes() + b"\n" * (15 * 1024 * 1024)
    response = admin.client.post("/admin/imports/preview", data={
        "csrf_token": CSRF, "format": "amazon-orders", "file": (io.BytesIO(data), "amazon-orders.txt")})
    assert response.status_code == 200, text(response)[:300]
    assert counts(text(response))["orders"] == 3
    assert db.execute("SELECT count(*) FROM orders WHERE order_no = '113-4826613-7751405'").fetchone()[0] == 0
