"""Marketplace and ERP files imported as they come (`python run.py import FILE --format NAME`).

The sample files in tests/samples/marketplace/ are written from the platforms' published column
lists (headers exactly as the platforms write them, their date and money forms, a BOM, tabs, eBay's
blank first line, summary rows and footer, quoted line breaks). Imports run through the real
command line in a subprocess on a real SQLite file; lookups through the JSON API.
"""
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from station import auth, create_app
from station.data import marketplace
from station.data.importer.reading import ImportFailed
from station.data.marketplace import mappings, reasons
from station.data.marketplace.values import country, money, timestamp
from station.db import connect
from tests import sample

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = Path(__file__).resolve().parent / "samples" / "marketplace"


def run(*args):
    return subprocess.run([sys.executable, str(ROOT / "run.py"), *args], capture_output=True, text=True, cwd=ROOT,
                          timeout=120)


def imported(db_path, name, fmt):
    result = run("import", str(SAMPLES / name), "--format", fmt, "--db", str(db_path))
    assert result.returncode == 0, result.stderr
    return result


@pytest.fixture
def station(tmp_path):
    """The sample station's database file, an API client on it and an operator's token."""
    path = tmp_path / "station.db"
    db = sample.fresh(path)
    sample.load_sample(db)
    auth.add_user(db, "olga", "operator", "1234", "OP-1")
    auth.add_user(db, "sam", "supervisor", "4321", "SV-1")
    token = auth.new_token(db, "olga")
    app = create_app({"DATABASE": str(path), "TESTING": True, "SECRET_KEY": "test", "PHOTO_DIR": str(tmp_path / "photos")})
    client = app.test_client()
    yield path, client, {"Authorization": f"Bearer {token}"}, db
    db.close()


def lookup(client, headers, code):
    return client.get("/api/lookup", query_string={"code": code}, headers=headers)


def dump(db):
    return "\n".join(line for line in db.conn.iterdump())


# --- each preset, through the command line --------------------------------------------------------

def test_an_amazon_order_report_imports_unchanged_and_its_order_number_is_found_by_lookup(station):
    path, client, headers, db = station
    result = imported(path, "amazon-orders.txt", "amazon-orders")
    assert "orders 3" in result.stderr
    found = lookup(client, headers, "113-4826613-7751405")
    assert found.status_code == 200
    body = found.get_json()
    assert body["match"] == "order" and body["order"]["channel"] == "amazon" and body["order"]["currency"] == "USD"
    assert body["customer"]["name"] == "Roger Willoughby" and body["customer"]["country"] == "US"
    # item-price is the line's total: 19.76 for 2 hats is 9.88 each
    assert {(e["sku"], e["qty"], str(e["unit_price"])) for e in body["expected"]} == {("MP-HAT-S", 2, "9.88"),
                                                                                    ("MP-HAT-W", 1, "10.0")}
    assert body["order"]["placed_at"] == "2026-10-03T21:18:23Z"  # -07:00 to UTC
    row = db.execute("SELECT name, country FROM customers WHERE customer_id = 'amazon:q1w2e3r4t5y6u7i@marketplace.amazon.co.jp'").fetchone()
    assert row == ("王芳", "JP")
    assert db.execute("SELECT unit_price FROM order_lines WHERE order_no = '503-7777777-1111111'").fetchone()[0] == 1480


def test_importing_the_same_marketplace_file_again_changes_nothing(station):
    path, _client, _headers, db = station
    for name, fmt in (("amazon-orders.txt", "amazon-orders"), ("amazon-returns.txt", "amazon-returns"),
                      ("ebay-orders.csv", "ebay-orders"), ("shopify-orders.csv", "shopify-orders"),
                      ("amazon-fba-returns.txt", "amazon-fba-returns"), ("amazon-removals.txt", "amazon-removals")):
        imported(path, name, fmt)
    before = dump(db)
    for name, fmt in (("amazon-orders.txt", "amazon-orders"), ("amazon-returns.txt", "amazon-returns"),
                      ("ebay-orders.csv", "ebay-orders"), ("shopify-orders.csv", "shopify-orders"),
                      ("amazon-fba-returns.txt", "amazon-fba-returns"), ("amazon-removals.txt", "amazon-removals")):
        imported(path, name, fmt)
    assert dump(db) == before


def test_an_ebay_download_skips_its_blank_first_line_summary_rows_and_footer(station):
    path, client, headers, db = station
    imported(path, "ebay-orders.csv", "ebay-orders")
    lines = db.execute("SELECT sku, qty, unit_price FROM order_lines WHERE order_no = '23-45678-90123' ORDER BY line_no").fetchall()
    # the summary row (3 units, $1,033.66) is not a line; the item without a Custom Label is its item number
    assert lines == [("MP-HAT-S", 2, 16.83), ("335001234569", 1, 1000.0)]
    assert db.execute("SELECT name, price FROM products WHERE sku = '335001234569'").fetchone() == ("Camera 4K", 1000.0)
    order = lookup(client, headers, "12-34567-89012").get_json()
    assert order["customer"]["name"] == "Smith, Pat" and order["customer"]["country"] == "US"
    assert order["order"]["placed_at"] == "2026-10-21T00:00:00Z" and order["order"]["currency"] == "USD"
    anna = db.execute("SELECT name, country FROM customers WHERE customer_id = 'ebay:anna.k'").fetchone()
    assert anna == ("Анна Кузнецова", "GB")  # "United Kingdom" is GB
    tracking = lookup(client, headers, "LK274426961GB")
    assert tracking.status_code == 200 and tracking.get_json()["match"] == "tracking"
    assert tracking.get_json()["order"]["order_no"] == "23-45678-90123"
    assert db.execute("SELECT count(*) FROM orders WHERE customer_id LIKE 'ebay:%'").fetchone()[0] == 2


def test_a_shopify_export_with_a_bom_and_order_fields_on_the_first_row_only_imports(station):
    path, client, headers, db = station
    imported(path, "shopify-orders.csv", "shopify-orders")
    found = lookup(client, headers, "#1001")
    assert found.status_code == 200
    body = found.get_json()
    assert body["order"]["currency"] == "EUR" and body["order"]["placed_at"] == "2026-10-07T07:50:26Z"
    assert body["customer"]["name"] == "Sophie Lefèvre" and body["customer"]["country"] == "FR"
    assert [(e["sku"], e["qty"]) for e in body["expected"]] == [("MP-LAMP", 1), ("MP-HAT-S", 1)]
    assert db.execute("SELECT name FROM customers WHERE customer_id = 'shopify:omar@example.ae'").fetchone()[0] == "عمر الفاروق"
    assert db.execute("SELECT status, shipped_at FROM orders WHERE order_no = '#1002'").fetchone() == (
        "shipped", "2026-10-10T06:00:00Z")


def test_an_amazon_returns_report_brings_rmas_with_mapped_reasons_and_holds_unmapped_codes_for_a_supervisor(station):
    path, client, headers, db = station
    imported(path, "amazon-orders.txt", "amazon-orders")
    result = imported(path, "amazon-returns.txt", "amazon-returns")
    assert "AMZ-PG-WJ-TOO-SMALL" in result.stderr  # said once, not a failed import
    rma = lookup(client, headers, "DfqRyqfBRRMA")
    assert rma.status_code == 200 and rma.get_json()["match"] == "rma"
    body = rma.get_json()
    assert body["rma"]["reason"] == "no_longer_needed" and body["rma"]["label_cost"] == "4.14"
    assert body["rma"]["label_paid_by"] == "seller"
    by_tracking = lookup(client, headers, "9202090339598363834190").get_json()
    assert by_tracking["match"] == "tracking" and by_tracking["rma"]["rma_no"] == "DfqRyqfBRRMA"
    # an order the station did not have comes from the returns row
    unknown = lookup(client, headers, "Dk2mQ9xPRRMA").get_json()
    assert unknown["order"]["order_no"] == "111-9999999-0000001" and unknown["customer"]["country"] == "ZZ"
    assert unknown["rma"]["reason"] is None
    assert db.execute("SELECT channel_reason FROM rmas WHERE rma_no = 'Dk2mQ9xPRRMA'").fetchone()[0] == "AMZ-PG-WJ-TOO-SMALL"
    assert [(w["channel"], w["code"], w["rmas"]) for w in reasons.waiting(db)] == [("amazon", "AMZ-PG-WJ-TOO-SMALL", 1)]
    # the supervisor maps it: audited, the waiting RMA gets its reason, the code leaves the list
    reasons.set_reason(db, "amazon", "AMZ-PG-WJ-TOO-SMALL", "size_fit", "sam")
    assert db.execute("SELECT reason FROM rmas WHERE rma_no = 'Dk2mQ9xPRRMA'").fetchone()[0] == "size_fit"
    assert reasons.waiting(db) == []
    assert [(a["code"], a["old_reason"], a["new_reason"], a["changed_by"]) for a in reasons.audit(db)] == [
        ("AMZ-PG-WJ-TOO-SMALL", None, "size_fit", "sam")]
    # and a later import of the same file keeps the mapped reason
    imported(path, "amazon-returns.txt", "amazon-returns")
    assert db.execute("SELECT reason FROM rmas WHERE rma_no = 'Dk2mQ9xPRRMA'").fetchone()[0] == "size_fit"


def test_fba_customer_returns_are_counted_but_never_expected_at_the_bench(station):
    path, client, headers, db = station
    imported(path, "amazon-fba-returns.txt", "amazon-fba-returns")
    found = lookup(client, headers, "LPNNC5N165ZVR")
    assert found.status_code == 200 and found.get_json()["rma"]["reason"] == "ordered_by_mistake"
    assert db.execute("SELECT source, channel_reason FROM rmas WHERE rma_no = 'LPNNC5N165ZVS'").fetchone() == (
        "fba", "UNWANTED_ITEM")
    from station.reporting.forecast import on_open_rmas
    assert not [r for r in on_open_rmas(db) if r["sku"] in ("MP-HAT-S", "MP-FBA-ONLY")]


# --- bad files: every problem named, nothing written ---------------------------------------------

def write(tmp_path, name, text, encoding="utf-8"):
    target = tmp_path / name
    target.write_text(text, encoding=encoding, newline="")
    return target


def test_every_bad_row_of_a_marketplace_file_is_named_and_nothing_is_imported(station, tmp_path):
    path, _client, _headers, db = station
    good = (SAMPLES / "amazon-orders.txt").read_text(encoding="utf-8").splitlines()
    header, rows = good[0], good[1:]
    broken = [rows[0], rows[1].replace("2026-10-03T14:18:23-07:00", "yesterday", 1),
              rows[2].replace("\t1\tEUR\t", "\ttwo\tEUR\t"), rows[3].replace("503-7777777-1111111", "")]
    bad_file = write(tmp_path, "orders.txt", "\n".join([header] + broken) + "\n")
    before = dump(db)
    result = run("import", str(bad_file), "--format", "amazon-orders", "--db", str(path))
    assert result.returncode == 1
    errors = result.stderr.strip().splitlines()
    assert any(e.startswith("orders.txt:3: purchase-date: not a date") for e in errors), errors
    assert any(e.startswith("orders.txt:4: quantity-purchased: not a quantity") for e in errors), errors
    assert any(e.startswith("orders.txt:5: order-id: an order number is required") for e in errors), errors
    assert dump(db) == before


def test_a_file_without_a_column_the_preset_needs_is_refused_on_its_header_line(station, tmp_path):
    path, _client, _headers, db = station
    bad_file = write(tmp_path, "returns.txt", "Order ID\tMerchant SKU\n113-4826613-7751405\tMP-HAT-S\n")
    result = run("import", str(bad_file), "--format", "amazon-returns", "--db", str(path))
    assert result.returncode == 1
    assert "returns.txt:1: no column for rma no (looked for: Amazon RMA ID, Merchant RMA ID)" in result.stderr
    assert "returns.txt:1: no column for qty (looked for: Return quantity)" in result.stderr
    unknown = run("import", str(bad_file), "--format", "walmart-orders", "--db", str(path))
    assert unknown.returncode == 1 and "amazon-orders" in unknown.stderr  # names the known formats
    assert db.execute("SELECT count(*) FROM rmas WHERE rma_no LIKE 'D%RRMA'").fetchone()[0] == 0


def test_a_wrong_sign_an_unquoted_comma_and_a_cancelled_line_are_handled_as_a_warehouse_expects(station, tmp_path):
    path, _client, _headers, db = station
    text = (SAMPLES / "shopify-orders.csv").read_text(encoding="utf-8-sig")
    lines = text.splitlines()
    # #1002 priced in pounds while the order is in dirhams: the row is refused, naming both
    lines[-1] = lines[-1].replace(",75.00,", ",£75.00,")
    result = run("import", str(write(tmp_path, "shop.csv", "\n".join(lines) + "\n")), "--format", "shopify-orders",
                 "--db", str(path))
    assert result.returncode == 1 and "Lineitem price: in GBP, the order is in AED" in result.stderr
    assert db.execute("SELECT count(*) FROM orders WHERE customer_id LIKE 'shopify:%'").fetchone()[0] == 0


# --- a saved mapping for an ERP's export, CSV or Excel ----------------------------------------------

def test_an_erp_workbook_imports_with_a_mapping_saved_from_the_command_line(station, tmp_path):
    openpyxl = pytest.importorskip("openpyxl")
    path, client, headers, db = station
    saved = run("mapping", "save", "erp-orders", "--target", "orders", "--column", "order_no=单号",
                "--column", "placed_at=下单时间", "--column", "sku=SKU", "--column", "qty=数量",
                "--column", "unit_price=单价", "--column", "customer_name=收件人", "--column", "country=国家",
                "--column", "customer_key=买家ID", "--option", "currency=CNY", "--option", "dates=ymd",
                "--option", "channel=dhgate", "--db", str(path))
    assert saved.returncode == 0, saved.stderr
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["单号", "下单时间", "SKU", "数量", "单价", "收件人", "国家", "买家ID"])
    sheet.append(["DH-20261001-0001", "2026/10/01 08:30:00", "MP-LAMP", 2, 129.5, "李雷", "CN", "buyer-1"])
    sheet.append(["DH-20261001-0002", "2026/10/02", "MP-HAT-S", 1, 39, "Hans Meier", "Switzerland", "buyer-2"])
    workbook = tmp_path / "erp.xlsx"
    book.save(workbook)
    result = run("import", str(workbook), "--format", "erp-orders", "--db", str(path))
    assert result.returncode == 0, result.stderr
    body = lookup(client, headers, "DH-20261001-0001").get_json()
    assert body["order"]["channel"] == "dhgate" and body["order"]["currency"] == "CNY"
    assert body["customer"]["name"] == "李雷"
    assert [(e["sku"], e["qty"], e["unit_price"]) for e in body["expected"]] == [("MP-LAMP", 2, 129.5)]
    assert db.execute("SELECT country FROM customers WHERE customer_id = 'dhgate:buyer-2'").fetchone()[0] == "CH"
    listed = run("mapping", "list", "--db", str(path))
    assert "erp-orders\torders\tsaved" in listed.stdout and "amazon-removals\tremovals\tpreset" in listed.stdout


def test_a_mapping_that_misses_a_required_field_is_refused_and_nothing_is_saved(station):
    _path, _client, _headers, db = station
    with pytest.raises(Exception) as refused:
        mappings.save(db, "half", "orders", {"order_no": "No"}, {}, "sam")
    assert "placed_at" in str(refused.value) and "unit_price or line_total" in str(refused.value)
    with pytest.raises(Exception):
        mappings.save(db, "amazon-orders", "orders", {}, {}, "sam")  # a preset's name
    assert mappings.saved(db) == []


def test_a_preview_shows_the_first_rows_and_problems_and_writes_nothing(station):
    _path, _client, _headers, db = station
    before = dump(db)
    seen = marketplace.preview(db, "ebay-orders.csv", (SAMPLES / "ebay-orders.csv").read_bytes(), "ebay-orders")
    assert seen["problems"] == [] and seen["counts"]["orders"] == 2 and seen["counts"]["order_lines"] == 3
    assert seen["rows"][0]["cells"]["order_no"] == "12-34567-89012" and seen["columns"]["sku"] == "Custom Label"
    broken = (SAMPLES / "amazon-orders.txt").read_bytes().replace(b"\t2\tUSD\t", b"\tx\tUSD\t")
    seen = marketplace.preview(db, "a.txt", broken, "amazon-orders")
    assert seen["problems"] and seen["problems"][0].startswith("a.txt:2: quantity-purchased")
    assert dump(db) == before


def test_an_unreadable_file_is_one_clear_problem(station):
    _path, _client, _headers, db = station
    for data, words in ((b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1rest", "old Excel .xls"),
                        (b"PK\x03\x04not a zip at all", "not a readable .xlsx"),
                        (b"", "empty file"),
                        (b'order-id,sku\n"113-1,MP\n', "quoted field is not closed")):
        with pytest.raises(ImportFailed) as failed:
            marketplace.import_file(db, "f.csv", data, "amazon-orders")
        assert words in failed.value.errors[0], failed.value.errors


# --- removal shipments at the bench ----------------------------------------------------------------

def test_an_fba_removal_box_opens_by_its_tracking_number_is_counted_and_lists_its_shortage(station):
    path, client, headers, db = station
    imported(path, "amazon-removals.txt", "amazon-removals")
    found = lookup(client, headers, "1Z999AA10123456785").get_json()
    assert found["match"] == "tracking" and found["order"]["status"] == "removal"
    assert found["flags"] == ["removal_shipment"]
    assert {(e["sku"], e["qty"]) for e in found["expected"]} == {("MP-HAT-S", 4), ("MP-HAT-W", 2)}
    opened = client.post("/api/returns", json={"code": "1Z999AA10123456785", "station": "B1"}, headers=headers)
    assert opened.status_code == 201
    return_id = opened.get_json()["return_id"]
    # three hats with the quantity key, one more by a scan; no winter hats in the box
    for qty in (3, 1):
        item = client.post(f"/api/returns/{return_id}/items", json={"sku": "MP-HAT-S", "qty": qty, "grade": "A"},
                           headers=headers)
        assert item.status_code == 201, item.get_json()
        rec = item.get_json()["recommendation"]
        decided = client.post(f"/api/returns/{return_id}/items/{item.get_json()['item_id']}/decision",
                              json={"disposition": rec["disposition"], "target": rec["target"]}, headers=headers)
        assert decided.status_code == 200, decided.get_json()
    closed = client.post(f"/api/returns/{return_id}/close", json={}, headers=headers)
    assert closed.status_code == 200
    body = closed.get_json()
    assert body["refund"] is None
    assert body["removal"]["shortages"] == [{"sku": "MP-HAT-W", "qty": 2}] and body["removal"]["overages"] == []
    assert db.execute("SELECT count(*) FROM refunds WHERE return_id = ?", [return_id]).fetchone()[0] == 0
    again = client.post(f"/api/returns/{return_id}/close", json={}, headers=headers)
    assert again.get_json()["removal"] == body["removal"]
    events = [r[0] for r in db.execute("SELECT type FROM events WHERE type = 'removal.received'")]
    assert events == ["removal.received"]
    # the claim list: every closed box whose count differs from the report
    supervisor = {"Authorization": f"Bearer {auth.new_token(db, 'sam')}"}
    listed = client.get("/api/removals/discrepancies", headers=supervisor).get_json()["boxes"]
    assert [(b["removal_id"], b["tracking_no"], b["shortages"]) for b in listed] == [
        ("RMVL-2026-10-A", "1Z999AA10123456785", [{"sku": "MP-HAT-W", "qty": 2}])]
    sheet = client.get("/api/removals/discrepancies?format=csv", headers=supervisor)
    assert sheet.mimetype == "text/csv" and "RMVL-2026-10-A,1Z999AA10123456785" in sheet.get_data(as_text=True)
    assert ",MP-HAT-W,2,0,-2" in sheet.get_data(as_text=True)
    assert client.get("/api/removals/discrepancies", headers=headers).status_code == 403
    stock = client.get("/api/stock", query_string={"sku": "MP-HAT-S"}, headers=headers).get_json()
    assert stock["total"] >= 4 or db.execute("SELECT count(*) FROM allocations").fetchone()[0] > 0


# --- cells as the platforms write them ------------------------------------------------------------

@pytest.mark.parametrize("text, currency, amount, named", [
    ("$45.99", None, "45.99", "USD"), ("$1,433.66", None, "1433.66", "USD"), ("AU $3,000.00", None, "3000.00", "AUD"),
    ("EUR 90,00", None, "90.00", "EUR"), ("12,99 €", None, "12.99", "EUR"), ("£12.00", None, "12.00", "GBP"),
    ("1.234,50", "EUR", "1234.50", "EUR"), ("9.88", "USD", "9.88", "USD"), ("1480", "JPY", "1480", "JPY"),
])
def test_money_is_read_as_the_platforms_print_it(text, currency, amount, named):
    from decimal import Decimal
    assert money(text, currency) == (Decimal(amount), named)


@pytest.mark.parametrize("text", ["12..5", "abc", "1.2.3,4", "$", ""])
def test_an_amount_that_is_not_one_is_refused(text):
    with pytest.raises(ValueError):
        money(text, "USD")


@pytest.mark.parametrize("text, style, expected", [
    ("2017-09-23T14:18:23-07:00", "amazon", "2017-09-23T21:18:23Z"), ("10-Jul-2025", "amazon", "2025-07-10T00:00:00Z"),
    ("Jul-21-25", "ebay", "2025-07-21T00:00:00Z"), ("2025-10-07 09:50:26 +0200", "shopify", "2025-10-07T07:50:26Z"),
    ("2026/10/01 08:30:00", "ymd", "2026-10-01T08:30:00Z"), ("03/04/2026", "dmy", "2026-04-03T00:00:00Z"),
    ("Jul-21-25 10:22:33 PDT", "ebay", "2025-07-21T17:22:33Z"), ("2024-03-15 10:22:33 PST", "amazon", "2024-03-15T18:22:33Z"),
])
def test_dates_are_read_in_each_platforms_own_form(text, style, expected):
    assert timestamp(text, style) == expected


@pytest.mark.parametrize("text, code", [("US", "US"), ("United States", "US"), ("United Kingdom", "GB"),
                                        ("Germany", "DE"), ("Russia", "RU"), ("gb", "GB")])
def test_countries_are_codes_whether_written_as_codes_or_names(text, code):
    assert country(text) == code


def test_a_removal_box_at_the_bench_shows_report_against_count_and_closes_without_a_refund(tmp_path):
    import re

    from tests.test_bench_views import Bench, csrf

    path = tmp_path / "station.db"
    db = sample.fresh(path)
    sample.load_sample(db)
    auth.add_user(db, "Sam Bench", "operator", "1357", "BADGE-7")
    db.close()
    imported(path, "amazon-removals.txt", "amazon-removals")
    app = create_app({"DATABASE": str(path), "SECRET_KEY": "t", "TESTING": True, "PHOTO_DIR": str(tmp_path / "p")})
    client = app.test_client()
    token = csrf(client.get("/sign-in?station=bench-3"))
    client.post("/sign-in/badge", data={"code": "BADGE-7"}, headers={"X-CSRF-Token": token, "HX-Request": "true"})
    assert client.post("/sign-in", data={"pin": "1357", "csrf_token": token}).status_code == 302
    bench = Bench(client, csrf(client.get("/")))
    page = bench.scan("1Z999AA10123456796").get_data(as_text=True)
    assert "Removal box" in page and "RMVL-2026-10-A" in page and "Amazon FBA removals" in page
    assert "Refund" not in page and "Customer says" not in page and "no refund" in page
    bench.scan("MP-LAMP")
    page = bench.post("/bench/inspect", qty="2", set_grade="A").get_data(as_text=True)
    item_id = re.search(r"/bench/items/(\d+)/decide", page).group(1)
    disposition = re.search(r'name="disposition" value="(\w+)"', page).group(1)
    page = bench.post(f"/bench/items/{item_id}/decide", disposition=disposition).get_data(as_text=True)
    assert ">Close</button>" in page
    conn = connect(path)
    return_id = conn.execute("SELECT return_id FROM returns").fetchone()[0]
    page = bench.post(f"/bench/returns/{return_id}/close").get_data(as_text=True)
    assert "1 × MP-LAMP more than the report" in page
    assert conn.execute("SELECT status FROM returns WHERE return_id = ?", [return_id]).fetchone()[0] == "closed"
    assert conn.execute("SELECT count(*) FROM refunds").fetchone()[0] == 0
    conn.close()


def test_keys_with_a_slash_as_erps_write_them_are_reached_by_the_routes(station, tmp_path):
    path, client, headers, db = station
    mappings.save(db, "erp", "orders", {"order_no": "Order", "placed_at": "Date", "sku": "Item", "qty": "Qty",
                                        "unit_price": "Price", "customer_key": "Buyer", "country": "Country"},
                  {"currency": "EUR", "channel": "erp"}, "sam")
    csv_file = write(tmp_path, "erp.csv", "Order,Date,Item,Qty,Price,Buyer,Country\n"
                                          "SO/2026/0001,2026-10-01,MP-COAT/XL,1,80.00,B/77,DE\n")
    assert run("import", str(csv_file), "--format", "erp", "--db", str(path)).returncode == 0
    order = client.get("/api/orders/SO/2026/0001", headers=headers)
    assert order.status_code == 200 and order.get_json()["lines"][0]["sku"] == "MP-COAT/XL"
    assert lookup(client, headers, "SO/2026/0001").get_json()["customer"]["customer_id"] == "erp:b/77"
    supervisor = {"Authorization": f"Bearer {auth.new_token(db, 'sam')}"}
    history = client.get("/api/reports/customers/erp:b/77", headers=supervisor)
    assert history.status_code == 200, history.get_json()


def test_an_amount_of_hundreds_of_digits_or_millions_of_blank_lines_is_a_clear_answer(station):
    _path, _client, _headers, db = station
    text = (SAMPLES / "amazon-orders.txt").read_bytes()
    huge = text.replace(b"\t19.76\t", b"\t" + b"1" * 300 + b"\t")
    with pytest.raises(ImportFailed) as failed:
        marketplace.import_file(db, "a.txt", huge, "amazon-orders")
    assert failed.value.errors == ["a.txt:2: item-price: not an amount (too many digits): '" + "1" * 40 + "'"]
    big = text.replace(b"\t19.76\t", b"\t2000000000.00\t")
    with pytest.raises(ImportFailed) as failed:
        marketplace.import_file(db, "a.txt", big, "amazon-orders")
    assert "more than 1,000,000,000" in failed.value.errors[0]
    padded = text + b"\n" * 2_000_000  # read once, fast: blank lines are skipped as they are read
    assert marketplace.preview(db, "a.txt", padded, "amazon-orders")["counts"]["orders"] == 3


def test_a_shop_without_skus_a_gift_card_order_and_a_longer_status_import_as_a_warehouse_expects(station, tmp_path):
    path, client, headers, db = station
    header = ("Name,Email,Financial Status,Fulfillment Status,Currency,Created at,Lineitem quantity,Lineitem name,"
              "Lineitem price,Lineitem sku,Shipping Name,Shipping Country")
    rows = ["#2001,jo@example.com,paid,fulfilled,GBP,2026-10-01 10:00:00 +0100,1,Wool scarf - Grey,25.00,,Jo Bloggs,GB",
            "#2002,gift@example.com,paid,,GBP,2026-10-02 10:00:00 +0100,1,,10.00,,Gift Buyer,GB"]
    shop = write(tmp_path, "shop.csv", header + "\n" + "\n".join(rows) + "\n")
    result = run("import", str(shop), "--format", "shopify-orders", "--db", str(path))
    assert result.returncode == 0, result.stderr
    assert db.execute("SELECT sku FROM order_lines WHERE order_no = '#2001'").fetchone()[0] == "Wool scarf - Grey"
    assert db.execute("SELECT count(*) FROM orders WHERE order_no = '#2002'").fetchone()[0] == 0  # nothing to return
    from station.data.marketplace.targets import _status
    options = {"status": {}, "default_status": "shipped"}
    assert [_status(options, {"status": s}) for s in ("Shipped - Delivered to Buyer", "Canceled by seller",
                                                      "Pending - Waiting for Pick Up", "Shipped")] == [
        "delivered", "cancelled", "awaiting_stock", "shipped"]


def test_a_shopify_order_number_is_found_with_or_without_its_hash(station):
    path, client, headers, _db = station
    imported(path, "shopify-orders.csv", "shopify-orders")
    for code in ("#1001", "1001"):
        found = lookup(client, headers, code)
        assert found.status_code == 200 and found.get_json()["order"]["order_no"] == "#1001", code
    assert lookup(client, headers, "1003").status_code == 404


def test_amazons_all_orders_report_imports_with_the_same_preset(station, tmp_path):
    path, client, headers, db = station
    header = ("amazon-order-id\tmerchant-order-id\tpurchase-date\tlast-updated-date\torder-status\tfulfillment-channel\t"
              "sales-channel\torder-channel\tship-service-level\tproduct-name\tsku\tasin\titem-status\tquantity\tcurrency\t"
              "item-price\titem-tax\tshipping-price\tshipping-tax\tgift-wrap-price\tgift-wrap-tax\titem-promotion-discount\t"
              "ship-promotion-discount\tship-city\tship-state\tship-postal-code\tship-country\tpromotion-ids\tcpf\t"
              "is-business-order\tpurchase-order-number\tprice-designation")
    def row(order, status, item_status, sku, qty, price, country):
        cells = [order, "", "2026-10-17T08:04:21+00:00", "2026-10-18T22:07:59+00:00", status, "Amazon", "Amazon.it", "",
                 "SecondDay", "Tazza da viaggio", sku, "B0TEST0001", item_status, qty, "EUR", price, "", "", "", "", "",
                 "", "", "Milano", "MI", "20121", country, "", "", "false", "", ""]
        return "\t".join(cells)
    text = "\n".join([header, row("404-1111111-2222222", "Shipped - Delivered to Buyer", "Shipped", "MP-MUG", "2", "29.90", "IT"),
                      row("404-3333333-4444444", "Cancelled", "Cancelled", "MP-MUG", "1", "", "IT")]) + "\n"
    report = write(tmp_path, "all-orders.txt", text)
    result = run("import", str(report), "--format", "amazon-orders", "--db", str(path))
    assert result.returncode == 0, result.stderr
    order = lookup(client, headers, "404-1111111-2222222").get_json()
    assert order["order"]["status"] == "delivered" and order["order"]["currency"] == "EUR"
    assert order["customer"]["country"] == "IT" and order["customer"]["name"] == "Amazon customer"
    assert [(e["sku"], e["qty"], e["unit_price"]) for e in order["expected"]] == [("MP-MUG", 2, 14.95)]
    assert lookup(client, headers, "404-3333333-4444444").status_code == 404  # a cancelled line only: nothing to return
