"""The disposition rule (station/rules/recommend.py) as tables: plain data in, plain data out.

No database and no Flask. Values are written out by hand from DESIGN.md "Dispositions and the
default policy" and "Rules in detail" (open-box 0.80, refurbished 0.70, liquidation 0.05).
"""
from decimal import Decimal

import pytest

from station.policy import DEFAULTS, MISMATCH_FLAGS
from station.rules.recommend import ORDER, money, option_values, recommend

D = Decimal
POLICY = dict(DEFAULTS)
BIN = "A-01-01"
SUPPLIER = "SUP-1"
WAITING = {"order_no": "SO-9", "priority": 2, "placed_at": "2024-05-01T10:00:00+00:00"}
RTV_CLOSED = " RTV is not open (supplier does not take returns or its window has passed)."


def product(price="100.00", unit_cost="40.00", refurb_cost="20.00", refurbishable=True, sku="SKU-1"):
    return {"sku": sku, "price": price, "unit_cost": unit_cost, "refurb_cost": refurb_cost, "refurbishable": refurbishable}


def rec(grade, prod=None, qty=1, policy=POLICY, flags=(), **kwargs):
    kwargs.setdefault("bin_", BIN)
    kwargs.setdefault("supplier_id", SUPPLIER)
    return recommend(grade, list(flags), product() if prod is None else prod, qty, policy, **kwargs)


def options(*pairs):
    return [{"disposition": d, "value": v, "currency": "USD"} for d, v in pairs]


# -- quarantine ---------------------------------------------------------------------------------

QUARANTINE_OPTIONS = options(("quarantine", "0.00"))


@pytest.mark.parametrize("grade, flags, prod, cause", [
    ("X", [], product(), "grade X"),
    ("X", ["item_mismatch"], product(), "grade X"),
    ("A", ["item_mismatch"], product(), "item mismatch"),
    ("A", ["unknown_product"], product(), "unknown product"),
    ("A", ["serial_mismatch"], product(), "serial mismatch"),
    ("A", ["qty_exceeds_order"], product(), "qty exceeds order"),
    ("B", ["serial_missing", "serial_mismatch", "weight_mismatch", "qty_exceeds_order"], product(),
     "serial mismatch, qty exceeds order"),
    ("A", [], None, "unknown product"),
    ("C", ["unknown_product"], None, "unknown product"),
], ids=["grade X", "grade X with a mismatch", "item mismatch", "unknown product flag", "serial mismatch",
        "qty exceeds order", "two mismatches among other flags", "no product", "no product and its flag"])
def test_grade_x_a_mismatch_or_an_unknown_product_goes_to_quarantine(grade, flags, prod, cause):
    got = recommend(grade, flags, prod, 1, POLICY, waiting_line=WAITING, rtv_eligible=True, bin_=BIN,
                    supplier_id=SUPPLIER)
    assert got == {"disposition": "quarantine", "target": None, "condition": None, "why": f"Quarantine for a supervisor: {cause}.",
                   "options": QUARANTINE_OPTIONS, "currency": "USD"}


def test_the_quarantine_rule_covers_every_mismatch_flag():
    assert set(MISMATCH_FLAGS) == {"item_mismatch", "unknown_product", "serial_mismatch", "qty_exceeds_order"}
    for flag in MISMATCH_FLAGS:
        assert rec("A", flags=[flag])["disposition"] == "quarantine", flag


@pytest.mark.parametrize("grade", ["A", "B", "C", "D"])
def test_grade_x_goes_to_quarantine_even_when_never_restocked(grade):
    assert rec("X", never_restock=True)["disposition"] == "quarantine"
    assert rec(grade, flags=["item_mismatch"], never_restock=True)["disposition"] == "quarantine"


@pytest.mark.parametrize("flag", ["serial_missing", "weight_mismatch"])
def test_a_flag_that_is_not_a_mismatch_does_not_quarantine(flag):
    assert rec("A", flags=[flag])["disposition"] == "restock"


# -- grade A ------------------------------------------------------------------------------------

def test_grade_a_with_no_waiting_order_restocks_as_new_to_the_products_bin():
    assert rec("A", rtv_eligible=True) == {
        "disposition": "restock",
        "target": BIN,
        "condition": "new",
        "why": f"Grade A, no order waiting for SKU-1: restock as new to bin {BIN}.",
        "options": options(("restock", "100.00")), "currency": "USD",
    }


def test_grade_a_without_a_bin_restocks_with_no_target():
    got = rec("A", bin_=None)
    assert (got["disposition"], got["target"]) == ("restock", None)
    assert got["why"] == "Grade A, no order waiting for SKU-1: restock as new to bin (no bin)."


def test_grade_a_with_a_waiting_order_crossdocks_to_that_order():
    assert rec("A", waiting_line=WAITING, rtv_eligible=True) == {
        "disposition": "crossdock",
        "target": "SO-9",
        "condition": None,
        "why": "Grade A and order SO-9 is waiting for SKU-1 (priority 2, placed 2024-05-01): ship it straight out.",
        "options": options(("crossdock", "100.00"), ("restock", "100.00")), "currency": "USD",
    }


def test_grade_a_weighs_neither_refurbish_rtv_nor_scrap():
    assert option_values("A", product(), 1, POLICY, WAITING, True) == {"crossdock": D("100.00"), "restock": D("100.00")}


# -- grade B ------------------------------------------------------------------------------------

def test_grade_b_refurbishable_goes_to_refurbish_with_no_target():
    assert rec("B", waiting_line=WAITING, rtv_eligible=True) == {
        "disposition": "refurbish",
        "target": None,
        "condition": None,
        "why": "Grade B and the product is refurbishable: repack it, then it sells as refurbished.",
        "options": options(("restock", "80.00"), ("refurbish", "50.00")), "currency": "USD",  # 0.80 x 100; 0.70 x 100 - 20
    }


def test_grade_b_refurbishable_goes_to_refurbish_even_when_open_box_is_worth_more():
    got = rec("B", product(refurb_cost="60.00"))
    assert got["disposition"] == "refurbish"
    assert got["options"] == options(("restock", "80.00"), ("refurbish", "10.00"))


def test_grade_b_not_refurbishable_restocks_as_open_box_to_the_bin():
    assert rec("B", product(refurbishable=False), waiting_line=WAITING, rtv_eligible=True) == {
        "disposition": "restock",
        "target": BIN,
        "condition": "open_box",
        "why": f"Grade B, not refurbishable: restock as open-box to bin {BIN}.",
        "options": options(("restock", "80.00")), "currency": "USD",
    }


def test_grade_b_not_refurbishable_without_a_bin_says_so():
    got = rec("B", product(refurbishable=False), bin_=None)
    assert (got["target"], got["why"]) == (None, "Grade B, not refurbishable: restock as open-box to bin (no bin).")


# -- grades C and D: the highest expected recovery ----------------------------------------------

# (name, product, rtv eligible, expected options in ORDER, expected choice)
HIGHEST = [
    ("refurbish beats rtv and scrap", product(), True,
     [("refurbish", "50.00"), ("rtv", "40.00"), ("scrap", "5.00")], "refurbish"),
    ("rtv beats refurbish", product(refurb_cost="40.00"), True,
     [("refurbish", "30.00"), ("rtv", "40.00"), ("scrap", "5.00")], "rtv"),
    ("refurbish without rtv", product(), False,
     [("refurbish", "50.00"), ("scrap", "5.00")], "refurbish"),
    ("scrap beats a negative refurbish", product(refurb_cost="80.00"), False,
     [("refurbish", "-10.00"), ("scrap", "5.00")], "scrap"),
    ("scrap when nothing else is open", product(refurbishable=False), False,
     [("scrap", "5.00")], "scrap"),
    ("scrap beats a cheap rtv", product(unit_cost="2.00", refurbishable=False), True,
     [("rtv", "2.00"), ("scrap", "5.00")], "scrap"),
    ("rtv when not refurbishable", product(refurbishable=False), True,
     [("rtv", "40.00"), ("scrap", "5.00")], "rtv"),
    ("a missing unit cost recovers nothing by rtv", product(unit_cost=None, refurbishable=False), True,
     [("rtv", "0.00"), ("scrap", "5.00")], "scrap"),
    ("a missing refurb cost costs nothing", product(refurb_cost=None), False,
     [("refurbish", "70.00"), ("scrap", "5.00")], "refurbish"),
    # ties keep the order crossdock, restock, refurbish, rtv, scrap
    ("tie refurbish and rtv keeps refurbish", product(refurb_cost="30.00"), True,
     [("refurbish", "40.00"), ("rtv", "40.00"), ("scrap", "5.00")], "refurbish"),
    ("tie rtv and scrap keeps rtv", product(unit_cost="5.00", refurbishable=False), True,
     [("rtv", "5.00"), ("scrap", "5.00")], "rtv"),
    ("tie refurbish and scrap keeps refurbish", product(refurb_cost="65.00"), False,
     [("refurbish", "5.00"), ("scrap", "5.00")], "refurbish"),
    ("three-way tie keeps refurbish", product(unit_cost="5.00", refurb_cost="65.00"), True,
     [("refurbish", "5.00"), ("rtv", "5.00"), ("scrap", "5.00")], "refurbish"),
    ("tie below a higher rtv", product(unit_cost="60.00", refurb_cost="65.00"), True,
     [("refurbish", "5.00"), ("rtv", "60.00"), ("scrap", "5.00")], "rtv"),
]


@pytest.mark.parametrize("grade", ["C", "D"])
@pytest.mark.parametrize("name, prod, rtv, weighed, choice", HIGHEST, ids=[row[0] for row in HIGHEST])
def test_grades_c_and_d_choose_the_option_that_recovers_the_most(grade, name, prod, rtv, weighed, choice):
    got = rec(grade, prod, rtv_eligible=rtv, waiting_line=WAITING)
    listed = ", ".join(f"{d} {v} USD" for d, v in weighed)
    why = f"Grade {grade}: {choice} recovers the most ({listed})."
    if not rtv:
        why += RTV_CLOSED
    losing = [(d, v) for d, v in weighed if v.startswith("-")]
    if losing:  # an option that loses money says so
        why += " " + "; ".join(f"{d} would lose {v[1:]} USD" for d, v in losing) + "."
    assert got == {
        "disposition": choice,
        "target": {"rtv": SUPPLIER}.get(choice),
        "condition": None,
        "why": why,
        "options": options(*weighed), "currency": "USD",
    }


def test_a_grade_d_item_goes_to_rtv_naming_the_supplier():
    got = rec("D", product(refurb_cost="40.00"), rtv_eligible=True, supplier_id="SUP-77")
    assert (got["disposition"], got["target"]) == ("rtv", "SUP-77")
    assert got["why"] == "Grade D: rtv recovers the most (refurbish 30.00 USD, rtv 40.00 USD, scrap 5.00 USD)."


def test_the_option_order_for_ties_is_crossdock_restock_refurbish_rtv_scrap():
    assert ORDER == ("crossdock", "restock", "refurbish", "rtv", "scrap")


# -- never_restock (a per-SKU rule) -------------------------------------------------------------

# (grade, product, waiting line, rtv eligible, expected options, expected choice)
NEVER = [
    ("A", product(), WAITING, True, [("rtv", "40.00"), ("scrap", "5.00")], "rtv"),
    ("A", product(), None, False, [("scrap", "5.00")], "scrap"),
    ("B", product(), None, True, [("rtv", "40.00"), ("scrap", "5.00")], "rtv"),
    ("B", product(refurbishable=False), WAITING, False, [("scrap", "5.00")], "scrap"),
    ("B", product(unit_cost="2.00"), None, True, [("rtv", "2.00"), ("scrap", "5.00")], "scrap"),
    ("A", product(unit_cost="5.00"), None, True, [("rtv", "5.00"), ("scrap", "5.00")], "rtv"),  # a tie keeps rtv
]


@pytest.mark.parametrize("grade, prod, waiting, rtv, weighed, choice", NEVER, ids=[
    "A with a waiting order and rtv", "A without rtv", "B refurbishable with rtv", "B with a waiting order, no rtv",
    "B scrap beats a cheap rtv", "A tie of rtv and scrap keeps rtv"])
def test_a_never_restocked_a_or_b_item_goes_to_the_best_option_left(grade, prod, waiting, rtv, weighed, choice):
    got = rec(grade, prod, waiting_line=waiting, rtv_eligible=rtv, never_restock=True)
    assert got == {
        "disposition": choice,
        "target": {"rtv": SUPPLIER}.get(choice),
        "condition": None,
        "why": f"Policy: SKU-1 is never restocked; {choice} recovers the most of what is left.",
        "options": options(*weighed), "currency": "USD",
    }


@pytest.mark.parametrize("grade", ["A", "B", "C", "D"])
def test_refurbish_is_never_an_option_for_a_never_restocked_item(grade):
    got = rec(grade, product(refurb_cost="0.00"), waiting_line=WAITING, rtv_eligible=True, never_restock=True)
    assert got["disposition"] != "refurbish"
    assert "refurbish" not in [o["disposition"] for o in got["options"]]
    assert {o["disposition"] for o in got["options"]} == {"rtv", "scrap"}


@pytest.mark.parametrize("grade", ["C", "D"])
def test_a_never_restocked_c_or_d_item_keeps_the_grade_rule_without_refurbish(grade):
    assert rec(grade, product(refurb_cost="0.00"), rtv_eligible=False, never_restock=True) == {
        "disposition": "scrap",
        "target": None,
        "condition": None,
        "why": f"Grade {grade}: scrap recovers the most (scrap 5.00 USD)." + RTV_CLOSED,
        "options": options(("scrap", "5.00")), "currency": "USD",
    }


# -- values: options, quantity, policy ----------------------------------------------------------

@pytest.mark.parametrize("grade, waiting, rtv, expected", [
    ("A", None, True, {"restock": "300.00"}),
    ("A", WAITING, False, {"crossdock": "300.00", "restock": "300.00"}),
    ("B", None, True, {"restock": "240.00", "refurbish": "150.00"}),
    ("C", None, True, {"refurbish": "150.00", "rtv": "120.00", "scrap": "15.00"}),
    ("D", WAITING, False, {"refurbish": "150.00", "scrap": "15.00"}),
], ids=["A", "A with a waiting order", "B", "C with rtv", "D without rtv"])
def test_option_values_multiply_by_the_quantity(grade, waiting, rtv, expected):
    got = option_values(grade, product(), 3, POLICY, waiting, rtv)
    assert got == {d: D(v) for d, v in expected.items()}
    assert all(isinstance(v, Decimal) for v in got.values())
    listed = rec(grade, qty=3, waiting_line=waiting, rtv_eligible=rtv)["options"]
    assert listed == [{"disposition": d, "value": expected[d], "currency": "USD"} for d in ORDER if d in expected]


def test_option_values_of_grade_x_are_empty():
    assert option_values("X", product(), 1, POLICY, WAITING, True) == {}


@pytest.mark.parametrize("grade, policy_changes, expected_options, choice", [
    ("B", {"open_box_factor": "0.50"}, [("restock", "50.00")], "restock"),
    ("C", {"refurbished_factor": "0.90"}, [("refurbish", "70.00"), ("rtv", "40.00"), ("scrap", "5.00")], "refurbish"),
    ("C", {"refurbished_factor": "0.50"}, [("refurbish", "30.00"), ("rtv", "40.00"), ("scrap", "5.00")], "rtv"),
    ("D", {"liquidation_rate": "0.60"}, [("refurbish", "50.00"), ("rtv", "40.00"), ("scrap", "60.00")], "scrap"),
    ("D", {"liquidation_rate": 0.1}, [("refurbish", "50.00"), ("rtv", "40.00"), ("scrap", "10.00")], "refurbish"),
], ids=["open-box factor", "refurbished factor up", "refurbished factor down", "liquidation rate",
        "a float liquidation rate"])
def test_custom_policy_factors_change_the_values(grade, policy_changes, expected_options, choice):
    prod = product(refurbishable=grade != "B")
    got = rec(grade, prod, policy={**DEFAULTS, **policy_changes}, rtv_eligible=True)
    assert got["options"] == options(*expected_options)
    assert got["disposition"] == choice


@pytest.mark.parametrize("price, grade, expected", [
    ("0.10", "C", [("scrap", "0.01")]),                          # 0.005: half-up, not half-even (0.00)
    ("19.99", "B", [("restock", "15.99")]),                      # 15.992
    ("19.99", "D", [("scrap", "1.00")]),                         # 0.9995
    ("0.30", "C", [("scrap", "0.02")]),                          # 0.015
], ids=["0.005 up", "15.992 down", "0.9995 up", "0.015 up"])
def test_option_values_are_listed_as_text_with_two_decimals_rounded_half_up(price, grade, expected):
    prod = product(price=price, refurbishable=False)
    assert rec(grade, prod, rtv_eligible=False)["options"] == options(*expected)


@pytest.mark.parametrize("value, text", [(D("2"), "2.00"), (D("2.345"), "2.35"), ("-10.005", "-10.01"), (0, "0.00")])
def test_money_writes_a_value_with_two_decimals_half_up(value, text):
    assert money(value) == text


@pytest.mark.parametrize("price", ["100.00", 100, 100.0, D("100")], ids=["text", "int", "float", "Decimal"])
def test_a_price_of_any_type_gives_the_same_values(price):
    assert option_values("B", product(price=price), 1, POLICY) == {"restock": D("80"), "refurbish": D("50")}


# -- net recovery: handling, labour, the supplier's RTV cost (DESIGN.md "Money, currencies and costs")

NET = {**POLICY, "handling_cost": "3.00", "refurb_labour": "5.00"}


def test_handling_comes_off_a_restock_and_labour_off_a_refurbish():
    assert option_values("A", product(), 1, NET) == {"restock": D("97.00")}
    assert option_values("B", product(), 2, NET) == {"restock": D("154.00"), "refurbish": D("90.00")}  # (80-3)x2; (70-20-5)x2


def test_the_suppliers_rtv_cost_comes_off_the_unit_cost():
    got = rec("C", product(refurbishable=False), rtv_eligible=True, rtv_cost="3.00")
    assert got["options"] == options(("rtv", "37.00"), ("scrap", "5.00"))


def test_a_cheap_phone_case_is_not_sent_back_to_a_supplier_who_charges_more_than_it_cost():
    case = product(price="4.00", unit_cost="2.00", refurbishable=False)
    got = rec("C", case, rtv_eligible=True, rtv_cost="3.00")
    assert got["disposition"] == "scrap" and got["options"] == options(("rtv", "-1.00"), ("scrap", "0.20"))
    assert got["why"].endswith("rtv would lose 1.00 USD.")


def test_a_grade_a_item_that_costs_more_to_shelve_than_it_sells_for_is_scrapped():
    got = rec("A", product(price="2.00"), policy={**POLICY, "handling_cost": "3.00"})
    assert (got["disposition"], got["target"]) == ("scrap", None)
    assert got["options"] == options(("restock", "-1.00"), ("scrap", "0.10"))
    assert "restock would lose 1.00 USD" in got["why"]


def test_a_grade_b_item_whose_refurbish_loses_money_is_restocked_open_box_instead():
    got = rec("B", product(refurb_cost="75.00"), bins={"new": BIN, "open_box": "OB-1"})
    assert (got["disposition"], got["target"], got["condition"]) == ("restock", "OB-1", "open_box")
    assert "refurbishing would lose money" in got["why"] and "refurbish would lose 5.00 USD" in got["why"]


def test_grade_a_restocks_to_the_new_bin_and_grade_b_to_the_open_box_bin():
    bins = {"new": "A-1", "open_box": "OB-1"}
    assert (rec("A", bins=bins)["target"], rec("A", bins=bins)["condition"]) == ("A-1", "new")
    got = rec("B", product(refurbishable=False), bins=bins)
    assert (got["target"], got["condition"]) == ("OB-1", "open_box")


@pytest.mark.parametrize("grade", ["C", "D"])
def test_transit_damage_is_never_sent_back_to_the_supplier(grade):
    got = rec(grade, product(refurbishable=False), rtv_eligible=True, reason="damaged_in_transit")
    assert got["disposition"] == "scrap" and "rtv" not in [o["disposition"] for o in got["options"]]
    assert "claimed from the carrier" in got["why"]
    assert rec(grade, product(refurbishable=False), rtv_eligible=True, reason="defective")["disposition"] == "rtv"
