"""Cells as the platforms write them: their dates, their money (symbols, codes, decimal commas),
country names, quantities. Each parser raises ValueError with words for whoever fixes the file."""
import re
from datetime import datetime, timezone
from decimal import Decimal, InvalidOperation

from flask_babel import gettext as _

from station.data.importer.values import COUNTRIES
from station.money import CURRENCIES
from station.timeutil import normalise

# Formats seen in the platforms' downloads, tried after ISO 8601 (Amazon's flat files and APIs).
# Order matters only between ambiguous ones: a preset names its own list (a US eBay file writes
# month-first, Amazon's returns report day-first).
DATE_FORMATS = {
    "iso": [],
    "shopify": ["%Y-%m-%d %H:%M:%S %z", "%Y-%m-%d %H:%M %z", "%Y-%m-%d %H:%M:%S"],
    "ebay": ["%b-%d-%y", "%b-%d-%Y", "%b %d, %Y", "%d-%b-%y", "%d-%b-%Y", "%m/%d/%Y", "%m/%d/%y",
             "%b-%d-%y %H:%M:%S", "%b %d, %Y %I:%M:%S %p", "%b-%d-%y %H:%M:%S %z", "%b-%d-%Y %H:%M:%S %z",
             "%d-%b-%y %H:%M:%S %z"],
    "amazon": ["%Y-%m-%dT%H:%M:%S%z", "%Y-%m-%d %H:%M:%S %Z", "%d-%b-%Y", "%d-%b-%y", "%d/%m/%Y", "%m/%d/%Y",
               "%Y/%m/%d", "%d.%m.%Y", "%b %d, %Y"],
    "dmy": ["%d/%m/%Y", "%d/%m/%Y %H:%M", "%d/%m/%Y %H:%M:%S", "%d.%m.%Y", "%d.%m.%Y %H:%M", "%d-%m-%Y"],
    "mdy": ["%m/%d/%Y", "%m/%d/%Y %H:%M", "%m/%d/%Y %H:%M:%S", "%m/%d/%y", "%m-%d-%Y"],
    "ymd": ["%Y/%m/%d", "%Y/%m/%d %H:%M:%S", "%Y.%m.%d", "%Y%m%d"],
}
_ZONE_NAMES = {"UTC": "+0000", "GMT": "+0000", "PST": "-0800", "PDT": "-0700", "MST": "-0700", "MDT": "-0600",
               "CST": "-0600", "CDT": "-0500", "EST": "-0500", "EDT": "-0400", "BST": "+0100", "CET": "+0100",
               "CEST": "+0200", "JST": "+0900"}


def timestamp(text, formats="iso"):
    """A time in the platform's form, as the station's ISO 8601 UTC text; a date alone is midnight UTC."""
    text = text.strip()
    try:
        return normalise(text)
    except (ValueError, OverflowError):
        pass
    # "2024-03-15 10:22:33 PST": named zones Amazon writes; strptime's %Z knows only UTC/GMT
    parts = text.rsplit(" ", 1)
    if len(parts) == 2 and parts[1].upper() in _ZONE_NAMES:
        text = f"{parts[0]} {_ZONE_NAMES[parts[1].upper()]}"
    for form in DATE_FORMATS.get(formats, []) + _ALL_OFFSET_FORMS:
        try:
            when = datetime.strptime(text, form)
        except ValueError:
            continue
        if when.tzinfo is None:
            when = when.replace(tzinfo=timezone.utc)
        return when.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    raise ValueError(_("not a date this format knows: %(value)s", value=repr(text)))


_ALL_OFFSET_FORMS = ["%Y-%m-%d %H:%M:%S %z", "%Y-%m-%dT%H:%M:%S.%f%z"]

# Currency signs as the platforms print them before or after an amount. A bare $ is the
# marketplace's own dollar (USD on ebay.com); the others name theirs (AU $, C $).
_SIGNS = [("US $", "USD"), ("AU $", "AUD"), ("A $", "AUD"), ("C $", "CAD"), ("CA $", "CAD"), ("NZ $", "NZD"),
          ("HK $", "HKD"), ("S $", "SGD"), ("R$", "BRL"), ("MX$", "MXN"), ("$", "USD"), ("£", "GBP"), ("€", "EUR"),
          ("¥", None), ("₹", "INR"), ("zł", "PLN"), ("kr", None), ("CHF", "CHF")]
_AMOUNT = re.compile(r"^[+-]?(\d{1,3}(?:[,.\u00a0 ]\d{3})+|\d+)(?:[.,](\d+))?$")


def money(text, currency=None):
    """(Decimal, currency or None) from "$12.99", "GBP 12.99", "12,99 €", "1,234.50", "1.234,50".

    A code or sign in the cell names the currency; else `currency` (the row's or the file's).
    A decimal comma is read as one only where it cannot be a thousands separator (two digits
    after it, or a dot before it as a thousands separator).
    """
    raw = text.strip()
    if len(raw) > 40 or sum(c.isdigit() for c in raw) > 16:
        raise ValueError(_("not an amount (too many digits): %(value)s", value=repr(raw[:40])))
    found = None
    value = raw.replace("\u00a0", " ")
    head = value[:3].upper()
    if len(value) > 3 and head in CURRENCIES and not value[:3].isdigit():
        found, value = head, value[3:].strip()
    elif len(value) > 3 and value[-3:].upper() in CURRENCIES and not value[-3:].isdigit():
        found, value = value[-3:].upper(), value[:-3].strip()
    for sign, code in _SIGNS:
        if value.startswith(sign) or value.endswith(sign):
            value = (value[len(sign):] if value.startswith(sign) else value[: -len(sign)]).strip()
            found = found or code
            break
    negative = value.startswith("-") or (value.startswith("(") and value.endswith(")"))
    value = value.strip("()-+ ")
    match = _AMOUNT.match(value)
    if not match:
        raise ValueError(_("not an amount: %(value)s", value=repr(raw)))
    whole, fraction = match.group(1), match.group(2)
    separators = re.sub(r"\d", "", whole)
    if separators and fraction is not None:
        # 1,234.50 or 1.234,50: the last separator is the decimal one, the others group thousands
        decimal_sep = value[len(whole)]
        if decimal_sep in separators:
            raise ValueError(_("not an amount (the same sign groups thousands and marks decimals): %(value)s",
                               value=repr(raw)))
    elif separators and fraction is None:
        # 1,234 or 1.234: a grouped whole number; one separator followed by exactly 3 digits
        # is ambiguous (1.234 in German is 1234), read it as thousands as every platform groups by 3
        pass
    elif fraction is not None and len(fraction) == 3 and value[len(whole)] == ",":
        raise ValueError(_("not an amount (1,234: a thousands comma or a decimal comma?): %(value)s", value=repr(raw)))
    digits = re.sub(r"\D", "", whole) + ("." + fraction if fraction is not None else "")
    try:
        amount = Decimal(digits)
    except InvalidOperation:
        raise ValueError(_("not an amount: %(value)s", value=repr(raw))) from None
    return (-amount if negative else amount), found or currency


def quantity(text):
    text = text.strip()
    if re.fullmatch(r"\d+(\.0+)?", text):  # Excel writes 2 as 2.0 in some exports
        value = int(Decimal(text))
        if value >= 1:
            return value
    raise ValueError(_("not a quantity (a whole number of at least 1): %(value)s", value=repr(text)))


# The names the platforms write where a code belongs (eBay's "Buyer Country"), beyond the
# official ones pycountry knows.
_COUNTRY_NAMES = {"united states": "US", "usa": "US", "u.s.a.": "US", "united kingdom": "GB", "uk": "GB",
                  "great britain": "GB", "england": "GB", "russia": "RU", "south korea": "KR", "korea": "KR",
                  "korea, republic of": "KR", "vietnam": "VN", "taiwan": "TW", "iran": "IR", "syria": "SY",
                  "laos": "LA", "bolivia": "BO", "venezuela": "VE", "tanzania": "TZ", "moldova": "MD",
                  "czech republic": "CZ", "macedonia": "MK", "hong kong": "HK", "macau": "MO", "kosovo": "XK",
                  "turkey": "TR", "brunei": "BN", "ivory coast": "CI", "palestine": "PS", "cape verde": "CV",
                  "swaziland": "SZ", "burma": "MM", "holland": "NL", "the netherlands": "NL"}


def country(text):
    """An ISO 3166 alpha-2 code from a code (US, USA) or a name (United States, Deutschland not)."""
    raw = text.strip()
    if raw.upper() in COUNTRIES:
        return raw.upper()
    key = raw.lower()
    if key in _COUNTRY_NAMES:
        return _COUNTRY_NAMES[key]
    import pycountry
    try:
        return pycountry.countries.lookup(raw).alpha_2
    except LookupError:
        pass
    try:
        matches = pycountry.countries.search_fuzzy(raw) if len(raw) > 3 else []
    except LookupError:
        matches = []
    if len(matches) == 1:
        return matches[0].alpha_2
    raise ValueError(_("not a country this station knows: %(value)s", value=repr(raw)))
