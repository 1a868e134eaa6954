"""The platforms' files through the API: Shopify's inventory CSV and Amazon's Price & Quantity file
(any token, like stock), and a channel's refund lines as CSV (supervisors: customers' money)."""
from flask import request

from station.data import platform_files
from station.db import get_db
from station.roles import SUPERVISORS
from station.timeutil import now
from station.web.api import bp
from station.web.pages import download, file_name
from station.web.security import token_required


@bp.get("/platform-files/shopify-inventory.csv")
@token_required()
def platform_shopify_inventory():
    """Shopify's inventory CSV of the new units for the Shopify location named `location`."""
    text = platform_files.shopify_inventory_csv(get_db(), request.args.get("location"))
    return download(text, "text/csv", f"{file_name('shopify-inventory', now().date().isoformat())}.csv")


@bp.get("/platform-files/amazon-price-quantity.txt")
@token_required()
def platform_amazon_price_quantity():
    """Amazon's Price & Quantity flat file (tab-separated) of the seller-fulfilled SKUs sold on Amazon."""
    text = platform_files.amazon_price_quantity_txt(get_db())
    return download(text, "text/tab-separated-values", f"{file_name('amazon-price-quantity', now().date().isoformat())}.txt")


@bp.get("/platform-files/refunds.csv")
@token_required(*SUPERVISORS)
def platform_refunds():
    """The refund lines of one channel's orders (`channel`, empty for none), refunds computed `from`..`to`."""
    a = request.args
    text = platform_files.refunds_csv(get_db(), a.get("channel"), a.get("from"), a.get("to"))
    name = file_name("refunds", a.get("channel") or "own-shop", a.get("from") or "start", a.get("to") or "now")
    return download(text, "text/csv", f"{name}.csv")
