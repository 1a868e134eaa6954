"""The refund rule (station/rules/refund.py) as a table: plain data in, plain data out.

No database and no Flask: every case is an item dict, a price, a window answer and a policy.
The expected values are written out by hand from DESIGN.md "Refund policy (default)" and
"Rules in detail", not computed by a second copy of the rule.
"""
from decimal import Decimal
from itertools import product

import pytest

from station.policy import DEFAULTS, GRADES, MISMATCH_FLAGS, REASONS
from station.rules.refund import item_refund, refund_lines, summary

D = Decimal
POLICY = dict(DEFAULTS)  # restocking fee 0.15
PRICE = "20.00"


def item(grade="A", reason="changed_mind", qty=1, flags=(), sku="SKU-1", item_id=None, policy=None):
    data = {"grade": grade, "reason": reason, "qty": qty, "flags": list(flags), "sku": sku, "item_id": item_id}
    if policy is not None:
        data["policy"] = policy
    return data


# -- item_refund: every grade x every reason x inside / outside the window ---------------------
#
# (grade, reason, inside the window, amount for one unit at 20.00, held, fragment of `why`)
OUT = "outside the return window: "
TABLE = [
    # grade A
    ("A", "defective", True, "20.00", False, "seller fault (defective): full refund"),
    ("A", "defective", False, "20.00", True, OUT + "seller fault (defective): full refund"),
    ("A", "damaged_in_transit", True, "20.00", False, "seller fault (damaged_in_transit): full refund"),
    ("A", "damaged_in_transit", False, "20.00", True, OUT + "seller fault (damaged_in_transit): full refund"),
    ("A", "wrong_item_sent", True, "20.00", False, "seller fault (wrong_item_sent): full refund"),
    ("A", "wrong_item_sent", False, "20.00", True, OUT + "seller fault (wrong_item_sent): full refund"),
    ("A", "not_as_described", True, "20.00", False, "seller fault (not_as_described): full refund"),
    ("A", "not_as_described", False, "20.00", True, OUT + "seller fault (not_as_described): full refund"),
    ("A", "arrived_late", True, "20.00", False, "seller fault (arrived_late): full refund"),
    ("A", "arrived_late", False, "20.00", True, OUT + "seller fault (arrived_late): full refund"),
    ("A", "size_fit", True, "20.00", False, "customer side, grade A: full refund"),
    ("A", "size_fit", False, "20.00", True, OUT + "customer side, grade A: full refund"),
    ("A", "no_longer_needed", True, "20.00", False, "customer side, grade A: full refund"),
    ("A", "no_longer_needed", False, "20.00", True, OUT + "customer side, grade A: full refund"),
    ("A", "changed_mind", True, "20.00", False, "customer side, grade A: full refund"),
    ("A", "changed_mind", False, "20.00", True, OUT + "customer side, grade A: full refund"),
    ("A", "ordered_by_mistake", True, "20.00", False, "customer side, grade A: full refund"),
    ("A", "ordered_by_mistake", False, "20.00", True, OUT + "customer side, grade A: full refund"),
    ("A", "other", True, "20.00", True, "reason other: a supervisor decides"),
    ("A", "other", False, "20.00", True, OUT + "reason other: a supervisor decides"),
    # grade B
    ("B", "defective", True, "20.00", False, "seller fault (defective): full refund"),
    ("B", "defective", False, "20.00", True, OUT + "seller fault (defective): full refund"),
    ("B", "damaged_in_transit", True, "20.00", False, "seller fault (damaged_in_transit): full refund"),
    ("B", "damaged_in_transit", False, "20.00", True, OUT + "seller fault (damaged_in_transit): full refund"),
    ("B", "wrong_item_sent", True, "20.00", False, "seller fault (wrong_item_sent): full refund"),
    ("B", "wrong_item_sent", False, "20.00", True, OUT + "seller fault (wrong_item_sent): full refund"),
    ("B", "not_as_described", True, "20.00", False, "seller fault (not_as_described): full refund"),
    ("B", "not_as_described", False, "20.00", True, OUT + "seller fault (not_as_described): full refund"),
    ("B", "arrived_late", True, "20.00", False, "seller fault (arrived_late): full refund"),
    ("B", "arrived_late", False, "20.00", True, OUT + "seller fault (arrived_late): full refund"),
    ("B", "size_fit", True, "17.00", False, "customer side, grade B: minus 15% restocking fee"),
    ("B", "size_fit", False, "17.00", True, OUT + "customer side, grade B: minus 15% restocking fee"),
    ("B", "no_longer_needed", True, "17.00", False, "customer side, grade B: minus 15% restocking fee"),
    ("B", "no_longer_needed", False, "17.00", True, OUT + "customer side, grade B: minus 15% restocking fee"),
    ("B", "changed_mind", True, "17.00", False, "customer side, grade B: minus 15% restocking fee"),
    ("B", "changed_mind", False, "17.00", True, OUT + "customer side, grade B: minus 15% restocking fee"),
    ("B", "ordered_by_mistake", True, "17.00", False, "customer side, grade B: minus 15% restocking fee"),
    ("B", "ordered_by_mistake", False, "17.00", True, OUT + "customer side, grade B: minus 15% restocking fee"),
    ("B", "other", True, "20.00", True, "reason other: a supervisor decides"),
    ("B", "other", False, "20.00", True, OUT + "reason other: a supervisor decides"),
    # grade C
    ("C", "defective", True, "20.00", False, "seller fault (defective): full refund"),
    ("C", "defective", False, "20.00", True, OUT + "seller fault (defective): full refund"),
    ("C", "damaged_in_transit", True, "20.00", False, "seller fault (damaged_in_transit): full refund"),
    ("C", "damaged_in_transit", False, "20.00", True, OUT + "seller fault (damaged_in_transit): full refund"),
    ("C", "wrong_item_sent", True, "20.00", False, "seller fault (wrong_item_sent): full refund"),
    ("C", "wrong_item_sent", False, "20.00", True, OUT + "seller fault (wrong_item_sent): full refund"),
    ("C", "not_as_described", True, "20.00", False, "seller fault (not_as_described): full refund"),
    ("C", "not_as_described", False, "20.00", True, OUT + "seller fault (not_as_described): full refund"),
    ("C", "arrived_late", True, "20.00", False, "seller fault (arrived_late): full refund"),
    ("C", "arrived_late", False, "20.00", True, OUT + "seller fault (arrived_late): full refund"),
    ("C", "size_fit", True, "17.00", False, "customer side, grade C: minus 15% restocking fee"),
    ("C", "size_fit", False, "17.00", True, OUT + "customer side, grade C: minus 15% restocking fee"),
    ("C", "no_longer_needed", True, "17.00", False, "customer side, grade C: minus 15% restocking fee"),
    ("C", "no_longer_needed", False, "17.00", True, OUT + "customer side, grade C: minus 15% restocking fee"),
    ("C", "changed_mind", True, "17.00", False, "customer side, grade C: minus 15% restocking fee"),
    ("C", "changed_mind", False, "17.00", True, OUT + "customer side, grade C: minus 15% restocking fee"),
    ("C", "ordered_by_mistake", True, "17.00", False, "customer side, grade C: minus 15% restocking fee"),
    ("C", "ordered_by_mistake", False, "17.00", True, OUT + "customer side, grade C: minus 15% restocking fee"),
    ("C", "other", True, "20.00", True, "reason other: a supervisor decides"),
    ("C", "other", False, "20.00", True, OUT + "reason other: a supervisor decides"),
    # grade D: seller fault pays in full; customer side and `other` propose the full price, held
    ("D", "defective", True, "20.00", False, "seller fault (defective): full refund"),
    ("D", "defective", False, "20.00", True, OUT + "seller fault (defective): full refund"),
    ("D", "damaged_in_transit", True, "20.00", False, "seller fault (damaged_in_transit): full refund"),
    ("D", "damaged_in_transit", False, "20.00", True, OUT + "seller fault (damaged_in_transit): full refund"),
    ("D", "wrong_item_sent", True, "20.00", False, "seller fault (wrong_item_sent): full refund"),
    ("D", "wrong_item_sent", False, "20.00", True, OUT + "seller fault (wrong_item_sent): full refund"),
    ("D", "not_as_described", True, "20.00", False, "seller fault (not_as_described): full refund"),
    ("D", "not_as_described", False, "20.00", True, OUT + "seller fault (not_as_described): full refund"),
    ("D", "arrived_late", True, "20.00", False, "seller fault (arrived_late): full refund"),
    ("D", "arrived_late", False, "20.00", True, OUT + "seller fault (arrived_late): full refund"),
    ("D", "size_fit", True, "20.00", True, "customer side, grade D: a supervisor decides"),
    ("D", "size_fit", False, "20.00", True, OUT + "customer side, grade D: a supervisor decides"),
    ("D", "no_longer_needed", True, "20.00", True, "customer side, grade D: a supervisor decides"),
    ("D", "no_longer_needed", False, "20.00", True, OUT + "customer side, grade D: a supervisor decides"),
    ("D", "changed_mind", True, "20.00", True, "customer side, grade D: a supervisor decides"),
    ("D", "changed_mind", False, "20.00", True, OUT + "customer side, grade D: a supervisor decides"),
    ("D", "ordered_by_mistake", True, "20.00", True, "customer side, grade D: a supervisor decides"),
    ("D", "ordered_by_mistake", False, "20.00", True, OUT + "customer side, grade D: a supervisor decides"),
    ("D", "other", True, "20.00", True, "reason other: a supervisor decides"),
    ("D", "other", False, "20.00", True, OUT + "reason other: a supervisor decides"),
    # grade X: nothing, held, whatever the reason; it comes before the window
    ("X", "defective", True, "0", True, "grade X"),
    ("X", "defective", False, "0", True, "grade X"),
    ("X", "damaged_in_transit", True, "0", True, "grade X"),
    ("X", "damaged_in_transit", False, "0", True, "grade X"),
    ("X", "wrong_item_sent", True, "0", True, "grade X"),
    ("X", "wrong_item_sent", False, "0", True, "grade X"),
    ("X", "not_as_described", True, "0", True, "grade X"),
    ("X", "not_as_described", False, "0", True, "grade X"),
    ("X", "arrived_late", True, "0", True, "grade X"),
    ("X", "arrived_late", False, "0", True, "grade X"),
    ("X", "size_fit", True, "0", True, "grade X"),
    ("X", "size_fit", False, "0", True, "grade X"),
    ("X", "no_longer_needed", True, "0", True, "grade X"),
    ("X", "no_longer_needed", False, "0", True, "grade X"),
    ("X", "changed_mind", True, "0", True, "grade X"),
    ("X", "changed_mind", False, "0", True, "grade X"),
    ("X", "ordered_by_mistake", True, "0", True, "grade X"),
    ("X", "ordered_by_mistake", False, "0", True, "grade X"),
    ("X", "other", True, "0", True, "grade X"),
    ("X", "other", False, "0", True, "grade X"),
]


def _row_id(row):
    grade, reason, inside = row[:3]
    return f"grade {grade}, {reason}, {'inside' if inside else 'outside'} the window"


def test_the_refund_table_covers_every_grade_every_reason_inside_and_outside_the_window_once():
    keys = [row[:3] for row in TABLE]
    assert len(keys) == len(set(keys)) == len(GRADES) * len(REASONS) * 2 == 100
    assert set(keys) == set(product(GRADES, REASONS, (True, False)))


@pytest.mark.parametrize("grade, reason, inside, amount, held, why", TABLE, ids=[_row_id(r) for r in TABLE])
def test_an_item_earns_the_refund_its_grade_reason_and_window_give(grade, reason, inside, amount, held, why):
    got_amount, got_held, got_why = item_refund(item(grade, reason), PRICE, inside, POLICY)
    assert isinstance(got_amount, Decimal)
    assert got_amount == D(amount)
    assert got_held is held
    assert why in got_why
    assert got_why.startswith(OUT) is (not inside and grade != "X")


def test_a_customer_side_grade_b_item_pays_the_price_minus_the_restocking_fee():
    amount, held, why = item_refund(item("B", "size_fit"), "40.00", True, POLICY)
    assert (amount, held, why) == (D("34.00"), False, "customer side, grade B: minus 15% restocking fee")


# -- flags --------------------------------------------------------------------------------------

@pytest.mark.parametrize("flag", MISMATCH_FLAGS)
@pytest.mark.parametrize("reason", ["defective", "changed_mind"])
def test_a_mismatch_flag_gives_nothing_and_holds_even_for_a_grade_a_item(flag, reason):
    assert item_refund(item("A", reason, flags=[flag]), PRICE, True, POLICY) == (D("0"), True, f"mismatch: {flag}")


@pytest.mark.parametrize("flag", MISMATCH_FLAGS)
def test_a_mismatch_comes_before_the_window_in_the_why(flag):
    assert item_refund(item("A", "changed_mind", flags=[flag]), PRICE, False, POLICY) == (D("0"), True, f"mismatch: {flag}")


def test_every_mismatch_flag_of_an_item_is_named_in_order():
    flags = ["serial_missing", "item_mismatch", "weight_mismatch", "qty_exceeds_order"]
    assert item_refund(item("B", "defective", flags=flags), PRICE, True, POLICY) == (
        D("0"), True, "mismatch: item_mismatch, qty_exceeds_order")


def test_grade_x_wins_over_a_mismatch_flag_in_the_why():
    assert item_refund(item("X", "defective", flags=["item_mismatch"]), PRICE, True, POLICY) == (D("0"), True, "grade X")


@pytest.mark.parametrize("flag", ["serial_missing", "weight_mismatch"])
def test_a_flag_that_is_not_a_mismatch_changes_nothing(flag):
    assert "serial_missing" not in MISMATCH_FLAGS and "weight_mismatch" not in MISMATCH_FLAGS
    assert item_refund(item("A", "changed_mind", flags=[flag]), PRICE, True, POLICY) == (
        D("20.00"), False, "customer side, grade A: full refund")
    assert item_refund(item("C", "no_longer_needed", flags=[flag]), PRICE, True, POLICY) == (
        D("17.00"), False, "customer side, grade C: minus 15% restocking fee")


# -- quantity, prices and the fee ---------------------------------------------------------------

@pytest.mark.parametrize("grade, reason, expected", [
    ("A", "defective", "59.97"),
    ("A", "changed_mind", "59.97"),
    ("B", "changed_mind", "50.9745"),  # unrounded here; the line rounds it
    ("D", "changed_mind", "59.97"),
], ids=["seller fault", "customer side A", "customer side B", "customer side D (held)"])
def test_a_quantity_of_three_multiplies_the_unit_price(grade, reason, expected):
    amount, _, _ = item_refund(item(grade, reason, qty=3), "19.99", True, POLICY)
    assert amount == D(expected)


@pytest.mark.parametrize("price", ["19.99", 19.99, D("19.99")], ids=["text", "float", "Decimal"])
def test_a_unit_price_is_read_exactly_whatever_its_type(price):
    assert item_refund(item("A", "defective"), price, True, POLICY)[0] == D("19.99")


def test_an_item_without_a_unit_price_is_priced_zero():
    assert item_refund(item("A", "defective"), None, True, POLICY) == (D("0"), False, "seller fault (defective): full refund")


@pytest.mark.parametrize("fee, amount, why", [
    ("0.25", "75.00", "minus 25% restocking fee"),
    ("0", "100.00", "minus 0% restocking fee"),
    ("1", "0.00", "minus 100% restocking fee"),
    (0.2, "80.00", "minus 20% restocking fee"),
], ids=["25 percent", "no fee", "the whole price", "a float fee"])
def test_the_restocking_fee_comes_from_the_policy(fee, amount, why):
    policy = {**DEFAULTS, "restocking_fee": fee}
    got = item_refund(item("C", "changed_mind"), "100.00", True, policy)
    assert got == (D(amount), False, f"customer side, grade C: {why}")


def test_the_restocking_fee_does_not_touch_a_seller_fault_or_grade_a_refund():
    policy = {**DEFAULTS, "restocking_fee": "0.50"}
    assert item_refund(item("B", "defective"), "100.00", True, policy)[0] == D("100.00")
    assert item_refund(item("A", "changed_mind"), "100.00", True, policy)[0] == D("100.00")


def test_the_why_states_a_fractional_restocking_fee_as_charged():
    amount, held, why = item_refund(item("B", "changed_mind"), "100.00", True, {**DEFAULTS, "restocking_fee": "0.125"})
    assert amount == D("87.50")
    assert "12.5%" in why


# -- refund_lines: the whole return, a line per item ---------------------------------------------

def lines_of(result, *keys):
    keys = keys or ("item_id", "amount", "status")
    return [tuple(line[k] for k in keys) for line in result["lines"]]


def test_a_return_lists_one_line_per_item_with_its_amount_status_and_why():
    items = [item("A", "changed_mind", item_id=11, sku="SKU-1"), item("B", "size_fit", item_id=12, sku="SKU-2")]
    result = refund_lines(items, {"SKU-1": "20.00", "SKU-2": "10.00"}, True, POLICY)
    assert {k: result[k] for k in ("currency", "amount", "payable", "paid", "status")} == {
        "currency": "USD", "amount": "28.50", "payable": "28.50", "paid": "0.00", "status": "ready"}
    assert result["lines"] == [
        {"item_id": 11, "sku": "SKU-1", "amount": "20.00", "status": "ready", "why": "customer side, grade A: full refund",
         "holds": []},
        {"item_id": 12, "sku": "SKU-2", "amount": "8.50", "status": "ready",
         "why": "customer side, grade B: minus 15% restocking fee", "holds": []},
    ]


def test_one_doubtful_item_does_not_hold_the_clear_ones():
    items = [item("A", "changed_mind", item_id=1, sku="SKU-1"), item("D", "changed_mind", item_id=2, sku="SKU-2")]
    result = refund_lines(items, {"SKU-1": "20.00", "SKU-2": "10.00"}, True, POLICY)
    assert lines_of(result) == [(1, "20.00", "ready"), (2, "10.00", "held")]
    # paid now: the clear line; the held line counts in the amount at its proposed value
    assert (result["status"], result["payable"], result["amount"]) == ("ready", "20.00", "30.00")
    assert result["lines"][1]["holds"] == ["customer_damage"]


def test_a_grade_x_item_proposes_nothing_and_waits_while_the_rest_is_paid():
    items = [item("A", "defective", item_id=1, sku="SKU-1"), item("X", "defective", item_id=2, sku="SKU-2")]
    result = refund_lines(items, {"SKU-1": "20.00", "SKU-2": "10.00"}, True, POLICY)
    assert lines_of(result, "amount", "status", "why", "holds") == [
        ("20.00", "ready", "seller fault (defective): full refund", []), ("0.00", "held", "grade X", ["grade_x"])]
    assert (result["status"], result["payable"]) == ("ready", "20.00")


def test_a_return_with_only_doubtful_lines_is_held():
    result = refund_lines([item("B", "changed_mind")], {"SKU-1": "20.00"}, False, POLICY)
    assert (result["status"], result["amount"], result["payable"]) == ("held", "17.00", "0.00")
    assert result["lines"][0]["why"] == "outside the return window: customer side, grade B: minus 15% restocking fee"
    assert result["lines"][0]["holds"] == ["out_of_window"]


def test_an_item_whose_sku_has_no_order_price_gets_zero():
    result = refund_lines([item("A", "defective", sku="NOT-ON-ORDER")], {"SKU-1": "20.00"}, True, POLICY)
    assert (result["amount"], result["lines"][0]["amount"]) == ("0.00", "0.00")


def test_an_empty_return_has_no_line_and_nothing_to_pay():
    result = refund_lines([], {}, True, POLICY)
    assert (result["amount"], result["payable"], result["lines"]) == ("0.00", "0.00", [])


# -- the refund's status from its lines (CONTRACT.md REFUND) ----------------------------------------

@pytest.mark.parametrize("statuses, amounts, paid, expected", [
    (["ready", "held"], ["1.00", "2.00"], "0", "ready"),
    (["held", "rejected"], ["2.00", "1.00"], "0", "held"),
    (["paid", "held"], ["1.00", "2.00"], "1.00", "held"),
    (["exchange", "exchange"], ["0.00", "0.00"], "0", "exchange"),
    (["paid", "rejected"], ["1.00", "2.00"], "1.00", "paid"),
    (["paid", "ready"], ["1.00", "2.00"], "1.00", "ready"),
    (["rejected"], ["2.00"], "0", "rejected"),
    (["exchange", "rejected"], ["0.00", "2.00"], "0", "rejected"),
], ids=["something payable", "a line held", "paid in part, a line held", "all exchange", "paid, the rest rejected",
        "paid once, more approved since", "all rejected", "an exchange and a rejected line"])
def test_the_refunds_status_follows_its_lines(statuses, amounts, paid, expected):
    lines = [{"item_id": i, "sku": "S", "amount": a, "status": s, "why": "", "holds": []}
             for i, (s, a) in enumerate(zip(statuses, amounts))]
    assert summary(lines, "USD", paid=D(paid))["status"] == expected


def test_payable_counts_ready_lines_paid_counts_paid_ones_and_amount_leaves_out_rejected_ones():
    lines = [{"item_id": i, "sku": "S", "amount": a, "status": s, "why": "", "holds": []}
             for i, (s, a) in enumerate([("ready", "1.10"), ("held", "2.20"), ("paid", "3.30"), ("rejected", "4.40")])]
    got = summary(lines, "USD")
    assert (got["amount"], got["payable"], got["paid"]) == ("6.60", "1.10", "3.30")


# -- the policy an item was inspected under -----------------------------------------------------

def test_an_items_own_policy_snapshot_overrides_the_current_policy():
    current = {**DEFAULTS, "restocking_fee": "0.15"}
    then = {**DEFAULTS, "restocking_fee": "0.10"}
    items = [item("B", "changed_mind", sku="SKU-1", policy=then), item("B", "changed_mind", sku="SKU-2")]
    result = refund_lines(items, {"SKU-1": "100.00", "SKU-2": "100.00"}, True, current)
    assert [(line["amount"], line["why"]) for line in result["lines"]] == [
        ("90.00", "customer side, grade B: minus 10% restocking fee"),
        ("85.00", "customer side, grade B: minus 15% restocking fee"),
    ]
    assert result["amount"] == "175.00"


def test_a_partial_policy_snapshot_is_laid_over_the_current_policy():
    result = refund_lines([item("C", "changed_mind", policy={"restocking_fee": "0.30"})], {"SKU-1": "100.00"},
                          True, {"restocking_fee": "0.15", "return_window_days": 30})
    assert result["amount"] == "70.00"


@pytest.mark.parametrize("snapshot", [None, {}], ids=["no snapshot", "an empty snapshot"])
def test_an_item_without_a_policy_snapshot_is_judged_by_the_current_policy(snapshot):
    result = refund_lines([item("B", "changed_mind", policy=snapshot)], {"SKU-1": "100.00"}, True,
                          {**DEFAULTS, "restocking_fee": "0.20"})
    assert result["amount"] == "80.00"


def test_the_window_function_is_asked_with_each_items_own_policy():
    asked = []

    def inside(item_policy):
        asked.append(item_policy["return_window_days"])
        return item_policy["return_window_days"] >= 45

    items = [item("A", "changed_mind", sku="SKU-1", policy={**DEFAULTS, "return_window_days": 60}),
             item("A", "changed_mind", sku="SKU-2")]
    result = refund_lines(items, {"SKU-1": "10.00", "SKU-2": "10.00"}, inside, {**DEFAULTS, "return_window_days": 30})
    assert asked == [60, 30]
    assert [line["status"] for line in result["lines"]] == ["ready", "held"]
    assert result["lines"][1]["why"] == "outside the return window: customer side, grade A: full refund"
    assert result["status"] == "ready"


# -- rounding, in the refund's currency ----------------------------------------------------------

@pytest.mark.parametrize("price, grade, reason, expected", [
    ("0.10", "B", "changed_mind", "0.09"),    # 0.085: half-up, not half-even (0.08)
    ("4.90", "C", "size_fit", "4.17"),        # 4.165
    ("12.30", "B", "changed_mind", "10.46"),  # 10.455
    ("19.99", "B", "changed_mind", "16.99"),  # 16.9915
    ("10.005", "A", "defective", "10.01"),    # a price with a third decimal
    ("10.004", "A", "defective", "10.00"),
], ids=["0.085 up to 0.09", "4.165 up to 4.17", "10.455 up to 10.46", "16.9915 down to 16.99",
        "10.005 up to 10.01", "10.004 down to 10.00"])
def test_a_refund_is_rounded_half_up_to_cents(price, grade, reason, expected):
    result = refund_lines([item(grade, reason)], {"SKU-1": price}, True, POLICY)
    assert result["amount"] == expected
    assert result["lines"][0]["amount"] == expected


def test_a_quantity_line_is_rounded_after_multiplying():
    result = refund_lines([item("B", "changed_mind", qty=3)], {"SKU-1": "19.99"}, True, POLICY)
    assert result["amount"] == result["lines"][0]["amount"] == "50.97"  # 50.9745


def test_the_refund_amount_is_the_sum_of_its_rounded_lines():
    items = [item("C", "size_fit", sku="SKU-1"), item("C", "size_fit", sku="SKU-2")]
    result = refund_lines(items, {"SKU-1": "4.90", "SKU-2": "4.90"}, True, POLICY)
    assert [line["amount"] for line in result["lines"]] == ["4.17", "4.17"]
    assert result["amount"] == result["payable"] == "8.34"


@pytest.mark.parametrize("currency, price, expected", [("JPY", "8400", "7140"), ("KRW", "42510", "36134"),
                                                       ("BHD", "12.345", "10.493"), ("EUR", "12.34", "10.49")])
def test_each_line_is_rounded_to_its_currencys_own_minor_unit(currency, price, expected):
    result = refund_lines([item("B", "changed_mind")], {"SKU-1": price}, True, POLICY, currency=currency)
    assert (result["currency"], result["amount"], result["lines"][0]["amount"]) == (currency, expected, expected)


# -- return shipping: refunded with a seller-fault line ---------------------------------------------

def test_return_shipping_is_paid_on_the_first_seller_fault_line_and_named_there():
    items = [item("B", "changed_mind", item_id=1, sku="SKU-3"), item("A", "defective", item_id=2, sku="SKU-1"),
             item("C", "not_as_described", item_id=3, sku="SKU-2")]
    result = refund_lines(items, {"SKU-1": "20.00", "SKU-2": "10.00", "SKU-3": "10.00"}, True, POLICY,
                          return_shipping=D("4.00"))
    assert lines_of(result) == [(1, "8.50", "ready"), (2, "24.00", "ready"), (3, "10.00", "ready")]
    assert result["amount"] == "42.50"  # 8.50 + 20 + 10 + 4, added once
    assert "plus the return shipping the customer paid (4.00)" in result["lines"][1]["why"]
    assert result["adjustments"] == [{"kind": "return_shipping", "item_id": 2, "amount": "4.00",
                                      "why": "return shipping the customer paid, refunded with a seller-fault item"}]


@pytest.mark.parametrize("items", [
    [item("A", "changed_mind")],
    [item("B", "other")],
    [item("X", "defective")],
    [item("A", "defective", flags=["serial_mismatch"])],
], ids=["customer side only", "reason other only", "a seller-fault grade X item", "a seller-fault mismatch"])
def test_return_shipping_is_not_refunded_without_a_paying_seller_fault_line(items):
    result = refund_lines(items, {"SKU-1": "20.00"}, True, POLICY, return_shipping="5.50")
    assert result["adjustments"] == []
    assert "shipping" not in result["lines"][0]["why"]


@pytest.mark.parametrize("shipping", [None, D("0"), 0, "0.00"], ids=["none", "zero Decimal", "zero", "zero text"])
def test_no_or_zero_return_shipping_changes_nothing(shipping):
    result = refund_lines([item("A", "defective")], {"SKU-1": "20.00"}, True, POLICY, return_shipping=shipping)
    assert (result["amount"], result["adjustments"]) == ("20.00", [])


def test_return_shipping_waits_with_its_seller_fault_line_held_outside_the_window():
    result = refund_lines([item("A", "defective")], {"SKU-1": "20.00"}, False, POLICY, return_shipping="5.50")
    assert (result["amount"], result["status"], result["lines"][0]["status"]) == ("25.50", "held", "held")


def test_return_shipping_is_rounded_half_up_like_the_refund():
    result = refund_lines([item("A", "defective")], {"SKU-1": "10.00"}, True, POLICY, return_shipping="2.345")
    assert result["amount"] == result["lines"][0]["amount"] == "12.35"


# -- the return label the seller paid ---------------------------------------------------------------

SELLER_LABEL = {"cost": "5.00", "paid_by": "seller"}


def test_a_customer_side_return_bears_the_seller_paid_label_once():
    items = [item("A", "changed_mind", item_id=1, sku="SKU-1"), item("A", "size_fit", item_id=2, sku="SKU-2")]
    result = refund_lines(items, {"SKU-1": "20.00", "SKU-2": "10.00"}, True, POLICY, label=SELLER_LABEL)
    assert lines_of(result) == [(1, "15.00", "ready"), (2, "10.00", "ready")]
    assert "minus the return label the seller paid (5.00)" in result["lines"][0]["why"]
    assert result["adjustments"] == [{"kind": "return_label", "amount": "-5.00",
                                      "why": "the return label the seller paid (5.00), charged once on a customer-side return"}]


def test_the_label_is_taken_from_a_clear_line_before_a_held_one_and_never_below_zero():
    items = [item("D", "changed_mind", item_id=1, sku="SKU-1"), item("A", "changed_mind", item_id=2, sku="SKU-2")]
    result = refund_lines(items, {"SKU-1": "20.00", "SKU-2": "3.00"}, True, POLICY, label=SELLER_LABEL)
    assert lines_of(result) == [(1, "18.00", "held"), (2, "0.00", "ready")]


@pytest.mark.parametrize("label, policy", [
    ({"cost": "5.00", "paid_by": "customer"}, POLICY),
    ({"cost": "5.00", "paid_by": "marketplace"}, POLICY),
    ({"cost": None, "paid_by": "seller"}, POLICY),
    (SELLER_LABEL, {**POLICY, "charge_return_label": 0}),
], ids=["the customer paid it", "the marketplace paid it", "no cost given", "the policy switch off"])
def test_the_label_is_not_charged_back_unless_the_seller_paid_it_and_policy_says_so(label, policy):
    result = refund_lines([item("A", "changed_mind")], {"SKU-1": "20.00"}, True, policy, label=label)
    assert (result["amount"], result["adjustments"]) == ("20.00", [])


def test_a_seller_fault_return_never_bears_the_label():
    result = refund_lines([item("A", "defective")], {"SKU-1": "20.00"}, True, POLICY, label=SELLER_LABEL)
    assert (result["amount"], result["adjustments"]) == ("20.00", [])


# -- the customer's cautions hold lines and say which rule held them ---------------------------------

def test_an_earlier_fraud_holds_every_line():
    holds = [{"kind": "earlier_fraud", "why": "earlier fraud confirmed for this customer", "above": None}]
    items = [item("A", "changed_mind", sku="SKU-1"), item("A", "defective", sku="SKU-2")]
    result = refund_lines(items, {"SKU-1": "20.00", "SKU-2": "10.00"}, True, POLICY, customer_holds=holds)
    assert [line["status"] for line in result["lines"]] == ["held", "held"]
    assert all("held: earlier fraud confirmed" in line["why"] for line in result["lines"])
    assert (result["status"], result["payable"]) == ("held", "0.00")


def test_a_frequent_returner_waits_only_for_lines_above_the_threshold():
    holds = [{"kind": "frequent_returner", "why": "frequent returner: a line above 100 USD waits", "above": D("100")}]
    items = [item("A", "changed_mind", item_id=1, sku="SKU-1"), item("A", "changed_mind", item_id=2, sku="SKU-2")]
    result = refund_lines(items, {"SKU-1": "150.00", "SKU-2": "100.00"}, True, POLICY, customer_holds=holds)
    assert lines_of(result, "item_id", "status", "holds") == [(1, "held", ["frequent_returner"]), (2, "ready", [])]


# -- exchange -----------------------------------------------------------------------------------

@pytest.mark.parametrize("items", [
    [item("A", "size_fit")],
    [item("B", "changed_mind"), item("C", "defective", sku="SKU-2")],
    [item("D", "changed_mind")],
    [item("A", "size_fit", flags=["serial_missing", "weight_mismatch"])],
], ids=["grade A", "B and C", "grade D (would be held)", "flags that are not a mismatch"])
def test_an_exchange_moves_no_money(items):
    result = refund_lines(items, {"SKU-1": "20.00", "SKU-2": "10.00"}, True, POLICY, resolution="exchange")
    assert (result["amount"], result["status"]) == ("0.00", "exchange")
    assert [line["status"] for line in result["lines"]] == ["exchange"] * len(items)


def test_an_exchange_moves_no_money_even_with_return_shipping_and_outside_the_window():
    result = refund_lines([item("A", "defective")], {"SKU-1": "20.00"}, False, POLICY, resolution="exchange",
                          return_shipping="5.00")
    assert (result["amount"], result["status"], result["adjustments"]) == ("0.00", "exchange", [])


@pytest.mark.parametrize("bad_item", [item("X", "size_fit", sku="SKU-2")]
                         + [item("A", "size_fit", sku="SKU-2", flags=[flag]) for flag in MISMATCH_FLAGS],
                         ids=["grade X"] + list(MISMATCH_FLAGS))
def test_an_exchange_with_a_grade_x_or_mismatched_item_holds_that_line_only(bad_item):
    result = refund_lines([item("A", "size_fit"), bad_item], {"SKU-1": "20.00", "SKU-2": "10.00"}, True, POLICY,
                          resolution="exchange")
    assert [line["status"] for line in result["lines"]] == ["exchange", "held"]
    assert (result["amount"], result["status"]) == ("0.00", "held")


def test_the_default_resolution_is_a_refund():
    result = refund_lines([item("A", "size_fit")], {"SKU-1": "20.00"}, True, POLICY)
    assert (result["amount"], result["status"]) == ("20.00", "ready")
    assert refund_lines([item("A", "size_fit")], {"SKU-1": "20.00"}, True, POLICY, resolution="refund") == result
