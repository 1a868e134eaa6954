"""The downstream screens through Flask's test client: refurbish, RTV, quarantine, refunds.

Each test signs a badge in at a bench, drives the screen as htmx does (CSRF header, HX-Request)
and asserts both what the screen says and what landed in the database.
"""
import json
import re

import pytest

from station import auth, create_app, policy
from station.intake import closing, decisions, returns
from station.db import connect
from station.downstream.refunds import hold_kinds
from station.rules.refund import HOLD_LABELS, judge_item
from tests.helpers import query
from tests.sample import CARTON, days_ago, evidence, fresh, load_sample, png_bytes

USERS = {
    "technician": ("Tess Technician", "TE-1", "1111"),
    "supervisor": ("Sam Supervisor", "SV-1", "2222"),
    "supervisor2": ("Sara Second", "SV-2", "3333"),
    "operator": ("Olly Operator", "OP-1", "4444"),
}


@pytest.fixture
def app(tmp_path):
    path = tmp_path / "station.db"
    db = fresh(path)
    load_sample(db)
    for key, (name, badge, pin) in USERS.items():
        auth.add_user(db, name, key.rstrip("2"), pin, badge)
    db.close()
    return create_app({"DATABASE": str(path), "SECRET_KEY": "downstream-test", "TESTING": True,
                       "PHOTO_DIR": str(tmp_path / "photos")})


def decided(app, code, item, disposition=None, close=False, **extra):
    """A return with one inspected, decided item (as the bench leaves it); closed when asked."""
    db = connect(app.config["DATABASE"])
    try:
        ret, _ = returns.open_return(db, code, "bench-1")
        added = returns.add_item(db, ret["return_id"], item)
        evidence(db, added["item_id"], item["grade"])
        decisions.decide(db, ret["return_id"], added["item_id"],
                         {"disposition": disposition or added["recommendation"]["disposition"], **extra})
        refund = closing.close_return(db, ret["return_id"])["refund"] if close else None
        return added["item_id"], refund
    finally:
        db.close()


def csrf(response):
    return re.search(r'data-csrf="([^"]+)"', response.get_data(as_text=True)).group(1)


class Screen:
    """A signed-in browser: gets pages, posts as htmx does with the page's CSRF token."""

    def __init__(self, client, token):
        self.client, self.token = client, token

    def get(self, url, htmx=False):
        return self.client.get(url, headers={"HX-Request": "true"} if htmx else {})

    def post(self, url, **data):
        return self.client.post(url, data=data, headers={"X-CSRF-Token": self.token, "HX-Request": "true"})


def sign_in(app, who):
    name, badge, pin = USERS[who]
    client = app.test_client()
    token = csrf(client.get("/sign-in?station=back-room"))
    client.post("/sign-in/badge", data={"code": badge}, headers={"X-CSRF-Token": token, "HX-Request": "true"})
    response = client.post("/sign-in", data={"pin": pin, "csrf_token": token})
    assert response.status_code == 302
    return Screen(client, csrf(client.get("/", follow_redirects=True)))  # signing in starts a new token


def text(response):
    return response.get_data(as_text=True)


# -- refurbish --------------------------------------------------------------------------------

def test_a_technician_lands_on_the_refurbish_queue_oldest_first_with_ageing(app):
    first, _ = decided(app, CARTON, {"sku": "MUG-01", "qty": 1, "grade": "B", "reason": "size_fit"})
    db = connect(app.config["DATABASE"])
    with db.conn:
        db.execute("UPDATE work_orders SET created_at = '2020-01-01T00:00:00Z' WHERE item_id = ?", [first])
    db.close()
    tech = sign_in(app, "technician")
    landing = tech.client.get("/")
    assert landing.status_code == 302 and landing.headers["Location"].endswith("/refurbish")
    page = tech.get("/refurbish")
    assert page.status_code == 200
    body = text(page)
    assert f"RI-{first}" in body and "Travel mug" in body and "Scan a tote" in body
    assert re.search(r'class="age age-late"[^>]*>\d+ d \d+ h<', body)
    assert 'data-scan-url="/refurbish/scan"' in body and 'data-scan-target="#refurbish"' in body


def test_scanning_a_tote_opens_its_work_order_and_actions_are_recorded_with_minutes_and_cost(app):
    item_id, _ = decided(app, CARTON, {"sku": "MUG-01", "qty": 1, "grade": "B", "reason": "size_fit"})
    tech = sign_in(app, "technician")
    opened = tech.post("/refurbish/scan", code=f"ri-{item_id}")
    assert opened.status_code == 200 and f"Work order RI-{item_id} open" in text(opened)
    wo_id = query(app, "SELECT wo_id FROM work_orders WHERE item_id = ?", [item_id])[0][0]
    assert tech.post(f"/refurbish/{wo_id}/action", action="cleaned", minutes="5").status_code == 200
    part = tech.post(f"/refurbish/{wo_id}/action", action="part_replaced", part="Lid", cost="1.20", minutes="3")
    assert part.status_code == 200 and "part replaced: Lid (1.20)" in text(part)
    actions, minutes, cost = query(app, "SELECT actions, minutes, parts_cost FROM work_orders WHERE wo_id = ?", [wo_id])[0]
    assert [a["action"] for a in json.loads(actions)] == ["cleaned", "part_replaced"]
    assert (minutes, cost) == (8, 1.2)
    assert json.loads(actions)[0]["by"] == "Tess Technician"
    # the part used is offered as a chip next time, ahead of the stock list
    assert text(tech.get("/refurbish")).index('value="Lid"') < text(tech.get("/refurbish")).index('value="Seal"')


@pytest.mark.parametrize("fields, field", [
    ({"action": "part_replaced", "part": "Lid", "cost": "abc"}, "cost"),
    ({"action": "part_replaced", "part": "Lid", "cost": "-2"}, "cost"),
    ({"action": "part_replaced", "part": "Lid", "cost": "NaN"}, "cost"),
    ({"action": "part_replaced", "cost": "2"}, "part"),
    ({"action": "cleaned", "minutes": "-5"}, "minutes"),
    ({"action": "cleaned", "minutes": "ten"}, "minutes"),
    ({"action": "cleaned", "minutes": "99999999999999999999"}, "minutes"),
    ({"action": "dusted"}, "action"),
])
def test_bad_refurbish_entries_are_refused_on_the_screen_and_change_nothing(app, fields, field):
    item_id, _ = decided(app, CARTON, {"sku": "MUG-01", "qty": 1, "grade": "B", "reason": "size_fit"})
    tech = sign_in(app, "technician")
    wo_id = query(app, "SELECT wo_id FROM work_orders WHERE item_id = ?", [item_id])[0][0]
    response = tech.post(f"/refurbish/{wo_id}/action", **fields)
    assert response.status_code == 400 and f"{field}:" in text(response) and 'id="refurbish"' in text(response)
    assert query(app, "SELECT actions, minutes FROM work_orders WHERE wo_id = ?", [wo_id])[0] == ("[]", 0)


def test_an_unknown_tote_or_work_order_is_a_message_not_an_error_page(app):
    tech = sign_in(app, "technician")
    scanned = tech.post("/refurbish/scan", code="RI-999")
    assert scanned.status_code == 404 and "No work order for RI-999" in text(scanned)
    assert tech.post("/refurbish/999/action", action="cleaned").status_code == 404
    assert tech.post("/refurbish/999/finish", outcome="scrap", grade="D").status_code == 404
    assert tech.get("/refurbish/abc/label").status_code == 404
    assert tech.get("/refurbish/999/label").status_code == 404


def test_finishing_restocks_refurbished_stock_apart_from_new_and_a_second_finish_changes_nothing(app):
    item_id, _ = decided(app, CARTON, {"sku": "MUG-01", "qty": 1, "grade": "B", "reason": "size_fit"})
    tech = sign_in(app, "technician")
    tech.post("/refurbish/scan", code=f"RI-{item_id}")
    wo_id = query(app, "SELECT wo_id FROM work_orders WHERE item_id = ?", [item_id])[0][0]
    no_grade = tech.post(f"/refurbish/{wo_id}/finish", outcome="restock")
    assert no_grade.status_code == 400 and "grade:" in text(no_grade)
    done = tech.post(f"/refurbish/{wo_id}/finish", outcome="restock", grade="B")
    assert done.status_code == 200 and "Restocked as refurbished stock in bin REFURB" in text(done)
    assert f'/refurbish/{wo_id}/label?print=1' in text(done)
    again = tech.post(f"/refurbish/{wo_id}/finish", outcome="scrap", grade="D")
    assert again.status_code == 409 and "is finished" in text(again)
    assert query(app, "SELECT qty FROM stock WHERE sku = 'MUG-01' AND condition = 'refurbished'") == [(1,)]
    assert query(app, "SELECT qty FROM stock WHERE sku = 'MUG-01' AND condition = 'new'") == [(5,)]  # new stock untouched
    assert query(app, "SELECT status, outcome, outcome_grade, closed_by FROM work_orders WHERE wo_id = ?", [wo_id]) == [
        ("done", "restock", "B", "Tess Technician")]
    label = tech.get(f"/refurbish/{wo_id}/label")
    assert label.status_code == 200 and "REFURBISHED" in text(label) and "REFURB" in text(label)


def test_a_refurbished_unit_fills_a_waiting_order_only_where_the_skus_policy_allows(app):
    item_id, _ = decided(app, CARTON, {"sku": "MUG-01", "qty": 1, "grade": "B", "reason": "size_fit"})
    tech = sign_in(app, "technician")
    tech.post("/refurbish/scan", code=f"RI-{item_id}")
    wo_id = query(app, "SELECT wo_id FROM work_orders WHERE item_id = ?", [item_id])[0][0]
    assert "Fill order" not in text(tech.get("/refurbish"))
    refused = tech.post(f"/refurbish/{wo_id}/finish", outcome="crossdock", grade="A")
    assert refused.status_code == 409 and "may not fill waiting orders" in text(refused)
    assert query(app, "SELECT count(*) FROM allocations") == [(0,)]
    db = connect(app.config["DATABASE"])
    policy.set_sku_rule(db, "MUG-01", "refurbished_can_crossdock", True, user="Sam Supervisor")
    db.close()
    assert "Fill order SO-W2" in text(tech.get("/refurbish"))  # priority 5 before SO-W1's 1
    filled = tech.post(f"/refurbish/{wo_id}/finish", outcome="crossdock", grade="A")
    assert filled.status_code == 200 and "Fills waiting order SO-W2" in text(filled)
    assert query(app, "SELECT order_no, item_id FROM allocations") == [("SO-W2", item_id)]
    assert query(app, "SELECT status FROM orders WHERE order_no = 'SO-W2'") == [("ready_to_ship",)]
    assert query(app, "SELECT count(*) FROM stock WHERE condition = 'refurbished'") == [(0,)]


def test_a_never_restock_sku_leaves_the_refurbish_station_only_as_scrap(app):
    item_id, _ = decided(app, CARTON, {"sku": "MUG-01", "qty": 1, "grade": "B", "reason": "size_fit"})
    db = connect(app.config["DATABASE"])
    policy.set_sku_rule(db, "MUG-01", "never_restock", True, user="Sam Supervisor")
    policy.set_sku_rule(db, "MUG-01", "refurbished_can_crossdock", True, user="Sam Supervisor")
    db.close()
    tech = sign_in(app, "technician")
    page = text(tech.post("/refurbish/scan", code=f"RI-{item_id}"))
    assert "Policy: <span class=\"mono\">MUG-01</span> is never restocked" in page
    assert "Restock as refurbished" not in page and "Fill order" not in page and ">Scrap</button>" in page
    wo_id = query(app, "SELECT wo_id FROM work_orders WHERE item_id = ?", [item_id])[0][0]
    for outcome in ("restock", "crossdock"):
        refused = tech.post(f"/refurbish/{wo_id}/finish", outcome=outcome, grade="A")
        assert refused.status_code == 409 and "MUG-01 is never restocked: scrap it" in text(refused)
    assert query(app, "SELECT count(*) FROM stock WHERE condition = 'refurbished'") == [(0,)] and query(app, "SELECT count(*) FROM allocations") == [(0,)]
    assert query(app, "SELECT status FROM work_orders WHERE wo_id = ?", [wo_id]) == [("open",)]
    scrapped = tech.post(f"/refurbish/{wo_id}/finish", outcome="scrap", grade="C")
    assert scrapped.status_code == 200 and query(app, "SELECT status, outcome FROM work_orders") == [("done", "scrap")]


# -- RTV --------------------------------------------------------------------------------------

def rtv_item(app):
    item_id, _ = decided(app, CARTON, {"sku": "PHONE-01", "serial": "SN1", "qty": 1, "grade": "D", "reason": "defective"})
    batch_id = query(app, "SELECT batch_id FROM rtv_items WHERE item_id = ?", [item_id])[0][0]
    return item_id, batch_id


def test_the_rtv_screen_lists_open_batches_per_supplier_with_count_and_value(app):
    item_id, batch_id = rtv_item(app)
    sup = sign_in(app, "supervisor")
    page = text(sup.get("/rtv"))
    assert "Shenzhen Parts" in page and "1 item · 200.00" in page and f"/rtv/{batch_id}" in page
    detail = text(sup.get(f"/rtv/{batch_id}"))
    assert "Phone X" in detail and "SN1" in detail and "defective" in detail and "Close batch…" in detail


def test_closing_a_batch_fixes_the_credit_and_the_credit_received_settles_it(app):
    item_id, batch_id = rtv_item(app)
    sup = sign_in(app, "supervisor")
    closed = sup.post(f"/rtv/{batch_id}/close")
    assert closed.status_code == 200 and "credit expected 200.00" in text(closed)
    assert sup.post(f"/rtv/{batch_id}/close").status_code == 409  # a double tap changes nothing
    assert query(app, "SELECT status, credit_expected, closed_by FROM rtv_batches") == [("closed", "200.00", "Sam Supervisor")]
    for bad in ("", "abc", "-1", "1e999", "Infinity"):
        response = sup.post(f"/rtv/{batch_id}/credit", amount=bad)
        assert response.status_code == 400 and "amount" in text(response)
    assert query(app, "SELECT status FROM rtv_batches") == [("closed",)]
    settled = sup.post(f"/rtv/{batch_id}/credit", amount="180")
    assert settled.status_code == 200 and "Credit 180.00 recorded against 200.00 expected" in text(settled)
    assert query(app, "SELECT status, credit_received FROM rtv_batches") == [("settled", "180.00")]
    assert query(app, "SELECT status FROM rtv_items") == [("accepted",)]


def test_the_packing_list_prints_and_downloads_as_csv_and_the_evidence_pack_shows_the_photos(app):
    item_id, batch_id = rtv_item(app)
    db = connect(app.config["DATABASE"])
    from station.intake import photos

    png = png_bytes()
    photo_id = photos.add_photo(db, item_id, png, photo_dir=app.config["PHOTO_DIR"])["photo_id"]
    db.close()
    sup = sign_in(app, "supervisor")
    packing = sup.get(f"/rtv/{batch_id}/packing-list")
    assert packing.status_code == 200 and "Packing list" in text(packing) and "SN1" in text(packing)
    csv = sup.get(f"/rtv/{batch_id}/packing-list.csv")
    assert csv.mimetype == "text/csv" and "attachment" in csv.headers["Content-Disposition"]
    lines = text(csv).splitlines()
    assert lines[0].startswith("item_id,sku,name,qty,serial") and lines[1].startswith(f"{item_id},PHONE-01,Phone X,1,SN1")
    assert lines[0].endswith(",value,currency,status") and ",USD," in lines[1]  # the value names its currency
    evidence = text(sup.get(f"/rtv/{batch_id}/evidence"))
    assert f"/photos/{photo_id}" in evidence and "defective" in evidence and "SO-1" in evidence
    served = sup.get(f"/photos/{photo_id}")
    assert served.status_code == 200 and served.data == png
    assert sup.get("/photos/424242").status_code == 404
    assert sup.get("/rtv/424242").status_code == 404 and sup.get("/rtv/424242/packing-list.csv").status_code == 404


def test_an_item_the_supplier_refuses_goes_back_to_quarantine_for_a_new_decision(app):
    item_id, batch_id = rtv_item(app)
    sup = sign_in(app, "supervisor")
    sup.post(f"/rtv/{batch_id}/close")
    assert "Refused…" in text(sup.get(f"/rtv/{batch_id}"))
    no_reason = sup.post(f"/rtv/{batch_id}/items/{item_id}/refuse")
    assert no_reason.status_code == 400 and query(app, "SELECT status FROM rtv_items") == [("in_batch",)]
    assert sup.post(f"/rtv/{batch_id}/items/999/refuse", reason="Customer damage").status_code == 404
    refused = sup.post(f"/rtv/{batch_id}/items/{item_id}/refuse", reason="Customer damage", note="water inside")
    assert refused.status_code == 200 and "back in quarantine review" in text(refused)
    assert query(app, "SELECT status, refused_reason FROM rtv_items") == [("refused", "Customer damage — water inside")]
    review = text(sup.get("/quarantine"))
    assert "refused by supplier: Customer damage — water inside" in review and "Phone X" in review


def second_phone_order(app):
    """Another delivered order of a phone (serial SN2) from the same RTV supplier."""
    db = connect(app.config["DATABASE"])
    with db.conn:
        db["orders"].insert({"order_no": "SO-P2", "customer_id": "C4", "placed_at": days_ago(12), "channel": "shop",
                             "shipped_at": days_ago(9), "delivered_at": days_ago(6), "currency": "USD",
                             "status": "delivered", "priority": 0})
        db["order_lines"].insert({"order_no": "SO-P2", "line_no": 1, "sku": "PHONE-01", "qty": 1, "unit_price": 299,
                                  "serials": "SN2"})
        db["order_serials"].insert({"serial": "SN2", "order_no": "SO-P2", "line_no": 1, "sku": "PHONE-01"})
    db.close()


def test_an_item_refused_after_the_batch_closed_takes_its_value_off_the_credit_expected(app):
    first, batch_id = rtv_item(app)
    second_phone_order(app)
    second, _ = decided(app, "SO-P2", {"sku": "PHONE-01", "serial": "SN2", "qty": 1, "grade": "D", "reason": "defective"})
    sup = sign_in(app, "supervisor")
    assert "credit expected 400.00" in text(sup.post(f"/rtv/{batch_id}/close"))
    refused = sup.post(f"/rtv/{batch_id}/items/{first}/refuse", reason="Customer damage")
    assert refused.status_code == 200
    # the supplier credits only the phone it took back: the batch expects 200.00, and "Same as expected" says so
    assert query(app, "SELECT credit_expected FROM rtv_batches") == [("200.00",)]
    assert 'data-value="200.00">Same as expected' in text(refused)
    settled = sup.post(f"/rtv/{batch_id}/credit", amount="200")
    assert "Credit 200.00 recorded against 200.00 expected" in text(settled)
    assert query(app, "SELECT item_id, status FROM rtv_items ORDER BY item_id") == [(first, "refused"), (second, "accepted")]


def test_the_evidence_pack_claims_only_the_items_the_supplier_has_not_refused(app):
    first, batch_id = rtv_item(app)
    second_phone_order(app)
    second, _ = decided(app, "SO-P2", {"sku": "PHONE-01", "serial": "SN2", "qty": 1, "grade": "D", "reason": "defective"})
    sup = sign_in(app, "supervisor")
    sup.post(f"/rtv/{batch_id}/close")
    sup.post(f"/rtv/{batch_id}/items/{first}/refuse", reason="Customer damage")
    evidence = text(sup.get(f"/rtv/{batch_id}/evidence"))
    assert "1 item(s) claimed (1 refused by the supplier, listed last); credit expected 200.00." in evidence
    assert evidence.index(f"Item {second} ·") < evidence.index(f"Item {first} ·")
    assert query(app, "SELECT item_id, status FROM rtv_items ORDER BY item_id") == [(first, "refused"), (second, "in_batch")]


def test_an_item_of_a_settled_batch_cannot_be_refused_and_nothing_changes(app):
    item_id, batch_id = rtv_item(app)
    sup = sign_in(app, "supervisor")
    sup.post(f"/rtv/{batch_id}/close")
    sup.post(f"/rtv/{batch_id}/credit", amount="150")
    late = sup.post(f"/rtv/{batch_id}/items/{item_id}/refuse", reason="Customer damage")
    assert late.status_code == 409 and f"Batch {batch_id} is settled" in text(late)
    assert query(app, "SELECT status, refused_reason FROM rtv_items") == [("accepted", None)]
    assert query(app, "SELECT status, credit_expected, credit_received FROM rtv_batches") == [("settled", "200.00", "150.00")]
    assert query(app, "SELECT count(*) FROM item_outcomes WHERE stage = 'rtv'") == [(0,)]
    assert f'id="q-{item_id}"' not in text(sup.get("/quarantine"))  # nothing new to review


# -- quarantine -------------------------------------------------------------------------------

def test_quarantine_shows_flags_and_a_restock_releases_the_refund_held_only_by_quarantine(app):
    item_id, refund = decided(app, CARTON, {"sku": "SHOE-01", "qty": 1, "grade": "A", "reason": "changed_mind"}, close=True)
    assert refund["status"] == "held"
    sup = sign_in(app, "supervisor")
    page = text(sup.get("/quarantine"))
    assert "item mismatch" in page and "Runner shoe" in page and "王小明" in page
    no_note = sup.post(f"/quarantine/{item_id}/review", outcome="restock")
    assert no_note.status_code == 400 and query(app, "SELECT count(*) FROM quarantine_reviews") == [(0,)]
    bad_outcome = sup.post(f"/quarantine/{item_id}/review", outcome="burn", reason="Item is ours and sellable")
    assert bad_outcome.status_code == 400 and "outcome:" in text(bad_outcome)
    done = sup.post(f"/quarantine/{item_id}/review", outcome="restock", reason="Item is ours and sellable",
                    refund_amount="20.00")  # not on the order: nothing was proposed, the supervisor names it
    assert done.status_code == 200 and "Its refund line: 20.00 USD ready" in text(done)
    assert f"refund {refund['refund_id']} is ready (20.00 USD to pay)" in text(done)
    assert query(app, "SELECT status, decided_by FROM refunds") == [("ready", "Sam Supervisor")]
    assert query(app, "SELECT qty FROM stock WHERE sku = 'SHOE-01'") == [(1,)]
    again = sup.post(f"/quarantine/{item_id}/review", outcome="scrap", reason="Damaged beyond use")
    assert again.status_code in (404, 409) and query(app, "SELECT count(*) FROM quarantine_reviews") == [(1,)]


def test_a_quarantined_item_of_a_never_restock_sku_is_not_restocked_and_its_refund_stays_held(app):
    item_id, refund = decided(app, CARTON, {"sku": "SHOE-01", "qty": 1, "grade": "A", "reason": "changed_mind"}, close=True)
    db = connect(app.config["DATABASE"])
    policy.set_sku_rule(db, "SHOE-01", "never_restock", True, user="Sam Supervisor")
    db.close()
    sup = sign_in(app, "supervisor")
    page = text(sup.get("/quarantine"))
    card = page[page.index(f'id="q-{item_id}"'):]
    assert "is never restocked" in card and 'value="restock"' not in card and 'value="scrap"' in card
    refused = sup.post(f"/quarantine/{item_id}/review", outcome="restock", reason="Item is ours and sellable")
    assert refused.status_code == 409 and "SHOE-01 is never restocked" in text(refused)
    assert query(app, "SELECT count(*) FROM quarantine_reviews") == [(0,)]
    assert query(app, "SELECT count(*) FROM stock WHERE sku = 'SHOE-01'") == [(0,)]
    assert query(app, "SELECT status FROM refunds") == [("held",)]
    scrapped = sup.post(f"/quarantine/{item_id}/review", outcome="scrap", reason="Damaged beyond use", refund_amount="5")
    assert scrapped.status_code == 200 and f"refund {refund['refund_id']} is ready" in text(scrapped)
    assert query(app, "SELECT outcome FROM quarantine_reviews") == [("scrap",)]


def test_reviewed_items_stay_in_sight_with_where_they_went_who_decided_and_their_refund(app):
    shoe, shoe_refund = decided(app, CARTON, {"sku": "SHOE-01", "qty": 1, "grade": "A", "reason": "changed_mind"}, close=True)
    brick, brick_refund = decided(app, "CTN-2", {"sku": "SHOE-01", "qty": 1, "grade": "X", "reason": "other",
                                                 "notes": "a brick"}, close=True)
    sup = sign_in(app, "supervisor")
    assert "Reviewed lately" not in text(sup.get("/quarantine"))
    sup.post(f"/quarantine/{shoe}/review", outcome="restock", reason="Item is ours and sellable", refund_amount="20")
    page = text(sup.post(f"/quarantine/{brick}/review", outcome="fraud", reason="Not our item", note="brick"))
    assert "Nothing waits for review." in page and "Reviewed lately" in page
    shoe_row = page[page.index(f'id="reviewed-{shoe}"'):page.index("</tr>", page.index(f'id="reviewed-{shoe}"'))]
    brick_row = page[page.index(f'id="reviewed-{brick}"'):page.index("</tr>", page.index(f'id="reviewed-{brick}"'))]
    assert "restocked</b> · bin OPEN-BOX" in shoe_row and "Sam Supervisor" in shoe_row  # open-box unless named
    assert f"status-ready\">ready</span><br><span class=\"hint\">refund {shoe_refund['refund_id']}</span>" in shoe_row
    assert "fraud confirmed" in brick_row and "Not our item — brick" in brick_row
    assert f"status-rejected\">rejected</span><br><span class=\"hint\">refund {brick_refund['refund_id']}</span>" in brick_row
    assert page.index(f'id="reviewed-{brick}"') < page.index(f'id="reviewed-{shoe}"')  # newest first
    assert query(app, "SELECT item_id, outcome, target FROM quarantine_reviews ORDER BY item_id") == [
        (shoe, "restock", "OPEN-BOX"), (brick, "fraud", None)]
    assert query(app, "SELECT bin, condition, qty FROM stock WHERE sku = 'SHOE-01'") == [("OPEN-BOX", "open_box", 1)]


def test_confirming_fraud_marks_the_customer_and_rejects_the_held_refund_in_one_go(app):
    item_id, refund = decided(app, CARTON, {"sku": "MUG-01", "qty": 1, "grade": "X", "reason": "other", "notes": "a brick"},
                              close=True)
    sup = sign_in(app, "supervisor")
    done = sup.post(f"/quarantine/{item_id}/review", outcome="fraud", reason="Not our item", note="brick")
    assert done.status_code == 200 and "fraud confirmed" in text(done)
    assert query(app, "SELECT fraud FROM customers WHERE customer_id = 'C1'") == [(1,)]
    assert query(app, "SELECT status, note FROM refunds") == [("rejected", "quarantine review: Not our item — brick")]
    assert query(app, "SELECT count(*) FROM events WHERE type = 'refund.rejected'") == [(1,)]


# -- refunds ----------------------------------------------------------------------------------

def held_refund(app):
    """Out of the return window (delivered 60 days ago): the refund is held for a supervisor."""
    _, refund = decided(app, "CTN-2", {"sku": "SHOE-01", "qty": 1, "grade": "A", "reason": "changed_mind"}, close=True)
    assert refund["status"] == "held"
    return refund["refund_id"]


def test_held_refunds_show_why_and_an_approval_needs_a_reason(app):
    refund_id = held_refund(app)
    sup = sign_in(app, "supervisor")
    page = text(sup.get("/refunds"))
    assert "Outside window" in page and "49.50 EUR" in page and "&lt;script&gt;" in page and "<script>alert" not in page
    nothing = sup.post(f"/refunds/{refund_id}/approve")
    assert nothing.status_code == 400 and "Tap a reason" in text(nothing)
    approved = sup.post(f"/refunds/{refund_id}/approve", reason="Goodwill", note="loyal customer")
    assert approved.status_code == 200 and f"Refund {refund_id} approved" in text(approved)
    assert query(app, "SELECT status, note, decided_by FROM refunds") == [("ready", "Goodwill — loyal customer", "Sam Supervisor")]
    ready = text(sup.get("/refunds?status=ready"))
    assert "Goodwill — loyal customer" in ready and "Sam Supervisor" in ready


def test_the_second_supervisor_to_approve_reads_who_approved_it_and_nothing_changes_twice(app):
    refund_id = held_refund(app)
    first, second = sign_in(app, "supervisor"), sign_in(app, "supervisor2")
    second.get("/refunds")  # both have the held refund on screen
    assert first.post(f"/refunds/{refund_id}/approve", reason="Goodwill").status_code == 200
    late = second.post(f"/refunds/{refund_id}/reject", reason="Customer damage")
    assert late.status_code == 409
    assert f"Refund {refund_id} was already approved by Sam Supervisor: nothing changed" in text(late)
    assert query(app, "SELECT status, decided_by FROM refunds") == [("ready", "Sam Supervisor")]
    assert query(app, "SELECT type FROM events WHERE type LIKE 'refund.%' AND type != 'refund.computed'") == [("refund.approved",)]


def test_a_refund_held_for_a_quarantined_item_points_to_the_quarantine_review(app):
    item_id, refund = decided(app, CARTON, {"sku": "SHOE-01", "qty": 1, "grade": "A", "reason": "changed_mind"}, close=True)
    sup = sign_in(app, "supervisor")
    page = text(sup.get("/refunds"))
    assert "Mismatch" in page and f"Item {item_id} waits in" in page and 'href="/quarantine"' in page
    sup.post(f"/quarantine/{item_id}/review", outcome="scrap", reason="Damaged beyond use", refund_amount="20.00")
    assert query(app, "SELECT status FROM refunds") == [("ready",)]
    assert "waits in" not in text(sup.get("/refunds"))


def test_a_refund_held_for_reason_other_shows_the_inspectors_notes_that_explain_it(app):
    _, refund = decided(app, CARTON, {"sku": "MUG-01", "qty": 1, "grade": "B", "reason": "other",
                                      "notes": "lid cracked <b>in transit</b>? 客户说"}, close=True)
    assert refund["status"] == "held"
    sup = sign_in(app, "supervisor")
    card = text(sup.get("/refunds"))
    card = card[card.index(f'id="refund-{refund["refund_id"]}"'):]
    assert "Other reason" in card and "grade B, other" in card
    assert "Inspector's notes: <bdi dir=\"auto\">lid cracked &lt;b&gt;in transit&lt;/b&gt;? 客户说</bdi>" in card
    assert query(app, "SELECT status FROM refunds") == [("held",)]


def test_a_held_refund_says_which_of_its_items_quarantine_review_already_decided(app):
    db = connect(app.config["DATABASE"])
    try:
        ret, _ = returns.open_return(db, CARTON, "bench-1")
        shoe = returns.add_item(db, ret["return_id"], {"sku": "SHOE-01", "qty": 1, "grade": "A", "reason": "changed_mind"})
        mug = returns.add_item(db, ret["return_id"], {"sku": "MUG-01", "qty": 1, "grade": "D", "reason": "size_fit"})
        evidence(db, mug["item_id"])
        for added in (shoe, mug):
            decisions.decide(db, ret["return_id"], added["item_id"], {"disposition": added["recommendation"]["disposition"]})
        refund = closing.close_return(db, ret["return_id"])["refund"]
    finally:
        db.close()
    sup = sign_in(app, "supervisor")
    sup.post(f"/quarantine/{shoe['item_id']}/review", outcome="scrap", reason="Damaged beyond use")
    # the mug's grade D still waits for a supervisor, so the refund stays held: its card tells what is settled
    assert query(app, "SELECT status FROM refunds") == [("held",)]
    card = text(sup.get("/refunds"))
    card = card[card.index(f'id="refund-{refund["refund_id"]}"'):]
    assert "Reviewed in quarantine: scrapped by <bdi>Sam Supervisor</bdi> — <bdi dir=\"auto\">Damaged beyond use</bdi>" in card
    assert "waits in" not in card and "grade D" in card


def test_paid_refunds_are_listed_read_only_with_their_payment_reference(app):
    refund_id = held_refund(app)
    sup = sign_in(app, "supervisor")
    sup.post(f"/refunds/{refund_id}/approve", reason="Goodwill")
    db = connect(app.config["DATABASE"])
    from station.downstream import refunds

    refunds.mark_paid(db, refund_id, {"payment_ref": "PAY-77"})
    db.close()
    paid = text(sup.get("/refunds?status=paid"))
    assert "PAY-77" in paid and "Approve" not in paid
    assert "Paid <span class=\"count\">1</span>" in paid
    assert sup.get("/refunds?status=nonsense").status_code == 200  # falls back to the held list
    assert sup.post("/refunds/999/approve", reason="Goodwill").status_code == 404


def test_each_hold_the_refund_rule_gives_has_its_name_on_the_screen():
    pol = {"restocking_fee": "0.15"}
    cases = [
        ({"flags": [], "grade": "A", "reason": "changed_mind", "qty": 1}, False, ["out_of_window"]),
        ({"flags": [], "grade": "X", "reason": "other", "qty": 1}, True, ["grade_x"]),
        ({"flags": ["item_mismatch"], "grade": "A", "reason": "changed_mind", "qty": 1}, True, ["mismatch"]),
        ({"flags": [], "grade": "D", "reason": "changed_mind", "qty": 1}, True, ["customer_damage"]),
        ({"flags": [], "grade": "B", "reason": "other", "qty": 1}, True, ["other"]),
    ]
    for item, inside, kinds in cases:
        _amount, holds, why = judge_item(item, 10, inside, pol)
        assert holds == kinds, why
        assert [k for k, _ in hold_kinds([{"status": "held", "holds": holds}])] == kinds
        assert all(HOLD_LABELS[k] for k in holds)


# -- roles and CSRF ---------------------------------------------------------------------------

@pytest.mark.parametrize("url", ["/refunds", "/rtv", "/quarantine", "/refurbish"])
def test_an_operator_gets_the_403_page_on_every_downstream_screen(app, url):
    op = sign_in(app, "operator")
    response = op.get(url)
    assert response.status_code == 403 and "This screen is not for your badge" in text(response)


def test_a_technician_may_refurbish_but_not_approve_refunds(app):
    refund_id = held_refund(app)
    tech = sign_in(app, "technician")
    assert tech.get("/refunds").status_code == 403
    assert tech.post(f"/refunds/{refund_id}/approve", reason="Goodwill").status_code == 403
    assert query(app, "SELECT status FROM refunds") == [("held",)]
    nav = text(tech.get("/refurbish"))
    assert 'href="/refunds"' not in nav  # the bar offers no door that answers 403


def test_a_post_without_the_csrf_token_is_refused_and_changes_nothing(app):
    refund_id = held_refund(app)
    sup = sign_in(app, "supervisor")
    response = sup.client.post(f"/refunds/{refund_id}/approve", data={"reason": "Goodwill"})
    assert response.status_code == 400 and query(app, "SELECT status FROM refunds") == [("held",)]


def test_a_stranger_is_sent_to_sign_in(app):
    response = app.test_client().get("/refunds")
    assert response.status_code == 302 and "/sign-in" in response.headers["Location"]


ODD_VALUES = ["", " ", "-1", "abc", "1e999", "NaN", "0x10", "٣", "9" * 40, "x" * 5000, "<b>", "RI-1\x00", "1.2.3"]


def test_odd_form_values_on_every_downstream_post_never_make_a_server_error(app):
    item_id, _ = decided(app, CARTON, {"sku": "MUG-01", "qty": 1, "grade": "B", "reason": "size_fit"})
    _, batch_id = rtv_item(app)
    phone = query(app, "SELECT item_id FROM rtv_items")[0][0]
    held = held_refund(app)
    wo_id = query(app, "SELECT wo_id FROM work_orders")[0][0]
    sup = sign_in(app, "supervisor")
    routes = {
        "/refurbish/scan": ["code"],
        f"/refurbish/{wo_id}/action": ["action", "minutes", "part", "part_other", "cost", "note"],
        f"/refurbish/{wo_id}/finish": ["outcome", "grade"],
        f"/rtv/{batch_id}/credit": ["amount"],
        f"/rtv/{batch_id}/items/{phone}/refuse": ["reason", "note"],
        f"/quarantine/{phone}/review": ["outcome", "reason", "note"],
        f"/refunds/{held}/approve": ["reason", "note", "amount"],
        f"/refunds/{held}/reject": ["reason", "note"],
    }
    for url, fields in routes.items():
        for value in ODD_VALUES:
            response = sup.post(url, **{field: value for field in fields})
            assert response.status_code < 500, (url, value, response.status_code)
    # any text is a note, but no odd value is an amount: the first usable note rejected it, and only it
    assert query(app, "SELECT status, note FROM refunds WHERE refund_id = ?", [held]) == [("rejected", "-1")]
    assert query(app, "SELECT count(*) FROM events WHERE type IN ('refund.approved', 'refund.rejected')") == [(1,)]
    assert query(app, "SELECT status, actions, minutes FROM work_orders") == [("open", "[]", 0)]
    assert query(app, "SELECT status FROM rtv_batches") == [("open",)]
    assert sup.post("/refurbish/99999999999999999999999/finish", outcome="scrap", grade="D").status_code == 404


@pytest.mark.parametrize("url", [
    "/api/refunds/99999999999999999999999",
    "/api/rtv/batches/99999999999999999999999",
    "/api/work-orders/99999999999999999999999",
    "/api/work-orders/%D9%A3",
])
def test_an_id_beyond_sqlite_integers_is_a_404_from_the_api_not_a_500(app, url):
    db = connect(app.config["DATABASE"])
    token = auth.new_token(db, "Sam Supervisor")
    db.close()
    response = app.test_client().get(url, headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 404 and response.get_json()["error"]["code"] == "not_found"


@pytest.mark.parametrize("path", ["refunds/99999999999999999999999/approve", "quarantine/99999999999999999999999/review",
                                  "rtv/items/99999999999999999999999/refuse"])
def test_a_post_to_an_id_beyond_sqlite_integers_is_a_404_from_the_api(app, path):
    db = connect(app.config["DATABASE"])
    token = auth.new_token(db, "Sam Supervisor")
    db.close()
    response = app.test_client().post(f"/api/{path}", json={"note": "x", "outcome": "scrap", "reason": "x"},
                                      headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 404


def test_a_refund_paid_in_part_with_one_doubtful_line_is_on_the_held_list_for_that_line(app):
    db = connect(app.config["DATABASE"])
    try:
        ret, _ = returns.open_return(db, CARTON, "bench-1")
        mug = returns.add_item(db, ret["return_id"], {"sku": "MUG-01", "qty": 1, "grade": "A", "reason": "changed_mind"})
        shoe = returns.add_item(db, ret["return_id"], {"sku": "SHOE-01", "qty": 1, "grade": "A", "reason": "changed_mind"})
        for added in (mug, shoe):
            decisions.decide(db, ret["return_id"], added["item_id"], {"disposition": added["recommendation"]["disposition"]})
        refund = closing.close_return(db, ret["return_id"])["refund"]
    finally:
        db.close()
    assert refund["status"] == "ready"  # the mug is payable now; the shoe (not on the order) waits
    sup = sign_in(app, "supervisor")
    page = text(sup.get("/refunds"))
    assert f'id="refund-{refund["refund_id"]}"' in page and 'Held <span class="count">1</span>' in page
    assert f'id="line-{shoe["item_id"]}"' in page and f'data-toggle="approve-{refund["refund_id"]}-{shoe["item_id"]}"' in page
