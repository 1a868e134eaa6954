"""Every report figure on a small hand-made set, with the answers worked out by hand.

The set (built through the bench's own services on a pinned clock, so the timings are exact):

  orders (shipped day)              lines                  returns at the bench
  SO-101 C1 CN amazon  2025-01-10   MUG x4, PHONE x1       R1 bench-1 olga 02-01: MUG 1 A changed_mind -> crossdock SO-106,
                                                                PHONE 1 D defective -> rtv; refund ready
                                                           R5 bench-1 olga 03-28: MUG 2 B no_longer_needed -> refurbish;
                                                                refund held (out of window)
  SO-102 C2 US ebay    2025-02-05   MUG x2, SHOE x2        R2 bench-2 pavel 02-20: SHOE 2 B size_fit -> scrap (override),
                                                                MUG 1 C not_as_described -> refurbish; refund ready
  SO-103 C2 US ebay    2025-02-20   PHONE x2 (shipped)     R3 bench-1 olga 03-01: PHONE 1 X other -> quarantine;
                                                                refund held, approved a day later
  SO-104 C3 DE shop    2025-03-05   SHOE x5                R4 bench-2 pavel 03-20: SHOE 1 C damaged_in_transit -> scrap,
                                                                MUG 1 (item mismatch) -> quarantine; left open
  SO-105 C4 US (none)  no date      MUG x1
  SO-106 C1 CN shop    waiting      MUG x1 (placed 01-25)  filled by R1's mug
  SO-107 C3 DE amazon  cancelled    PHONE x3
  SO-108 C2 US shop    2025-03-25   MUG x10                R6 bench-3 olga 03-30: MUG 1 A changed_mind -> restock
  SO-109 C4 US amazon  2025-01-20   SHOE x4

Shipped (SO-101..105, 108, 109): MUG 17, PHONE 3, SHOE 11 = 31 units. Returned (not the
mismatched mug): MUG 5, PHONE 2, SHOE 3 = 10 units.
"""
from datetime import datetime, timedelta, timezone

import pytest

from station.intake import customers, closing, decisions, returns
from station import policy, timeutil
from station.downstream import queues, refunds
from station.db import write
from station.errors import ServiceError
from station.reporting import aggregates, backlog, board, forecast, rates, returners, throughput, value
from station.reporting.periods import decompose
from tests import sample

NOW = datetime(2025, 4, 1, 12, 0, tzinfo=timezone.utc)


class Clock:
    """The time the services see; tests move it."""

    def __init__(self):
        self.at = NOW

    def set(self, text):
        self.at = datetime.fromisoformat(text.replace("Z", "+00:00"))

    def __call__(self):
        return self.at


@pytest.fixture
def clock(monkeypatch):
    c = Clock()
    monkeypatch.setattr(timeutil, "now", c)
    return c


def catalogue(db):
    """Suppliers, products, customers, orders and lines of the small set (no returns yet)."""
    with write(db):
        db["suppliers"].insert_all([
            {"supplier_id": "SUP-A", "name": "Shenzhen Parts", "country": "CN", "accepts_rtv": 1, "rtv_window_days": 365},
            {"supplier_id": "SUP-B", "name": "Porto <Goods>", "country": "PT", "accepts_rtv": 0, "rtv_window_days": None},
        ])
        db["products"].insert_all([
            {"sku": "MUG", "name": "Travel mug", "supplier_id": "SUP-B", "unit_cost": 8, "price": 20,
             "refurbishable": 1, "refurb_cost": 2, "bin": "A-1", "has_serial": 0},
            {"sku": "PHONE", "name": "Phone X", "supplier_id": "SUP-A", "unit_cost": 200, "price": 300,
             "refurbishable": 1, "refurb_cost": 30, "bin": "B-1", "has_serial": 0},
            {"sku": "SHOE", "name": "Runner <shoe>", "supplier_id": "SUP-B", "unit_cost": 20, "price": 50,
             "refurbishable": 0, "refurb_cost": 0, "bin": "C-1", "has_serial": 0},
        ])
        db["customers"].insert_all([
            {"customer_id": "C1", "name": "王小明", "email": "xm@example.cn", "country": "CN"},
            {"customer_id": "C2", "name": "<script>alert(1)</script>", "email": "x@example.com", "country": "US"},
            {"customer_id": "C3", "name": "Jörg Müller", "email": "j@example.de", "country": "DE"},
            {"customer_id": "C4", "name": "فاطمة الزهراء", "email": "f@example.sa", "country": "US"},
        ])

        def order(no, customer, channel, status, shipped=None, delivered=None, placed=None, priority=0):
            placed = placed or (shipped[:10] + "T00:00:00Z" if shipped else "2025-01-01T00:00:00Z")
            db["orders"].insert({"order_no": no, "customer_id": customer, "placed_at": placed, "channel": channel,
                                 "shipped_at": shipped, "delivered_at": delivered, "currency": "USD",
                                 "status": status, "priority": priority})

        order("SO-101", "C1", "amazon", "delivered", "2025-01-10T08:00:00Z", "2025-01-15T08:00:00Z")
        order("SO-102", "C2", "ebay", "delivered", "2025-02-05T08:00:00Z", "2025-02-10T08:00:00Z")
        order("SO-103", "C2", "ebay", "shipped", "2025-02-20T08:00:00Z")
        order("SO-104", "C3", "shop", "delivered", "2025-03-05T08:00:00Z", "2025-03-10T08:00:00Z")
        order("SO-105", "C4", None, "shipped")
        order("SO-106", "C1", "shop", "awaiting_stock", placed="2025-01-25T00:00:00Z", priority=1)
        order("SO-107", "C3", "amazon", "cancelled", placed="2025-02-01T00:00:00Z")
        order("SO-108", "C2", "shop", "delivered", "2025-03-25T08:00:00Z", "2025-03-28T08:00:00Z")
        order("SO-109", "C4", "amazon", "delivered", "2025-01-20T08:00:00Z", "2025-01-25T08:00:00Z")
        lines = [("SO-101", "MUG", 4, 19.99), ("SO-101", "PHONE", 1, 299), ("SO-102", "MUG", 2, 19.99),
                 ("SO-102", "SHOE", 2, 49.5), ("SO-103", "PHONE", 2, 299), ("SO-104", "SHOE", 5, 49.5),
                 ("SO-105", "MUG", 1, 19.99), ("SO-106", "MUG", 1, 19.99), ("SO-107", "PHONE", 3, 299),
                 ("SO-108", "MUG", 10, 19.99), ("SO-109", "SHOE", 4, 49.5)]
        numbers = {}
        for order_no, sku, qty, price in lines:
            numbers[order_no] = numbers.get(order_no, 0) + 1
            db["order_lines"].insert({"order_no": order_no, "line_no": numbers[order_no], "sku": sku, "qty": qty,
                                      "unit_price": price})


def parcel(db, clock, at, order_no, station, user, items, close_at=None):
    """One parcel at the bench: open at `at`; items are (added, sku, qty, grade, reason, decided, override)."""
    clock.set(at)
    ret, _ = returns.open_return(db, order_no, station=station, user=user)
    for added, sku, qty, grade, reason, decided, override in items:
        clock.set(added)
        data = {"sku": sku, "qty": qty, "grade": grade, "reason": reason}
        if reason == "other":
            data["notes"] = "empty box"
        item = returns.add_item(db, ret["return_id"], data, user=user)
        sample.evidence(db, item["item_id"], grade)
        clock.set(decided)
        choice = {"disposition": override or item["recommendation"]["disposition"]}
        if override:
            choice["override_reason"] = "Packaging unsellable"
        decisions.decide(db, ret["return_id"], item["item_id"], choice, user=user, station=station)
    if close_at:
        clock.set(close_at)
        return closing.close_return(db, ret["return_id"], {}, user=user)
    return ret


def build(db, clock):
    """The whole small set; answers {name: close result} and leaves the clock at NOW."""
    catalogue(db)
    # SO-108 (ten mugs) is a bulk order by the default policy, whose refunds wait for a supervisor;
    # the figures below were designed with its refund paid at once
    policy.update(db, {"bulk_units": 50})
    out = {}
    out["R1"] = parcel(db, clock, "2025-02-01T09:00:00Z", "SO-101", "bench-1", "olga", [
        ("2025-02-01T09:01:00Z", "MUG", 1, "A", "changed_mind", "2025-02-01T09:02:00Z", None),
        ("2025-02-01T09:03:00Z", "PHONE", 1, "D", "defective", "2025-02-01T09:05:00Z", None),
    ], close_at="2025-02-01T09:06:00Z")
    out["R2"] = parcel(db, clock, "2025-02-20T10:00:00Z", "SO-102", "bench-2", "pavel", [
        ("2025-02-20T10:02:00Z", "SHOE", 2, "B", "size_fit", "2025-02-20T10:10:00Z", "scrap"),
        ("2025-02-20T10:03:00Z", "MUG", 1, "C", "not_as_described", "2025-02-20T10:12:00Z", None),
    ], close_at="2025-02-20T10:15:00Z")
    out["R3"] = parcel(db, clock, "2025-03-01T14:00:00Z", "SO-103", "bench-1", "olga", [
        ("2025-03-01T14:01:00Z", "PHONE", 1, "X", "other", "2025-03-01T14:02:00Z", None),
    ], close_at="2025-03-01T14:03:00Z")
    clock.set("2025-03-02T14:00:00Z")
    # grade X proposes nothing: the supervisor's courtesy names its amount
    refunds.approve(db, out["R3"]["refund"]["refund_id"], {"note": "courtesy", "amount": "50.00"}, user="sam")
    out["R4"] = parcel(db, clock, "2025-03-20T08:00:00Z", "SO-104", "bench-2", "pavel", [
        ("2025-03-20T08:01:00Z", "SHOE", 1, "C", "damaged_in_transit", "2025-03-20T08:03:00Z", None),
        ("2025-03-20T08:02:00Z", "MUG", 1, "A", "changed_mind", "2025-03-20T08:04:00Z", None),
    ])
    out["R5"] = parcel(db, clock, "2025-03-28T11:00:00Z", "SO-101", "bench-1", "olga", [
        ("2025-03-28T11:05:00Z", "MUG", 2, "B", "no_longer_needed", "2025-03-28T11:06:00Z", None),
    ], close_at="2025-03-28T11:07:00Z")
    out["R6"] = parcel(db, clock, "2025-03-30T09:00:00Z", "SO-108", "bench-3", "olga", [
        ("2025-03-30T09:01:00Z", "MUG", 1, "A", "changed_mind", "2025-03-30T09:01:00Z", None),
    ], close_at="2025-03-30T09:02:00Z")
    clock.at = NOW
    return out


@pytest.fixture
def small(fresh_db, clock):
    out = build(fresh_db, clock)
    return fresh_db, out


def keyed(result):
    return {r["key"]: (r["units_shipped"], r["units_returned"], r["rate"]) for r in result["rows"]}


# --- the set came out as designed -----------------------------------------------------------

def test_the_small_set_has_the_refunds_and_dispositions_the_figures_assume(small):
    db, out = small
    assert [out[r]["refund"]["status"] for r in ("R1", "R2", "R5", "R6")] == ["ready", "ready", "held", "ready"]
    assert db.execute("SELECT status FROM refunds WHERE return_id = ?", [out["R3"]["return_id"]]).fetchone()[0] == "ready"
    got = db.execute("SELECT i.sku, d.disposition FROM decisions d JOIN return_items i ON i.item_id = d.item_id "
                     "ORDER BY d.item_id").fetchall()
    assert got == [("MUG", "crossdock"), ("PHONE", "rtv"), ("SHOE", "scrap"), ("MUG", "refurbish"),
                   ("PHONE", "quarantine"), ("SHOE", "scrap"), ("MUG", "quarantine"), ("MUG", "refurbish"),
                   ("MUG", "restock")]


# --- return rates ---------------------------------------------------------------------------

def test_return_rates_by_every_dimension_over_all_time(small):
    db, _ = small
    assert rates.return_rates(db, "sku")["rows"] == [
        {"key": "PHONE", "units_shipped": 3, "units_returned": 2, "rate": 0.6667},
        {"key": "MUG", "units_shipped": 17, "units_returned": 5, "rate": 0.2941},
        {"key": "SHOE", "units_shipped": 11, "units_returned": 3, "rate": 0.2727},
    ]
    assert keyed(rates.return_rates(db, "supplier")) == {"SUP-A": (3, 2, 0.6667), "SUP-B": (28, 8, 0.2857)}
    assert keyed(rates.return_rates(db, "country")) == {"CN": (5, 4, 0.8), "US": (21, 5, 0.2381), "DE": (5, 1, 0.2)}
    assert [r["key"] for r in rates.return_rates(db, "channel")["rows"]] == ["ebay", "amazon", "shop", None]
    assert keyed(rates.return_rates(db, "channel")) == {
        "ebay": (6, 4, 0.6667), "amazon": (9, 4, 0.4444), "shop": (15, 2, 0.1333), None: (1, 0, 0.0)}
    reasons = rates.return_rates(db, "reason")["rows"]
    assert [(r["key"], r["units_returned"]) for r in reasons] == [
        ("changed_mind", 2), ("no_longer_needed", 2), ("size_fit", 2), ("damaged_in_transit", 1),
        ("defective", 1), ("not_as_described", 1), ("other", 1)]
    assert {r["units_shipped"] for r in reasons} == {31} and reasons[0]["rate"] == 0.0645


def test_a_date_range_takes_the_orders_shipped_in_it(small):
    db, _ = small
    feb = rates.return_rates(db, "sku", "2025-02-01", "2025-02-28")
    assert keyed(feb) == {"SHOE": (2, 2, 1.0), "MUG": (2, 1, 0.5), "PHONE": (2, 1, 0.5)}
    # the order with no shipped date counts for all time only
    assert keyed(rates.return_rates(db, "sku", "2025-01-01", "2025-12-31"))["MUG"] == (16, 5, 0.3125)
    assert rates.totals(db, None, None) == {"units_shipped": 31, "units_returned": 10, "rate": 0.3226}
    assert rates.return_rates(db, "sku", "2024-01-01", "2024-12-31") == {"rows": []}


def test_a_range_given_as_instants_takes_orders_shipped_from_that_instant_to_that_instant_inclusive(small):
    db, _ = small
    # SO-102 (MUG 2, SHOE 2; R2 brought back SHOE 2 and MUG 1) shipped at 2025-02-05T08:00:00Z exactly
    so_102 = {"MUG": (2, 1, 0.5), "SHOE": (2, 2, 1.0)}
    assert keyed(rates.return_rates(db, "sku", "2025-02-05T08:00:00Z", "2025-02-05T08:00:00Z")) == so_102
    assert keyed(rates.return_rates(db, "sku", "2025-02-05T10:00:00+02:00", "2025-02-05T09:00:00+01:00")) == so_102
    # the evening before in California is already the 5th in UTC: the order counts from it
    assert keyed(rates.return_rates(db, "sku", "2025-02-04T23:30:00-08:00", "2025-02-05")) == so_102
    # a second later it has shipped before the range; a second earlier the range ends before it
    assert keyed(rates.return_rates(db, "sku", "2025-02-05T08:00:01Z", "2025-02-28")) == {"PHONE": (2, 1, 0.5)}
    assert rates.return_rates(db, "sku", "2025-02-01", "2025-02-05T07:59:59Z") == {"rows": []}
    reasons = rates.return_rates(db, "reason", "2025-02-05T08:00:00Z", "2025-02-05T08:00:00Z")["rows"]
    assert [(r["key"], r["units_shipped"], r["units_returned"]) for r in reasons] == [
        ("size_fit", 4, 2), ("not_as_described", 4, 1)]
    # whole days are summed from the aggregates, the cut days counted straight: the same figures
    for from_, to in [("2025-02-05T08:00:00Z", "2025-03-25T08:00:00Z"), ("2025-01-10T07:00:00-02:00", None),
                      (None, "2025-03-05T07:59:59+00:00"), ("2025-01-01T00:00:00Z", "2025-12-31T23:59:59Z")]:
        for group_by in rates.GROUPS:
            assert rates.return_rates(db, group_by, from_, to) == rates.return_rates_direct(db, group_by, from_, to)


@pytest.mark.parametrize("value", ["2025-02-05T25:00:00Z", "2025-02-05T08:00:00+24:00", "2025-02-05T08", "20250205",
                                   "2025-02-05Tnoon"])
def test_a_timestamp_with_a_bad_time_or_offset_is_refused_naming_the_field(small, value):
    db, _ = small
    for field, args in (("from", (value, None)), ("to", (None, value))):
        with pytest.raises(ServiceError) as err:
            rates.return_rates(db, "sku", *args)
        assert err.value.extra["field"] == field
    with pytest.raises(ServiceError) as err:
        rates.return_rates(db, "sku", "2025-02-05T09:00:00Z", "2025-02-05T08:00:00Z")
    assert err.value.extra["field"] == "to"


def test_rows_that_tie_sort_by_key_with_the_none_row_after_the_named_ones(small):
    db, _ = small
    with write(db):  # a web-shop order with no channel, shipped the same day as SO-109 (amazon): both 0 returned
        db["orders"].insert({"order_no": "SO-110", "customer_id": "C1", "placed_at": "2025-01-19T00:00:00Z",
                             "channel": None, "shipped_at": "2025-01-20T09:00:00Z", "currency": "USD",
                             "status": "delivered"})
        db["order_lines"].insert({"order_no": "SO-110", "line_no": 1, "sku": "MUG", "qty": 1, "unit_price": 19.99})
    day = rates.return_rates(db, "channel", "2025-01-20", "2025-01-20")["rows"]
    assert [(r["key"], r["units_shipped"], r["rate"]) for r in day] == [("amazon", 4, 0.0), (None, 1, 0.0)]


def test_the_reason_counted_is_the_one_the_operator_verified_not_the_one_the_rma_declared(small, clock):
    db, _ = small
    with write(db):
        db["rmas"].insert({"rma_no": "RMA-9", "order_no": "SO-109", "created_at": "2025-03-30T00:00:00Z",
                           "reason": "size_fit", "resolution": "refund"})
        db["rma_lines"].insert({"rma_no": "RMA-9", "sku": "SHOE", "qty": 2})
    parcel(db, clock, "2025-03-31T09:00:00Z", "RMA-9", "bench-1", "olga", [
        ("2025-03-31T09:01:00Z", "SHOE", 2, "D", "defective", "2025-03-31T09:02:00Z", None)], close_at="2025-03-31T09:03:00Z")
    jan = {r["key"]: r["units_returned"] for r in rates.return_rates(db, "reason", "2025-01-20", "2025-01-20")["rows"]}
    assert jan == {"defective": 2}
    assert rates.top_reasons(db, "sku", "2025-01-20", "2025-01-20")["rows"][0]["reason"] == "defective"


def test_top_reasons_per_sku_and_supplier(small):
    db, _ = small
    by_sku = rates.top_reasons(db, "sku")["rows"]
    assert [(r["key"], r["rank"], r["reason"], r["units_returned"], r["share"]) for r in by_sku] == [
        ("MUG", 1, "changed_mind", 2, 0.4), ("MUG", 2, "no_longer_needed", 2, 0.4), ("MUG", 3, "not_as_described", 1, 0.2),
        ("SHOE", 1, "size_fit", 2, 0.6667), ("SHOE", 2, "damaged_in_transit", 1, 0.3333),
        ("PHONE", 1, "defective", 1, 0.5), ("PHONE", 2, "other", 1, 0.5)]
    by_supplier = rates.top_reasons(db, "supplier", top=3)["rows"]
    assert [(r["key"], r["reason"], r["units_returned"], r["share"]) for r in by_supplier] == [
        ("SUP-B", "changed_mind", 2, 0.25), ("SUP-B", "no_longer_needed", 2, 0.25), ("SUP-B", "size_fit", 2, 0.25),
        ("SUP-A", "defective", 1, 0.5), ("SUP-A", "other", 1, 0.5)]
    assert rates.top_reasons(db, "sku", limit=1, top=1)["rows"][0]["key"] == "MUG"


def test_top_reasons_list_the_no_supplier_row_after_a_supplier_with_as_many_returns(small, clock):
    db, _ = small
    with write(db):
        db["products"].insert({"sku": "BAG", "name": "Tote bag", "supplier_id": None, "unit_cost": 2, "price": 9,
                               "refurbishable": 0, "refurb_cost": 0, "bin": "D-1", "has_serial": 0})
        db["orders"].insert({"order_no": "SO-111", "customer_id": "C3", "placed_at": "2025-03-01T00:00:00Z",
                             "channel": "shop", "shipped_at": "2025-03-02T08:00:00Z",
                             "delivered_at": "2025-03-04T08:00:00Z", "currency": "USD", "status": "delivered"})
        db["order_lines"].insert({"order_no": "SO-111", "line_no": 1, "sku": "BAG", "qty": 3, "unit_price": 9})
    parcel(db, clock, "2025-03-31T09:00:00Z", "SO-111", "bench-1", "olga", [
        ("2025-03-31T09:01:00Z", "BAG", 2, "A", "changed_mind", "2025-03-31T09:02:00Z", None)], close_at="2025-03-31T09:03:00Z")
    # SUP-B 8 units returned, then SUP-A (PHONE) and no supplier (BAG) 2 each
    keys = [r["key"] for r in rates.top_reasons(db, "supplier", top=1)["rows"]]
    assert keys == ["SUP-B", "SUP-A", None]
    assert [r["key"] for r in rates.return_rates(db, "supplier")["rows"]] == ["SUP-A", None, "SUP-B"]


def test_a_sku_whose_rate_jumped_against_the_period_before(small):
    db, _ = small
    jumps = rates.rate_jumps(db, "2025-02-01", "2025-02-28", min_units=2)
    assert (jumps["previous_from"], jumps["previous_to"]) == ("2025-01-04", "2025-01-31")
    # SHOE: 0 of 4 shipped in January came back, 2 of 2 shipped in February; MUG fell, PHONE sold 1 before
    assert jumps["rows"] == [{"sku": "SHOE", "units_shipped": 2, "units_returned": 2, "rate": 1.0,
                              "previous_units_shipped": 4, "previous_units_returned": 0, "previous_rate": 0.0,
                              "change": 1.0}]
    assert rates.rate_jumps(db, "2025-02-01", "2025-02-28")["rows"] == []  # 20 units shipped needed by default


def test_the_trend_is_weekly_for_short_ranges_and_monthly_for_long_ones(small):
    db, _ = small
    weeks = rates.trend(db, "2025-02-01", "2025-02-28")
    assert weeks["bucket"] == "week"
    assert weeks["rows"] == [{"period": "2025-02-03", "units_shipped": 4, "units_returned": 3, "rate": 0.75},
                             {"period": "2025-02-17", "units_shipped": 2, "units_returned": 1, "rate": 0.5}]
    assert rates.trend(db)["bucket"] == "week"  # all time: the data span ten weeks
    months = rates.trend(db, "2024-07-01", "2025-06-30")
    assert months["bucket"] == "month"
    assert [(r["period"], r["units_shipped"], r["units_returned"]) for r in months["rows"]] == [
        ("2025-01", 9, 4), ("2025-02", 6, 4), ("2025-03", 15, 2)]
    assert [r["units_returned"] for r in rates.trend(db, "2024-07-01", "2025-06-30", "sku", "SHOE")["rows"]] == [0, 2, 1]


def test_act_on_ranks_by_returns_above_the_overall_rate(small):
    db, _ = small
    # overall 10/31 = 0.3226: PHONE 2 - 3 x 0.3226 = 1.0; MUG 5 - 17 x 0.3226 = -0.5; SHOE 3 - 3.5 = -0.5
    assert [(r["key"], r["excess_returns"]) for r in rates.act_on(db, "sku", None, None)] == [("PHONE", 1.0)]
    assert [(r["key"], r["excess_returns"]) for r in rates.act_on(db, "country", None, None)] == [("CN", 2.4)]


# --- bench performance ----------------------------------------------------------------------

def test_parcels_and_items_per_station_and_operator_per_hour(small):
    db, _ = small
    st = {r["key"]: r for r in throughput.performance(db, "station")["rows"]}
    assert {k: (r["parcels"], r["items"], r["units"], r["active_hours"], r["parcels_per_hour"], r["items_per_hour"])
            for k, r in st.items()} == {
        "bench-1": (3, 4, 5, 3, 1.0, 1.33), "bench-2": (2, 4, 5, 2, 1.0, 2.0), "bench-3": (1, 1, 1, 1, 1.0, 1.0)}
    assert (st["bench-2"]["decisions"], st["bench-2"]["overrides"], st["bench-2"]["override_rate"]) == (4, 1, 0.25)
    # dock to decision: bench-1 R1 300 s, R3 120 s, R5 360 s; bench-2 only R2 (R4 is open)
    assert (st["bench-1"]["dock_to_decision_avg_s"], st["bench-2"]["dock_to_decision_avg_s"]) == (260.0, 720.0)
    # refund ready: bench-1 R1 360 s, R3 86400 s (approved a day later); R5 is still held
    assert st["bench-1"]["scan_to_refund_ready_avg_s"] == 43380.0
    ops = {r["key"]: r for r in throughput.performance(db, "operator")["rows"]}
    assert {k: (r["parcels"], r["items"], r["units"], r["decisions"], r["overrides"], r["active_hours"])
            for k, r in ops.items()} == {"olga": (4, 5, 6, 5, 0, 4), "pavel": (2, 4, 5, 4, 1, 2)}
    march = {r["key"]: r["parcels"] for r in throughput.performance(db, "station", "2025-03-01", "2025-03-31")["rows"]}
    assert march == {"bench-1": 2, "bench-2": 1, "bench-3": 1}


def test_bench_totals_add_up_the_stations(small):
    db, _ = small
    assert throughput.totals(db) == {"parcels": 6, "items": 9, "decisions": 9, "overrides": 1}
    assert throughput.totals(db, "2025-03-20", "2025-03-20") == {"parcels": 1, "items": 2, "decisions": 2, "overrides": 0}


def test_dock_to_decision_and_scan_to_refund_ready_in_bands(small):
    db, _ = small
    result = throughput.durations(db)
    summary = {s["metric"]: (s["returns"], s["avg_seconds"], s["within_1h_share"]) for s in result["summary"]}
    # dock: 300, 720, 120, 360, 60 s; refund ready: 360, 900, 86400, 120 s
    assert summary == {"dock_to_decision": (5, 312.0, 1.0), "scan_to_refund_ready": (4, 21945.0, 0.75)}
    bands = {(r["metric"], r["band"]): r["returns"] for r in result["rows"] if r["returns"]}
    assert bands == {("dock_to_decision", "≤ 5 min"): 3, ("dock_to_decision", "5–15 min"): 2,
                     ("scan_to_refund_ready", "≤ 5 min"): 1, ("scan_to_refund_ready", "5–15 min"): 2,
                     ("scan_to_refund_ready", "4–24 h"): 1}


def test_parcels_by_hour_of_day_and_by_day(small):
    db, _ = small
    hours = {r["hour"]: r["parcels"] for r in throughput.by_hour_of_day(db)["rows"] if r["parcels"]}
    assert hours == {8: 1, 9: 2, 10: 1, 11: 1, 14: 1}
    days = throughput.by_day(db, "2025-02-01", "2025-02-28")["rows"]
    assert days == [{"day": "2025-02-01", "parcels": 1, "items": 2, "decisions": 2, "overrides": 0},
                    {"day": "2025-02-20", "parcels": 1, "items": 2, "decisions": 2, "overrides": 1}]


# --- queues and cross-dock ------------------------------------------------------------------

def test_queue_sizes_and_ages(small):
    db, _ = small
    q = {r["queue"]: r for r in backlog.queues(db, NOW)["rows"]}
    assert {k: (r["items"], r["oldest_since"], r["oldest_age_days"]) for k, r in q.items()} == {
        "refurbish": (2, "2025-02-20T10:12:00Z", 40.1),
        "rtv": (1, "2025-02-01T09:05:00Z", 59.1),
        "quarantine": (2, "2025-03-01T14:02:00Z", 30.9),
        "refunds": (1, "2025-03-28T11:07:00Z", 4.0),
        "claims": (1, "2025-03-20T08:03:00Z", 12.2),  # a transit-damaged item whose carrier claim is open
    }
    assert [q["refurbish"][b] for b in ("under_1d", "d1_to_3", "d3_to_7", "over_7d")] == [0, 0, 1, 1]
    assert [q["refunds"][b] for b in ("under_1d", "d1_to_3", "d3_to_7", "over_7d")] == [0, 0, 1, 0]
    for name, row in q.items():  # the same items the queue screens list
        assert row["items"] == len(queues.queue(db, name)["items"]), name


def test_queue_sizes_follow_the_work_done_downstream(small, clock):
    from station.downstream import quarantine, refurbish, rtv

    db, _ = small
    phone_rtv, phone_x = [r[0] for r in db.execute(
        "SELECT d.item_id FROM decisions d WHERE d.disposition IN ('rtv', 'quarantine') ORDER BY d.item_id LIMIT 2")]
    clock.set("2025-03-31T10:00:00Z")
    rtv.refuse_item(db, phone_rtv, {"reason": "scratched"}, user="sam")  # back from the supplier: to quarantine
    quarantine.review(db, phone_x, {"outcome": "scrap", "note": "empty box"}, user="sam")
    refurbish.finish(db, refurbish.queue(db)[0]["wo_id"], {"outcome": "scrap", "grade": "D"}, user="tech")
    q = {r["queue"]: r for r in backlog.queues(db, NOW)["rows"]}
    assert {k: r["items"] for k, r in q.items()} == {"refurbish": 1, "rtv": 0, "quarantine": 2, "refunds": 1,
                                                     "claims": 1}
    assert q["quarantine"]["oldest_since"] == "2025-02-01T09:05:00Z"  # the refused phone waits since it went to RTV
    for name, row in q.items():
        assert row["items"] == len(queues.queue(db, name)["items"]), name


def test_cross_dock_fills_and_the_days_saved(small):
    db, _ = small
    fills = backlog.crossdock_fills(db)
    assert [(r["order_no"], r["sku"], r["units"], r["days_waited"], r["days_saved"]) for r in fills["rows"]] == [
        ("SO-106", "MUG", 1, 7.4, 6.6)]  # placed 01-25 00:00, filled 02-01 09:02; 14 days' lead time
    assert fills["summary"] == {"fills": 1, "orders": 1, "units": 1, "orders_completed": 1, "days_saved": 6.6,
                                "lead_days": 14, "avg_days_saved": 6.6}
    assert backlog.crossdock_fills(db, lead_days=5)["summary"]["days_saved"] == 0.0
    assert backlog.crossdock_fills(db, "2025-03-01", "2025-03-31")["rows"] == []


def test_days_are_saved_once_per_order_by_the_fill_that_completes_it_not_by_a_fill_that_leaves_it_short(small, clock):
    db, _ = small
    with write(db):  # a second waiting order, for two mugs
        db["orders"].insert({"order_no": "SO-112", "customer_id": "C3", "placed_at": "2025-03-25T00:00:00Z",
                             "channel": "shop", "currency": "USD", "status": "awaiting_stock"})
        db["order_lines"].insert({"order_no": "SO-112", "line_no": 1, "sku": "MUG", "qty": 2, "unit_price": 19.99})
    parcel(db, clock, "2025-03-31T09:00:00Z", "SO-108", "bench-1", "olga", [
        ("2025-03-31T09:01:00Z", "MUG", 1, "A", "changed_mind", "2025-03-31T09:02:00Z", None)], close_at="2025-03-31T09:03:00Z")
    short = backlog.crossdock_fills(db, "2025-03-31", "2025-03-31")
    # one of two mugs: SO-112 still waits for supplier stock, so nothing is saved yet
    assert [(r["order_no"], r["days_waited"], r["completed_order"], r["days_saved"]) for r in short["rows"]] == [
        ("SO-112", 6.4, False, 0.0)]
    assert (short["summary"]["orders_completed"], short["summary"]["days_saved"]) == (0, 0.0)
    parcel(db, clock, "2025-04-01T10:00:00Z", "SO-108", "bench-1", "olga", [
        ("2025-04-01T10:01:00Z", "MUG", 1, "A", "changed_mind", "2025-04-01T10:02:00Z", None)], close_at="2025-04-01T10:03:00Z")
    fills = backlog.crossdock_fills(db)
    # the second mug ships it 7.4 days after it was placed: 14 - 7.4 = 6.6 saved, once; SO-106 as before
    assert [(r["order_no"], r["days_waited"], r["completed_order"], r["days_saved"]) for r in fills["rows"]] == [
        ("SO-112", 7.4, True, 6.6), ("SO-112", 6.4, False, 0.0), ("SO-106", 7.4, True, 6.6)]
    assert fills["summary"] == {"fills": 3, "orders": 2, "units": 3, "orders_completed": 2, "days_saved": 13.2,
                                "lead_days": 14, "avg_days_saved": 6.6}


# --- value ----------------------------------------------------------------------------------

def test_recovery_value_by_disposition_against_value_as_new(small):
    db, _ = small
    result = value.recovery(db)
    got = {r["disposition"]: (r["items"], r["units"], r["original_value"], r["recovered_value"], r["recovery_rate"])
           for r in result["rows"]}
    assert got == {
        "crossdock": (1, 1, "20.00", "20.00", 1.0),
        "restock": (1, 1, "20.00", "20.00", 1.0),
        "refurbish": (2, 3, "60.00", "36.00", 0.6),       # (0.70 x 20 - 2) x 1 and x 2
        "rtv": (1, 1, "300.00", "200.00", 0.6667),         # unit cost
        "scrap": (2, 3, "150.00", "7.50", 0.05),           # 5% of price; the overridden shoes by formula
        "quarantine": (2, 2, "320.00", "0.00", 0.0),
    }
    assert result["total"] == {"disposition": "all", "items": 9, "units": 11, "original_value": "870.00",
                               "recovered_value": "283.50", "lost_value": "586.50", "recovery_rate": 0.3259}
    assert value.recovery(db, "2025-03-01", "2025-03-31")["total"]["items"] == 5


def test_write_offs_are_scrapped_cost_less_liquidation(small):
    db, _ = small
    result = value.write_offs(db)
    assert result["rows"] == [{"sku": "SHOE", "name": "Runner <shoe>", "supplier_id": "SUP-B", "units": 3,
                               "cost_value": "60.00", "liquidation_value": "7.50", "written_off": "52.50"}]
    assert result["total"]["written_off"] == "52.50"


# --- customers ------------------------------------------------------------------------------

def test_frequent_returners_follow_the_customer_flag_rule(small, clock):
    db, _ = small
    found = returners.frequent_returners(db, at=NOW)
    assert found["total"] == 1
    assert [(r["customer_id"], r["orders"], r["returns"], r["recent"], r["return_rate"], r["last_return_day"], r["why"])
            for r in found["rows"]] == [("C2", 3, 3, 3, 1.0, "2025-03-30", "3 returns in 90 days")]
    with write(db):
        db.execute("INSERT INTO policy (key, value) VALUES ('frequent_min_orders', '2')")
    found = returners.frequent_returners(db, at=NOW)
    assert [(r["customer_id"], r["why"]) for r in found["rows"]] == [
        ("C2", "3 returns in 90 days; 3 returns over 3 orders (100%)"), ("C1", "2 returns over 2 orders (100%)")]
    assert found["total"] == 2  # C2 meets both rules and counts once
    assert [r["customer_id"] for r in returners.frequent_returners(db, limit=1, at=NOW)["rows"]] == ["C2"]
    with write(db):
        db.execute("INSERT INTO policy (key, value) VALUES ('frequent_returns_count', '4')")
    found = returners.frequent_returners(db, at=NOW)  # now both only by their rate, C2 first by recent returns
    assert ([(r["customer_id"], r["recent"]) for r in found["rows"]], found["total"]) == ([("C2", 3), ("C1", 2)], 2)


def test_why_a_customer_is_flagged_counts_returns_over_orders_not_orders_returned(small, clock):
    db, _ = small
    with write(db):
        db.execute("INSERT INTO policy (key, value) VALUES ('frequent_min_orders', '2')")
    # C1: two parcels back from SO-101 (R1, R5), nothing from the waiting SO-106: 2 returns, 1 of 2 orders returned
    c1 = [r for r in returners.frequent_returners(db, at=NOW)["rows"] if r["customer_id"] == "C1"][0]
    assert (c1["orders"], c1["returns"], c1["why"]) == (2, 2, "2 returns over 2 orders (100%)")
    assert "of 2 orders" not in c1["why"]


@pytest.mark.parametrize("at,flagged", [("2025-05-21T09:30:00Z", True), ("2025-05-21T10:30:00Z", False)])
def test_the_90_day_window_starts_to_the_second_as_on_the_bench(small, clock, monkeypatch, at, flagged):
    db, _ = small
    monkeypatch.setattr(customers, "now", clock)  # the bench's rule reads its own clock
    clock.set(at)  # R2 was opened 2025-02-20T10:00: inside the window at 09:30, outside at 10:30
    listed = any(r["customer_id"] == "C2" for r in returners.frequent_returners(db)["rows"])
    c2 = db.execute("SELECT * FROM customers WHERE customer_id = 'C2'").fetchone()
    bench_flags = customers.flags(db, {"customer_id": "C2", "fraud": c2[5]}, policy.load(db))
    assert listed is flagged is ("frequent_returner" in bench_flags)


def test_a_customers_history_lists_returns_items_and_refunds(small):
    db, _ = small
    h = returners.history(db, "C2")
    assert (h["customer"]["orders"], h["customer"]["returns"]) == (3, 3)
    assert [(r["order_no"], [i["sku"] for i in r["items"]], r["refund_status"]) for r in h["returns"]] == [
        ("SO-108", ["MUG"], "ready"), ("SO-103", ["PHONE"], "ready"), ("SO-102", ["SHOE", "MUG"], "ready")]
    assert len(returners.history_rows(h)) == 4


# --- purchasing -----------------------------------------------------------------------------

def test_expected_returns_per_sku_for_the_next_30_days(small):
    db, _ = small
    # lags (days from shipment to the bench): 5:1, 9:1, 15:4, 22:2, 77:2 units -> F(k) steps .1 .2 .6 .8 1
    # rates over shipments 2024-08-05..2025-01-31 (SO-101, SO-109: 4 of 9 back), blended with 20 x 4/9:
    #   MUG (3 + 8.889) / 24 = 0.4954, PHONE (1 + 8.889) / 21 = 0.4709, SHOE 8.889 / 24 = 0.3704
    # weights F(a+30) - F(a): SO-108 age 7 -> 0.7, SO-102 age 55 -> 0.2, SO-109 age 71 -> 0.2, others 0
    #   MUG 10 x 0.7 + 2 x 0.2 = 7.4 -> 3.7; SHOE 2 x 0.2 + 4 x 0.2 = 1.2 -> 0.4; PHONE 0
    # with new sales at the last 30 days' pace (SO-104 SHOE 5, SO-108 MUG 10): F(0) + ... + F(29) = 12.2,
    #   MUG 10/30 x 0.4954 x 12.2 = 2.01 -> 3.67 + 2.01 = 5.7; SHOE 5/30 x 0.3704 x 12.2 = 0.75 -> 1.2
    result = forecast.expected_returns(db, days=30, at=NOW)
    assert [(r["sku"], r["units_shipped_recent"], r["return_rate"], r["expected_returns"], r["expected_with_new_sales"])
            for r in result["rows"]] == [
        ("MUG", 16, 0.4954, 3.7, 5.7), ("SHOE", 11, 0.3704, 0.4, 1.2), ("PHONE", 3, 0.4709, 0.0, 0.0)]
    assert (result["total_expected"], result["total_with_new_sales"], result["overall_rate"], result["basis"]) == (
        4.1, 6.9, 0.4444, "all returns so far")
    assert result["rate_window"] == ["2024-08-05", "2025-01-31"]


# --- the wall-board -------------------------------------------------------------------------

def test_the_board_shows_today_and_the_queues(small):
    db, _ = small
    b = board.board(db, datetime(2025, 3, 20, 12, 0, tzinfo=timezone.utc))
    assert {k: b["today"][k] for k in ("parcels", "items", "decisions", "overrides", "open_parcels", "crossdock_fills")} \
        == {"parcels": 1, "items": 2, "decisions": 2, "overrides": 0, "open_parcels": 1, "crossdock_fills": 0}
    assert b["stations"] == [{"station": "bench-2", "parcels": 1, "items": 2}]
    assert [h["parcels"] for h in b["hours"]] == [0] * 7 + [1] + [0] * 4  # 01:00 .. 12:00, the parcel at 08:00
    b = board.board(db, datetime(2025, 3, 30, 18, 0, tzinfo=timezone.utc))
    assert (b["today"]["dock_to_decision_avg_s"], b["today"]["scan_to_refund_ready_avg_s"]) == (60.0, 120.0)


# --- the aggregates equal a straight count --------------------------------------------------

RANGES = [(None, None), ("2025-01-01", "2025-12-31"), ("2025-02-01", "2025-02-28"), ("2025-01-15", "2025-03-07"),
          ("2025-03-25", None), (None, "2025-02-05")]


def assert_equal_to_a_straight_count(db):
    for group_by in rates.GROUPS:
        for from_, to in RANGES:
            assert rates.return_rates(db, group_by, from_, to) == rates.return_rates_direct(db, group_by, from_, to), \
                (group_by, from_, to)
    shipped = db.execute("SELECT coalesce(sum(ol.qty), 0) FROM order_lines ol JOIN orders o ON o.order_no = ol.order_no "
                         "WHERE o.status IN ('shipped', 'delivered')").fetchone()[0]
    assert rates.totals(db, None, None)["units_shipped"] == shipped
    snapshot = aggregates.snapshot(db)
    aggregates.rebuild(db)
    assert aggregates.snapshot(db) == snapshot


def test_totals_equal_a_straight_sql_count_through_every_kind_of_change(small, clock):
    db, _ = small
    assert rates.totals(db, None, None) == {"units_shipped": 31, "units_returned": 10, "rate": 0.3226}
    assert_equal_to_a_straight_count(db)
    with write(db):
        db.execute("UPDATE orders SET status = 'cancelled' WHERE order_no = 'SO-108'")       # leaves the cohort
        db.execute("UPDATE orders SET shipped_at = '2025-02-02T00:00:00Z' WHERE order_no = 'SO-104'")
        db.execute("UPDATE orders SET channel = 'ebay', customer_id = 'C1' WHERE order_no = 'SO-109'")
        db.execute("UPDATE customers SET country = 'GB' WHERE customer_id = 'C2'")
        db.execute("UPDATE products SET supplier_id = 'SUP-A' WHERE sku = 'SHOE'")
        db.execute("UPDATE order_lines SET qty = 7 WHERE order_no = 'SO-101' AND line_no = 1")
        db.execute("UPDATE return_items SET flags = '[\"item_mismatch\"]' WHERE sku = 'PHONE' AND qty = 1 "
                   "AND reason = 'defective'")
        db.execute("UPDATE return_items SET reason = 'defective' WHERE reason = 'size_fit'")
        db.execute("DELETE FROM order_lines WHERE order_no = 'SO-105'")
        db.execute("INSERT INTO order_lines (order_no, line_no, sku, qty, unit_price) VALUES ('SO-103', 2, 'CABLE', 3, 5)")
    assert_equal_to_a_straight_count(db)
    with write(db):  # a product arrives for a SKU already shipped, then goes
        db.execute("INSERT INTO products (sku, name, supplier_id, price) VALUES ('CABLE', 'Cable', 'SUP-B', 5)")
    assert rates.return_rates(db, "supplier") == rates.return_rates_direct(db, "supplier")
    with write(db):
        db.execute("DELETE FROM products WHERE sku = 'CABLE'")
        db.execute("UPDATE orders SET status = 'delivered' WHERE order_no = 'SO-108'")
    assert_equal_to_a_straight_count(db)


def test_a_paused_bulk_load_is_counted_by_the_rebuild(fresh_db, clock):
    db = fresh_db
    aggregates.pause(db)
    catalogue(db)
    assert rates.totals(db, None, None)["units_shipped"] == 0  # not counted while paused
    aggregates.rebuild(db)
    assert rates.totals(db, None, None)["units_shipped"] == 31
    parcel(db, clock, "2025-02-01T09:00:00Z", "SO-101", "bench-1", "olga", [
        ("2025-02-01T09:01:00Z", "PHONE", 1, "D", "defective", "2025-02-01T09:05:00Z", None)],
        close_at="2025-02-01T09:06:00Z")
    assert rates.totals(db, None, None)["units_returned"] == 1  # counting again
    assert_equal_to_a_straight_count(db)


def test_timings_count_rows_written_in_any_order(fresh_db, clock):
    """A loader may write a closed return first, then its item and decision, and a refund already paid."""
    db = fresh_db
    catalogue(db)
    with write(db):
        db.execute("INSERT INTO returns (return_id, order_no, code, match, station, opened_by, status, opened_at, closed_at) "
                   "VALUES (70, 'SO-101', 'SO-101', 'order', 'bench-9', 'kim', 'closed', '2025-03-03T10:00:00Z', "
                   "'2025-03-03T10:20:00Z')")
        db.execute("INSERT INTO return_items (item_id, return_id, sku, qty, grade, reason, recommendation, added_at) "
                   "VALUES (700, 70, 'MUG', 1, 'A', 'changed_mind', '{\"options\": []}', '2025-03-03T10:01:00Z')")
        db.execute("INSERT INTO decisions (item_id, disposition, recommended_disposition, decided_at) "
                   "VALUES (700, 'restock', 'restock', '2025-03-03T10:10:00Z')")
        db.execute("INSERT INTO refunds (return_id, amount, currency, status, computed_at, updated_at) "
                   "VALUES (70, '19.99', 'USD', 'paid', '2025-03-03T10:20:00Z', '2025-03-05T00:00:00Z')")
    summary = {s["metric"]: (s["returns"], s["avg_seconds"]) for s in throughput.durations(db)["summary"]}
    assert summary == {"dock_to_decision": (1, 600.0), "scan_to_refund_ready": (1, 1200.0)}
    with write(db):  # a later decision moves the parcel's last decision, and so its dock time
        db.execute("UPDATE decisions SET decided_at = '2025-03-03T10:15:00Z' WHERE item_id = 700")
    assert throughput.durations(db)["summary"][0]["avg_seconds"] == 900.0
    assert_equal_to_a_straight_count(db)


def test_a_range_is_covered_by_whole_years_months_and_days():
    from datetime import date

    assert decompose(date(2024, 12, 30), date(2026, 2, 2)) == [
        "2024-12-30", "2024-12-31", "2025", "2026-01", "2026-02-01", "2026-02-02"]
    assert decompose(date(2025, 2, 1), date(2025, 2, 28)) == ["2025-02"]
    assert decompose(date(2025, 2, 3), date(2025, 2, 2)) == []


def test_charts_escape_their_text_and_bucket_long_series():
    from station.reporting import charts

    svg = str(charts.bars([("<b>Porto</b>", 0.5), ("MUG", 0.25)], "Rates & <things>", lambda v: f"{v:.0%}"))
    assert svg.startswith("<svg") and "&lt;b&gt;Porto&lt;/b&gt;" in svg and "<b>" not in svg
    assert "Rates &amp; &lt;things&gt;" in svg and "50%" in svg
    assert "Nothing in this range" in str(charts.columns([], "empty"))
    from datetime import date

    days = [((date(2025, 1, 6) + timedelta(days=n)).isoformat(), 1) for n in range(140)]
    weeks = charts.weekly(days)
    assert len(weeks) == 20 and weeks[0] == ("2025-01-06", 7) and sum(v for _, v in weeks) == 140
    assert charts.weekly(days[:100]) == days[:100]


def test_the_trend_line_keeps_time_on_its_axis_with_a_gap_for_weeks_nothing_shipped():
    import re

    from station.reporting import charts

    trend = {"bucket": "week", "rows": [{"period": "2025-01-06", "rate": 0.5}, {"period": "2025-01-27", "rate": 0.25},
                                        {"period": "2025-02-03", "rate": 0.1}]}
    items = charts.periodic(trend)
    assert items == [("2025-01-06", 0.5), ("2025-01-13", None), ("2025-01-20", None), ("2025-01-27", 0.25),
                     ("2025-02-03", 0.1)]
    svg = str(charts.line(items, "trend", lambda v: f"{v:.0%}"))
    # five weeks across 648 px: the dots at weeks 0, 3 and 4, not evenly at 0, 1 and 2
    assert re.findall(r'<circle cx="([0-9.]+)"', svg) == ["56.0", "542.0", "704.0"]
    assert svg.count("<polyline") == 1  # the line only joins weeks that follow each other
    months = charts.periodic({"bucket": "month", "rows": [{"period": "2024-11", "rate": 0.1},
                                                          {"period": "2025-02", "rate": 0.2}]})
    assert [label for label, _ in months] == ["2024-11", "2024-12", "2025-01", "2025-02"]


def test_the_rebuild_counts_the_cohorts_as_migration_0003s_statements_do(small, clock):
    from station import migrations

    db, _ = small
    with write(db):  # a line with no ship date, a product with no supplier, an order with no channel
        db.execute("UPDATE orders SET shipped_at = NULL WHERE order_no = 'SO-104'")
        db.execute("UPDATE products SET supplier_id = NULL WHERE sku = 'SHOE'")
        db.execute("UPDATE orders SET channel = NULL WHERE order_no = 'SO-109'")
    aggregates.rebuild(db)
    counted = aggregates.snapshot(db)["report_cohort"]
    with write(db):
        for statement in migrations.REBUILD_REPORTS:  # all in SQL, as the migration ran it
            db.execute(statement)
    assert counted == aggregates.snapshot(db)["report_cohort"]
    assert any(period == "" for _dim, period, *_ in counted) and len(counted) > 50


def test_charts_say_a_sentence_for_all_zeros_round_rates_half_up_and_colour_by_the_average():
    from station.reporting import charts
    from station.web.reports import fmt

    assert "Every value is 0" in charts.columns([("08:00", 0), ("09:00", 0)], "Parcels") and "<rect" not in \
        charts.columns([("08:00", 0), ("09:00", 0)], "Parcels")
    assert fmt.pct(0.0025) == "0.3%" and fmt.pct(0.0024) == "0.2%" and fmt.pct(None) == "—"
    coloured = charts.by_threshold([("A", 0.30), ("B", 0.10), ("C", 0.21)], 0.20)
    assert [c for _l, _v, c in coloured] == ["error", "ok", "warn"]
    drawn = charts.bars(coloured, "Rates", fmt.pct, marker=0.20)
    assert charts.COLOURS["error"] in drawn and charts.COLOURS["ok"] in drawn and 'font-size="15"' in drawn


def test_a_frequent_returner_a_supervisor_cleared_leaves_the_list_until_new_returns(small, clock):
    from station.intake.customers import clear_flag

    db, _ = small
    assert [r["customer_id"] for r in returners.frequent_returners(db, at=NOW)["rows"]] == ["C2"]
    clear_flag(db, "C2", "frequent_returner", "sizes run small this season", user="sam")
    found = returners.frequent_returners(db, at=NOW)
    assert found["rows"] == [] and found["total"] == 0
