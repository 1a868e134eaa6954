"""The bench's rules through the service layer: lookup, open, add, decide, close."""
import json
import threading

import pytest

from station.intake import closing, decisions, lookup, returns
from station import db as db_module
from station.errors import ServiceError
from tests import sample


@pytest.fixture
def db(tmp_path):
    db = sample.fresh(tmp_path / "station.db")
    sample.load_sample(db)
    yield db
    db.close()


def events(db, type_=None):
    found = [(t, json.loads(d)) for t, d in db.execute("SELECT type, data FROM events ORDER BY seq")]
    return [e for e in found if type_ is None or e[0] == type_]


@pytest.mark.parametrize("code,match", [
    (sample.CARTON, "carton"), (sample.SSCC, "carton"), ("]C1" + sample.CARTON, "carton"), ("(00)" + sample.SSCC, "carton"),
    (sample.RMA, "rma"), ("rma-1", "rma"), (sample.RETURN_TRACKING, "tracking"), (sample.OUT_TRACKING, "tracking"),
    ("SO-1", "order"),
])
def test_lookup_finds_the_order_from_every_kind_of_parcel_code(db, code, match):
    answer = lookup.lookup(db, code)
    assert answer["match"] == match
    assert answer["order"]["order_no"] == "SO-1"
    assert answer["customer"]["name"] == "王小明"
    assert answer["within_window"] is True


def test_lookup_lists_the_rma_lines_as_expected_else_the_whole_order(db):
    assert [(e["sku"], e["qty"], e["name"]) for e in lookup.lookup(db, sample.CARTON)["expected"]] == [("MUG-01", 1, "Travel mug")]
    assert [e["sku"] for e in lookup.lookup(db, "SO-2")["expected"]] == ["SHOE-01"]


def test_lookup_flags_an_order_out_of_its_window_and_a_high_value_order(db):
    assert lookup.lookup(db, "CTN-2")["flags"] == ["out_of_window"]
    assert lookup.lookup(db, "CTN-2")["within_window"] is False
    assert "high_value" in lookup.lookup(db, "SO-1")["flags"]


def test_a_product_scan_with_a_shipped_serial_finds_its_order(db):
    answer = lookup.lookup(db, f"01{'0' + sample.PHONE_GTIN}\x1d21SN1")
    assert answer["match"] == "product" and answer["order"]["order_no"] == "SO-1"


def test_a_product_scan_without_serial_lists_candidate_orders(db):
    answer = lookup.lookup(db, sample.MUG_GTIN)
    assert answer["match"] == "product" and answer["order"] is None and answer["customer"] is None
    assert answer["within_window"] is None
    assert [c["order_no"] for c in answer["candidates"]] == ["SO-1"]
    answer = lookup.lookup(db, f"01{'0' + sample.PHONE_GTIN}\x1d21NOPE")
    assert "serial_unknown" in answer["flags"]


def test_an_unknown_code_is_a_404_and_creates_nothing(db):
    with pytest.raises(ServiceError) as err:
        returns.open_return(db, "NOPE-123", "bench-1")
    assert err.value.status == 404
    assert db["returns"].count == 0 and db["events"].count == 0


def test_opening_twice_answers_the_same_open_return_and_another_code_for_it_too(db):
    first, created = returns.open_return(db, sample.CARTON, "bench-1")
    again, created_again = returns.open_return(db, sample.RMA, "bench-2")
    assert created and not created_again and first["return_id"] == again["return_id"]
    assert db["returns"].count == 1
    assert [t for t, _ in events(db)] == ["return.opened"]


def test_cancelled_and_waiting_orders_cannot_be_returned_and_a_bare_product_needs_an_order(db):
    for code, status in [("SO-X", "not_returnable"), ("SO-W1", "not_returnable"), (sample.MUG_GTIN, "needs_order")]:
        with pytest.raises(ServiceError) as err:
            returns.open_return(db, code, "bench-1")
        assert (err.value.status, err.value.code) == (409, status)
    assert db["returns"].count == 0


def test_grade_a_goes_to_the_highest_priority_waiting_order(db):
    ret, _ = returns.open_return(db, sample.CARTON, "bench-1")
    item = returns.add_item(db, ret["return_id"], {"sku": "MUG-01", "qty": 1, "grade": "A", "reason": "changed_mind"})
    rec = item["recommendation"]
    assert (rec["disposition"], rec["target"]) == ("crossdock", "SO-W2")
    assert {o["disposition"]: o["value"] for o in rec["options"]} == {"crossdock": "20.00", "restock": "20.00"}
    assert "SO-W2" in rec["why"]
    result = decisions.decide(db, ret["return_id"], item["item_id"], {"disposition": "crossdock"})
    assert result["target"] == "SO-W2"
    line = db.execute("SELECT qty_allocated FROM order_lines WHERE order_no = 'SO-W2'").fetchone()[0]
    status = db.execute("SELECT status FROM orders WHERE order_no = 'SO-W2'").fetchone()[0]
    assert (line, status) == (1, "ready_to_ship")
    assert events(db, "allocation.made")[0][1] == {"order_no": "SO-W2", "line_no": 1, "qty": 1, "item_id": item["item_id"]}


def test_an_item_is_decided_once(db):
    ret, _ = returns.open_return(db, sample.CARTON, "bench-1")
    item = returns.add_item(db, ret["return_id"], {"sku": "MUG-01", "qty": 1, "grade": "B", "reason": "changed_mind"})
    decisions.decide(db, ret["return_id"], item["item_id"], {"disposition": "refurbish"})
    with pytest.raises(ServiceError) as err:
        decisions.decide(db, ret["return_id"], item["item_id"], {"disposition": "refurbish"})
    assert err.value.status == 409
    assert db["decisions"].count == 1


def test_an_override_needs_a_reason_and_is_recorded_with_it(db):
    ret, _ = returns.open_return(db, sample.CARTON, "bench-1")
    item = returns.add_item(db, ret["return_id"], {"sku": "MUG-01", "qty": 1, "grade": "A", "reason": "changed_mind"})
    with pytest.raises(ServiceError) as err:
        decisions.decide(db, ret["return_id"], item["item_id"], {"disposition": "restock"})
    assert err.value.status == 400 and "override_reason" in err.value.message
    assert db["decisions"].count == 0 and db["stock"].get(("MUG-01", "A-01-01", "new"))["qty"] == 5
    decisions.decide(db, ret["return_id"], item["item_id"], {"disposition": "restock", "override_reason": "box dented"})
    row = db.execute("SELECT disposition, target, recommended_disposition, override_reason FROM decisions").fetchone()
    assert row == ("restock", "A-01-01", "crossdock", "box dented")
    assert db["stock"].get(("MUG-01", "A-01-01", "new"))["qty"] == 6
    assert {k: events(db, "stock.changed")[0][1][k] for k in ("delta", "condition")} == {"delta": 1, "condition": "new"}


def test_a_different_target_is_an_override_too(db):
    ret, _ = returns.open_return(db, sample.CARTON, "bench-1")
    item = returns.add_item(db, ret["return_id"], {"sku": "MUG-01", "qty": 1, "grade": "A", "reason": "changed_mind"})
    with pytest.raises(ServiceError):
        decisions.decide(db, ret["return_id"], item["item_id"], {"disposition": "crossdock", "target": "SO-W1"})
    result = decisions.decide(db, ret["return_id"], item["item_id"],
                              {"disposition": "crossdock", "target": "SO-W1", "override_reason": "customer called"})
    assert result["target"] == "SO-W1"
    assert db.execute("SELECT status FROM orders WHERE order_no = 'SO-W1'").fetchone()[0] == "ready_to_ship"


def test_two_stations_can_never_allocate_the_same_waiting_unit(db, tmp_path):
    sample_path = tmp_path / "station.db"
    ids = []
    for code in (sample.CARTON, "CTN-2"):
        ret, _ = returns.open_return(db, code, "bench-1")
        sku = "MUG-01"
        item = returns.add_item(db, ret["return_id"], {"sku": sku, "qty": 1, "grade": "A", "reason": "changed_mind",
                                                      "notes": None})
        ids.append((ret["return_id"], item["item_id"]))
    barrier = threading.Barrier(2)
    outcomes = []

    def take(return_id, item_id):
        conn = db_module.connect(sample_path)
        barrier.wait()
        try:
            decisions.decide(conn, return_id, item_id, {"disposition": "crossdock", "target": "SO-W2",
                                                        "override_reason": "race"})
            outcomes.append("ok")
        except ServiceError as exc:
            outcomes.append(exc.status)
        finally:
            conn.close()

    threads = [threading.Thread(target=take, args=pair) for pair in ids]
    [t.start() for t in threads]
    [t.join() for t in threads]
    assert sorted(outcomes, key=str) == [409, "ok"]
    assert db.execute("SELECT qty_allocated FROM order_lines WHERE order_no = 'SO-W2'").fetchone()[0] == 1
    assert db["allocations"].count == 1


def test_item_flags_mismatch_serial_and_quantity(db):
    ret, _ = returns.open_return(db, sample.CARTON, "bench-1")
    shoe = returns.add_item(db, ret["return_id"], {"code": sample.SHOE_UPC, "qty": 1, "grade": "A", "reason": "changed_mind"})
    assert shoe["flags"] == ["item_mismatch"] and shoe["recommendation"]["disposition"] == "quarantine"
    phone = returns.add_item(db, ret["return_id"], {"sku": "PHONE-01", "qty": 1, "grade": "A", "reason": "defective", "serial": "SN9"})
    assert phone["flags"] == ["serial_mismatch"] and phone["recommendation"]["disposition"] == "quarantine"
    nos = returns.add_item(db, ret["return_id"], {"sku": "PHONE-01", "qty": 1, "grade": "A", "reason": "defective"})
    assert "serial_missing" in nos["flags"] and "qty_exceeds_order" in nos["flags"]
    unknown = returns.add_item(db, ret["return_id"], {"code": "ZZ-NOT-OURS", "qty": 1, "grade": "X", "reason": "other", "notes": "brick"})
    assert unknown["flags"] == ["unknown_product"]
    many = returns.add_item(db, ret["return_id"], {"sku": "MUG-01", "qty": 3, "grade": "A", "reason": "changed_mind"})
    assert many["flags"] == ["qty_exceeds_order"]
    gs1 = returns.add_item(db, ret["return_id"], {"code": f"]C101{'0' + sample.PHONE_GTIN}21SN1", "qty": 1, "grade": "B", "reason": "defective"})
    stored = db.execute("SELECT sku, serial FROM return_items WHERE item_id = ?", [gs1["item_id"]]).fetchone()
    assert stored == ("PHONE-01", "SN1")


@pytest.mark.parametrize("data,field", [
    ({"sku": "MUG-01", "qty": 0, "grade": "A", "reason": "changed_mind"}, "qty"),
    ({"sku": "MUG-01", "qty": "1", "grade": "A", "reason": "changed_mind"}, "qty"),
    ({"sku": "MUG-01", "qty": 1, "grade": "E", "reason": "changed_mind"}, "grade"),
    ({"sku": "MUG-01", "qty": 1, "grade": "A", "reason": "meh"}, "reason"),
    ({"sku": "MUG-01", "qty": 1, "grade": "A", "reason": "other"}, "notes"),
    ({"qty": 1, "grade": "A", "reason": "changed_mind"}, "sku"),
])
def test_a_bad_item_is_rejected_naming_the_field_and_changes_nothing(db, data, field):
    ret, _ = returns.open_return(db, sample.CARTON, "bench-1")
    with pytest.raises(ServiceError) as err:
        returns.add_item(db, ret["return_id"], data)
    assert err.value.status == 400 and err.value.extra["field"] == field
    assert db["return_items"].count == 0


def test_grade_c_and_d_take_the_option_that_recovers_most(db):
    ret, _ = returns.open_return(db, sample.CARTON, "bench-1")
    phone = returns.add_item(db, ret["return_id"], {"sku": "PHONE-01", "serial": "SN1", "qty": 1, "grade": "D", "reason": "defective"})
    values = {o["disposition"]: o["value"] for o in phone["recommendation"]["options"]}
    # refurbish 300*0.7-30 = 180; rtv = unit cost 200; scrap 15
    assert values == {"refurbish": "180.00", "rtv": "200.00", "scrap": "15.00"}
    assert (phone["recommendation"]["disposition"], phone["recommendation"]["target"]) == ("rtv", "SUP-RTV")
    ret2, _ = returns.open_return(db, "CTN-2", "bench-1")
    shoe = returns.add_item(db, ret2["return_id"], {"sku": "SHOE-01", "qty": 1, "grade": "C", "reason": "size_fit"})
    assert shoe["recommendation"]["disposition"] == "scrap"


def close(db, code, *items, **close_args):
    ret, _ = returns.open_return(db, code, "bench-1")
    for data in items:
        item = returns.add_item(db, ret["return_id"], data)
        sample.evidence(db, item["item_id"], data["grade"])
        decisions.decide(db, ret["return_id"], item["item_id"], {"disposition": item["recommendation"]["disposition"]})
    return closing.close_return(db, ret["return_id"], close_args or None)


def test_a_customer_side_grade_a_return_is_refunded_in_full_and_ready(db):
    result = close(db, sample.CARTON, {"sku": "MUG-01", "qty": 1, "grade": "A", "reason": "changed_mind"})
    assert result["refund"]["amount"] == "19.99" and result["refund"]["status"] == "ready"
    assert result["refund"]["currency"] == "USD"
    assert events(db, "refund.computed")[0][1]["amount"] == "19.99"


def test_customer_side_b_pays_minus_the_restocking_fee(db):
    result = close(db, sample.CARTON, {"sku": "MUG-01", "qty": 2, "grade": "B", "reason": "size_fit"})
    assert result["refund"] == {**result["refund"], "amount": "33.98", "status": "ready"}  # 39.98 * 0.85


def test_seller_fault_refunds_in_full_with_the_return_shipping(db):
    result = close(db, sample.CARTON, {"sku": "MUG-01", "qty": 1, "grade": "D", "reason": "defective"}, return_shipping="4.50")
    assert result["refund"]["amount"] == "24.49"


def test_grade_x_and_out_of_window_hold_the_refund(db):
    held = close(db, sample.CARTON, {"sku": "MUG-01", "qty": 1, "grade": "X", "reason": "other", "notes": "stones"})
    assert (held["refund"]["amount"], held["refund"]["status"]) == ("0.00", "held")
    late = close(db, "CTN-2", {"sku": "SHOE-01", "qty": 1, "grade": "A", "reason": "changed_mind"})
    assert (late["refund"]["amount"], late["refund"]["status"]) == ("49.50", "held")


def test_closing_needs_every_item_decided_and_twice_answers_the_same_refund(db):
    ret, _ = returns.open_return(db, sample.CARTON, "bench-1")
    item = returns.add_item(db, ret["return_id"], {"sku": "MUG-01", "qty": 1, "grade": "A", "reason": "changed_mind"})
    with pytest.raises(ServiceError) as err:
        closing.close_return(db, ret["return_id"])
    assert err.value.status == 409 and db["refunds"].count == 0
    decisions.decide(db, ret["return_id"], item["item_id"], {"disposition": "crossdock"})
    first = closing.close_return(db, ret["return_id"])
    second = closing.close_return(db, ret["return_id"])
    assert first == second and db["refunds"].count == 1
    assert len(events(db, "refund.computed")) == 1


def test_an_exchange_moves_no_money_and_asks_for_the_replacement(db):
    db.execute("UPDATE rmas SET resolution = 'exchange'")
    result = close(db, sample.RMA, {"sku": "MUG-01", "qty": 1, "grade": "A", "reason": "size_fit"})
    assert (result["refund"]["amount"], result["refund"]["status"]) == ("0.00", "exchange")
    assert events(db, "exchange.requested")[0][1]["sku"] == "MUG-01"


def test_three_returns_in_90_days_make_a_frequent_returner(db):
    for n in range(3):
        db.execute("INSERT INTO returns (order_no, code, match, status, opened_at) VALUES ('SO-2', ?, 'order', 'closed', ?)",
                   [f"old{n}", sample.days_ago(10 + n)])
    answer = lookup.lookup(db, "CTN-2")
    assert "frequent_returner" in answer["flags"] and answer["customer"]["returns_count"] == 3


def test_a_serial_on_a_product_that_carries_none_is_kept_but_is_no_mismatch(db):
    ret, _ = returns.open_return(db, sample.CARTON, "bench-1")
    mug = returns.add_item(db, ret["return_id"], {"code": f"]C101{'0' + sample.MUG_GTIN}\x1d21MAKER-123", "qty": 1,
                                                  "grade": "A", "reason": "changed_mind"})
    assert mug["flags"] == [] and mug["recommendation"]["disposition"] == "crossdock"
    stored = db.execute("SELECT sku, serial, flags FROM return_items WHERE item_id = ?", [mug["item_id"]]).fetchone()
    assert stored == ("MUG-01", "MAKER-123", "[]")
    # once the order recorded serials for a line, a serial given for that product is checked again
    db.execute("UPDATE order_lines SET serials = 'M1;M2' WHERE order_no = 'SO-1' AND sku = 'MUG-01'")
    other = returns.add_item(db, ret["return_id"], {"sku": "MUG-01", "serial": "M9", "qty": 1, "grade": "A", "reason": "changed_mind"})
    assert other["flags"] == ["serial_mismatch"] and other["recommendation"]["disposition"] == "quarantine"
    decisions.decide(db, ret["return_id"], mug["item_id"], {"disposition": "crossdock"})
    decisions.decide(db, ret["return_id"], other["item_id"], {"disposition": "quarantine"})
    refund = closing.close_return(db, ret["return_id"])["refund"]
    # the mug is paid at once; only the mismatched one waits, proposed at nothing
    assert (refund["status"], refund["amount"], refund["payable"]) == ("ready", "19.99", "19.99")
    assert [(line["item_id"], line["amount"], line["status"]) for line in refund["lines"]] == [
        (mug["item_id"], "19.99", "ready"), (other["item_id"], "0.00", "held")]


@pytest.mark.parametrize("hours_past,disposition", [(-1, "rtv"), (12, "refurbish")])
def test_the_rtv_window_is_counted_to_the_hour_not_in_whole_days(db, hours_past, disposition):
    from datetime import timedelta

    from station.timeutil import iso, now

    shipped = iso(now() - timedelta(days=90, hours=hours_past))  # SUP-RTV takes returns for 90 days
    db.execute("UPDATE orders SET shipped_at = ? WHERE order_no = 'SO-1'", [shipped])
    ret, _ = returns.open_return(db, sample.CARTON, "bench-1")
    phone = returns.add_item(db, ret["return_id"], {"sku": "PHONE-01", "serial": "SN1", "qty": 1, "grade": "D", "reason": "defective"})
    rec = phone["recommendation"]
    assert rec["disposition"] == disposition  # rtv 200.00 beats refurbish 180.00 only inside the window
    assert ("rtv" in [o["disposition"] for o in rec["options"]]) is (disposition == "rtv")
    stored = json.loads(db.execute("SELECT recommendation FROM return_items WHERE item_id = ?", [phone["item_id"]]).fetchone()[0])
    assert stored["disposition"] == disposition


def test_the_oldest_waiting_order_wins_a_priority_tie_even_when_its_time_has_no_fraction(db):
    # 07:00:00 is older than 07:00:00.5, though as stored text '07:00:00Z' sorts after '07:00:00.500000Z'
    db.execute("UPDATE orders SET priority = 5, placed_at = '2026-11-25T07:00:00.500000Z' WHERE order_no = 'SO-W1'")
    db.execute("UPDATE orders SET priority = 5, placed_at = '2026-11-25T07:00:00Z' WHERE order_no = 'SO-W2'")
    ret, _ = returns.open_return(db, sample.CARTON, "bench-1")
    mug = returns.add_item(db, ret["return_id"], {"sku": "MUG-01", "qty": 1, "grade": "A", "reason": "changed_mind"})
    assert (mug["recommendation"]["disposition"], mug["recommendation"]["target"]) == ("crossdock", "SO-W2")
    decided = decisions.decide(db, ret["return_id"], mug["item_id"], {"disposition": "crossdock"})
    assert decided["target"] == "SO-W2"
    assert db.execute("SELECT order_no, qty_allocated FROM order_lines WHERE order_no IN ('SO-W1', 'SO-W2') ORDER BY order_no").fetchall() == [
        ("SO-W1", 0), ("SO-W2", 1)]
