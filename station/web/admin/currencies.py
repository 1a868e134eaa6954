"""Currencies: the base currency (set on the Policy screen), every exchange rate, the order
currencies without one (their orders are flagged `fx_missing`), and the form that sets a rate.

Every rate is written by station/data/fx.py's `set_rate`, which checks it and records the
`fx.rate_set` event; a refused value comes back next to its field and nothing is saved.
"""
from flask import request
from flask_babel import gettext as _, ngettext

from station import policy as policy_module
from station.data import fx
from station.db import get_db, rows
from station.errors import ServiceError, bad
from station.roles import ADMINS
from station.timeutil import now
from station.web.admin import answer, bp, render, user_name
from station.web.pages import msg
from station.web.security import roles_required

FORM_FIELDS = ("currency", "rate", "as_of")
MAX_FIELD = 100  # what a field echoes back at most (a pasted novel is not shown twice)


def base_currency(db):
    return str(policy_module.load(db)["base_currency"]).upper()


def missing(db, base):
    """[{currency, orders}] of the order currencies with no rate (not the base), most orders first.

    The same test the bench applies (fx.rate): a currency is matched without regard to case; an
    order with no currency at all has no rate either (shown as currency '')."""
    return rows(
        db,
        "SELECT upper(coalesce(o.currency, '')) AS currency, count(*) AS orders FROM orders o "
        "WHERE upper(coalesce(o.currency, '')) != :base "
        "AND upper(coalesce(o.currency, '')) NOT IN (SELECT upper(currency) FROM fx_rates) "
        "GROUP BY upper(coalesce(o.currency, '')) ORDER BY orders DESC, currency",
        {"base": base},
    )


def _context(db, **extra):
    base = base_currency(db)
    context = {"base": base, "rates": fx.listing(db), "missing": missing(db, base), "errors": {},
               "form": {"currency": "", "rate": "", "as_of": now().date().isoformat()}, "message": None}
    context.update(extra)
    return context


@bp.get("/currencies")
@roles_required(*ADMINS)
def currencies():
    """The base currency, every rate, the currencies without one, the form."""
    return render("admin/currencies.html", **_context(get_db()))


@bp.get("/currencies/form")
@roles_required(*ADMINS)
def currency_form():
    """The form filled for one currency (its rate and date when it has one), to add or change it."""
    db = get_db()
    code = request.args.get("currency", "").strip().upper()[:MAX_FIELD]
    context = _context(db)
    form = dict(context["form"], currency=code)
    current = next((r for r in context["rates"] if r["currency"] == code), None)
    if current:
        form.update(rate=current["rate"], as_of=(current["as_of"] or "")[:10])
    context["form"] = form
    return answer("admin/currencies.html", "admin/_fx_form.html", **context)


@bp.post("/currencies")
@roles_required(*ADMINS)
def currency_set():
    """Add or change one currency's rate; the rates and the missing list refresh with it."""
    db = get_db()
    form = {key: request.form.get(key, "").strip()[:MAX_FIELD] for key in FORM_FIELDS}
    base = base_currency(db)
    try:
        if form["currency"].upper() == base:
            raise bad("currency", _("%(base)s is the base currency: its rate is always 1", base=base))
        saved = fx.set_rate(db, request.form.get("currency", ""), request.form.get("rate", ""),
                            as_of=form["as_of"] or None, user=user_name())
    except ServiceError as exc:
        field = exc.extra.get("field") if exc.extra.get("field") in FORM_FIELDS else "rate"
        return answer("admin/currencies.html", "admin/_fx_form.html", exc.status,
                      **_context(db, form=form, errors={field: exc.message.split(": ", 1)[-1]}))
    code = saved["currency"]
    orders = db.execute("SELECT count(*) FROM orders WHERE upper(currency) = ?", [code]).fetchone()[0]
    if saved["as_of"]:
        text = _("Saved: 1 %(code)s = %(rate)s %(base)s as of %(day)s", code=code, rate=saved["rate"], base=base,
                 day=saved["as_of"][:10])
    else:
        text = _("Saved: 1 %(code)s = %(rate)s %(base)s", code=code, rate=saved["rate"], base=base)
    if orders:
        text += ngettext("; %(num)d order in %(code)s are valued in %(base)s from now on",
                         "; %(num)d orders in %(code)s are valued in %(base)s from now on", orders, code=code, base=base)
    return answer("admin/currencies.html", "admin/_fx_form.html", oob=True,
                  **_context(db, message=msg("ok", text)))
