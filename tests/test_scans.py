"""Scan classification, without Flask or a database."""
import pytest

from station.errors import ServiceError
from station.rules.classify import classify, gtin14, shipping_code

SSCC = "376130321109103420"


@pytest.mark.parametrize("raw", [SSCC, "00" + SSCC, "(00)" + SSCC, "]C100" + SSCC])
def test_it_reads_an_sscc_in_every_form_a_carton_label_gives(raw):
    assert classify(raw).sscc == SSCC


def test_it_reads_gtin_serial_and_lot_from_a_gs1_string_with_group_separators():
    scan = classify("]C10105901234123457\x1d21SN-77\x1d10LOT9")
    assert (scan.gtin14, scan.serial, scan.lot, scan.gs1) == ("05901234123457", "SN-77", "LOT9", True)


def test_it_reads_the_bracketed_human_readable_gs1_form():
    scan = classify("(01)05901234123457(21)ABC")
    assert (scan.gtin14, scan.serial) == ("05901234123457", "ABC")


def test_it_strips_an_aim_symbology_identifier_before_classifying():
    scan = classify("]Q3010590123412345721X")
    assert (scan.aim, scan.gtin14, scan.serial) == ("]Q3", "05901234123457", "X")
    assert classify("]C0RMA-1").text == "RMA-1"


@pytest.mark.parametrize("raw,expected", [("5901234123457", "05901234123457"), ("036000291452", "00036000291452")])
def test_it_pads_ean13_and_upca_to_gtin14(raw, expected):
    assert classify(raw).gtin14 == expected


def test_a_gtin_with_a_wrong_check_digit_is_not_a_gtin():
    assert classify("5901234123458").gtin14 is None
    assert gtin14("5901234123458") is None


def test_plain_codes_stay_as_typed_for_matching():
    scan = classify("  rma-1 ")
    assert scan.text == "rma-1" and scan.texts == ["rma-1", "RMA-1"]


@pytest.mark.parametrize("raw", ["", "   ", "A" * 129, "AB\x07C", "AB\nC", None, 42])
def test_malformed_input_is_a_bad_code(raw):
    with pytest.raises(ServiceError) as err:
        classify(raw)
    assert err.value.code == "bad_code" and err.value.status == 400


def test_the_group_separator_is_allowed():
    assert classify("0105901234123457\x1d21X").serial == "X"


@pytest.mark.parametrize("code, said", [
    ("1Z999AA10123456784", "UPS label"), ("RR123456785CN", "post (UPU S10) label"),
    ("9400111899223100000001", "USPS tracking number"), ("420902109400111899223100000001", "USPS tracking number"),
    ("TBA123456789012", "Amazon Logistics tracking number"), ("123456789012345", "tracking number"),
    ("00012345600000000017", "SSCC"),
    ("5901234123457", None), ("036000291452", None), ("MUG-01", None), ("ZZ-NOT-OURS-1", None),
    ("(01)05901234123457(21)SN1", None),
])
def test_a_shipping_label_is_told_from_a_code_that_could_be_a_product(code, said):
    found = shipping_code(classify(code))
    assert (found is None) if said is None else (said in found)
