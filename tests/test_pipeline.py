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
