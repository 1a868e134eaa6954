"""Carrier claims: items returned damaged in transit, by carrier, through the API queue, the
supervisor's screen (htmx as the page posts it), the claim pack and its CSV, the JSON routes, and
the value report. Each test asserts the answer and what landed in the database."""
import csv
import io
import json
from datetime import timedelta

import pytest

from station import auth, create_app
from station.db import connect
from station.intake import decisions, returns
from station.reporting import value
from station.timeutil import now
from tests.helpers import csrf_token, post, query
from tests.sample import CARTON, OUT_TRACKING, RETURN_TRACKING, evidence, fresh, load_sample

USERS = {"supervisor": ("Sam Supervisor", "SV-1", "2222"), "operator": ("Olly Operator", "OP-1", "4444"),
         "technician": ("Tess Technician", "TE-1", "1111")}


@pytest.fixture
def app(tmp_path):
    path = tmp_path / "station.db"
    db = fresh(path)
    load_sample(db)
    tokens = {}
    for role, (name, badge, pin) in USERS.items():
        auth.add_user(db, name, role, pin, badge)
        tokens[role] = auth.new_token(db, name)
    db.close()
    app = create_app({"DATABASE": str(path), "SECRET_KEY": "claims-test", "TESTING": True,
                      "PHOTO_DIR": str(tmp_path / "photos")})
    app.tokens = tokens
    return app


def returned(app, code, item):
    """An inspected, decided item of the parcel opened by `code` (a photo first where its grade needs one)."""
    db = connect(app.config["DATABASE"])
    try:
        ret, _ = returns.open_return(db, code, "bench-1")
        added = returns.add_item(db, ret["return_id"], item)
        photo = evidence(db, added["item_id"], item["grade"])
        decisions.decide(db, ret["return_id"], added["item_id"], {"disposition": added["recommendation"]["disposition"]})
        return added["item_id"], photo and photo["photo_id"]
    finally:
        db.close()


def ups_mug(app):
    """A mug of SO-1 (USD, carton with UPS, RMA with a return tracking number), damaged in transit."""
    return returned(app, CARTON, {"sku": "MUG-01", "qty": 1, "grade": "D", "reason": "damaged_in_transit"})


def dhl_shoe(app):
    """A shoe of SO-2 (EUR, carton CTN-2 with DHL, no tracking number), damaged in transit."""
    return returned(app, "CTN-2", {"sku": "SHOE-01", "qty": 1, "grade": "D", "reason": "damaged_in_transit"})


def api(app, method, url, role="supervisor", body=None):
    return app.test_client().open(url, method=method, json=body,
                                  headers={"Authorization": f"Bearer {app.tokens[role]}"})


def screen(app, role="supervisor"):
    """A badge signed in at a bench; client.token is its page's CSRF token (a technician lands on refurbish)."""
    _name, badge, pin = USERS[role]
    client = app.test_client()
    token = csrf_token(client.get("/sign-in?station=back-office"))
    client.post("/sign-in/badge", data={"code": badge}, headers={"X-CSRF-Token": token, "HX-Request": "true"})
    assert client.post("/sign-in", data={"pin": pin, "csrf_token": token}).status_code == 302
    client.token = csrf_token(client.get("/", follow_redirects=True))
    return client


def text(response):
    return response.get_data(as_text=True)


def claim_row(app, item_id):
    return query(app, "SELECT status, claim_ref, settled_amount, currency, note FROM carrier_claims WHERE item_id = ?",
                 [item_id])


def events(app, kind):
    return [json.loads(d) for (d,) in query(app, "SELECT data FROM events WHERE type = ? ORDER BY seq", [kind])]


# -- the list ------------------------------------------------------------------------------------

def test_an_item_returned_damaged_in_transit_is_in_the_claims_queue_with_carrier_tracking_photos_and_value(app):
    item_id, photo_id = ups_mug(app)
    answer = api(app, "GET", "/api/queues/claims", role="operator")  # a read route: any token
    assert answer.status_code == 200
    [claim] = answer.get_json()["items"]
    assert {k: claim[k] for k in ("item_id", "carrier", "tracking_no", "return_tracking_no", "order_no", "sku", "qty",
                                  "value", "currency", "photos", "status")} == {
        "item_id": item_id, "carrier": "UPS", "tracking_no": OUT_TRACKING, "return_tracking_no": RETURN_TRACKING,
        "order_no": "SO-1", "sku": "MUG-01", "qty": 1, "value": "19.99", "currency": "USD", "photos": [photo_id],
        "status": "open"}
    assert claim["since"] == query(app, "SELECT decided_at FROM decisions WHERE item_id = ?", [item_id])[0][0]
    assert claim_row(app, item_id) == []  # open: no row until a supervisor records something

    page = screen(app).get("/claims")
    body = text(page)
    assert page.status_code == 200 and 'id="claims"' in body
    assert "UPS" in body and OUT_TRACKING in body and RETURN_TRACKING in body and "19.99 USD" in body
    assert f'src="/photos/{photo_id}"' in body


def test_an_item_returned_for_another_reason_is_not_a_carrier_claim(app):
    transit, _ = ups_mug(app)
    other, _ = returned(app, CARTON, {"sku": "MUG-01", "qty": 1, "grade": "B", "reason": "size_fit"})
    assert [c["item_id"] for c in api(app, "GET", "/api/queues/claims").get_json()["items"]] == [transit]
    assert api(app, "GET", f"/api/claims/{other}").status_code == 404
    body = text(screen(app).get("/claims"))
    assert f'id="claim-{transit}"' in body and f'id="claim-{other}"' not in body
    assert query(app, "SELECT count(*) FROM carrier_claims") == [(0,)]


def test_an_undecided_transit_item_waits_for_its_decision_before_it_is_claimed(app):
    db = connect(app.config["DATABASE"])
    ret, _ = returns.open_return(db, CARTON, "bench-1")
    returns.add_item(db, ret["return_id"], {"sku": "MUG-01", "qty": 1, "grade": "C", "reason": "damaged_in_transit"})
    db.close()
    assert api(app, "GET", "/api/queues/claims").get_json() == {"items": []}


def test_the_claims_screen_groups_claims_by_carrier_oldest_first_with_count_and_value_per_currency(app):
    mug, _ = ups_mug(app)
    shoe, _ = dhl_shoe(app)
    assert [(c["item_id"], c["carrier"], c["value"], c["currency"], c["tracking_no"])
            for c in api(app, "GET", "/api/queues/claims").get_json()["items"]] == [
        (mug, "UPS", "19.99", "USD", OUT_TRACKING), (shoe, "DHL", "49.50", "EUR", None)]
    body = text(screen(app).get("/claims"))
    dhl, ups = body.index('id="carrier-DHL"'), body.index('id="carrier-UPS"')
    assert dhl < ups  # carriers A-Z
    assert "1 item · <b>49.50 EUR</b>" in body[dhl:ups] and "1 item · <b>19.99 USD</b>" in body[ups:]
    assert "no tracking number" in body[dhl:ups]
    fragment = screen(app).get("/claims", headers={"HX-Request": "true"})
    assert "<html" not in text(fragment)
    assert 'id="claims" class="ds" hx-target="this" hx-swap="outerHTML"' in text(fragment)


def test_a_carton_without_a_carrier_is_claimed_from_an_unknown_carrier(app):
    db = connect(app.config["DATABASE"])
    with db.conn:
        db.execute("UPDATE cartons SET carrier = NULL WHERE carton_code = 'CTN-2'")
    db.close()
    shoe, _ = dhl_shoe(app)
    assert api(app, "GET", f"/api/claims/{shoe}").get_json()["carrier"] == "unknown carrier"
    assert "unknown carrier" in text(screen(app).get("/claims"))


def test_the_rtv_screen_links_to_the_claims_screen(app):
    assert 'href="/claims"' in text(screen(app).get("/rtv"))


# -- the claim pack and its CSV -----------------------------------------------------------------

def test_the_claim_pack_of_a_carrier_lists_each_items_photos_tracking_and_declared_value(app):
    mug, photo_id = ups_mug(app)
    shoe, _ = dhl_shoe(app)
    sup = screen(app)
    pack = sup.get("/claims/pack?carrier=UPS")
    body = text(pack)
    assert pack.status_code == 200 and "Claim pack · <bdi>UPS</bdi>" in body
    assert f'id="pack-item-{mug}"' in body and f'id="pack-item-{shoe}"' not in body
    assert f'src="/photos/{photo_id}"' in body and OUT_TRACKING in body and RETURN_TRACKING in body
    assert "19.99 USD" in body and "SO-1" in body and "<b>19.99 USD</b>" in body
    assert sup.get(f"/photos/{photo_id}").status_code == 200  # the picture itself, for the supervisor
    everything = text(sup.get("/claims/pack"))
    assert f'id="pack-item-{mug}"' in everything and f'id="pack-item-{shoe}"' in everything and "49.50 EUR" in everything
    assert sup.get("/claims/pack?carrier=Nobody").status_code == 404


def test_the_claims_csv_has_a_header_row_and_a_currency_beside_every_amount(app):
    mug, photo_id = ups_mug(app)
    dhl_shoe(app)
    answer = screen(app).get("/claims/export.csv?carrier=UPS")
    assert answer.status_code == 200 and answer.mimetype == "text/csv"
    assert 'filename="carrier-claims-UPS-' in answer.headers["Content-Disposition"]
    table = list(csv.DictReader(io.StringIO(text(answer))))
    assert text(answer).splitlines()[0].split(",")[:3] == ["carrier", "item_id", "status"]
    assert [(r["carrier"], r["item_id"], r["tracking_no"], r["return_tracking_no"], r["value"], r["settled_amount"],
             r["currency"], r["photos"]) for r in table] == [
        ("UPS", str(mug), OUT_TRACKING, RETURN_TRACKING, "19.99", "", "USD", str(photo_id))]
    both = list(csv.DictReader(io.StringIO(text(screen(app).get("/claims/export.csv")))))
    assert [(r["carrier"], r["value"], r["currency"]) for r in both] == [("UPS", "19.99", "USD"), ("DHL", "49.50", "EUR")]


# -- filing, settling, rejecting -----------------------------------------------------------------

def test_filing_a_claim_records_its_reference_once_with_an_event(app):
    mug, _ = ups_mug(app)
    sup = screen(app)
    empty = post(sup, f"/claims/{mug}/file", claim_ref="  ")
    assert empty.status_code == 400 and 'class="field-error"' in text(empty) and "claim_ref:" in text(empty)
    assert claim_row(app, mug) == []
    filed = post(sup, f"/claims/{mug}/file", claim_ref="UPS-CLM-001")
    assert filed.status_code == 200 and "claim filed with UPS under UPS-CLM-001" in text(filed)
    assert claim_row(app, mug) == [("claimed", "UPS-CLM-001", None, "USD", None)]
    assert query(app, "SELECT claimed_by FROM carrier_claims WHERE item_id = ?", [mug]) == [("Sam Supervisor",)]
    again = post(sup, f"/claims/{mug}/file", claim_ref="UPS-CLM-002")
    assert again.status_code == 409 and "filed already under UPS-CLM-001" in text(again)
    assert claim_row(app, mug)[0][1] == "UPS-CLM-001"
    assert events(app, "claim.filed") == [{"item_id": mug, "carrier": "UPS", "claim_ref": "UPS-CLM-001", "amount": "19.99",
                                           "currency": "USD"}]
    # a filed claim still waits for the carrier's money
    assert [(c["item_id"], c["status"], c["claim_ref"]) for c in api(app, "GET", "/api/queues/claims").get_json()["items"]] == [
        (mug, "claimed", "UPS-CLM-001")]


def test_a_carrier_group_is_filed_under_one_reference_all_or_none(app):
    first, _ = ups_mug(app)
    second, _ = returned(app, CARTON, {"sku": "MUG-01", "qty": 1, "grade": "C", "reason": "damaged_in_transit"})
    sup = screen(app)
    post(sup, f"/claims/{second}/file", claim_ref="EARLIER")
    # the page showed both open; one was filed meanwhile: nothing is filed
    refused = sup.post("/claims/file", data={"carrier": "UPS", "item_id": [first, second], "claim_ref": "UPS-9"},
                              headers={"X-CSRF-Token": sup.token, "HX-Request": "true"})
    assert refused.status_code == 409 and claim_row(app, first) == []
    filed = sup.post("/claims/file", data={"carrier": "UPS", "item_id": [first], "claim_ref": "UPS-9"},
                            headers={"X-CSRF-Token": sup.token, "HX-Request": "true"})
    assert filed.status_code == 200 and "1 claim filed with UPS under UPS-9" in text(filed)
    assert claim_row(app, first)[0][:2] == ("claimed", "UPS-9") and claim_row(app, second)[0][:2] == ("claimed", "EARLIER")


@pytest.mark.parametrize("amount", ["12,50", "-1", "-0", "abc", "", "0", "1.005", "1e3", "１２"])
def test_a_bad_settlement_amount_is_refused_next_to_the_field_and_nothing_is_saved(app, amount):
    mug, _ = ups_mug(app)
    refused = post(screen(app), f"/claims/{mug}/settle", amount=amount, note="paid by cheque")
    body = text(refused)
    assert refused.status_code == 400
    # the form stays open, with what was typed and the reason beside the amount field
    assert f'id="settle-{mug}-amount-error"' in body and "amount:" in body
    assert f'aria-invalid="true" aria-describedby="settle-{mug}-amount-error"' in body
    assert f'<tr id="settle-{mug}" class="claim-row-form"><td' in body
    assert claim_row(app, mug) == [] and events(app, "claim.settled") == []


def test_settling_a_claim_records_what_the_carrier_paid_in_the_orders_currency_and_it_leaves_the_queue(app):
    mug, _ = ups_mug(app)
    shoe, _ = dhl_shoe(app)
    sup = screen(app)
    post(sup, f"/claims/{shoe}/file", claim_ref="DHL-77")
    settled = post(sup, f"/claims/{shoe}/settle", amount="45.5", note="")
    assert settled.status_code == 200 and "DHL paid 45.50 EUR (declared 49.50 EUR)" in text(settled)
    assert claim_row(app, shoe) == [("settled", "DHL-77", "45.50", "EUR", None)]
    assert query(app, "SELECT settled_by, settled_at IS NOT NULL FROM carrier_claims WHERE item_id = ?", [shoe]) == [
        ("Sam Supervisor", 1)]
    assert events(app, "claim.settled") == [{"item_id": shoe, "carrier": "DHL", "claim_ref": "DHL-77", "amount": "45.50",
                                             "currency": "EUR", "value": "49.50"}]
    assert [c["item_id"] for c in api(app, "GET", "/api/queues/claims").get_json()["items"]] == [mug]
    body = text(sup.get("/claims"))
    assert f'id="claim-{shoe}"' not in body and f'id="claim-done-{shoe}"' in body and "45.50 EUR" in body
    again = post(sup, f"/claims/{shoe}/settle", amount="1")
    assert again.status_code == 409 and "settled already (45.50 EUR)" in text(again)
    assert claim_row(app, shoe)[0][2] == "45.50" and len(events(app, "claim.settled")) == 1


def test_rejecting_a_claim_needs_a_reason_and_closes_it(app):
    mug, _ = ups_mug(app)
    sup = screen(app)
    bare = post(sup, f"/claims/{mug}/reject")
    assert bare.status_code == 400 and f'id="reject-{mug}-note-error"' in text(bare) and claim_row(app, mug) == []
    rejected = post(sup, f"/claims/{mug}/reject", reason="Claimed too late", note="over 60 days")
    assert rejected.status_code == 200 and "is rejected — Claimed too late — over 60 days" in text(rejected)
    assert claim_row(app, mug) == [("rejected", None, None, "USD", "Claimed too late — over 60 days")]
    assert events(app, "claim.rejected") == [{"item_id": mug, "carrier": "UPS", "claim_ref": None, "amount": "19.99",
                                              "currency": "USD", "note": "Claimed too late — over 60 days"}]
    assert api(app, "GET", "/api/queues/claims").get_json() == {"items": []}
    late = post(sup, f"/claims/{mug}/settle", amount="10")
    assert late.status_code == 409 and claim_row(app, mug)[0][0] == "rejected"


def test_the_json_routes_file_settle_once_and_reject_naming_the_field_they_refuse(app):
    mug, _ = ups_mug(app)
    shoe, _ = dhl_shoe(app)
    assert api(app, "POST", f"/api/claims/{mug}/file", body={"claim_ref": 12}).get_json()["error"]["field"] == "claim_ref"
    filed = api(app, "POST", f"/api/claims/{mug}/file", body={"claim_ref": "UPS-1"})
    assert filed.status_code == 200 and filed.get_json()["status"] == "claimed"
    for bad_amount in ("12,50", "-1", 12.555, None, True):
        refused = api(app, "POST", f"/api/claims/{mug}/settle", body={"amount": bad_amount})
        assert refused.status_code == 400 and refused.get_json()["error"]["field"] == "amount", bad_amount
    assert claim_row(app, mug)[0][2] is None
    settled = api(app, "POST", f"/api/claims/{mug}/settle", body={"amount": "18.00", "note": "paid"})
    assert settled.status_code == 200
    assert {k: settled.get_json()[k] for k in ("status", "settled_amount", "currency", "claim_ref", "note")} == {
        "status": "settled", "settled_amount": "18.00", "currency": "USD", "claim_ref": "UPS-1", "note": "paid"}
    second = api(app, "POST", f"/api/claims/{mug}/settle", body={"amount": "18.00"})
    assert second.status_code == 409 and second.get_json()["error"]["code"] == "claim_settled"
    assert api(app, "POST", f"/api/claims/{shoe}/reject", body={}).get_json()["error"]["field"] == "note"
    rejected = api(app, "POST", f"/api/claims/{shoe}/reject", body={"note": "no proof"})
    assert rejected.status_code == 200 and rejected.get_json()["status"] == "rejected"
    assert api(app, "GET", f"/api/claims/{mug}").get_json()["settled_amount"] == "18.00"
    assert api(app, "POST", "/api/claims/999999/settle", body={"amount": "1"}).status_code == 404
    assert api(app, "POST", "/api/claims/abc/file", body={"claim_ref": "x"}).status_code == 404
    assert query(app, "SELECT item_id, status, settled_amount FROM carrier_claims ORDER BY item_id") == [
        (mug, "settled", "18.00"), (shoe, "rejected", None)]


def test_a_settlement_in_a_currency_without_cents_refuses_decimals(app):
    db = connect(app.config["DATABASE"])
    with db.conn:
        db.execute("UPDATE orders SET currency = 'JPY' WHERE order_no = 'SO-2'")
    db.close()
    shoe, _ = dhl_shoe(app)
    refused = api(app, "POST", f"/api/claims/{shoe}/settle", body={"amount": "4000.5"})
    assert refused.status_code == 400 and "JPY" in refused.get_json()["error"]["message"]
    assert api(app, "POST", f"/api/claims/{shoe}/settle", body={"amount": "4000"}).get_json()["settled_amount"] == "4000"
    assert claim_row(app, shoe)[0][2:4] == ("4000", "JPY")


# -- the value report ---------------------------------------------------------------------------

def test_the_value_report_counts_the_carrier_money_settled_in_the_range(app):
    mug, _ = ups_mug(app)
    shoe, _ = dhl_shoe(app)
    db = connect(app.config["DATABASE"])
    before = value.recovery(db)
    assert "carrier_claim" not in [r["disposition"] for r in before["rows"]] and before["claims"] == []
    api(app, "POST", f"/api/claims/{mug}/settle", body={"amount": "15.00"})
    api(app, "POST", f"/api/claims/{shoe}/settle", body={"amount": "40.00"})  # EUR at 1.08: 43.20 USD
    after = value.recovery(db)
    row = after["rows"][-1]
    assert row == {"disposition": "carrier_claim", "items": 2, "units": 2, "original_value": "73.45",
                   "recovered_value": "58.20", "lost_value": "15.25", "recovery_rate": 0.7924, "currency": "USD"}
    assert after["rows"][:-1] == before["rows"]
    # the items were counted under their disposition: only the money is added to the total
    assert (after["total"]["items"], after["total"]["original_value"]) == (before["total"]["items"],
                                                                           before["total"]["original_value"])
    assert float(after["total"]["recovered_value"]) == pytest.approx(float(before["total"]["recovered_value"]) + 58.20)
    assert after["claims"] == [
        {"currency": "EUR", "items": 1, "units": 1, "declared_value": "49.50", "settled_value": "40.00", "rate": "1.08",
         "in_base": "43.20"},
        {"currency": "USD", "items": 1, "units": 1, "declared_value": "19.99", "settled_value": "15.00", "rate": "1",
         "in_base": "15.00"}]
    today = now().date()
    assert value.recovery(db, str(today - timedelta(days=1)), str(today + timedelta(days=1)))["rows"][-1]["recovered_value"] == "58.20"
    outside = value.recovery(db, str(today - timedelta(days=30)), str(today - timedelta(days=2)))
    assert "carrier_claim" not in [r["disposition"] for r in outside["rows"]]
    # a currency without an exchange rate is shown as paid but not added as if it were the base
    with db.conn:
        db.execute("DELETE FROM fx_rates WHERE currency = 'EUR'")
    unrated = value.recovery(db)
    assert unrated["rows"][-1]["recovered_value"] == "15.00" and unrated["claims"][0]["in_base"] is None
    db.close()
    reports = screen(app).get("/reports/value?period=all")
    body = text(reports)
    assert reports.status_code == 200 and "carrier_claim" in body and "40.00 EUR" in body
    assert "not counted: no exchange rate for EUR" in body
    exported = api(app, "GET", "/api/reports/value?format=csv")
    assert "carrier_claim,1,1,19.99,15.00,4.99,0.7504,USD" in text(exported)


# -- who may ------------------------------------------------------------------------------------

@pytest.mark.parametrize("role", ["operator", "technician"])
def test_only_supervisors_and_admins_see_and_settle_claims(app, role):
    mug, _ = ups_mug(app)
    badge = screen(app, role)
    for url in ("/claims", "/claims/pack?carrier=UPS", "/claims/export.csv"):
        assert badge.get(url).status_code == 403, url
    assert post(badge, f"/claims/{mug}/settle", amount="5").status_code == 403
    assert post(badge, f"/claims/{mug}/file", claim_ref="X").status_code == 403
    for action, payload in (("settle", {"amount": "5"}), ("file", {"claim_ref": "X"}), ("reject", {"note": "x"})):
        refused = api(app, "POST", f"/api/claims/{mug}/{action}", role=role, body=payload)
        assert refused.status_code == 403 and refused.get_json()["error"]["code"] == "forbidden"
    assert claim_row(app, mug) == [] and events(app, "claim.settled") == []
