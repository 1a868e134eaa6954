"""One scan pipeline for every input source."""
import pytest

from station.intake import decisions, returns
from station.intake.pipeline import process_scan
from tests import sample


@pytest.fixture
def db(tmp_path):
    db = sample.fresh(tmp_path / "station.db")
    sample.load_sample(db)
    yield db
    db.close()


def test_a_carton_scan_opens_the_return_and_is_logged(db):
    outcome = process_scan(db, "]C1" + sample.CARTON, "serial", "bench-1", "olga")
    assert outcome["kind"] == "parcel" and outcome["created"] and outcome["order_no"] == "SO-1"
    assert db.execute("SELECT source, kind, ok FROM scans").fetchall() == [("serial", "carton", 1)]


def test_an_unknown_code_is_an_error_that_creates_nothing_but_the_log(db):
    outcome = process_scan(db, "WHAT-IS-THIS", "wedge", "bench-1", "olga")
    assert outcome["kind"] == "error" and not outcome["ok"] and "Unknown code" in outcome["message"]
    assert db["returns"].count == 0 and db["scans"].count == 1


def test_a_product_scan_inside_a_return_selects_the_item(db):
    opened = process_scan(db, sample.CARTON, current_return_id=None)
    outcome = process_scan(db, sample.MUG_GTIN, current_return_id=opened["return_id"])
    assert (outcome["kind"], outcome["sku"], outcome["return_id"]) == ("product", "MUG-01", opened["return_id"])
    assert db["return_items"].count == 0  # nothing recorded before a grade is given


def test_a_product_scan_alone_offers_candidate_orders(db):
    outcome = process_scan(db, sample.MUG_GTIN)
    assert outcome["kind"] == "product" and outcome["return_id"] is None
    assert [c["order_no"] for c in outcome["candidates"]] == ["SO-1"]


def test_the_next_parcel_closes_a_fully_decided_one_and_sets_aside_an_unfinished_one(db):
    first = process_scan(db, sample.CARTON)
    item = returns.add_item(db, first["return_id"], {"sku": "MUG-01", "qty": 1, "grade": "A", "reason": "changed_mind"})
    decisions.decide(db, first["return_id"], item["item_id"], {"disposition": "crossdock"})
    second = process_scan(db, "CTN-2", current_return_id=first["return_id"])
    assert second["previous"]["closed"]["refund"]["status"] == "ready"
    third = process_scan(db, sample.CARTON, current_return_id=second["return_id"])
    assert third["previous"] == {"return_id": second["return_id"], "set_aside": True}
    assert third["return_id"] != first["return_id"]  # the closed one stays closed: a new return
    statuses = dict(db.execute("SELECT return_id, status FROM returns").fetchall())
    assert statuses == {first["return_id"]: "closed", second["return_id"]: "open", third["return_id"]: "open"}


def test_a_serial_shipped_on_another_order_is_an_item_of_the_parcel_on_screen_and_a_serial_mismatch(db):
    other = process_scan(db, "CTN-2")  # SO-2; serial SN1 was shipped on SO-1
    outcome = process_scan(db, "]C1010" + sample.PHONE_GTIN + "21SN1", current_return_id=other["return_id"])

    assert (outcome["kind"], outcome["sku"], outcome["return_id"]) == ("product", "PHONE-01", other["return_id"])
    assert outcome["serial"] == "SN1"
    assert db["returns"].count == 1  # SO-1's parcel was not opened, SO-2's not put aside
    item = returns.add_item(db, other["return_id"], {"code": "]C1010" + sample.PHONE_GTIN + "21SN1", "qty": 1,
                                                     "grade": "A", "reason": "changed_mind", "serial": "SN1"})
    assert "serial_mismatch" in item["flags"] and item["recommendation"]["disposition"] == "quarantine"


@pytest.fixture
def crowded(db):
    """Codes that match several kinds at once: the sample plus orders, RMAs and cartons sharing them."""
    from station.db import write

    with write(db):
        db["orders"].insert_all([
            {"order_no": o, "customer_id": "C1", "placed_at": sample.days_ago(5), "shipped_at": sample.days_ago(d),
             "currency": "USD", "status": "delivered", "priority": 0}
            for o, d in [("#1001", 4), ("1002", 4), ("ORD-A", 2), ("ORD-B", 3), ("MUG-01", 1)]])
        db["rmas"].insert_all([
            {"rma_no": r, "order_no": o, "created_at": sample.days_ago(d), "resolution": "refund", "return_tracking_no": t}
            for r, o, d, t in [("RMA-2", "SO-2", 1, "TRK-9"), ("RMA-3", "SO-2", 3, "TRK-9"), ("RMA-6", "ORD-A", 2, None)]])
        db["cartons"].insert_all([
            {"carton_code": "CTN-TRK", "order_no": "ORD-A", "tracking_no": "TRK-9"},
            {"carton_code": "CTN-OUT1", "order_no": "ORD-B", "tracking_no": "OUT-1"},
            {"carton_code": "CTN-OUT2", "order_no": "SO-1", "tracking_no": "OUT-1"},
            {"carton_code": sample.SSCC, "order_no": "ORD-A", "tracking_no": None},
            {"carton_code": "RMA-6", "order_no": "SO-2", "tracking_no": None},
        ])
        db["products"].insert({"sku": "MUG-COPY", "name": "Same GTIN", "gtin14": "0" + sample.MUG_GTIN, "price": 1})
        db["order_lines"].insert({"order_no": "ORD-B", "line_no": 1, "sku": "PHONE-01", "qty": 1, "unit_price": 5})
        db["order_serials"].insert({"serial": "SN1", "order_no": "ORD-B", "line_no": 1, "sku": "PHONE-01"})
    return db


@pytest.mark.parametrize("code, expected", [
    (sample.CARTON, ("carton", "SO-1", "RMA-1", None)),           # the code as scanned before its SSCC's forms
    ("(00)" + sample.SSCC, ("carton", "ORD-A", "RMA-6", None)),    # ... then the SSCC's own forms, in order
    ("RMA-6", ("carton", "SO-2", "RMA-2", None)),                  # a carton before an RMA; the order's latest RMA
    ("rma-1", ("rma", "SO-1", "RMA-1", None)),                     # the code as typed, then in upper case
    ("TRK-9", ("tracking", "SO-2", "RMA-2", None)),                # an RMA's return tracking (the newest RMA) first
    ("OUT-1", ("tracking", "ORD-B", None, None)),                  # an outbound carton's: the first carton stored
    ("MUG-01", ("order", "MUG-01", None, None)),                   # an order before a product's SKU
    ("1001", ("order", "#1001", None, None)),                      # a shop's number without its '#'
    ("1002", ("order", "1002", None, None)),
    (sample.MUG_GTIN, ("product", None, None, "MUG-01")),          # the first product stored with that GTIN
    ("]C1010" + sample.PHONE_GTIN + "21SN1", ("product", "ORD-B", None, "PHONE-01")),  # the latest order shipping the serial
    ("NOTHING-HERE", None),
])
def test_a_code_matching_several_kinds_resolves_to_the_first_kind_in_order(crowded, code, expected):
    from station.intake.lookup import resolve
    from station.rules.classify import classify

    found = resolve(crowded, classify(code))

    assert (found[:3] + (found[3] and found[3]["sku"],) if found else None) == expected
