"""Back to the platforms: restocked new units as Shopify's inventory CSV and Amazon's Price & Quantity
file, and a channel's refund lines as CSV, from the API and the Integrations screen.

The orders come in through the real import with the channels the marketplace importer writes; the
units come back through the bench's API (open, inspect, decide restock, close) and the refunds are
paid through it, so each file is checked against what the station itself recorded.
"""
import csv
import io

import pytest

from station import auth, create_app
from station.data import platform_files
from station.data.importer import import_rows
from station.db import connect, write
from station.timeutil import now
from tests.helpers import bench_session
from tests.sample import days_ago, fresh, load_sample

SHOPIFY_HEADER = ("Handle,Title,Option1 Name,Option1 Value,Option2 Name,Option2 Value,Option3 Name,Option3 Value,SKU,"
                  "HS Code,COO,Location,Bin name,Incoming (not editable),Unavailable (not editable),"
                  "Committed (not editable),Available (not editable),On hand (current),On hand (new)")
AMAZON_HEADER = "sku\tprice\tminimum-seller-allowed-price\tmaximum-seller-allowed-price\tquantity\thandling-time\tfulfillment-channel"
CSRF = "platform-files-csrf"


def marketplace_rows():
    """Orders of Shopify, Amazon, eBay and the own shop (no channel), as the import takes them."""
    order = dict(placed_at=days_ago(12), shipped_at=days_ago(10), delivered_at=days_ago(8), status="delivered")
    return {
        "products": [
            {"sku": "TEE-RED/M", "name": "Tee, red – M", "price": "25", "bin": "T-01"},
            {"sku": "LAMP-01", "name": "Desk lamp", "price": "40", "bin": "L-01"},
            {"sku": "CASE_02", "name": "Phone case", "price": "10", "bin": "K-02"},
            {"sku": "VASE-01", "name": "Vase", "price": "30", "bin": "V-01"},
            {"sku": "FBA-01", "name": "Kept at Amazon", "price": "15", "bin": "F-01"},
        ],
        "customers": [{"customer_id": "M1", "name": "Zoë Martin", "country": "FR"},
                      {"customer_id": "M2", "name": "佐藤花子", "country": "JP"}],
        "orders": [
            {"order_no": "#1001", "customer_id": "M1", "channel": "shopify", "currency": "EUR", **order},
            {"order_no": "111-2223334-5556667", "customer_id": "M1", "channel": "amazon", "currency": "USD", **order},
            {"order_no": "12-34567-89012", "customer_id": "M1", "channel": "ebay", "currency": "GBP", **order},
            {"order_no": "OWN-7", "customer_id": "M2", "channel": "", "currency": "JPY", **order},
        ],
        "order_lines": [
            {"order_no": "#1001", "line_no": 1, "sku": "TEE-RED/M", "qty": 2, "unit_price": "25.00"},
            {"order_no": "111-2223334-5556667", "line_no": 1, "sku": "LAMP-01", "qty": 1, "unit_price": "39.99"},
            {"order_no": "111-2223334-5556667", "line_no": 2, "sku": "CASE_02", "qty": 1, "unit_price": "9.99"},
            {"order_no": "111-2223334-5556667", "line_no": 3, "sku": "VASE-01", "qty": 1, "unit_price": "29.99"},
            {"order_no": "111-2223334-5556667", "line_no": 4, "sku": "FBA-01", "qty": 1, "unit_price": "14.99"},
            {"order_no": "12-34567-89012", "line_no": 1, "sku": "CASE_02", "qty": 1, "unit_price": "8.50"},
            {"order_no": "OWN-7", "line_no": 1, "sku": "LAMP-01", "qty": 1, "unit_price": "8400"},
        ],
        "inventory": [
            {"sku": "TEE-RED/M", "bin": "T-01", "qty": 3},
            {"sku": "CASE_02", "bin": "K-02", "qty": 4, "condition": "new"},
            {"sku": "CASE_02", "bin": "OB-1", "qty": 2, "condition": "open_box"},
            {"sku": "VASE-01", "bin": "RF-1", "qty": 5, "condition": "refurbished"},
            {"sku": "VASE-01", "bin": "U-1", "qty": 1, "condition": "used"},
            {"sku": "FBA-01", "bin": "F-01", "qty": 6},
        ],
    }


@pytest.fixture
def world(tmp_path):
    """The sample data plus the marketplace orders; an operator, a supervisor and an admin with tokens."""
    path = tmp_path / "station.db"
    db = fresh(path)
    load_sample(db)
    import_rows(db, marketplace_rows())
    tokens = {}
    for role, badge in (("operator", "OP-1"), ("supervisor", "SV-1"), ("admin", "AD-1")):
        auth.add_user(db, f"{role} user", role, "1234", badge)
        tokens[role] = auth.new_token(db, f"{role} user")
    app = create_app({"DATABASE": str(path), "TESTING": True, "SECRET_KEY": "test", "PHOTO_DIR": str(tmp_path / "p")})
    yield {"client": app.test_client(), "app": app, "tokens": tokens, "db": db}
    db.close()


def call(world, role, url, method="GET", body=None):
    headers = {"Authorization": f"Bearer {world['tokens'][role]}"}
    return world["client"].open(url, method=method, headers=headers, json=body)


def restock(world, code, sku):
    """A parcel through the bench API: opened by its order number, the unit graded A and restocked
    as recommended, closed; answers the refund."""
    rid = call(world, "operator", "/api/returns", "POST", {"code": code, "station": "bench-1"}).json["return_id"]
    item = call(world, "operator", f"/api/returns/{rid}/items", "POST",
                {"sku": sku, "qty": 1, "grade": "A", "reason": "defective"}).json
    assert item["recommendation"]["disposition"] == "restock", item
    decided = call(world, "operator", f"/api/returns/{rid}/items/{item['item_id']}/decision", "POST", {"disposition": "restock"})
    assert decided.status_code == 200
    closed = call(world, "operator", f"/api/returns/{rid}/close", "POST", {})
    assert closed.status_code == 200
    return closed.json["refund"]


def rows_of(text, delimiter=","):
    return list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))


def new_units(world, sku):
    return call(world, "operator", f"/api/stock?sku={sku}").json["by_condition"]["new"]


# --- Shopify ------------------------------------------------------------------------------------

def test_shopify_gets_its_published_inventory_csv_with_the_restocked_new_units_of_what_it_sold(world):
    restock(world, "#1001", "TEE-RED/M")
    assert new_units(world, "TEE-RED/M") == 4

    response = call(world, "operator", "/api/platform-files/shopify-inventory.csv?location=Lager%20Nord")

    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert response.headers["Content-Disposition"] == \
        f'attachment; filename="shopify-inventory_{now().date().isoformat()}.csv"'
    text = response.get_data(as_text=True)
    assert text.splitlines()[0] == SHOPIFY_HEADER
    header, *rows = rows_of(text)
    assert header == platform_files.SHOPIFY_HEADER and len(header) == 19
    # only the SKU sold on Shopify: the case and the lamp are Amazon's and eBay's
    assert [dict(zip(header, row)) for row in rows] == [{
        "Handle": "tee-red-m", "Title": "Tee, red – M", "Option1 Name": "Title", "Option1 Value": "Default Title",
        "Option2 Name": "", "Option2 Value": "", "Option3 Name": "", "Option3 Value": "", "SKU": "TEE-RED/M",
        "HS Code": "", "COO": "", "Location": "Lager Nord", "Bin name": "", "Incoming (not editable)": "",
        "Unavailable (not editable)": "", "Committed (not editable)": "", "Available (not editable)": "",
        "On hand (current)": "", "On hand (new)": "4"}]


def test_without_any_shopify_order_every_sku_with_new_units_is_listed_and_other_conditions_never_count(world):
    db = world["db"]
    with write(db):  # the shop's orders were imported without their channel
        db.execute("UPDATE orders SET channel = 'shop' WHERE channel = 'shopify'")

    text = call(world, "operator", "/api/platform-files/shopify-inventory.csv?location=Main").get_data(as_text=True)

    header, *rows = rows_of(text)
    on_hand = {row[header.index("SKU")]: row[header.index("On hand (new)")] for row in rows}
    # MUG-01 is the sample's 5 new mugs; the case's 2 open-box units, the vase's refurbished and used ones are no new stock
    assert on_hand == {"CASE_02": "4", "FBA-01": "6", "MUG-01": "5", "TEE-RED/M": "3"}


def test_a_location_name_is_written_exactly_and_quoted_where_csv_needs_it(world):
    response = call(world, "operator", '/api/platform-files/shopify-inventory.csv?location=%20Dock%202,%20%22Ost%22%20')
    header, *rows = rows_of(response.get_data(as_text=True))
    assert response.status_code == 200 and [row[header.index("Location")] for row in rows] == ['Dock 2, "Ost"']


def test_two_skus_that_would_be_one_shopify_handle_are_refused_rather_than_counted_twice(world):
    import_rows(world["db"], {"products": [{"sku": "TEE RED M", "name": "Another tee", "price": "25"}],
                              "inventory": [{"sku": "TEE RED M", "bin": "T-02", "qty": 1}],
                              "order_lines": [{"order_no": "#1001", "line_no": 2, "sku": "TEE RED M", "qty": 1,
                                               "unit_price": "25"}]})

    response = call(world, "operator", "/api/platform-files/shopify-inventory.csv?location=Main")

    assert response.status_code == 409 and response.json["error"]["code"] == "handle_clash"
    assert "TEE RED M" in response.json["error"]["message"] and "TEE-RED/M" in response.json["error"]["message"]


@pytest.mark.parametrize("sku, handle", [("MUG-01", "mug-01"), ("TEE-RED/M", "tee-red-m"), ("  Ab__C.d ", "ab-c-d"),
                                         ("Größe-XL", "gr-e-xl"), ("--", "--")])
def test_a_shopify_handle_is_the_sku_in_lower_case_with_dashes_for_the_rest(sku, handle):
    assert platform_files.shopify_handle(sku) == handle


# --- Amazon -------------------------------------------------------------------------------------

def test_amazon_gets_a_tab_separated_price_and_quantity_file_of_its_seller_fulfilled_skus(world):
    db = world["db"]
    restock(world, "111-2223334-5556667", "LAMP-01")
    # FBA-01 came back from Amazon's fulfilment centre (the marketplace import marks such an RMA `fba`)
    if "source" not in db["rmas"].columns_dict:
        with write(db):
            db.execute("ALTER TABLE rmas ADD COLUMN source TEXT")
    import_rows(db, {"rmas": [{"rma_no": "FBA-RMA-1", "order_no": "111-2223334-5556667"}],
                     "rma_lines": [{"rma_no": "FBA-RMA-1", "sku": "FBA-01", "qty": 1}]})
    with write(db):
        db.execute("UPDATE rmas SET source = 'fba' WHERE rma_no = 'FBA-RMA-1'")

    response = call(world, "operator", "/api/platform-files/amazon-price-quantity.txt")

    assert response.status_code == 200 and response.mimetype == "text/tab-separated-values"
    assert response.headers["Content-Disposition"] == \
        f'attachment; filename="amazon-price-quantity_{now().date().isoformat()}.txt"'
    text = response.get_data(as_text=True)
    assert text.splitlines()[0] == AMAZON_HEADER
    header, *rows = rows_of(text, "\t")
    # LAMP-01: the restocked unit; CASE_02: its 4 new units, not the open-box ones; VASE-01 has no new
    # unit; FBA-01 is Amazon's to count; TEE-RED/M was never sold on Amazon. Price blank: unchanged.
    assert [dict(zip(header, row)) for row in rows] == [
        {"sku": "CASE_02", "price": "", "minimum-seller-allowed-price": "", "maximum-seller-allowed-price": "",
         "quantity": "4", "handling-time": "", "fulfillment-channel": ""},
        {"sku": "LAMP-01", "price": "", "minimum-seller-allowed-price": "", "maximum-seller-allowed-price": "",
         "quantity": "1", "handling-time": "", "fulfillment-channel": ""}]
    assert new_units(world, "LAMP-01") == 1


# --- refunds per channel ------------------------------------------------------------------------

def test_a_channels_refunds_are_one_line_per_item_with_exact_money_and_the_payment_that_paid_it(world):
    refund = restock(world, "111-2223334-5556667", "LAMP-01")
    restock(world, "#1001", "TEE-RED/M")  # another channel's: not in Amazon's file
    paid = call(world, "operator", f"/api/refunds/{refund['refund_id']}/paid", "POST", {"payment_ref": "PAY-77"})
    assert paid.status_code == 200
    today = now().date().isoformat()

    response = call(world, "supervisor", f"/api/platform-files/refunds.csv?channel=amazon&from={today}&to={today}")

    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert response.headers["Content-Disposition"] == f'attachment; filename="refunds_amazon_{today}_{today}.csv"'
    header, *rows = rows_of(response.get_data(as_text=True))
    assert header == platform_files.REFUND_COLUMNS
    line = call(world, "operator", f"/api/refunds/{refund['refund_id']}").json["lines"][0]
    payment_at = world["db"].execute("SELECT paid_at FROM refund_payments WHERE payment_ref = 'PAY-77'").fetchone()[0]
    assert [dict(zip(header, row)) for row in rows] == [{
        "channel": "amazon", "order_no": "111-2223334-5556667", "rma_no": "", "refund_id": str(refund["refund_id"]),
        "return_id": str(refund["return_id"]), "item_id": str(line["item_id"]), "sku": "LAMP-01", "qty": "1",
        "status": "paid", "amount": line["amount"], "currency": "USD", "payment_ref": "PAY-77", "paid_at": payment_at,
        "computed_at": rows[0][header.index("computed_at")], "holds": "", "why": line["why"]}]
    assert line["amount"] == "39.99"
    empty = call(world, "supervisor", "/api/platform-files/refunds.csv?channel=amazon&from=2020-01-01&to=2020-01-31")
    assert empty.status_code == 200 and rows_of(empty.get_data(as_text=True)) == [platform_files.REFUND_COLUMNS]


def test_the_own_shops_refunds_are_asked_for_with_an_empty_channel_in_the_currencys_own_minor_unit(world):
    refund = restock(world, "OWN-7", "LAMP-01")

    response = call(world, "admin", "/api/platform-files/refunds.csv?channel=")

    assert response.status_code == 200
    assert 'filename="refunds_own-shop_start_now.csv"' in response.headers["Content-Disposition"]
    header, *rows = rows_of(response.get_data(as_text=True))
    found = [dict(zip(header, row)) for row in rows]
    assert [(r["channel"], r["order_no"], r["amount"], r["currency"], r["status"]) for r in found] == \
        [("", "OWN-7", "8400", "JPY", "ready")]
    assert refund["amount"] == "8400"


def test_refunds_are_for_supervisors_and_admins_the_inventory_files_for_any_token(world):
    assert call(world, "operator", "/api/platform-files/refunds.csv?channel=amazon").status_code == 403
    assert call(world, "supervisor", "/api/platform-files/refunds.csv?channel=amazon").status_code == 200
    assert call(world, "operator", "/api/platform-files/amazon-price-quantity.txt").status_code == 200
    assert world["client"].get("/api/platform-files/amazon-price-quantity.txt").status_code == 401


@pytest.mark.parametrize("url, field", [
    ("/api/platform-files/shopify-inventory.csv", "location"),
    ("/api/platform-files/shopify-inventory.csv?location=", "location"),
    ("/api/platform-files/shopify-inventory.csv?location=%20%20", "location"),
    ("/api/platform-files/shopify-inventory.csv?location=Main%0AStore", "location"),
    ("/api/platform-files/shopify-inventory.csv?location=Main%C2%85", "location"),
    ("/api/platform-files/shopify-inventory.csv?location=" + "x" * 256, "location"),
    ("/api/platform-files/refunds.csv", "channel"),
    ("/api/platform-files/refunds.csv?channel=amazn", "channel"),
    ("/api/platform-files/refunds.csv?channel=amazon%00", "channel"),
    ("/api/platform-files/refunds.csv?channel=" + "a" * 129, "channel"),
    ("/api/platform-files/refunds.csv?channel=amazon&from=2024-02-30", "from"),
    ("/api/platform-files/refunds.csv?channel=amazon&from=yesterday", "from"),
    ("/api/platform-files/refunds.csv?channel=amazon&from=2024-W01-1", "from"),
    ("/api/platform-files/refunds.csv?channel=amazon&from=2024-01-01T00:00", "from"),
    ("/api/platform-files/refunds.csv?channel=amazon&to=%D9%A2%D9%A0%D9%A2%D9%A4-01-01", "to"),
    ("/api/platform-files/refunds.csv?channel=amazon&from=2024-03-10&to=2024-03-01", "to"),
    ("/api/platform-files/refunds.csv?channel=amazon&from=2024-01-01&to=9999-12-31", "to"),
])
def test_a_bad_location_channel_or_day_is_a_400_naming_the_field_not_a_file(world, url, field):
    response = call(world, "admin", url)
    assert response.status_code == 400 and response.mimetype == "application/json"
    assert response.json["error"]["field"] == field and response.json["error"]["code"] == "bad_request"


def test_the_unknown_channel_message_lists_the_channels_orders_have(world):
    message = call(world, "supervisor", "/api/platform-files/refunds.csv?channel=Amazon").json["error"]["message"]
    assert message == "channel: no order has the channel 'Amazon'; known: aliexpress, amazon, ebay, shop, shopify"
    assert platform_files.channels(world["db"]) == ["aliexpress", "amazon", "ebay", "shop", "shopify", ""]


# --- the Integrations screen --------------------------------------------------------------------

def signed_in(world, role):
    client = world["app"].test_client()
    user_id = world["db"].execute("SELECT id FROM users WHERE name = ?", [f"{role} user"]).fetchone()[0]
    with client.session_transaction() as session:
        session.update(user_id=user_id, sid=bench_session(world["app"], user_id), csrf=CSRF, seen=now().timestamp())
    return client


def test_the_integrations_page_offers_the_three_files_and_the_channels_orders_have(world):
    page = signed_in(world, "admin").get("/admin/integrations").get_data(as_text=True)

    panel = page.split('id="platform-files"', 1)[1].split("</section>", 1)[0]
    assert "Download Shopify inventory" in panel and "Download Amazon price &amp; quantity" in panel
    assert 'action="/admin/integrations/platform-files/shopify-inventory.csv"' in panel
    assert 'name="location"' in panel and 'name="from"' in panel and 'name="to"' in panel
    assert [o for o in ('value="amazon"', 'value="ebay"', 'value="shopify"', '>Own shop (no channel)<') if o not in panel] == []
    assert "<script" not in panel and "31 July 2025" in panel
    # the self-refreshing webhook table does not pass over the orders for a panel it does not show
    fragment = signed_in(world, "admin").get("/admin/integrations/webhooks", headers={"HX-Request": "true"})
    assert fragment.status_code == 200 and "platform-files" not in fragment.get_data(as_text=True)
    whole = signed_in(world, "admin").get("/admin/integrations", headers={"HX-Request": "true"})
    assert whole.status_code == 200 and 'id="platform-files"' in whole.get_data(as_text=True)


def test_the_screen_downloads_the_same_files_as_the_api(world):
    restock(world, "#1001", "TEE-RED/M")
    admin = signed_in(world, "admin")

    shopify = admin.get("/admin/integrations/platform-files/shopify-inventory.csv?location=Main")
    amazon = admin.get("/admin/integrations/platform-files/amazon-price-quantity.txt")
    refunds = admin.get("/admin/integrations/platform-files/refunds.csv?channel=shopify&from=&to=")

    assert shopify.status_code == amazon.status_code == refunds.status_code == 200
    assert shopify.data == call(world, "admin", "/api/platform-files/shopify-inventory.csv?location=Main").data
    assert amazon.data == call(world, "admin", "/api/platform-files/amazon-price-quantity.txt").data
    assert refunds.data == call(world, "admin", "/api/platform-files/refunds.csv?channel=shopify").data
    assert [row[1] for row in rows_of(refunds.get_data(as_text=True))] == ["order_no", "#1001"]
    assert "attachment" in refunds.headers["Content-Disposition"]


@pytest.mark.parametrize("url, field, message", [
    ("shopify-inventory.csv?location=", "location", "give the Shopify location&#39;s name, exactly as Shopify shows it"),
    ("shopify-inventory.csv?location=Main%09Store", "location", "must not hold control characters (a line break, a tab)"),
    ("refunds.csv?channel=nope&from=&to=", "channel", "no order has the channel &#39;nope&#39;"),
    ("refunds.csv?channel=amazon&from=2024-03-10&to=2024-03-01", "to", "the end day is before the start day"),
    ("refunds.csv?channel=amazon&from=2024-02-30&to=", "from", "must be a date YYYY-MM-DD"),
])
def test_a_refused_input_on_the_screen_is_the_page_with_the_reason_next_to_its_field(world, url, field, message):
    response = signed_in(world, "admin").get(f"/admin/integrations/platform-files/{url}")

    assert response.status_code == 400 and response.mimetype == "text/html"
    page = response.get_data(as_text=True)
    assert f'id="pf-{field}-error" role="alert">{message}' in page
    assert f'aria-describedby="pf-{field}-error"' in page
    assert 'id="from-error"' not in page and 'id="to-error"' not in page  # the exports panel keeps its own range


def test_a_supervisor_badge_gets_the_api_not_the_admin_screen(world):
    response = signed_in(world, "supervisor").get("/admin/integrations/platform-files/amazon-price-quantity.txt")
    assert response.status_code == 403 and "This screen is not for your badge" in response.get_data(as_text=True)
