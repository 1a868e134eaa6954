"""After the decision: refurbish, RTV, quarantine, refunds, policy, webhooks, exports."""
import http.server
import json
import threading

import pytest

from station.intake import closing, decisions, returns
from station.data import exports, webhooks
from station.downstream import quarantine, refunds, refurbish, rtv
from station import db as db_module
from station import policy as policy_module
from station.errors import ServiceError
from station.downstream.queues import queue
from tests import sample


@pytest.fixture
def db(tmp_path):
    db = sample.fresh(tmp_path / "station.db")
    sample.load_sample(db)
    yield db
    db.close()


def decided(db, code, data, disposition=None, **extra):
    ret, _ = returns.open_return(db, code, "bench-1")
    item = returns.add_item(db, ret["return_id"], data)
    sample.evidence(db, item["item_id"], data["grade"])
    body = {"disposition": disposition or item["recommendation"]["disposition"], **extra}
    decisions.decide(db, ret["return_id"], item["item_id"], body)
    return ret["return_id"], item["item_id"]


def test_a_refurbish_decision_opens_a_work_order_that_ends_in_refurbished_stock(db):
    _, item_id = decided(db, sample.CARTON, {"sku": "MUG-01", "qty": 1, "grade": "B", "reason": "size_fit"})
    assert [i["item_id"] for i in queue(db, "refurbish")["items"]] == [item_id]
    wo = refurbish.record_action(db, f"RI-{item_id}", {"action": "cleaned", "minutes": 5})
    wo = refurbish.record_action(db, f"ri-{item_id}", {"action": "part_replaced", "part": "lid", "cost": "1.20", "minutes": 3})
    assert [a["action"] for a in wo["actions"]] == ["cleaned", "part_replaced"] and wo["minutes"] == 8
    done = refurbish.finish(db, f"RI-{item_id}", {"outcome": "restock", "grade": "B"})
    assert done["status"] == "done" and done["bin"] == "REFURB"
    assert db.execute("SELECT qty FROM stock WHERE sku = 'MUG-01' AND condition = 'refurbished'").fetchone()[0] == 1
    assert db.execute("SELECT qty FROM stock WHERE sku = 'MUG-01' AND condition = 'new'").fetchone()[0] == 5  # new stock untouched
    from station.downstream.stock import stock_of
    # the refurbished unit is counted in the total, never as new
    assert stock_of(db, "MUG-01") == {"sku": "MUG-01", "total": 6,
                                      "bins": [{"bin": "A-01-01", "condition": "new", "qty": 5},
                                               {"bin": "REFURB", "condition": "refurbished", "qty": 1}],
                                      "by_condition": {"new": 5, "open_box": 0, "refurbished": 1, "used": 0}}
    assert queue(db, "refurbish")["items"] == []
    with pytest.raises(ServiceError) as err:
        refurbish.finish(db, f"RI-{item_id}", {"outcome": "scrap", "grade": "D"})
    assert err.value.status == 409


def test_a_refurbished_unit_fills_a_waiting_order_only_where_policy_allows(db):
    _, item_id = decided(db, sample.CARTON, {"sku": "MUG-01", "qty": 1, "grade": "B", "reason": "size_fit"})
    with pytest.raises(ServiceError) as err:
        refurbish.finish(db, f"RI-{item_id}", {"outcome": "crossdock", "grade": "A"})
    assert err.value.code == "not_allowed" and db["allocations"].count == 0
    policy_module.set_sku_rule(db, "MUG-01", "refurbished_can_crossdock", True, user="sam")
    done = refurbish.finish(db, f"RI-{item_id}", {"outcome": "crossdock", "grade": "A"})
    assert done["bin"] == "SO-W2"
    assert db.execute("SELECT status FROM orders WHERE order_no = 'SO-W2'").fetchone()[0] == "ready_to_ship"


def test_rtv_items_collect_in_one_open_batch_per_supplier_that_a_supervisor_closes_and_settles(db):
    _, item_id = decided(db, sample.CARTON, {"sku": "PHONE-01", "serial": "SN1", "qty": 1, "grade": "D", "reason": "defective"})
    batch_id = queue(db, "rtv")["items"][0]["batch_id"]
    batch = rtv.get_batch(db, batch_id)
    assert (batch["supplier_id"], batch["status"], batch["value"]) == ("SUP-RTV", "open", "200.00")
    assert batch["items"][0]["serial"] == "SN1" and batch["items"][0]["reason"] == "defective"
    closed = rtv.close_batch(db, batch_id, user="sam")
    assert closed["status"] == "closed" and closed["credit_expected"] == "200.00"
    assert queue(db, "rtv")["items"] == []
    settled = rtv.record_credit(db, batch_id, {"amount": "180"})
    assert (settled["status"], settled["credit_received"]) == ("settled", "180.00")


def test_an_item_the_supplier_refuses_comes_back_to_quarantine_review(db):
    _, item_id = decided(db, sample.CARTON, {"sku": "PHONE-01", "serial": "SN1", "qty": 1, "grade": "D", "reason": "defective"})
    rtv.refuse_item(db, item_id, {"reason": "water damage, not covered"})
    waiting = queue(db, "quarantine")["items"]
    assert [i["item_id"] for i in waiting] == [item_id] and "refused by supplier" in waiting[0]["origin"]
    quarantine.review(db, item_id, {"outcome": "scrap", "note": "not repairable"})
    assert queue(db, "quarantine")["items"] == []


def test_confirmed_fraud_marks_the_customer_and_rejects_the_held_refund(db):
    rid, item_id = decided(db, sample.CARTON, {"sku": "MUG-01", "qty": 1, "grade": "X", "reason": "other", "notes": "a brick"})
    refund = closing.close_return(db, rid)["refund"]
    assert refund["status"] == "held"
    result = quarantine.review(db, item_id, {"outcome": "fraud", "note": "brick in the box"})
    assert result["status"] == "rejected" and result["review"]["outcome"] == "fraud"
    assert db.execute("SELECT fraud FROM customers WHERE customer_id = 'C1'").fetchone()[0] == 1
    from station.intake.lookup import lookup

    assert "earlier_fraud" in lookup(db, "SO-1")["flags"]
    with pytest.raises(ServiceError) as err:
        quarantine.review(db, item_id, {"outcome": "restock", "note": "changed my mind"})
    assert err.value.status in (404, 409)


def test_a_quarantine_restock_pays_the_line_at_the_amount_the_supervisor_sets(db):
    rid, item_id = decided(db, sample.CARTON, {"sku": "SHOE-01", "qty": 1, "grade": "A", "reason": "changed_mind"})
    assert closing.close_return(db, rid)["refund"]["status"] == "held"  # a shoe SO-1 never had: nothing proposed
    result = quarantine.review(db, item_id, {"outcome": "restock", "note": "our shoe after all", "refund_amount": "20.00"})
    assert (result["status"], result["payable"], result["lines"][0]["status"]) == ("ready", "20.00", "ready")
    assert db.execute("SELECT qty FROM stock WHERE sku = 'SHOE-01'").fetchone()[0] == 1


def test_a_quarantine_scrap_without_an_amount_rejects_a_line_that_proposed_nothing(db):
    rid, item_id = decided(db, sample.CARTON, {"sku": "SHOE-01", "qty": 1, "grade": "A", "reason": "changed_mind"})
    closing.close_return(db, rid)
    result = quarantine.review(db, item_id, {"outcome": "scrap", "note": "worn out"})
    assert (result["status"], result["amount"], result["lines"][0]["status"]) == ("rejected", "0.00", "rejected")


def test_two_supervisors_approving_at_once_settle_the_refund_once(db, tmp_path):
    rid, _ = decided(db, "CTN-2", {"sku": "SHOE-01", "qty": 1, "grade": "A", "reason": "changed_mind"})
    refund_id = closing.close_return(db, rid)["refund"]["refund_id"]
    barrier, outcomes = threading.Barrier(2), []

    def approve(note):
        conn = db_module.connect(tmp_path / "station.db")
        barrier.wait()
        try:
            refunds.approve(conn, refund_id, {"note": note})
            outcomes.append("ok")
        except ServiceError as exc:
            outcomes.append(exc.status)
        finally:
            conn.close()

    threads = [threading.Thread(target=approve, args=(n,)) for n in ("first", "second")]
    [t.start() for t in threads]
    [t.join() for t in threads]
    assert sorted(outcomes, key=str) == [409, "ok"]
    assert db.execute("SELECT count(*) FROM events WHERE type = 'refund.approved'").fetchone()[0] == 1


def test_policy_changes_are_validated_audited_and_apply_to_new_items(db):
    rid, _ = decided(db, "CTN-2", {"sku": "SHOE-01", "qty": 1, "grade": "A", "reason": "changed_mind"})
    with pytest.raises(ServiceError) as err:
        policy_module.update(db, {"return_window_days": 90, "restocking_fee": "1.5"}, user="sam")
    assert err.value.extra["field"] == "restocking_fee" and db["policy"].count == 0
    policy_module.update(db, {"return_window_days": 90}, user="sam")
    assert db.execute("SELECT key, old_value, new_value, changed_by FROM policy_audit").fetchall() == [
        ("return_window_days", "30", "90", "sam")]
    from station.intake.lookup import lookup

    assert lookup(db, "CTN-2")["within_window"] is True


def test_a_never_restock_sku_goes_to_its_best_other_option(db):
    policy_module.set_sku_rule(db, "MUG-01", "never_restock", True, user="sam")
    ret, _ = returns.open_return(db, sample.CARTON, "bench-1")
    item = returns.add_item(db, ret["return_id"], {"sku": "MUG-01", "qty": 1, "grade": "A", "reason": "changed_mind"})
    rec = item["recommendation"]
    # a refurbished unit goes back on sale too: the only way out for a hygiene product is scrap
    assert rec["disposition"] == "scrap" and "never restocked" in rec["why"]
    assert [o["disposition"] for o in rec["options"]] == ["scrap"]
    used = returns.add_item(db, ret["return_id"], {"sku": "MUG-01", "qty": 1, "grade": "C", "reason": "changed_mind"})
    assert [o["disposition"] for o in used["recommendation"]["options"]] == ["scrap"]
    stored = db.execute("SELECT recommendation FROM return_items WHERE item_id = ?", [used["item_id"]]).fetchone()[0]
    assert '"disposition": "scrap"' in stored


class Receiver(http.server.BaseHTTPRequestHandler):
    received, fail_next = [], [0]

    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        if self.fail_next[0]:
            self.fail_next[0] -= 1
            self.send_response(503)
        else:
            self.received.append((self.headers[webhooks.SIGNATURE_HEADER], body))
            self.send_response(200)
        self.end_headers()

    def log_message(self, *args):
        pass


def test_webhooks_deliver_signed_events_in_order_and_retry_after_a_failure(db):
    server = http.server.HTTPServer(("127.0.0.1", 0), Receiver)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        hook = webhooks.add(db, "erp", f"http://127.0.0.1:{server.server_port}/hook", "s" * 32)
        Receiver.received.clear()
        Receiver.fail_next[0] = 1
        decided(db, sample.CARTON, {"sku": "MUG-01", "qty": 1, "grade": "A", "reason": "changed_mind"})
        assert webhooks.deliver_due(db) == 0
        state = webhooks.status(db)[0]
        assert state["failures"] == 1 and "503" in state["last_error"] and state["delivered_seq"] == 0
        db.execute("UPDATE webhooks SET next_attempt_at = NULL")  # the backoff has passed
        assert webhooks.deliver_due(db) > 0
        signature, body = Receiver.received[0]
        assert signature == webhooks.sign("s" * 32, body)
        seqs = [e["seq"] for e in json.loads(body)["events"]]
        assert seqs == sorted(seqs) and seqs[0] == 1
        assert webhooks.status(db)[0]["behind"] == 0 and hook["secret"] == "s" * 32
    finally:
        server.shutdown()


def test_exports_list_decisions_stock_changes_and_refunds_in_a_range(db):
    rid, _ = decided(db, "CTN-2", {"sku": "SHOE-01", "qty": 1, "grade": "A", "reason": "defective"})
    closing.close_return(db, rid)
    columns, found = exports.export(db, "decisions")
    assert "disposition" in columns and found[0]["disposition"] == "restock"
    assert exports.export(db, "stock-changes")[1][0]["delta"] == 1
    assert exports.export(db, "refunds", "2000-01-01", "2000-01-02")[1] == []
    with pytest.raises(ServiceError):
        exports.export(db, "refunds", "nope")


@pytest.mark.parametrize("key", [[], ["never_restock"], {}, {"never_restock": True}, 5, None])
def test_a_sku_rule_key_that_is_not_a_string_is_a_400_naming_key_and_sets_nothing(db, key):
    with pytest.raises(ServiceError) as err:
        policy_module.set_sku_rule(db, "MUG-01", key, True, user="sam")
    assert err.value.status == 400 and err.value.extra["field"] == "key"
    assert db["sku_policy"].count == 0 and db["policy_audit"].count == 0


def test_a_policy_change_after_an_item_was_inspected_leaves_its_refund_as_it_was_judged(db):
    policy_module.update(db, {"restocking_fee": "0.25"}, user="sam")
    ret, _ = returns.open_return(db, "CTN-2", "bench-1")  # SO-2: delivered 60 days ago
    item = returns.add_item(db, ret["return_id"], {"sku": "SHOE-01", "qty": 1, "grade": "B", "reason": "size_fit"})
    decisions.decide(db, ret["return_id"], item["item_id"], {"disposition": item["recommendation"]["disposition"]})
    policy_module.update(db, {"restocking_fee": "0.10", "return_window_days": 90}, user="sam")

    closed = closing.close_return(db, ret["return_id"])

    # 49.50 less the 25% in force at inspection, and held: outside the 30-day window it was judged by
    assert (closed["refund"]["amount"], closed["refund"]["status"]) == ("37.13", "held")
    assert db.execute("SELECT amount, status FROM refunds WHERE return_id = ?", [ret["return_id"]]).fetchone() == (
        "37.13", "held")
    # an item inspected from then on is judged by the new values
    again, _ = returns.open_return(db, sample.CARTON, "bench-1")  # SO-1: delivered 10 days ago
    later = returns.add_item(db, again["return_id"], {"sku": "MUG-01", "qty": 1, "grade": "B", "reason": "size_fit"})
    decisions.decide(db, again["return_id"], later["item_id"], {"disposition": later["recommendation"]["disposition"]})
    refund = closing.close_return(db, again["return_id"])["refund"]
    assert {k: refund[k] for k in ("amount", "payable", "currency", "status", "payment_ref")} == {
        "amount": "17.99", "payable": "17.99", "currency": "USD", "status": "ready", "payment_ref": None}


@pytest.mark.parametrize("outcome, amount, status, event", [("scrap", "5.00", "ready", "refund.approved"),
                                                             ("scrap", None, "rejected", "refund.rejected"),
                                                             ("fraud", None, "rejected", "refund.rejected")])
def test_a_quarantine_review_before_the_parcel_closes_settles_the_refund_computed_at_close(db, outcome, amount, status,
                                                                                          event):
    ret, _ = returns.open_return(db, sample.CARTON, "bench-1")
    item = returns.add_item(db, ret["return_id"], {"sku": "MUG-01", "qty": 1, "grade": "X", "reason": "changed_mind"})
    sample.evidence(db, item["item_id"])
    decisions.decide(db, ret["return_id"], item["item_id"], {"disposition": "quarantine"})
    review = {"outcome": outcome, "note": "empty box"}
    if amount:
        review["refund_amount"] = amount
    assert quarantine.review(db, item["item_id"], review, user="sam") == {
        "refund": None, "review": {"item_id": item["item_id"], "outcome": outcome, "target": None, "condition": None}}

    closed = closing.close_return(db, ret["return_id"])

    assert closed["refund"]["status"] == status
    refund_id = closed["refund"]["refund_id"]
    assert db.execute("SELECT status, decided_by FROM refunds WHERE refund_id = ?", [refund_id]).fetchone() == (status, "sam")
    types = [t for (t,) in db.execute("SELECT type FROM events WHERE type LIKE 'refund.%' ORDER BY seq")]
    assert types == ["refund.computed", event]
    assert queue(db, "refunds")["items"] == []  # nothing left for a supervisor to decide again


@pytest.mark.parametrize("key, value", [("frequent_min_orders", "1_0"), ("frequent_min_orders", "٥"),
                                        ("restocking_fee", "1e-1"), ("return_window_days", "３０"),
                                        ("restocking_fee", "0,15")])
def test_a_policy_value_not_written_in_ascii_digits_is_refused_and_nothing_is_saved(db, key, value):
    with pytest.raises(ServiceError) as err:
        policy_module.update(db, {key: value}, user="sam")

    assert err.value.status == 400 and err.value.extra["field"] == key
    assert db["policy"].count == 0 and db["policy_audit"].count == 0


@pytest.mark.parametrize("url", ["http://example.test/hook\r\nX-Evil: 1", "http://example.test/a b", "http://exa\x00mple.test/"])
def test_a_webhook_url_with_a_line_break_space_or_control_character_is_refused(db, url):
    with pytest.raises(ServiceError) as err:
        webhooks.add(db, "erp", url)
    assert err.value.extra["field"] == "url" and db["webhooks"].count == 0
