"""Money: exact decimals in a named currency, read strictly, rounded to the currency's minor unit.

Every amount the station reads (CSV cells, JSON fields, form fields, policy values) goes through
`parse`: ASCII digits with at most one point, never a sign, an exponent, a group separator
('1_000', '1,000'), another script's digits ('٣', '１２３') or more decimals than the currency
has (2 for most, 0 for JPY and KRW, 3 for BHD, KWD...). `-0` is refused like any negative.
Amounts are Decimals inside and decimal strings outside ('12.50', '8400'), always with a currency.
"""
import re
from decimal import ROUND_HALF_UP, Decimal

from flask_babel import gettext as _

from station.errors import bad

# ISO 4217 currencies money is paid in (recently withdrawn ones too, for older orders); not the
# precious metals, bond units, SDR or the testing and "no currency" codes (XAU, XDR, XTS, XXX, ...).
CURRENCIES = frozenset("""
AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BHD BIF BMD BND BOB BOV BRL BSD BTN BWP
BYN BZD CAD CDF CHE CHF CHW CLF CLP CNY COP COU CRC CUC CUP CVE CZK DJF DKK DOP DZD EGP ERN ETB
EUR FJD FKP GBP GEL GHS GIP GMD GNF GTQ GYD HKD HNL HRK HTG HUF IDR ILS INR IQD IRR ISK JMD JOD
JPY KES KGS KHR KMF KPW KRW KWD KYD KZT LAK LBP LKR LRD LSL LYD MAD MDL MGA MKD MMK MNT MOP MRU
MUR MVR MWK MXN MXV MYR MZN NAD NGN NIO NOK NPR NZD OMR PAB PEN PGK PHP PKR PLN PYG QAR RON RSD
RUB RWF SAR SBD SCR SDG SEK SGD SHP SLE SLL SOS SRD SSP STN SVC SYP SZL THB TJS TMT TND TOP TRY
TTD TWD TZS UAH UGX USD USN UYI UYU UYW UZS VED VES VND VUV WST XAF XCD XCG XOF XPF YER ZAR ZMW
ZWG ZWL
""".split())

# ISO 4217 minor units where they are not 2
MINOR_UNITS = {
    **dict.fromkeys("BIF CLP DJF GNF ISK JPY KMF KRW PYG RWF UGX UYI VND VUV XAF XOF XPF".split(), 0),
    **dict.fromkeys("BHD IQD JOD KWD LYD OMR TND".split(), 3),
    **dict.fromkeys("CLF UYW".split(), 4),
}
MAX_AMOUNT = Decimal("1000000000")  # a billion in any currency: beyond it a typo, not a refund
_DECIMAL = re.compile(r"[0-9]+(?:\.[0-9]+)?\Z")
_RATE = re.compile(r"[0-9]+(?:\.[0-9]{1,12})?\Z")


def places(currency):
    """The currency's minor unit: 2 for most, 0 for JPY and KRW, 3 for BHD."""
    return MINOR_UNITS.get((currency or "").upper(), 2)


def quantum(currency):
    return Decimal(1).scaleb(-places(currency))


def rounded(amount, currency):
    """An amount rounded half up to the currency's minor unit."""
    return Decimal(amount).quantize(quantum(currency), ROUND_HALF_UP)


def text(amount, currency):
    """The decimal string of an amount, as the contract writes money: '12.50', '8400'."""
    return format(rounded(amount, currency), "f")


def check(raw, currency=None, maximum=MAX_AMOUNT):
    """The Decimal an amount means, or ValueError saying why (the caller names the field).

    Takes a decimal string, an int, a Decimal, or a JSON number (a float as written, e.g. 12.5).
    """
    if isinstance(raw, bool) or raw is None:
        raise ValueError(_("must be a decimal amount"))
    if isinstance(raw, float):
        raw = repr(raw)
    elif isinstance(raw, (int, Decimal)):
        raw = format(raw, "f") if isinstance(raw, Decimal) else str(raw)
    if not isinstance(raw, str):
        raise ValueError(_("must be a decimal amount"))
    value = raw.strip()
    if not _DECIMAL.match(value):
        if value.startswith("-"):
            raise ValueError(_("must not be negative, got %(raw)s", raw=repr(raw)))
        raise ValueError(_("must be an ASCII decimal amount like 12.50, got %(raw)s", raw=repr(raw)))
    amount = Decimal(value)
    allowed = places(currency)
    if "." in value and len(value.split(".", 1)[1].rstrip("0")) > allowed:
        if currency:
            raise ValueError(_("has more decimals than %(currency)s has (%(allowed)s), got %(raw)s",
                                   currency=currency.upper(), allowed=allowed, raw=repr(raw)))
        raise ValueError(_("has more than %(allowed)s decimals, got %(raw)s", allowed=allowed, raw=repr(raw)))
    if amount > maximum:
        raise ValueError(_("must be at most %(maximum)s, got %(raw)s", maximum=maximum, raw=repr(raw)))
    return amount


def parse(raw, field, currency=None, maximum=MAX_AMOUNT):
    """`check`, with a 400 naming the field instead of ValueError."""
    try:
        return check(raw, currency, maximum)
    except ValueError as exc:
        raise bad(field, str(exc)) from None


def check_rate(raw):
    """An exchange rate: units of the base currency for one unit of a currency, above 0."""
    if isinstance(raw, bool) or raw is None:
        raise ValueError(_("must be a decimal rate"))
    value = (repr(raw) if isinstance(raw, float) else str(raw)).strip()
    if not _RATE.match(value):
        raise ValueError(_("must be an ASCII decimal rate like 0.0074 (at most 12 decimals), got %(raw)s", raw=repr(raw)))
    rate = Decimal(value)
    if rate <= 0 or rate > Decimal("1000000"):
        raise ValueError(_("must be above 0 and at most 1000000, got %(raw)s", raw=repr(raw)))
    return rate
