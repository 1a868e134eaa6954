"""Classify a raw scan: what kind of code it could be, before looking anything up.

Every input source (keyboard wedge, serial scanner, camera, typed text, API) hands its raw
string to `classify`; `station.intake.lookup.resolve` then matches it against the data.
"""
import logging
import re
import unicodedata
from dataclasses import dataclass, field

from biip.checksums import gs1_standard_check_digit
from biip.gs1_messages import GS1Message
from biip.gtin import Gtin

from flask_babel import gettext as _

from station.errors import ServiceError
from station.languages import N_

log = logging.getLogger(__name__)

GS = "\x1d"
MAX_LENGTH = 128
# AIM symbology identifiers that announce GS1 data: GS1-128, GS1 DataMatrix, GS1 QR,
# GS1 DataBar, GS1 Composite
GS1_AIM = {"]C1", "]d2", "]Q3", "]e0", "]e1", "]J1"}
AIM_RE = re.compile(r"^\][A-Za-z][0-9A-Za-z]")
HRI_RE = re.compile(r"^\(\d{2,4}\)")


@dataclass
class Scan:
    raw: str
    text: str                      # the code with the AIM prefix removed
    aim: str | None = None
    gs1: bool = False
    sscc: str | None = None        # 18 digits
    gtin14: str | None = None
    serial: str | None = None      # GS1 AI 21
    lot: str | None = None         # GS1 AI 10
    notes: list = field(default_factory=list)

    @property
    def texts(self):
        """The literal forms to try against stored codes (exact first, then upper-case)."""
        forms = [self.text]
        if self.text.upper() != self.text:
            forms.append(self.text.upper())
        return forms


def validate(raw):
    """Reject what no scanner sends: empty, too long, control characters but GS."""
    if not isinstance(raw, str):
        raise ServiceError("bad_code", _("the code must be text"), 400, field="code")
    text = raw.strip(" ")
    if not text:
        raise ServiceError("bad_code", _("the code is empty"), 400, field="code")
    if len(text) > MAX_LENGTH:
        raise ServiceError("bad_code", _("the code is longer than %(most)s characters", most=MAX_LENGTH), 400,
                           field="code")
    # C0, DEL and the C1 block (U+0080-U+009F): Unicode's control characters (category Cc)
    if any(c != GS and unicodedata.category(c) == "Cc" for c in text):
        raise ServiceError("bad_code", _("the code contains control characters"), 400, field="code")
    return text


def classify(raw):
    """Normalise a raw scan and read any GS1 content; raises 400 bad_code on malformed input."""
    text = validate(raw)
    scan = Scan(raw=raw, text=text)
    match = AIM_RE.match(text)
    if match:
        scan.aim = match.group(0)
        scan.gs1 = scan.aim in GS1_AIM
        text = text[3:]
    # some scanners send FNC1 in first position as a leading group separator
    if text.startswith(GS):
        scan.gs1 = True
        text = text.lstrip(GS)
    if not text:
        raise ServiceError("bad_code", _("the code is empty"), 400, field="code")
    scan.text = text
    for parser in (_parse_hri, _parse_gs1, _parse_plain_gtin):
        try:
            if parser(scan):
                break
        except Exception:  # a parser that crashes is skipped, never fatal
            log.exception("scan parser %s failed on %r", parser.__name__, text)
    return scan


def _apply_message(scan, message):
    for element in message.element_strings:
        ai = element.ai.ai
        if ai == "00":
            scan.sscc = element.value
        elif ai in ("01", "02"):
            scan.gtin14 = element.value.zfill(14)
        elif ai == "21":
            scan.serial = element.value
        elif ai == "10":
            scan.lot = element.value
    scan.gs1 = True
    return bool(scan.sscc or scan.gtin14)


def _parse_hri(scan):
    """Human-readable GS1 text as typed from under a barcode: (01)0590...(21)ABC."""
    if not HRI_RE.match(scan.text):
        return False
    return _apply_message(scan, GS1Message.parse_hri(scan.text))


def _parse_gs1(scan):
    """Raw GS1 element strings: announced by an AIM prefix, a group separator, or their shape."""
    text = scan.text
    looks_gs1 = scan.gs1 or GS in text or (
        text[:2] in ("00", "01", "02") and text[2:].replace(GS, "")[:1].isdigit() and len(text) >= 16
        and not (text.isdigit() and len(text) in (8, 12, 13, 14, 18))
    )
    if not looks_gs1:
        return False
    try:
        message = GS1Message.parse(text)
    except Exception:
        if scan.gs1:
            scan.notes.append("not valid GS1 data")
        return False
    return _apply_message(scan, message)


def _parse_plain_gtin(scan):
    """A bare EAN-8 / UPC-A / EAN-13 / GTIN-14 or SSCC-18 with a valid check digit."""
    text = scan.text
    if not text.isascii() or not text.isdigit():
        return False
    if len(text) == 18:
        if str(gs1_standard_check_digit(text[:-1])) == text[-1]:
            scan.sscc = text
            return True
        return False
    scan.gtin14 = gtin14(text)
    return scan.gtin14 is not None


def gtin14(code):
    """A GTIN of 8, 12, 13 or 14 digits zero-padded to 14, or None if not a valid GTIN."""
    code = (code or "").strip()
    if not code.isascii() or not code.isdigit() or len(code) not in (8, 12, 13, 14):
        return None
    try:
        return Gtin.parse(code).as_gtin_14()
    except Exception:  # biip raises ParseError on a wrong check digit
        return None


# What a code that is no item of the parcel is, as the scan's message says it (English here; the
# message says each in the screen's language: they are marked for the catalog).
UPS_LABEL = N_("UPS label")
POST_LABEL = N_("post (UPU S10) label")
CODE = N_("code")
SSCC_LABEL = N_("shipping carton label (SSCC) of another shipment")
USPS_NUMBER = N_("USPS tracking number")
AMAZON_NUMBER = N_("Amazon Logistics tracking number")
LONG_NUMBER = N_("tracking number (a long number that is no product code)")
CARRIER_LABELS = {"UPS": UPS_LABEL, "post (UPU S10)": POST_LABEL}  # courier_label's answer: its label

_UPS = re.compile(r"1Z[0-9A-Z]{16}\Z")
_S10 = re.compile(r"[A-Z]{2}[0-9]{9}[A-Z]{2}\Z")


def courier_label(text):
    """The carrier whose own tracking label this is (UPS 1Z, UPU S10 post), checked by its check
    digit; None for anything else. A courier's barcode on the box is no item of the parcel."""
    code = (text or "").strip().upper()
    if _UPS.match(code):
        body = code[2:-1]
        total = sum((int(c) if c.isdigit() else (ord(c) - 63) % 10) * (2 if i % 2 else 1) for i, c in enumerate(body))
        if str((10 - total % 10) % 10) == code[-1]:
            return "UPS"
    if _S10.match(code):
        digits = code[2:10]
        check = 11 - sum(int(d) * w for d, w in zip(digits, (8, 6, 4, 2, 3, 5, 9, 7))) % 11
        if str({10: 0, 11: 5}.get(check, check)) == code[10]:
            return "post (UPU S10)"
    return None


_USPS = re.compile(r"(?:420\d{5}(?:\d{4})?)?(?:9[1-5]\d{20,24}|82\d{8})\Z")
_AMAZON_LOGISTICS = re.compile(r"TBA\d{12}\Z")


def shipping_code(scan):
    """What a code that is no product is, when it has the shape of a shipping label: a courier's
    tracking number (UPS 1Z, UPU S10, USPS, Amazon Logistics, or a long number that is no GTIN),
    or another shipment's SSCC carton label. None for anything that could be a product code (a
    GTIN, a GS1 string with a GTIN, anything with letters that is not a known courier form): an
    unknown product found in a box is recorded, a courier's number never is."""
    carrier = courier_label(scan.text)
    if carrier:
        return CARRIER_LABELS[carrier]
    code = scan.text.strip().upper()
    if scan.sscc and not scan.gtin14:
        return SSCC_LABEL
    if scan.gtin14:
        return None
    if _USPS.match(code):
        return USPS_NUMBER
    if _AMAZON_LOGISTICS.match(code):
        return AMAZON_NUMBER
    if code.isascii() and code.isdigit() and (len(code) >= 15 or len(code) in (10, 11, 12)):
        return LONG_NUMBER
    return None
