"""The rules' English sentences (a recommendation's why, a refund line's) said on a Chinese screen,
and exactly as written on an English one; codes by their labels."""
from decimal import Decimal

import pytest

from station import create_app
from station.policy import DEFAULTS
from station.rules.recommend import recommend
from station.rules.refund import refund_lines
from station.web.bench.wording import label, said
from tests.sample import fresh

PRODUCT = {"sku": "MUG-01", "price": "20.00", "unit_cost": "8.00", "refurbishable": 1, "refurb_cost": "30.00"}


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    path = tmp_path_factory.mktemp("wording") / "station.db"
    fresh(path).close()
    return create_app({"DATABASE": str(path), "SECRET_KEY": "wording", "TESTING": True})


def sentences():
    whys = [recommend(grade, flags, PRODUCT, 1, DEFAULTS, bin_="OPEN-BOX", rtv_eligible=rtv, reason=reason)["why"]
            for grade, flags, rtv, reason in [("A", [], False, None), ("B", [], False, None), ("C", [], True, None),
                                              ("D", [], False, "damaged_in_transit"), ("X", [], False, None),
                                              ("B", ["serial_mismatch", "qty_exceeds_order"], False, None)]]
    item = {"item_id": 1, "sku": "MUG-01", "qty": 1, "grade": "B", "reason": "size_fit", "flags": []}
    refund = refund_lines([item, dict(item, item_id=2, reason="defective", grade="A")], {"MUG-01": Decimal("20")},
                          False, DEFAULTS, return_shipping="4.00", label={"cost": "3.00", "paid_by": "seller"},
                          customer_holds=[{"kind": "earlier_fraud", "why": "earlier fraud confirmed for this customer",
                                           "above": None}])
    return whys + [line["why"] for line in refund["lines"]] + [a["why"] for a in refund["adjustments"]]


def test_an_english_screen_shows_every_sentence_as_the_rules_wrote_it(app):
    with app.test_request_context("/"):
        for text in sentences():
            assert said(text) == text


def test_a_chinese_screen_says_every_sentence_of_the_rules_in_chinese_keeping_codes_and_amounts(app):
    with app.test_request_context("/?lang=zh_Hans"):
        for text in sentences():
            chinese = said(text)
            assert chinese != text
            words = [w for w in chinese.replace("OPEN-BOX", "").replace("MUG-01", "").split() if w.isascii()]
            assert all(not w.isalpha() or w.isupper() for w in words), (text, chinese)  # USD stays, no English word
        assert said("Grade B, not refurbishable: restock as open-box to bin OB-1. refurbish would lose 5.00 USD.") \
            == "B 级，不可翻新：作为开箱品重新上架到货位 OB-1。翻新会亏损 5.00 USD。"
        assert "不符：序列号不符" in said("mismatch: serial_mismatch")


def test_a_sentence_no_template_reads_is_shown_as_written(app):
    with app.test_request_context("/?lang=zh_Hans"):
        assert said("quarantine review: the box was empty") == "quarantine review: the box was empty"
        assert said("seller fault (defective): full refund; held: a rule of another module") \
            == "seller fault (defective): full refund; held: a rule of another module"


def test_codes_keep_their_english_words_in_english_and_get_labels_in_chinese(app):
    with app.test_request_context("/"):
        assert label("rtv", "disposition") == "rtv" and label("weight_mismatch", "item_flag") == "weight mismatch"
        assert label("size_fit", "reason") == "Size / fit" and label("odd_code", "reason") == "odd_code"
    with app.test_request_context("/?lang=zh_Hans"):
        assert label("rtv", "disposition") == "退供应商" and label("supervisor", "role") == "主管"
        assert label("held", "refund_status") == "暂扣" and label("size_fit", "reason") == "尺码 / 不合身"
