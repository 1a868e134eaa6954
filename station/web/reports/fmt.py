"""How report pages write numbers: rates as percentages, money with separators, times in words,
times in the site's time zone (config TIMEZONE); and how they name the codes they show, in the
page's language (the codes themselves stay in URLs, CSV files and the JSON API)."""
from decimal import ROUND_HALF_UP, Decimal

from flask_babel import gettext, pgettext

from station.languages import N_
from station.policy import REASON_LABELS

# a disposition as the report pages name it: the code in English, its word in other languages
DISPOSITIONS = {"crossdock": N_("crossdock"), "restock": N_("restock"), "refurbish": N_("refurbish"), "rtv": N_("rtv"),
                "scrap": N_("scrap"), "quarantine": N_("quarantine"), "carrier_claim": N_("carrier_claim"),
                "all": N_("all")}
# a return reason's code as a chart names it: the code in English, its word in other languages
REASON_CODES = {"defective": N_("defective"), "damaged_in_transit": N_("damaged_in_transit"),
                "wrong_item_sent": N_("wrong_item_sent"), "not_as_described": N_("not_as_described"),
                "arrived_late": N_("arrived_late"), "size_fit": N_("size_fit"), "no_longer_needed": N_("no_longer_needed"),
                "changed_mind": N_("changed_mind"), "ordered_by_mistake": N_("ordered_by_mistake"), "other": N_("other")}
# what a return rate is grouped by: in a sentence ("by supplier") and as a column's head
DIMENSIONS = {"sku": N_("sku"), "supplier": N_("supplier"), "reason": N_("reason"), "country": N_("country"),
              "channel": N_("channel")}
DIMENSION_HEADS = {"sku": N_("SKU"), "supplier": N_("Supplier"), "reason": N_("Reason"), "country": N_("Country"),
                   "channel": N_("Channel")}
# Words whose sense on the reports differs from other screens' (a return rate, not an exchange rate;
# units shipped, not a ship date; the next days, not the next step): translated in the context
# "reports". A template asks for them by a lowercase key: f.word("rate").
_WORDS = {
    "rate": lambda: pgettext("reports", "Rate"),
    "change": lambda: pgettext("reports", "Change"),
    "shipped": lambda: pgettext("reports", "Shipped"),
    "returned": lambda: pgettext("reports", "Returned"),
    "cost": lambda: pgettext("reports", "Cost"),
    "next": lambda: pgettext("reports", "Next"),
}
# how the return rates are sorted, as a link and in a heading ("first 15 by rate")
_SORTS = {
    "excess": lambda: pgettext("reports sort", "excess returns"),
    "rate": lambda: pgettext("reports sort", "rate"),
    "returned": lambda: pgettext("reports sort", "returned"),
    "shipped": lambda: pgettext("reports sort", "shipped"),
}


def pct(rate, digits=1):
    """0.0025 is 0.3% (half up, as a person rounds; a float's 0.25 would round to even, 0.2%)."""
    if rate is None:
        return "—"
    value = (Decimal(str(rate)) * 100).quantize(Decimal(1).scaleb(-digits), ROUND_HALF_UP)
    return f"{value:.{digits}f}%"


def num(value, digits=0):
    if value is None:
        return "—"
    return f"{value:,.{digits}f}"


def num1(value):
    return num(value, 1)


def money(text):
    """A decimal string ("1234.50") with thousands separators, exact (never through a float)."""
    if text is None:
        return "—"
    return f"{Decimal(str(text)).quantize(Decimal('0.01'), ROUND_HALF_UP):,.2f}"


def duration(seconds):
    """Seconds in the unit a person reads: 45 s, 12 min, 3.5 h, 2.1 days."""
    if seconds is None:
        return "—"
    if seconds < 90:
        return f"{seconds:.0f} s"
    if seconds < 5400:
        return f"{seconds / 60:.0f} min"
    if seconds < 172800:
        return f"{seconds / 3600:.1f} h"
    return gettext("%(days)s days", days="%.1f" % (seconds / 86400))


def when(text):
    """An ISO timestamp as 'YYYY-MM-DD HH:MM' in the site's time zone."""
    if not text:
        return "—"
    from station.timeutil import local, parse

    try:
        return local(parse(text)).strftime("%Y-%m-%d %H:%M")
    except ValueError:
        return text[:16].replace("T", " ")


def zone():
    """The site's time zone name, as the pages name it."""
    from station.timeutil import site_zone

    return site_zone().key


def label(text):
    """A label written in English where it is defined (marked N_ there) in the page's language, as
    plain text the page escapes (Jinja's `_` answers markup: never for data)."""
    return gettext(text) if text else text


def disposition(code):
    return gettext(DISPOSITIONS[code]) if code in DISPOSITIONS else code


def reason(code):
    """A return reason's label (station/policy.py REASON_LABELS) in the page's language; an unknown
    code as it is."""
    return gettext(REASON_LABELS[code]) if code in REASON_LABELS else code


def reason_code(code):
    return gettext(REASON_CODES[code]) if code in REASON_CODES else code


def dimension(code, head=False):
    names = DIMENSION_HEADS if head else DIMENSIONS
    return gettext(names[code]) if code in names else code


def sort(code):
    return _SORTS[code]() if code in _SORTS else code


def word(key):
    return _WORDS[key]()
