"""Exchange rates: units of the base currency (policy `base_currency`) for one unit of a currency.

Catalogue values and thresholds are in the base currency; an order's prices and its refund in
the order's. Rates come from fx_rates.csv or the admin's Currencies screen. A currency without
a rate is never silently compared as if it were the base: the caller flags `fx_missing`.
"""
from decimal import Decimal

from flask_babel import gettext as _

from station import money
from station.db import one, rows, write
from station.errors import bad
from station.events import emit
from station.timeutil import normalise, now_iso


def rate(db, currency, base):
    """The rate of `currency` in `base` (1 for the base itself), or None when none is known."""
    if not currency or currency.upper() == base.upper():
        return known_rate(currency, base, None)
    row = one(db, "SELECT rate FROM fx_rates WHERE currency = ?", [currency.upper()])
    return known_rate(currency, base, row["rate"] if row else None)


def known_rate(currency, base, stored):
    """rate()'s answer from the fx_rates row read already (`stored`: its rate, or None)."""
    if not currency:
        return None
    if currency.upper() == base.upper():
        return Decimal(1)
    return None if stored is None else Decimal(stored)


def to_base(amount, fx_rate):
    """An amount in its currency, in the base currency (unrounded); None without a rate."""
    return None if fx_rate is None else Decimal(amount) * fx_rate


def from_base(amount, fx_rate):
    """A base-currency amount (a threshold) in another currency; None without a rate."""
    return None if fx_rate is None else Decimal(amount) / fx_rate


def listing(db):
    return rows(db, "SELECT currency, rate, as_of, updated_by, updated_at FROM fx_rates ORDER BY currency")


def set_rate(db, currency, value, as_of=None, user=None):
    """Set one currency's rate (the admin screen); checked like fx_rates.csv."""
    code = str(currency or "").strip().upper()
    if code not in money.CURRENCIES:
        raise bad("currency", _("must be an ISO 4217 currency code such as EUR"))
    try:
        parsed = money.check_rate(value)
    except ValueError as exc:
        raise bad("rate", str(exc)) from None
    try:
        as_of = normalise(as_of) if as_of else None
    except ValueError:
        raise bad("as_of", _("must be a date or time in ISO 8601")) from None
    with write(db):
        db.execute("INSERT INTO fx_rates (currency, rate, as_of, updated_by, updated_at) VALUES (?, ?, ?, ?, ?) "
                   "ON CONFLICT (currency) DO UPDATE SET rate = excluded.rate, as_of = excluded.as_of, "
                   "updated_by = excluded.updated_by, updated_at = excluded.updated_at",
                   [code, format(parsed, "f"), as_of, user, now_iso()])
        emit(db, "fx.rate_set", currency=code, rate=format(parsed, "f"), as_of=as_of, by=user)
    return one(db, "SELECT currency, rate, as_of, updated_by, updated_at FROM fx_rates WHERE currency = ?", [code])
