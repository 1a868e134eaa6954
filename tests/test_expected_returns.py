"""Purchasing's expected returns count the units on open RMAs, apart from the rate-based forecast."""
import pytest

from station.intake import returns
from station.reporting import forecast
from tests import sample


@pytest.fixture
def db(tmp_path):
    db = sample.fresh(tmp_path / "station.db")
    sample.load_sample(db)
    yield db
    db.close()


def announced(db):
    return {r["sku"]: r["on_open_rmas"] for r in forecast.expected_returns(db)["rows"] if r["on_open_rmas"]}


def test_units_on_an_open_rma_are_expected_back_until_the_parcel_reaches_the_bench(db):
    assert announced(db) == {"MUG-01": 1}  # RMA-1: one mug of SO-1 on its way
    assert forecast.expected_returns(db)["total_on_open_rmas"] == 1
    returns.open_return(db, sample.RMA, "bench-1")
    assert announced(db) == {}


def test_an_rma_of_a_cancelled_order_is_not_expected_back(db):
    db.execute("UPDATE orders SET status = 'cancelled' WHERE order_no = 'SO-1'")
    assert announced(db) == {}
