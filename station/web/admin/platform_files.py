"""The Integrations page's "Platform files" panel: Shopify's inventory CSV for a location, Amazon's
Price & Quantity file, and one channel's refund lines for a date range. A refused input is the
page again with the reason next to its field (400), never a file."""
from flask import request
from flask_babel import gettext as _

from station.data import platform_files
from station.db import get_db
from station.errors import ServiceError
from station.roles import ADMINS
from station.timeutil import now
from station.web.admin import bp, render
from station.web.pages import download, file_name
from station.web.admin.integrations import _context, _exports, platform_panel, preset_range
from station.web.security import roles_required


def refused(db, exc, form):
    """The whole page, 4xx, with the reason next to the field it names."""
    field = exc.extra.get("field") or "platform"
    text = exc.message.split(": ", 1)[-1] if exc.message.startswith(f"{field}: ") else exc.message
    if text in ("is before from", _("is before from")):
        text = _("the end day is before the start day")
    context = _context(db, platform=False)  # the panel comes next, with the form as typed
    start, end = preset_range("last-7-days")  # the exports panel keeps its own range, not these fields
    context.update(_exports(db, start.isoformat(), end.isoformat()))
    context.update(platform_panel(db, form, {field: text}))
    return render("admin/integrations.html", exc.status, **context)


@bp.get("/integrations/platform-files/shopify-inventory.csv")
@roles_required(*ADMINS)
def platform_shopify():
    """Shopify's inventory CSV for the location typed."""
    db, location = get_db(), request.args.get("location", "")[:1000]
    try:
        text = platform_files.shopify_inventory_csv(db, location)
    except ServiceError as exc:
        return refused(db, exc, {"location": location})
    return download(text, "text/csv", f"{file_name('shopify-inventory', now().date().isoformat())}.csv")


@bp.get("/integrations/platform-files/amazon-price-quantity.txt")
@roles_required(*ADMINS)
def platform_amazon():
    """Amazon's Price & Quantity file."""
    text = platform_files.amazon_price_quantity_txt(get_db())
    return download(text, "text/tab-separated-values", f"{file_name('amazon-price-quantity', now().date().isoformat())}.txt")


@bp.get("/integrations/platform-files/refunds.csv")
@roles_required(*ADMINS)
def platform_refunds():
    """One channel's refund lines for the range picked."""
    db = get_db()
    form = {key: request.args.get(key) for key in ("channel", "from", "to")}
    form = {key: value[:200] if value is not None else None for key, value in form.items()}
    try:
        text = platform_files.refunds_csv(db, form["channel"], form["from"], form["to"])
    except ServiceError as exc:
        return refused(db, exc, {key: value or "" for key, value in form.items()} | {"channel": form["channel"]})
    name = file_name("refunds", form["channel"] or "own-shop", form["from"] or "start", form["to"] or "now")
    return download(text, "text/csv", f"{name}.csv")
