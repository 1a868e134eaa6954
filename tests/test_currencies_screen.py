"""The admin Currencies screen through Flask's test client, and the refund lines (with their
currency) in a customer's history: the page, its CSV and the JSON API.

Each test asserts what the page answered and what landed in the database.
"""
import csv
import io
import json
import re

import pytest

from station import auth, create_app
from station.db import connect, write
from station.intake import closing, decisions, returns
from station.intake.lookup import lookup
from tests.helpers import screen_as
from tests.sample import CARTON, days_ago, evidence, fresh, load_sample

CSRF = "currencies-csrf"
BADGES = {"admin": ("AD-1", "9999"), "supervisor": ("SV-1", "4321"), "operator": ("OP-1", "1234")}
NAMES = {"admin": "Ada Admin", "supervisor": "Sam Supervisor", "operator": "Olga Operator"}


@pytest.fixture
def app(tmp_path):
    """The sample set (orders in USD and EUR, rates for EUR and SAR) and three orders in currencies
    without a rate: two in JPY, one in GBP."""
    path = tmp_path / "station.db"
    db = fresh(path)
    load_sample(db)
    with write(db):
        for order_no, currency in (("SO-J1", "JPY"), ("SO-J2", "jpy"), ("SO-G1", "GBP")):
            db["orders"].insert({"order_no": order_no, "customer_id": "C4", "placed_at": days_ago(12), "channel": "shop",
                                 "shipped_at": days_ago(10), "delivered_at": days_ago(8), "currency": currency,
                                 "status": "delivered", "priority": 0})
            db["order_lines"].insert({"order_no": order_no, "line_no": 1, "sku": "MUG-01", "qty": 1, "unit_price": 3000})
    for role, (badge, pin) in BADGES.items():
        auth.add_user(db, NAMES[role], role, pin, badge)
    db.close()
    return create_app({"DATABASE": str(path), "SECRET_KEY": "currencies-test", "TESTING": True,
                       "PHOTO_DIR": str(tmp_path / "photos")})


@pytest.fixture
def db(app):
    handle = connect(app.config["DATABASE"])
    yield handle
    handle.close()


def signed_in(app, role):
    return screen_as(app, NAMES[role], CSRF)


@pytest.fixture
def admin(app):
    return signed_in(app, "admin")


def text(response):
    return response.get_data(as_text=True)


def field_error(response, key):
    found = re.search(rf'id="{key}-error"[^>]*>([^<]*)<', text(response))
    return found.group(1) if found else None


def section(page, widget_id):
    """The HTML of one widget (a <section id=...>) of a page or an htmx answer."""
    start = page.index(f'id="{widget_id}"')
    return page[start:page.index("</section>", start)]


def rate_rows(page):
    """{currency: rate} as the rates table shows them."""
    return dict(re.findall(r'data-currency="([A-Z]{3})">.*?class="fx-rate">([^<]+)<', section(page, "fx-rates"), re.S))


def missing_rows(page):
    """{currency: orders} as the list of currencies without a rate shows them."""
    return {code: int(n) for code, n in re.findall(r'data-missing="([A-Z]*)">.*?<td>(\d+)</td>',
                                                   section(page, "fx-missing"), re.S)}


def stored_rates(db):
    return db.execute("SELECT currency, rate, as_of, updated_by FROM fx_rates ORDER BY currency").fetchall()


def rate_events(db):
    return [json.loads(row[0]) for row in db.execute("SELECT data FROM events WHERE type = 'fx.rate_set' ORDER BY seq")]


# --- the screen ---------------------------------------------------------------------------

def test_the_screen_shows_the_base_currency_every_rate_and_the_order_currencies_without_one(admin):
    response = admin.get("/admin/currencies")
    page = text(response)
    assert response.status_code == 200
    assert re.search(r"Base currency: <strong data-base-currency>USD</strong>", page)
    base = re.search(r'<p class="hint lead" id="fx-base">(.*?)</p>', page, re.S).group(1)
    assert 'href="/admin/policy">Policy</a> screen' in base
    assert rate_rows(page) == {"EUR": "1.08", "SAR": "0.2666"}
    rates = section(page, "fx-rates")
    assert "rates file" in rates  # loaded from fx_rates.csv: nobody on the screen set them
    # the two JPY orders (one written 'jpy': the bench matches a code in any case), the GBP one; never USD or EUR
    assert missing_rows(page) == {"JPY": 2, "GBP": 1}
    assert "fx_missing" in section(page, "fx-missing")
    form = section(page, "fx-form")
    assert 'name="csrf_token"' in form and 'inputmode="decimal"' in form and 'type="date"' in form


def test_the_currencies_screen_is_linked_from_integrations_for_an_admin_and_not_offered_to_a_supervisor(app, admin):
    # the bar keeps its ten screens (one row on a 1024-px bench): Currencies opens from Integrations
    assert 'href="/admin/currencies"' in text(admin.get("/admin/integrations"))
    assert 'href="/admin/currencies"' not in text(signed_in(app, "supervisor").get("/admin/policy"))


def test_setting_a_rate_saves_it_through_the_service_and_the_rates_and_missing_list_refresh(admin, db):
    assert "fx_missing" in lookup(db, "SO-J1")["flags"]
    response = admin.post("/admin/currencies", currency="jpy", rate="0.0067", as_of="2025-01-02")
    page = text(response)
    assert response.status_code == 200
    assert "Saved: 1 JPY = 0.0067 USD as of 2025-01-02; 2 orders in JPY are valued in USD from now on" in page
    assert 'id="fx-rates" class="panel" hx-swap-oob="true"' in page and 'id="fx-missing" class="panel" hx-swap-oob="true"' in page
    assert rate_rows(page) == {"EUR": "1.08", "JPY": "0.0067", "SAR": "0.2666"}
    assert missing_rows(page) == {"GBP": 1}
    assert stored_rates(db)[1] == ("JPY", "0.0067", "2025-01-02T00:00:00Z", "Ada Admin")
    assert rate_events(db) == [{"currency": "JPY", "rate": "0.0067", "as_of": "2025-01-02T00:00:00Z", "by": "Ada Admin"}]
    # the bench now values the JPY order in USD: no fx_missing flag
    assert "fx_missing" not in lookup(db, "SO-J1")["flags"]
    again = text(admin.get("/admin/currencies"))
    assert rate_rows(again)["JPY"] == "0.0067" and "JPY" not in missing_rows(again)
    assert "Ada Admin" in section(again, "fx-rates")


def test_change_fills_the_form_with_the_current_rate_and_saving_replaces_it(admin, db):
    form = admin.get("/admin/currencies/form?currency=EUR", htmx=True)
    assert form.status_code == 200 and "<html" not in text(form).lower()  # the form alone, for #fx-form
    assert 'id="fx-currency" name="currency" class="field" value="EUR"' in text(form)
    assert 'value="1.08"' in text(form)
    blank = admin.get("/admin/currencies/form?currency=GBP", htmx=True)
    assert 'value="GBP"' in text(blank) and 'id="fx-rate" name="rate" class="field num" value=""' in text(blank)
    response = admin.post("/admin/currencies", currency="EUR", rate="1.1", as_of="")
    assert response.status_code == 200
    assert [r for r in stored_rates(db) if r[0] == "EUR"] == [("EUR", "1.1", None, "Ada Admin")]
    assert len(stored_rates(db)) == 2  # replaced, not added


def test_a_form_post_without_htmx_answers_the_whole_page(admin, db):
    response = admin.post("/admin/currencies", htmx=False, currency="GBP", rate="1.27", as_of="2025-03-01")
    assert response.status_code == 200 and "<html" in text(response).lower()
    assert 'hx-swap-oob' not in text(response)
    assert missing_rows(text(response)) == {"JPY": 2}


@pytest.mark.parametrize("currency, rate, as_of, field", [
    ("JPY", "0", "2025-01-02", "rate"),
    ("JPY", "-1", "2025-01-02", "rate"),
    ("JPY", "1,5", "2025-01-02", "rate"),
    ("JPY", "abc", "2025-01-02", "rate"),
    ("JPY", "", "2025-01-02", "rate"),
    ("JPY", "1e3", "2025-01-02", "rate"),
    ("JPY", "0.0000000000001", "2025-01-02", "rate"),  # 13 decimals
    ("XXX", "0.0067", "2025-01-02", "currency"),
    ("EURO", "0.0067", "2025-01-02", "currency"),
    ("", "0.0067", "2025-01-02", "currency"),
    ("USD", "1", "2025-01-02", "currency"),  # the base is always 1
    ("JPY", "0.0067", "2025-13-01", "as_of"),
    ("JPY", "0.0067", "yesterday", "as_of"),
])
def test_a_bad_rate_currency_or_date_is_refused_next_to_its_field_and_nothing_is_saved(admin, db, currency, rate, as_of, field):
    before = stored_rates(db)
    response = admin.post("/admin/currencies", currency=currency, rate=rate, as_of=as_of)
    page = text(response)
    assert response.status_code == 400
    assert field_error(response, field)
    assert [key for key in ("currency", "rate", "as_of") if field_error(response, key)] == [field]
    assert 'aria-invalid="true"' in page and "hx-swap-oob" not in page  # the form alone, nothing else changed
    assert f'value="{rate}"' in page  # what was typed stays there to correct
    assert stored_rates(db) == before
    assert rate_events(db) == []


def test_a_script_typed_as_a_currency_is_shown_as_text(admin, db):
    response = admin.post("/admin/currencies", currency="<b>", rate="<script>alert(1)</script>", as_of="")
    assert response.status_code == 400
    assert "<script>alert(1)" not in text(response) and "&lt;script&gt;" in text(response)
    assert len(stored_rates(db)) == 2


def test_a_post_without_the_forms_csrf_token_saves_nothing(admin, db):
    response = admin.client.post("/admin/currencies", data={"currency": "JPY", "rate": "0.0067"})
    assert response.status_code == 400
    assert len(stored_rates(db)) == 2 and rate_events(db) == []


@pytest.mark.parametrize("role", ["supervisor", "operator"])
def test_a_supervisor_or_operator_gets_the_403_page_and_saves_nothing(app, db, role):
    screen = signed_in(app, role)
    assert screen.get("/admin/currencies").status_code == 403
    assert screen.get("/admin/currencies/form?currency=EUR").status_code == 403
    assert screen.post("/admin/currencies", currency="JPY", rate="0.0067", as_of="").status_code == 403
    assert len(stored_rates(db)) == 2 and rate_events(db) == []


# --- refund lines in the customer history -------------------------------------------------

def _return_with_a_ready_and_a_held_line(db):
    """C1's parcel SO-1: a grade A mug (its line ready, 19.99 USD) and a grade X mug (held: grade X)."""
    ret, _ = returns.open_return(db, CARTON, "bench-1")
    for grade, reason, notes in (("A", "changed_mind", None), ("X", "other", "a brick in the box")):
        data = {"sku": "MUG-01", "qty": 1, "grade": grade, "reason": reason}
        if notes:
            data["notes"] = notes
        item = returns.add_item(db, ret["return_id"], data)
        evidence(db, item["item_id"], grade)
        decisions.decide(db, ret["return_id"], item["item_id"], {"disposition": item["recommendation"]["disposition"]},
                         user="Olga Operator")
    refund = closing.close_return(db, ret["return_id"])["refund"]
    assert [(line["amount"], line["status"]) for line in refund["lines"]] == [("19.99", "ready"), ("0.00", "held")]
    return ret["return_id"], refund


def test_the_customer_history_page_shows_each_items_refund_line_with_its_status_and_currency(app, db):
    _return_with_a_ready_and_a_held_line(db)
    page = text(signed_in(app, "supervisor").get("/reports/customers/C1"))
    lines = re.findall(r'data-line-status="(\w+)">· refund line\s+([\d.,]+) (\w{3})', page)
    assert lines == [("ready", "19.99", "USD"), ("held", "0.00", "USD")]
    assert "grade_x" in page


def test_the_customer_history_csv_and_json_carry_the_line_amount_currency_and_status(app, db):
    _return_with_a_ready_and_a_held_line(db)
    token = auth.new_token(db, "Sam Supervisor")
    client = app.test_client()
    answer = client.get("/api/reports/customers/C1", headers={"Authorization": f"Bearer {token}"})
    assert answer.status_code == 200
    items = answer.get_json()["returns"][0]["items"]
    assert [(i["sku"], i["line_amount"], i["line_currency"], i["line_status"], i["line_holds"]) for i in items] == [
        ("MUG-01", "19.99", "USD", "ready", []), ("MUG-01", "0.00", "USD", "held", ["grade_x"])]
    as_csv = client.get("/api/reports/customers/C1?format=csv", headers={"Authorization": f"Bearer {token}"})
    read = list(csv.reader(io.StringIO(as_csv.get_data(as_text=True))))
    header = read[0]
    # the old columns first, unchanged; each amount with its currency right after it
    assert header[:12] == ["return_id", "order_no", "opened_at", "channel", "sku", "qty", "grade", "reason",
                           "disposition", "refund_amount", "currency", "refund_status"]
    assert header[12:] == ["line_amount", "line_currency", "line_status", "line_holds"]
    rows = [dict(zip(header, row)) for row in read[1:]]
    assert [(r["line_amount"], r["line_currency"], r["line_status"], r["line_holds"]) for r in rows] == [
        ("19.99", "USD", "ready", ""), ("0.00", "USD", "held", "grade_x")]
    assert {(r["refund_amount"], r["currency"]) for r in rows} == {("19.99", "USD")}
    page_csv = signed_in(app, "supervisor").get("/reports/export/customers/C1.csv")
    assert page_csv.get_data(as_text=True) == as_csv.get_data(as_text=True)


def test_an_item_of_a_return_not_yet_closed_has_no_refund_line(app, db):
    ret, _ = returns.open_return(db, CARTON, "bench-1")
    returns.add_item(db, ret["return_id"], {"sku": "MUG-01", "qty": 1, "grade": "A", "reason": "changed_mind"})
    token = auth.new_token(db, "Sam Supervisor")
    item = app.test_client().get("/api/reports/customers/C1", headers={"Authorization": f"Bearer {token}"}).get_json()[
        "returns"][0]["items"][0]
    assert (item["line_amount"], item["line_currency"], item["line_status"], item["line_holds"]) == (None, None, None, [])
    assert "data-line-status" not in text(signed_in(app, "supervisor").get("/reports/customers/C1"))
