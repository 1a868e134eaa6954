"""The no-label search finds a customer however the operator types them."""
import pytest

from station.db import write
from station.intake.search import search_orders
from tests import sample


@pytest.fixture
def db(tmp_path):
    db = sample.fresh(tmp_path / "station.db")
    sample.load_sample(db)
    with write(db):
        db["customers"].insert_all([
            {"customer_id": "C5", "name": "Björn Ångström", "email": "bjorn@example.se", "phone": "+44 7908 378656",
             "country": "GB"},
            {"customer_id": "C6", "name": "Daniel García", "email": "dg@example.es", "phone": "+34 600 111 222",
             "country": "ES"},
        ])
        for n, customer in enumerate(("C5", "C6")):
            db["orders"].insert({"order_no": f"SO-S{n}", "customer_id": customer, "placed_at": sample.days_ago(9),
                                 "shipped_at": sample.days_ago(8), "delivered_at": sample.days_ago(5), "currency": "EUR",
                                 "status": "delivered", "priority": 0})
        db["cartons"].insert({"carton_code": "CTN-S1", "order_no": "SO-S1", "tracking_no": "1Z999AA10123456799",
                              "carrier": "UPS"})
    yield db
    db.close()


def found(db, q):
    return [r["order_no"] for r in search_orders(db, q)]


@pytest.mark.parametrize("q, order_no", [
    ("bjorn", "SO-S0"), ("BJÖRN", "SO-S0"), ("angstrom", "SO-S0"),       # accents or not, any case
    ("07908378656", "SO-S0"), ("+44 7908 378656", "SO-S0"), ("7908 378 656", "SO-S0"),  # the phone, any spacing
    ("garcia daniel", "SO-S1"), ("daniel garc", "SO-S1"),               # the name's words in any order
    ("1z999aa10123456799", "SO-S1"),                                      # a tracking number on the parcel
    ("dg@example", "SO-S1"),                                              # an email, from its start
    ("王", "SO-1"),                                                       # one CJK character
])
def test_a_customer_is_found_however_the_operator_types_them(db, q, order_no):
    assert order_no in found(db, q)


def test_words_must_each_start_a_word_of_the_name(db):
    assert "SO-S1" not in found(db, "aniel arcia")  # the middle of words finds nothing
    assert found(db, "zz") == []
