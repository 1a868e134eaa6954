"""The policy editor: values with bounds, per-SKU rules with a product picker, the audit trail."""
from flask import request
from flask_babel import gettext as _

from station import policy as policy_module
from station.db import get_db, one, rows
from station.errors import ServiceError
from station.intake.lookup import find_product
from station.languages import N_
from station.roles import SUPERVISORS
from station.rules.classify import classify
from station.web.security import roles_required
from station.web.pages import msg
from station.web.admin import answer, bp, render, user_name

# (heading, [(key, label, help)]) in the order the editor shows them; English, marked for the catalog:
# the screen shows them translated (translated_groups)
GROUPS = [
    (N_("Money"), [
        ("base_currency", N_("Base currency"), N_("catalogue prices, costs and thresholds; rates on the Currencies screen")),
    ]),
    (N_("Refunds"), [
        ("return_window_days", N_("Return window"), N_("days after delivery")),
        ("restocking_fee", N_("Restocking fee"), N_("customer-side B/C; 0.15 = 15%")),
        ("charge_return_label", N_("Charge the return label"), N_("1: a customer-side return bears the label the seller paid")),
        ("frequent_hold_above", N_("Frequent returner: hold lines above"), N_("base currency")),
        ("bulk_units", N_("Bulk return: order of at least units"), N_("held for a supervisor, each unit scanned")),
        ("bulk_value", N_("… or order value"), N_("base currency")),
    ]),
    (N_("Floor display targets"), [
        ("board_target_parcels", N_("Parcels a day"), N_("the day's target on the floor display (0: none)")),
        ("board_max_open_parcels", N_("Open parcels, at most"), N_("more is shown as an alarm")),
        ("board_max_dock_minutes", N_("Dock to decision, minutes"), N_("a longer mean today is shown as an alarm")),
    ]),
    (N_("Stock by condition"), [
        ("bin_open_box", N_("Open-box bin"), N_("grade B restocked, and reviewed items restocked open-box")),
        ("bin_refurbished", N_("Refurbished bin"), N_("units finished at the refurbish station")),
        ("bin_used", N_("Used bin"), N_("reviewed items restocked as used")),
        ("bin_put_away", N_("Put-away bin"), N_("new units of a product that has no bin yet")),
    ]),
    (N_("Recovery values"), [
        ("handling_cost", N_("Handling per unit"), N_("base currency; restock value = price − handling")),
        ("refurb_labour", N_("Refurbish labour per unit"), N_("base currency; beside the product's refurb cost")),
        ("refurbished_factor", N_("Refurbished value factor"), N_("refurbish = price × factor − refurb cost")),
        ("open_box_factor", N_("Open-box factor"), N_("restock grade B = price × factor")),
        ("liquidation_rate", N_("Liquidation rate"), N_("scrap = price × rate")),
    ]),
    (N_("Customer flags"), [
        ("frequent_returns_count", N_("Frequent returner: returns"), N_("this many returns …")),
        ("frequent_returns_days", N_("… within days"), N_("in this many days")),
        ("frequent_return_rate", N_("… or return rate"), N_("0.50 = half of the orders")),
        ("frequent_min_orders", N_("… over at least orders"), N_("orders before the rate counts")),
        ("high_value_threshold", N_("High-value order"), N_("order value, in the base currency")),
    ]),
    (N_("Bench"), [
        ("candidate_days", N_("Product-only scans look back"), N_("days of delivered orders offered")),
    ]),
]
LABELS = {key: label for _h, fields in GROUPS for key, label, _help in fields}
RULE_NAMES = {"never_restock": N_("Never restock"), "refurbished_can_crossdock": N_("Refurbished can cross-dock")}
LABELS.update(RULE_NAMES)
RESULTS = 12


def translated_groups():
    """GROUPS in the screen's language."""
    return [(_(heading), [(key, _(label), _(help_)) for key, label, help_ in fields]) for heading, fields in GROUPS]


def _translated(labels):
    return {key: _(label) for key, label in labels.items()}


def _context(db, **extra):
    context = {
        "groups": translated_groups(), "bounds": policy_module.BOUNDS,
        "whole": {k for k, (kind, _low, _high) in policy_module.BOUNDS.items() if kind is int},
        "labels": _translated(LABELS), "rule_names": _translated(RULE_NAMES),
        "rule_help": _translated(policy_module.SKU_KEYS),
        "values": {k: str(v) for k, v in policy_module.load(db).items()}, "errors": {},
        "overrides": rows(db, "SELECT s.sku, s.key, p.name FROM sku_policy s LEFT JOIN products p ON p.sku = s.sku "
                              "ORDER BY s.sku, s.key"),
        "audit": policy_module.audit(db, 100), "product": None, "results": None, "q": "",
    }
    context.update(extra)
    return context


def _product(db, sku):
    product = one(db, "SELECT sku, name, gtin, price, refurbishable FROM products WHERE sku = ?", [sku])
    if product:
        product["rules"] = policy_module.sku_rules(db, sku)
    return product


@bp.get("/policy")
@roles_required(*SUPERVISORS)
def policy():
    """The policy editor."""
    return render("admin/policy.html", **_context(get_db()))


@bp.post("/policy")
@roles_required(*SUPERVISORS)
def policy_save():
    """Save the changed values: all checked first, nothing saved when one is out of bounds."""
    db = get_db()
    form = {key: request.form[key] for key in policy_module.BOUNDS if key in request.form}
    parsed, errors = policy_module.validate(form)
    if errors:
        context = _context(db, errors=errors, message=msg("error", _("Nothing saved: check the marked values")))
        context["values"].update(form)
        return answer("admin/policy.html", "admin/_policy_values.html", 400, **context)
    before = policy_module.load(db)
    after = policy_module.update(db, parsed, user=user_name()) if parsed else before
    changed = [_(LABELS[k]) for k in parsed if not policy_module._same(before[k], after[k])]
    text = _("Saved for new decisions: %(values)s", values=_(", ").join(changed)) if changed else _("Nothing changed")
    return answer("admin/policy.html", "admin/_policy_values.html", oob=True,
                  **_context(db, message=msg("ok" if changed else "warn", text)))


@bp.get("/policy/products")
@roles_required(*SUPERVISORS)
def policy_products():
    """Products whose SKU, name or GTIN matches the typed text (the picker's list)."""
    q = request.args.get("q", "").strip()[:100]
    found = []
    if q:
        like = "%" + q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        found = rows(get_db(), "SELECT sku, name, gtin FROM products WHERE sku LIKE ? ESCAPE '\\' "
                               "OR name LIKE ? ESCAPE '\\' OR gtin LIKE ? ESCAPE '\\' ORDER BY sku LIMIT ?",
                     [like, like, like, RESULTS])
    return answer("admin/policy.html", "admin/_sku_results.html", **_context(get_db(), results=found, q=q))


@bp.get("/policy/product")
@roles_required(*SUPERVISORS)
def policy_product():
    """One product's per-SKU rules, picked from the list."""
    db = get_db()
    product = _product(db, request.args.get("sku", ""))
    message = None if product else msg("error", _("No such product"))
    return answer("admin/policy.html", "admin/_sku_product.html", 200 if product else 404,
                  **_context(db, product=product, message=message))


@bp.post("/policy/scan")
@roles_required(*SUPERVISORS)
def policy_scan():
    """A product barcode scanned on the policy page picks that product."""
    db = get_db()
    code = request.form.get("code", "")
    try:
        found = find_product(db, classify(code))
    except ServiceError as exc:
        return render("admin/_sku_product.html", exc.status, **_context(db, message=msg("error", exc.message)))
    if found is None:
        return render("admin/_sku_product.html", 404,
                      **_context(db, message=msg("error", _("No product has the code %(code)s", code=code[:64]))))
    return render("admin/_sku_product.html", **_context(db, product=_product(db, found["sku"]),
                                                        message=msg("ok", _("Product read"))))


@bp.post("/policy/sku")
@roles_required(*SUPERVISORS)
def policy_sku():
    """Turn a per-SKU rule on or off (audited)."""
    db = get_db()
    sku, key, enabled = request.form.get("sku", ""), request.form.get("key", ""), request.form.get("enabled") == "1"
    try:
        policy_module.set_sku_rule(db, sku, key, enabled, user=user_name())
    except ServiceError as exc:
        return answer("admin/policy.html", "admin/_sku_product.html", exc.status,
                      **_context(db, product=_product(db, sku), message=msg("error", exc.message)))
    rule = _(RULE_NAMES[key]) if key in RULE_NAMES else key
    text = (_("%(rule)s: on for %(sku)s", rule=rule, sku=sku) if enabled
            else _("%(rule)s: off for %(sku)s", rule=rule, sku=sku))
    return answer("admin/policy.html", "admin/_sku_product.html", oob=True,
                  **_context(db, product=_product(db, sku), message=msg("ok", text)))
