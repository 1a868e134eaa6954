"""Refunds a line per item, through the JSON API as the payment system and integrations use it:
clear lines paid at once, doubtful ones held alone, each review settling its own line, payments
once under their reference, money in its currency."""
import threading
from decimal import Decimal

import pytest

from station import db as db_module
from tests import sample
from tests.test_api import call, upload

D = Decimal


def open_parcel(client, token, code=sample.CARTON):
    return call(client, token, "POST", "/api/returns", {"code": code, "station": "api-1"}).json["return_id"]


def add_decided(client, token, rid, item, photo=False, disposition=None):
    added = call(client, token, "POST", f"/api/returns/{rid}/items", item)
    assert added.status_code == 201, added.json
    item_id = added.json["item_id"]
    if photo:
        assert upload(client, token, f"/api/returns/{rid}/items/{item_id}/photos", sample.png_bytes()).status_code == 201
    body = {"disposition": disposition or added.json["recommendation"]["disposition"]}
    if disposition and disposition != added.json["recommendation"]["disposition"]:
        body["override_reason"] = "test"
    decided = call(client, token, "POST", f"/api/returns/{rid}/items/{item_id}/decision", body)
    assert decided.status_code == 200, decided.json
    return item_id


def close(client, token, rid, body=None):
    resp = call(client, token, "POST", f"/api/returns/{rid}/close", body or {})
    assert resp.status_code == 200, resp.json
    return resp.json["refund"]


def lines(refund):
    return {line["item_id"]: (line["amount"], line["status"]) for line in refund["lines"]}


def keyboard_and_earbud(client, op):
    """SO-1: a good grade-A mug (the 'keyboard') and a shoe SO-1 never had (the 'foreign earbud')."""
    rid = open_parcel(client, op)
    mug = add_decided(client, op, rid, {"sku": "MUG-01", "qty": 1, "grade": "A", "reason": "changed_mind"})
    earbud = add_decided(client, op, rid, {"sku": "SHOE-01", "qty": 1, "grade": "A", "reason": "changed_mind"})
    return rid, mug, earbud, close(client, op, rid)


def test_a_good_item_is_paid_at_once_while_a_foreign_one_waits_alone(env):
    client, tokens, db = env
    rid, mug, earbud, refund = keyboard_and_earbud(client, tokens["operator"])
    assert lines(refund) == {mug: ("19.99", "ready"), earbud: ("0.00", "held")}
    assert {k: refund[k] for k in ("currency", "amount", "payable", "paid", "status")} == {
        "currency": "USD", "amount": "19.99", "payable": "19.99", "paid": "0.00", "status": "ready"}
    assert "mismatch: item_mismatch" in refund["lines"][1]["why"]
    stored = db.execute("SELECT item_id, amount, status FROM refund_lines ORDER BY item_id").fetchall()
    assert stored == [(mug, "19.99", "ready"), (earbud, "0.00", "held")]
    assert call(client, tokens["operator"], "GET", f"/api/refunds/{refund['refund_id']}").json == refund
    queue = call(client, tokens["operator"], "GET", "/api/queues/refunds").json["items"]
    assert [entry["refund_id"] for entry in queue] == [refund["refund_id"]]  # it has a held line


def test_a_review_sending_the_foreign_item_back_rejects_its_line_and_no_other(env):
    client, tokens, db = env
    rid, mug, earbud, refund = keyboard_and_earbud(client, tokens["operator"])
    reviewed = call(client, tokens["supervisor"], "POST", f"/api/quarantine/{earbud}/review",
                    {"outcome": "return_to_customer", "note": "not ours, back to the customer"})
    assert reviewed.status_code == 200
    assert lines(reviewed.json) == {mug: ("19.99", "ready"), earbud: ("0.00", "rejected")}
    assert (reviewed.json["status"], reviewed.json["payable"], reviewed.json["amount"]) == ("ready", "19.99", "19.99")
    nothing = call(client, tokens["supervisor"], "POST", f"/api/refunds/{refund['refund_id']}/approve", {"note": "x"})
    assert nothing.status_code == 409 and nothing.json["error"]["code"] == "not_held"
    paid = call(client, tokens["operator"], "POST", f"/api/refunds/{refund['refund_id']}/paid", {"payment_ref": "PAY-1"})
    assert paid.json == {"refund_id": refund["refund_id"], "status": "paid", "payment_ref": "PAY-1", "amount": "19.99",
                         "currency": "USD", "paid": "19.99", "payable": "0.00"}
    assert db.execute("SELECT item_id, status FROM refund_lines ORDER BY item_id").fetchall() == [
        (mug, "paid"), (earbud, "rejected")]


def test_a_scrap_review_without_an_amount_refuses_what_proposed_nothing_and_with_one_pays_it(env):
    client, tokens, db = env
    op, sv = tokens["operator"], tokens["supervisor"]
    rid = open_parcel(client, op)
    dead = add_decided(client, op, rid, {"sku": "PHONE-01", "serial": "SN1", "qty": 1, "grade": "X", "reason": "defective"},
                       photo=True)
    refund = close(client, op, rid)
    assert lines(refund) == {dead: ("0.00", "held")} and refund["status"] == "held"
    bad = call(client, sv, "POST", f"/api/quarantine/{dead}/review",
               {"outcome": "scrap", "note": "dead", "refund_amount": "299,00"})
    assert bad.status_code == 400 and bad.json["error"]["field"] == "refund_amount"
    assert db.execute("SELECT count(*) FROM quarantine_reviews").fetchone()[0] == 0
    paid = call(client, sv, "POST", f"/api/quarantine/{dead}/review",
                {"outcome": "scrap", "note": "genuinely dead: the customer is owed it", "refund_amount": "299.00"})
    assert paid.status_code == 200 and lines(paid.json) == {dead: ("299.00", "ready")}
    assert (paid.json["status"], paid.json["payable"]) == ("ready", "299.00")


def test_a_scrap_review_of_an_item_that_proposed_nothing_is_never_ready_at_zero(env):
    client, tokens, _db = env
    op = tokens["operator"]
    rid = open_parcel(client, op)
    dead = add_decided(client, op, rid, {"sku": "PHONE-01", "serial": "SN1", "qty": 1, "grade": "X", "reason": "defective"},
                       photo=True)
    close(client, op, rid)
    reviewed = call(client, tokens["supervisor"], "POST", f"/api/quarantine/{dead}/review", {"outcome": "scrap", "note": "dead"})
    assert lines(reviewed.json) == {dead: ("0.00", "rejected")} and reviewed.json["status"] == "rejected"


def test_confirmed_fraud_rejects_its_line_and_holds_every_other_unpaid_line_of_the_return(env):
    client, tokens, db = env
    op, sv = tokens["operator"], tokens["supervisor"]
    rid = open_parcel(client, op)
    mug = add_decided(client, op, rid, {"sku": "MUG-01", "qty": 1, "grade": "A", "reason": "changed_mind"})
    brick = add_decided(client, op, rid, {"sku": "PHONE-01", "serial": "SN1", "qty": 1, "grade": "X", "reason": "other",
                                          "notes": "a brick"}, photo=True)
    refund = close(client, op, rid)
    assert lines(refund) == {mug: ("19.99", "ready"), brick: ("0.00", "held")}
    fraud = call(client, sv, "POST", f"/api/quarantine/{brick}/review", {"outcome": "fraud", "note": "brick in the box"})
    assert lines(fraud.json) == {mug: ("19.99", "held"), brick: ("0.00", "rejected")}
    assert (fraud.json["status"], fraud.json["payable"]) == ("held", "0.00")
    assert "fraud_review" in next(line for line in fraud.json["lines"] if line["item_id"] == mug)["holds"]
    assert db.execute("SELECT fraud FROM customers WHERE customer_id = 'C1'").fetchone()[0] == 1
    # the customer's next refund waits whole for a supervisor
    rid2 = open_parcel(client, op)
    again = add_decided(client, op, rid2, {"sku": "MUG-01", "qty": 1, "grade": "A", "reason": "changed_mind"})
    later = close(client, op, rid2)
    assert lines(later) == {again: ("19.99", "held")} and later["lines"][0]["holds"] == ["earlier_fraud"]


def test_a_payment_pays_the_ready_lines_once_and_a_later_one_what_was_approved_since(env):
    client, tokens, db = env
    op, sv = tokens["operator"], tokens["supervisor"]
    rid = open_parcel(client, op)
    mug = add_decided(client, op, rid, {"sku": "MUG-01", "qty": 1, "grade": "A", "reason": "changed_mind"})
    phone = add_decided(client, op, rid, {"sku": "PHONE-01", "serial": "SN1", "qty": 1, "grade": "D", "reason": "changed_mind"},
                        photo=True)
    refund = close(client, op, rid)
    rf = refund["refund_id"]
    assert lines(refund) == {mug: ("19.99", "ready"), phone: ("299.00", "held")}
    wrong = call(client, op, "POST", f"/api/refunds/{rf}/paid", {"payment_ref": "P-1", "amount": "318.99"})
    assert wrong.status_code == 409 and wrong.json["error"]["code"] == "amount_mismatch"
    first = call(client, op, "POST", f"/api/refunds/{rf}/paid", {"payment_ref": "P-1", "amount": "19.99"})
    assert (first.status_code, first.json["amount"], first.json["status"]) == (200, "19.99", "held")
    again = call(client, op, "POST", f"/api/refunds/{rf}/paid", {"payment_ref": "P-1", "amount": "19.99"})
    assert again.json == first.json  # the same confirmation again: the same answer, nothing paid twice
    early = call(client, op, "POST", f"/api/refunds/{rf}/paid", {"payment_ref": "P-2"})
    assert early.status_code == 409 and early.json["error"]["code"] == "nothing_payable"
    approved = call(client, sv, "POST", f"/api/refunds/{rf}/approve", {"item_id": phone, "amount": "250.00", "note": "goodwill"})
    assert lines(approved.json) == {mug: ("19.99", "paid"), phone: ("250.00", "ready")}
    assert (approved.json["payable"], approved.json["paid"], approved.json["status"]) == ("250.00", "19.99", "ready")
    second = call(client, op, "POST", f"/api/refunds/{rf}/paid", {"payment_ref": "P-2"})
    assert (second.json["amount"], second.json["paid"], second.json["status"]) == ("250.00", "269.99", "paid")
    assert db.execute("SELECT payment_ref, amount FROM refund_payments ORDER BY payment_id").fetchall() == [
        ("P-1", "19.99"), ("P-2", "250.00")]
    events = [e for e in call(client, op, "GET", "/api/events?limit=1000").json["events"] if e["type"] == "refund.paid"]
    assert [(e["data"]["payment_ref"], e["data"]["amount"], e["data"]["item_ids"]) for e in events] == [
        ("P-1", "19.99", [mug]), ("P-2", "250.00", [phone])]


def test_approve_and_reject_act_on_one_named_line_or_on_every_held_line(env):
    client, tokens, _db = env
    op, sv = tokens["operator"], tokens["supervisor"]
    rid = open_parcel(client, op, "CTN-2")  # SO-2: outside the window, every line held
    shoe = add_decided(client, op, rid, {"sku": "SHOE-01", "qty": 1, "grade": "A", "reason": "changed_mind"})
    refund = close(client, op, rid)
    rf = refund["refund_id"]
    assert (lines(refund), refund["status"], refund["currency"]) == ({shoe: ("49.50", "held")}, "held", "EUR")
    two = call(client, sv, "POST", f"/api/refunds/{rf}/approve", {"item_id": 999999, "note": "x"})
    assert two.status_code == 404
    rejected = call(client, sv, "POST", f"/api/refunds/{rf}/reject", {"note": "too late"})
    assert lines(rejected.json) == {shoe: ("49.50", "rejected")}
    assert (rejected.json["status"], rejected.json["amount"]) == ("rejected", "0.00")
    again = call(client, sv, "POST", f"/api/refunds/{rf}/reject", {"note": "again"})
    assert again.status_code == 409


def test_an_amount_for_several_held_lines_at_once_is_a_400(env):
    client, tokens, _db = env
    op, sv = tokens["operator"], tokens["supervisor"]
    rid = open_parcel(client, op, "CTN-2")
    add_decided(client, op, rid, {"sku": "SHOE-01", "qty": 1, "grade": "A", "reason": "changed_mind"})
    add_decided(client, op, rid, {"sku": "SHOE-01", "qty": 1, "grade": "B", "reason": "changed_mind"})
    rf = close(client, op, rid)["refund_id"]
    resp = call(client, sv, "POST", f"/api/refunds/{rf}/approve", {"amount": "10.00", "note": "x"})
    assert resp.status_code == 400 and resp.json["error"]["field"] == "amount"


@pytest.mark.parametrize("shipping", ["4,50", "1_000", "-0.0", "-1", "\u0664", "4.505", "1e1"])
def test_return_shipping_in_any_other_spelling_than_an_ascii_decimal_is_a_400_and_closes_nothing(env, shipping):
    client, tokens, db = env
    op = tokens["operator"]
    rid = open_parcel(client, op)
    add_decided(client, op, rid, {"sku": "MUG-01", "qty": 1, "grade": "A", "reason": "defective"})
    resp = call(client, op, "POST", f"/api/returns/{rid}/close", {"return_shipping": shipping})
    assert resp.status_code == 400 and resp.json["error"]["field"] == "return_shipping"
    assert db["refunds"].count == 0 and db.execute("SELECT status FROM returns").fetchone()[0] == "open"


def test_return_shipping_is_paid_with_the_seller_fault_line(env):
    client, tokens, _db = env
    op = tokens["operator"]
    rid = open_parcel(client, op)
    mug = add_decided(client, op, rid, {"sku": "MUG-01", "qty": 1, "grade": "A", "reason": "defective"})
    refund = close(client, op, rid, {"return_shipping": "4.50"})
    assert lines(refund) == {mug: ("24.49", "ready")} and refund["adjustments"][0]["kind"] == "return_shipping"


def test_a_customer_side_return_bears_the_return_label_the_seller_paid_once(env):
    client, tokens, db = env
    op = tokens["operator"]
    db.execute("UPDATE rmas SET label_cost = '3.50', label_paid_by = 'seller' WHERE rma_no = 'RMA-1'")
    rid = open_parcel(client, op)
    mug = add_decided(client, op, rid, {"sku": "MUG-01", "qty": 1, "grade": "A", "reason": "changed_mind"})
    refund = close(client, op, rid)
    assert lines(refund) == {mug: ("16.49", "ready")}
    assert refund["adjustments"] == [{"kind": "return_label", "amount": "-3.50",
                                      "why": "the return label the seller paid (3.50), charged once on a customer-side return"}]
    assert "minus the return label the seller paid (3.50)" in refund["lines"][0]["why"]


def test_the_label_is_not_charged_when_the_policy_switch_is_off(env):
    client, tokens, db = env
    op = tokens["operator"]
    db.execute("UPDATE rmas SET label_cost = '3.50', label_paid_by = 'seller' WHERE rma_no = 'RMA-1'")
    db.execute("INSERT INTO policy (key, value, updated_by, updated_at) VALUES ('charge_return_label', '0', 't', 'now')")
    rid = open_parcel(client, op)
    mug = add_decided(client, op, rid, {"sku": "MUG-01", "qty": 1, "grade": "A", "reason": "changed_mind"})
    assert lines(close(client, op, rid)) == {mug: ("19.99", "ready")}


# --- currencies --------------------------------------------------------------------------------

def add_order(db, order_no, currency, price, customer="C4"):
    with db_module.write(db):
        db["orders"].insert({"order_no": order_no, "customer_id": customer, "placed_at": sample.days_ago(9),
                             "channel": "shop", "shipped_at": sample.days_ago(8), "delivered_at": sample.days_ago(5),
                             "currency": currency, "status": "delivered", "priority": 0})
        db["order_lines"].insert({"order_no": order_no, "line_no": 1, "sku": "SHOE-01", "qty": 1, "unit_price": price})


@pytest.mark.parametrize("currency, price, rate, flag", [
    ("JPY", 8400, "0.0067", None),          # about 56 USD: not high value
    ("KRW", 42510, "0.00072", None),        # about 31 USD
    ("USD", 119.99, None, None),
    ("USD", 150, None, "high_value"),
    ("JPY", 30000, "0.0067", "high_value"),  # about 201 USD
    ("KRW", 42510, None, "fx_missing"),      # no rate: never silently "not high value"
])
def test_high_value_compares_money_in_the_base_currency_and_a_missing_rate_is_flagged(env, currency, price, rate, flag):
    client, tokens, db = env
    add_order(db, "SO-FX", currency, price)
    if rate:
        db["fx_rates"].upsert({"currency": currency, "rate": rate, "updated_at": "2026-12-01T00:00:00Z"}, pk="currency")
    answer = call(client, tokens["operator"], "GET", "/api/lookup?code=SO-FX").json
    assert {"high_value", "fx_missing"} & set(answer["flags"]) == ({flag} if flag else set())


def test_a_refund_in_yen_is_rounded_to_whole_yen_and_names_its_currency(env):
    client, tokens, db = env
    op = tokens["operator"]
    add_order(db, "SO-JP", "JPY", 8400)
    db["fx_rates"].upsert({"currency": "JPY", "rate": "0.0067", "updated_at": "2026-12-01T00:00:00Z"}, pk="currency")
    rid = open_parcel(client, op, "SO-JP")
    shoe = add_decided(client, op, rid, {"sku": "SHOE-01", "qty": 1, "grade": "B", "reason": "size_fit"})
    refund = close(client, op, rid)
    assert (refund["currency"], lines(refund)) == ("JPY", {shoe: ("7140", "ready")})
    half = call(client, op, "POST", f"/api/returns/{rid}/close", {"return_shipping": "5.5"})
    assert half.status_code == 200  # closed already: the same refund answers, the body is not read again


def test_the_recommendation_names_the_currency_of_its_values(env):
    client, tokens, _db = env
    rid = open_parcel(client, tokens["operator"])
    added = call(client, tokens["operator"], "POST", f"/api/returns/{rid}/items",
                 {"sku": "MUG-01", "qty": 1, "grade": "C", "reason": "changed_mind"}).json
    assert added["recommendation"]["currency"] == "USD"
    assert {o["currency"] for o in added["recommendation"]["options"]} == {"USD"}


# --- racing payments and approvals -------------------------------------------------------------

def test_racing_payments_and_approvals_never_pay_a_line_twice_or_more_than_the_refund(env, tmp_path):
    client, tokens, db = env
    op = tokens["operator"]
    rid = open_parcel(client, op)
    add_decided(client, op, rid, {"sku": "MUG-01", "qty": 1, "grade": "A", "reason": "changed_mind"})
    add_decided(client, op, rid, {"sku": "MUG-01", "qty": 1, "grade": "D", "reason": "changed_mind"}, photo=True)
    add_decided(client, op, rid, {"sku": "PHONE-01", "serial": "SN1", "qty": 1, "grade": "D", "reason": "changed_mind"},
                photo=True)
    refund = close(client, op, rid)
    rf = refund["refund_id"]
    from station.downstream import refunds as service
    from station.errors import ServiceError

    path = tmp_path / "station.db"
    barrier = threading.Barrier(8)
    outcomes = []

    def act(kind, n):
        conn = db_module.connect(path)
        barrier.wait()
        try:
            if kind == "pay":
                service.mark_paid(conn, rf, {"payment_ref": f"P-{n}"}, user="pay")
            else:
                service.approve(conn, rf, {"note": f"approve {n}"}, user="sam")
            outcomes.append((kind, "ok"))
        except ServiceError as exc:
            outcomes.append((kind, exc.code))
        finally:
            conn.close()

    threads = [threading.Thread(target=act, args=("pay" if n % 2 else "approve", n)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    # whatever order they ran in: one approval won, nothing was paid twice
    assert sorted(o for k, o in outcomes if k == "approve") == ["not_held"] * 3 + ["ok"]
    final = call(client, op, "GET", f"/api/refunds/{rf}").json
    leftover = call(client, op, "POST", f"/api/refunds/{rf}/paid", {"payment_ref": "P-last"})
    final = call(client, op, "GET", f"/api/refunds/{rf}").json
    paid_lines = db.execute("SELECT count(*), count(DISTINCT item_id) FROM refund_lines WHERE status = 'paid'").fetchone()
    payments = [D(a) for (a,) in db.execute("SELECT amount FROM refund_payments")]
    assert paid_lines[0] == paid_lines[1] == 3  # every line paid, each once
    assert sum(payments) == D(final["paid"]) == D(final["amount"]) == D("19.99") * 2 + D("299.00")
    assert final["status"] == "paid" and leftover.status_code in (200, 409)
    # each line belongs to exactly one payment, and each payment pays exactly its lines
    by_payment = db.execute("SELECT p.amount, sum(CAST(l.amount AS REAL)) FROM refund_payments p "
                            "JOIN refund_lines l ON l.payment_id = p.payment_id GROUP BY p.payment_id").fetchall()
    assert all(D(a) == D(str(round(s, 2))) for a, s in by_payment)


def test_a_bulk_order_is_checked_unit_by_unit_and_its_refund_waits_for_a_supervisor(env):
    client, tokens, db = env
    op = tokens["operator"]
    db.execute("UPDATE order_lines SET qty = 12 WHERE order_no = 'SO-1' AND sku = 'MUG-01'")  # 13 units: bulk
    answer = call(client, op, "GET", "/api/lookup?code=SO-1").json
    assert "bulk_return" in answer["flags"]
    rid = open_parcel(client, op)
    two = call(client, op, "POST", f"/api/returns/{rid}/items", {"sku": "MUG-01", "qty": 2, "grade": "A", "reason": "changed_mind"})
    assert two.status_code == 400 and two.json["error"]["field"] == "qty"
    no_serial = call(client, op, "POST", f"/api/returns/{rid}/items", {"sku": "PHONE-01", "qty": 1, "grade": "A", "reason": "changed_mind"})
    assert no_serial.status_code == 400 and no_serial.json["error"]["field"] == "serial"
    assert db["return_items"].count == 0
    mug = add_decided(client, op, rid, {"sku": "MUG-01", "qty": 1, "grade": "A", "reason": "changed_mind"})
    refund = close(client, op, rid)
    assert lines(refund) == {mug: ("19.99", "held")} and refund["lines"][0]["holds"] == ["bulk_return"]
    assert "bulk return" in refund["lines"][0]["why"]


def test_a_supervisor_clears_an_earlier_fraud_flag_with_a_note_and_the_next_refund_is_paid_at_once(env):
    client, tokens, db = env
    op, sv = tokens["operator"], tokens["supervisor"]
    db.execute("UPDATE customers SET fraud = 1 WHERE customer_id = 'C1'")
    refused = call(client, op, "POST", "/api/customers/C1/flags/earlier_fraud/clear", {"note": "x"})
    assert refused.status_code == 403  # a supervisor's decision
    no_note = call(client, sv, "POST", "/api/customers/C1/flags/earlier_fraud/clear", {})
    bad_flag = call(client, sv, "POST", "/api/customers/C1/flags/vip/clear", {"note": "x"})
    assert (no_note.status_code, bad_flag.status_code) == (400, 400)
    assert db.execute("SELECT fraud FROM customers WHERE customer_id = 'C1'").fetchone()[0] == 1
    cleared = call(client, sv, "POST", "/api/customers/C1/flags/earlier_fraud/clear",
                   {"note": "the bank confirmed the chargeback was a mistake"})
    assert cleared.status_code == 200 and cleared.json["cleared_by"] == "sam"
    assert db.execute("SELECT fraud FROM customers WHERE customer_id = 'C1'").fetchone()[0] == 0
    assert db.execute("SELECT flag, note, cleared_by FROM customer_flag_clearances").fetchall() == [
        ("earlier_fraud", "the bank confirmed the chargeback was a mistake", "sam")]
    rid = open_parcel(client, op)
    mug = add_decided(client, op, rid, {"sku": "MUG-01", "qty": 1, "grade": "A", "reason": "changed_mind"})
    assert lines(close(client, op, rid)) == {mug: ("19.99", "ready")}


def test_a_frequent_returners_large_lines_wait_until_a_supervisor_clears_the_flag(env):
    client, tokens, db = env
    op, sv = tokens["operator"], tokens["supervisor"]
    with db_module.write(db):  # three returns of C1 this month: a frequent returner
        for n in range(3):
            db.execute("INSERT INTO returns (order_no, code, match, station, opened_at, status) VALUES "
                       "('SO-1', 'x', 'order', 'b', ?, 'closed')", [sample.days_ago(n + 1)])
    assert "frequent_returner" in call(client, op, "GET", "/api/lookup?code=SO-1").json["customer"]["flags"]
    rid = open_parcel(client, op)
    mug = add_decided(client, op, rid, {"sku": "MUG-01", "qty": 1, "grade": "A", "reason": "changed_mind"})
    phone = add_decided(client, op, rid, {"sku": "PHONE-01", "serial": "SN1", "qty": 1, "grade": "A", "reason": "defective"})
    refund = close(client, op, rid)  # the phone (299.00) is above 100 USD: it waits; the mug is paid
    assert lines(refund) == {mug: ("19.99", "ready"), phone: ("299.00", "held")}
    assert next(line for line in refund["lines"] if line["item_id"] == phone)["holds"] == ["frequent_returner"]
    call(client, sv, "POST", "/api/customers/C1/flags/frequent_returner/clear", {"note": "a reseller we know"})
    answer = call(client, op, "GET", "/api/lookup?code=SO-1").json
    assert "frequent_returner" not in answer["customer"]["flags"]
    assert answer["customer"]["returns_count"] == 4  # the card's counts stay whole


def test_an_exchange_for_another_size_waits_as_a_replacement_order_that_a_returned_unit_can_fill(env):
    client, tokens, db = env
    op = tokens["operator"]
    db.execute("UPDATE rmas SET resolution = 'exchange', exchange_sku = 'SHOE-01' WHERE rma_no = 'RMA-1'")
    lookup = call(client, op, "GET", f"/api/lookup?code={sample.RMA}").json
    assert lookup["rma"]["exchange_sku"] == "SHOE-01"
    rid = open_parcel(client, op, sample.RMA)
    mug = add_decided(client, op, rid, {"sku": "MUG-01", "qty": 1, "grade": "A", "reason": "size_fit"})
    refund = close(client, op, rid)
    assert (refund["status"], lines(refund)) == ("exchange", {mug: ("0.00", "exchange")})
    replacement = f"SO-1-EX{rid}"
    order = call(client, op, "GET", f"/api/orders/{replacement}").json
    assert (order["status"], order["customer_id"]) == ("awaiting_stock", "C1")
    assert [(line["sku"], line["qty"], line["qty_allocated"]) for line in order["lines"]] == [("SHOE-01", 1, 0)]
    events = [e["data"] for e in call(client, op, "GET", "/api/events?limit=1000").json["events"]
              if e["type"] == "exchange.requested"]
    assert [(e["sku"], e["returned_sku"], e["replacement_order_no"]) for e in events] == [("SHOE-01", "MUG-01", replacement)]
    # a grade-A shoe coming back in another parcel goes straight to the customer waiting for it
    other = open_parcel(client, op, "CTN-2")
    shoe = call(client, op, "POST", f"/api/returns/{other}/items", {"sku": "SHOE-01", "qty": 1, "grade": "A",
                                                                    "reason": "changed_mind"}).json
    assert (shoe["recommendation"]["disposition"], shoe["recommendation"]["target"]) == ("crossdock", replacement)
