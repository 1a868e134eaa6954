"""Per-column value parsers and checks: numbers, money, flags, ISO codes, timestamps, GTINs, codes and text."""
import re
from datetime import datetime
from decimal import Decimal, InvalidOperation

from flask_babel import gettext as _
from stdnum import ean
from stdnum.exceptions import ValidationError

from station import money
from station.languages import N_
from station.timeutil import normalise

_CANONICAL_TIME = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z\Z")
_NAIVE_TIME = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}[T ][0-9]{2}:[0-9]{2}:[0-9]{2}\Z")
_INT = re.compile(r"[+-]?[0-9]+\Z")
_MANY_DECIMALS = re.compile(r"[0-9]+\.[0-9]{3,}\Z")  # a money cell with more decimals than most currencies have
_UPPER = {2: re.compile(r"[A-Z]{2}\Z"), 3: re.compile(r"[A-Z]{3}\Z")}
# ISO 3166-1 alpha-2: the 249 assigned codes, and XK (Kosovo), which carriers and marketplaces use.
COUNTRIES = frozenset("""
AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ BR BS
BT BV BW BY BZ CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ DE DJ DK DM DO DZ EC EE
EG EH ER ES ET FI FJ FK FM FO FR GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS GT GU GW GY HK HM
HN HR HT HU ID IE IL IM IN IO IQ IR IS IT JE JM JO JP KE KG KH KI KM KN KP KR KW KY KZ LA LB LC
LI LK LR LS LT LU LV LY MA MC MD ME MF MG MH MK ML MM MN MO MP MQ MR MS MT MU MV MW MX MY MZ NA
NC NE NF NG NI NL NO NP NR NU NZ OM PA PE PF PG PH PK PL PM PN PR PS PT PW PY QA RE RO RS RU RW
SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS ST SV SX SY SZ TC TD TF TG TH TJ TK TL TM TN TO
TR TT TV TW TZ UA UG UM US UY UZ VA VC VE VG VI VN VU WF WS YE YT ZA ZM ZW XK
""".split())
# what a common wrong code means (marked for the catalog: the Imports screen shows it translated)
_CODE_HINTS = {"UK": N_(" (the United Kingdom is GB)"), "EL": N_(" (Greece is GR)"), "RMB": N_(" (the renminbi is CNY)"),
               "NTD": N_(" (the New Taiwan dollar is TWD)"), "UKP": N_(" (the pound sterling is GBP)")}
# the kinds of ISO code a column holds (rules.py), as a message names them
CODE_KINDS = {"country code": N_("country code"), "currency code": N_("currency code")}


# --- value parsers: take stripped, non-empty text, return the stored value or raise ValueError


def _text(value):
    return value


def _integer(minimum=None):
    def parse(value):
        if not _INT.match(value):
            raise ValueError(_("not an integer: %(value)s", value=repr(value)))
        number = int(value)
        if abs(number) >= 2**63:  # SQLite's INTEGER is 64-bit
            raise ValueError(_("out of range: %(value)s", value=repr(value)))
        if minimum is not None and number < minimum:
            raise ValueError(_("must be at least %(minimum)s, got %(number)s", minimum=minimum, number=number))
        return number

    return parse


def _amount(value):
    """A money cell as a Decimal: ASCII digits and at most one point (station.money.check): no sign,
    exponent, group separator ('1_000', '12,50') or other script's digits ('٣', '１２３').

    Its decimals are checked against its currency after every cell is parsed (rules._check_money):
    the currency is the base currency or the order's, which another column or file names. So
    here more than 2 decimals pass (3 is right for BHD, 4 for CLF), and that check decides.
    """
    if _MANY_DECIMALS.match(value):
        amount = Decimal(value)
        if amount > money.MAX_AMOUNT:
            raise ValueError(_("must be at most %(maximum)s, got %(value)s", maximum=money.MAX_AMOUNT, value=repr(value)))
        return amount
    return money.check(value)


def _money(value):
    """A money cell stored in a REAL column (prices, costs)."""
    return float(_amount(value))


def _money_text(value):
    """A money cell stored as a decimal string (a TEXT column such as rmas.label_cost)."""
    return format(_amount(value), "f")


def _rate(value):
    """An exchange rate (fx_rates.csv), stored as its decimal string like the admin screen's."""
    return format(money.check_rate(value), "f")


def _grams(value):
    """A product's weight in grams (optional column weight_g): above 0, at most 1,000 kg."""
    try:
        number = float(Decimal(value))
    except (InvalidOperation, OverflowError):
        raise ValueError(_("not a weight in grams: %(value)s", value=repr(value))) from None
    if not 0 < number <= 1_000_000:
        raise ValueError(_("must be a weight in grams above 0 and at most 1000000, got %(value)s", value=repr(value)))
    return number


def _flag(value):
    if value not in ("0", "1"):
        raise ValueError(_("must be 0 or 1, got %(value)s", value=repr(value)))
    return int(value)


def _choice(*allowed):
    def parse(value):
        if value not in allowed:
            raise ValueError(_("must be one of %(choices)s, got %(value)s", choices=", ".join(allowed), value=repr(value)))
        return value

    return parse


def _letters(length, what, known):
    """An ISO code, any case, stored upper-case: assigned codes only (`XX` or `XYZ` is refused)."""
    def parse(value):
        upper = value.upper()
        if not _UPPER[length].match(upper):
            raise ValueError(_("not a %(what)s (%(length)s letters A-Z): %(value)s", what=_(CODE_KINDS.get(what, what)),
                               length=length, value=repr(value)))
        if upper not in known:
            hint = _(_CODE_HINTS[upper]) if upper in _CODE_HINTS else ""
            raise ValueError(_("not an assigned %(what)s: %(value)s", what=_(CODE_KINDS.get(what, what)),
                               value=repr(value)) + hint)
        return upper

    return parse


def _timestamp(value):
    try:
        # Fast paths for the two commonest exports (stored form, and no offset = UTC):
        # check it is a real time and reuse the text; anything else goes the long way.
        if _CANONICAL_TIME.match(value):
            datetime.fromisoformat(value[:-1])
            return value
        if _NAIVE_TIME.match(value):
            datetime.fromisoformat(value)
            return f"{value[:10]}T{value[11:]}Z"
        return normalise(value)
    except (ValueError, OverflowError):  # year 9999 with an offset overflows on the way to UTC
        raise ValueError(_("not an ISO 8601 time: %(value)s", value=repr(value))) from None


def _gtin(value):
    try:
        ean.validate(value)
    except ValidationError:
        raise ValueError(_("not a valid EAN-8/UPC-A/EAN-13/GTIN-14 (length or check digit): %(value)s",
                           value=repr(value))) from None
    return value


# Columns that are codes: scanned at the bench, printed on labels or typed as a key. Like a scan
# (station/rules/classify.py: at most 128 characters, no control characters), else nothing could ever find them.
CODE_COLUMNS = frozenset({"supplier_id", "sku", "customer_id", "order_no", "carton_code", "tracking_no",
                          "rma_no", "return_tracking_no", "bin", "exchange_sku"})
CODE_MAX = 128
_CODE_BAD = re.compile(r"[\x00-\x1f\x7f-\x9f]")  # Unicode's control characters (Cc)
_TEXT_BAD = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")  # the same but tab and line breaks
_SCAN_CHUNK = 65536  # cells per regex pass


def _check_text(name, cells, problems):
    """Report codes that are too long or hold control characters, and control characters in text.

    One regex pass over a chunk of joined cells, cell by cell only when something is wrong:
    the import stays as fast as before for the files that are fine.
    """
    code = name in CODE_COLUMNS
    bad = _CODE_BAD if code or name == "serials" else _TEXT_BAD
    for start in range(0, len(cells), _SCAN_CHUNK):
        chunk = cells[start:start + _SCAN_CHUNK]
        if not (code and max(map(len, chunk)) > CODE_MAX) and not bad.search(" ".join(chunk)):
            continue
        for i, c in enumerate(chunk, start):
            found = bad.search(c)
            if found:
                point = f"U+{ord(found.group()):04X}"
                problems.setdefault(i, []).append(f"{name}: " + (
                    _("control character %(point)s in a code", point=point) if code
                    else _("control character %(point)s in the serials", point=point) if name == "serials"
                    else _("control character %(point)s in the text", point=point)))
            elif code and len(c) > CODE_MAX:
                problems.setdefault(i, []).append(f"{name}: " + _(
                    "a code is at most %(max)s characters (as a scan), got %(length)s", max=CODE_MAX, length=len(c)))
