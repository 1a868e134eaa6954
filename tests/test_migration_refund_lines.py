"""Migration 0011: refunds recorded before lines become lines without changing any amount, status
or payment already recorded."""
import json
from decimal import Decimal

import pytest

from station.db import write
from station.migrations.m0011_refund_lines import move_refunds_into_lines
from tests import sample


@pytest.fixture
def db(tmp_path):
    db = sample.fresh(tmp_path / "station.db")
    sample.load_sample(db)
    yield db
    db.close()


def old_refund(db, order_no, items, amount, status, held=(), payment_ref=None):
    """A return with its items and a refund row as the station wrote them before 0011 (no lines)."""
    with write(db):
        return_id = db.execute("INSERT INTO returns (order_no, code, match, station, opened_at, status, closed_at) "
                               "VALUES (?, ?, 'order', 'bench-1', '2026-11-01T10:00:00Z', 'closed', "
                               "'2026-11-01T10:05:00Z')", [order_no, order_no]).lastrowid
        ids = []
        for sku, qty, grade, reason in items:
            ids.append(db.execute(
                "INSERT INTO return_items (return_id, sku, qty, grade, reason, flags, recommendation, added_at) "
                "VALUES (?, ?, ?, ?, ?, '[]', '{}', '2026-11-01T10:01:00Z')", [return_id, sku, qty, grade, reason]).lastrowid)
        hold_reasons = [{"item_id": ids[i], "sku": items[i][0], "amount": a, "held": True, "why": why}
                        for i, a, why in held]
        refund_id = db.execute(
            "INSERT INTO refunds (return_id, amount, currency, status, hold_reasons, payment_ref, computed_at, updated_at) "
            "VALUES (?, ?, 'USD', ?, ?, ?, '2026-11-01T10:05:00Z', '2026-11-02T09:00:00Z')",
            [return_id, amount, status, json.dumps(hold_reasons), payment_ref]).lastrowid
    return refund_id, ids


def lines(db, refund_id):
    return db.execute("SELECT item_id, amount, status FROM refund_lines WHERE refund_id = ? ORDER BY item_id",
                      [refund_id]).fetchall()


def test_a_paid_refund_of_two_items_becomes_two_paid_lines_under_its_payment(db):
    refund_id, (mug, phone) = old_refund(db, "SO-1", [("MUG-01", 2, "A", "changed_mind"), ("PHONE-01", 1, "A", "defective")],
                                         "338.98", "paid", payment_ref="PAY-OLD")
    with write(db):
        move_refunds_into_lines(db)
    got = lines(db, refund_id)
    assert [(i, s) for i, _a, s in got] == [(mug, "paid"), (phone, "paid")]
    assert sum(Decimal(a) for _i, a, _s in got) == Decimal("338.98")
    assert got[0][1] == "39.98"  # the mugs' share by what the order charged for them
    assert db.execute("SELECT payment_ref, amount FROM refund_payments WHERE refund_id = ?", [refund_id]).fetchall() == [
        ("PAY-OLD", "338.98")]
    assert db.execute("SELECT amount, status, payment_ref FROM refunds WHERE refund_id = ?", [refund_id]).fetchone() == (
        "338.98", "paid", "PAY-OLD")


def test_a_refund_held_whole_keeps_every_line_held_and_its_held_amounts(db):
    refund_id, (mug, phone) = old_refund(db, "SO-1", [("MUG-01", 1, "A", "changed_mind"), ("PHONE-01", 1, "X", "other")],
                                         "19.99", "held", held=[(1, "0.00", "grade X")])
    with write(db):
        move_refunds_into_lines(db)
    assert lines(db, refund_id) == [(mug, "19.99", "held"), (phone, "0.00", "held")]
    whys = dict(db.execute("SELECT item_id, why FROM refund_lines WHERE refund_id = ?", [refund_id]).fetchall())
    assert whys[phone] == "grade X" and "held whole" in whys[mug]


def test_a_rejected_or_exchange_refund_keeps_its_status_on_every_line_and_running_it_twice_changes_nothing(db):
    rejected, (shoe,) = old_refund(db, "SO-2", [("SHOE-01", 1, "A", "changed_mind")], "49.50", "rejected")
    exchange, (mug,) = old_refund(db, "SO-1", [("MUG-01", 1, "A", "size_fit")], "0.00", "exchange")
    with write(db):
        move_refunds_into_lines(db)
        move_refunds_into_lines(db)
    assert lines(db, rejected) == [(shoe, "49.50", "rejected")]
    assert lines(db, exchange) == [(mug, "0.00", "exchange")]
    assert db.execute("SELECT count(*) FROM refund_payments").fetchone()[0] == 0
