"""Files for the platforms: restocked sellable units as each platform's inventory upload, and the
refund lines of one sales channel as a CSV finance can act on (README "Back to the platforms").

Formats as the platforms publish them (research notes, formats.md section 7):
- Shopify's inventory CSV, the 2024 header ("On hand (new)" is what an import sets), one row per
  variant and location; a product without options is `Option1 Name` Title / `Option1 Value` Default
  Title (https://help.shopify.com/en/manual/products/inventory/inventory-csv).
- Amazon's classic Price & Quantity flat file, tab-separated; a blank cell leaves the listing's
  value unchanged (Seller Central help item 200385490).

Only `new` units are sellable here: an open-box, refurbished or used unit is another listing on
every platform (Amazon's condition, a Shopify product of its own), so counting it into the new
listing would sell it as new. Channels are whatever `orders.channel` holds (`amazon`, `ebay`,
`shopify`, ... as the importers write them); an order without one is the own shop's.
"""
import csv
import io
import json
import re
from decimal import Decimal

from flask_babel import gettext as _

from station import daterange, money
from station.errors import ServiceError, bad
from station.reporting.tables import to_csv

SHOPIFY_HEADER = ["Handle", "Title", "Option1 Name", "Option1 Value", "Option2 Name", "Option2 Value",
                  "Option3 Name", "Option3 Value", "SKU", "HS Code", "COO", "Location", "Bin name",
                  "Incoming (not editable)", "Unavailable (not editable)", "Committed (not editable)",
                  "Available (not editable)", "On hand (current)", "On hand (new)"]
AMAZON_HEADER = ["sku", "price", "minimum-seller-allowed-price", "maximum-seller-allowed-price", "quantity",
                 "handling-time", "fulfillment-channel"]
REFUND_COLUMNS = ["channel", "order_no", "rma_no", "refund_id", "return_id", "item_id", "sku", "qty", "status",
                  "amount", "currency", "payment_ref", "paid_at", "computed_at", "holds", "why"]
SELLABLE = ("new",)
MAX_LOCATION = 255
MAX_CHANNEL = 128
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")  # Unicode's control characters (Cc)
_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


# --- what is sellable, and on which channel ----------------------------------------------------

def _sellable(db, channel=None):
    """[{sku, title, qty}] of the SKUs with new units, by SKU; with `channel`, only those on an order
    of that channel (named in any case, as importers may differ).

    CROSS JOIN keeps SQLite's join order: the channel's orders first, their lines by the primary key.
    Left to itself it walks every order line by order_lines(sku) and looks each order up, 30 times
    slower at a million lines (measured); orders.channel has no index, so one pass over the orders is
    the floor."""
    marks = ", ".join("?" for _ in SELLABLE)
    sold = ("AND s.sku IN (SELECT l.sku FROM orders o CROSS JOIN order_lines l ON l.order_no = o.order_no "
            "WHERE lower(trim(o.channel)) = ?)") if channel else ""
    cursor = db.execute(
        f"WITH s AS (SELECT sku, sum(qty) AS qty FROM stock WHERE condition IN ({marks}) GROUP BY sku) "
        f"SELECT s.sku, coalesce(p.name, s.sku), s.qty FROM s LEFT JOIN products p ON p.sku = s.sku "
        f"WHERE s.qty > 0 {sold} ORDER BY s.sku", [*SELLABLE, *([channel] if channel else [])])
    return [{"sku": sku, "title": title, "qty": qty} for sku, title, qty in cursor.fetchall()]


def _has_orders(db, channel):
    return db.execute("SELECT 1 FROM orders WHERE lower(trim(channel)) = ? LIMIT 1", [channel]).fetchone() is not None


def shopify_rows(db):
    """The SKUs for Shopify: those sold on channel `shopify`; every SKU when no Shopify order is
    known yet (a shop that sells through Shopify alone has not imported its orders with a channel)."""
    return _sellable(db, "shopify" if _has_orders(db, "shopify") else None)


def _fba_skus(db):
    """SKUs Amazon fulfils (FBA): seen on an RMA the marketplace import marked as an FBA customer
    return or an FBA removal (`rmas.source`, the marketplace import's migration, when present). Amazon
    counts an FBA SKU's stock itself: its help says to leave `quantity` blank for one."""
    if "source" not in {row[1] for row in db.execute("PRAGMA table_info(rmas)")}:
        return set()
    return {sku for (sku,) in db.execute(
        "SELECT DISTINCT l.sku FROM rma_lines l JOIN rmas r ON r.rma_no = l.rma_no WHERE r.source IN ('fba', 'removal')")}


def amazon_rows(db):
    """The SKUs for Amazon: sold on channel `amazon`, not fulfilled by Amazon, with new units."""
    fba = _fba_skus(db)
    return [row for row in _sellable(db, "amazon") if row["sku"] not in fba]


# --- the files ----------------------------------------------------------------------------------

def shopify_handle(sku):
    """A Shopify handle from a SKU, as Shopify makes handles: lower case, each run of other
    characters than a-z and 0-9 one '-', none at either end (`MUG_01 / Blue` -> `mug-01-blue`)."""
    lowered = sku.lower()
    return re.sub(r"[^a-z0-9]+", "-", lowered).strip("-") or re.sub(r"[^a-z0-9]", "-", lowered)


def check_location(location):
    """The Shopify location's name as given (outer spaces trimmed), or a 400 naming `location`."""
    if not isinstance(location, str) or not location.strip():
        raise bad("location", _("give the Shopify location's name, exactly as Shopify shows it"))
    if _CONTROL.search(location):  # before trimming: strip() would drop a trailing line break unseen
        raise bad("location", _("must not hold control characters (a line break, a tab)"))
    location = location.strip()
    if len(location) > MAX_LOCATION:
        raise bad("location", _("at most %(num)s characters", num=MAX_LOCATION))
    return location


def shopify_inventory_csv(db, location):
    """Shopify's inventory CSV: one row per SKU with new units at `location`, `On hand (new)` the
    station's count. Values are written exactly (no spreadsheet guard): Shopify matches them."""
    location = check_location(location)
    found = shopify_rows(db)
    handles = {}
    for row in found:
        row["handle"] = shopify_handle(row["sku"])
        clash = handles.setdefault(row["handle"], row["sku"])
        if clash != row["sku"]:  # two SKUs as one Shopify variant would set one count twice
            raise ServiceError("handle_clash", _("SKUs %(first)s and %(second)s both become the Shopify handle "
                                                 "%(handle)s: rename one of them", first=clash, second=row["sku"],
                                                 handle=row["handle"]), 409, field="sku")
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")  # RFC 4180, as Shopify exports it
    writer.writerow(SHOPIFY_HEADER)
    for row in found:
        cells = dict.fromkeys(SHOPIFY_HEADER, "")
        cells.update({"Handle": row["handle"], "Title": row["title"], "Option1 Name": "Title",
                      "Option1 Value": "Default Title", "SKU": row["sku"], "Location": location,
                      "On hand (new)": row["qty"]})
        writer.writerow(cells[name] for name in SHOPIFY_HEADER)
    return out.getvalue()


def amazon_price_quantity_txt(db):
    """Amazon's Price & Quantity file: `sku` and `quantity` only, every other cell blank (unchanged)."""
    lines = ["\t".join(AMAZON_HEADER)]
    for row in amazon_rows(db):
        cells = dict.fromkeys(AMAZON_HEADER, "")
        cells.update(sku=row["sku"], quantity=str(row["qty"]))
        lines.append("\t".join(cells[name] for name in AMAZON_HEADER))
    return "\r\n".join(lines) + "\r\n"


# --- refunds per channel ------------------------------------------------------------------------

def channels(db):
    """The channels orders carry, A-Z, then '' for orders without one (the own shop) if any."""
    found = {(c or "").strip() for (c,) in db.execute("SELECT DISTINCT channel FROM orders")}
    return sorted(found, key=lambda channel: (channel == "", channel))


def check_channel(db, channel):
    """The channel asked for, one of the known ones ('' = the own shop's orders), or a 400 naming it."""
    known = channels(db)
    listed = ", ".join(c for c in known if c) or _("none yet")
    if channel is None:
        raise bad("channel", _("give the channel (%(channels)s; empty for orders without one)", channels=listed))
    if not isinstance(channel, str) or len(channel) > MAX_CHANNEL or _CONTROL.search(channel):
        raise bad("channel", _("at most %(num)s characters, no control characters", num=MAX_CHANNEL))
    channel = channel.strip()
    if channel and channel not in known:
        raise bad("channel", _("no order has the channel %(channel)s; known: %(channels)s", channel=repr(channel),
                                channels=listed))
    return channel


def check_range(from_, to):
    """daterange's SQL for refunds computed on those UTC days (both included), or a 400 naming the field."""
    for value, field in ((from_, "from"), (to, "to")):
        if value not in (None, "") and not (isinstance(value, str) and _DAY.fullmatch(value)):
            raise bad(field, _("must be a date YYYY-MM-DD"))
    try:
        return daterange.where("f.computed_at", from_ or None, to or None)
    except OverflowError:  # 9999-12-31 has no next day to end the range at
        raise bad("to", _("must be a date before 9999-12-31")) from None


def refund_lines(db, channel, from_=None, to=None):
    """Every refund line of the returns whose order has `channel`, refunds computed in the range."""
    channel = check_channel(db, channel)
    where, params = check_range(from_, to)
    where.append("coalesce(trim(o.channel), '') = ?")
    params.append(channel)
    cursor = db.execute(
        "SELECT coalesce(o.channel, '') AS channel, o.order_no, r.rma_no, f.refund_id, f.return_id, l.item_id, i.sku, "
        "i.qty, l.status, l.amount, f.currency, p.payment_ref, p.paid_at, f.computed_at, l.holds, l.why "
        "FROM refund_lines l JOIN refunds f ON f.refund_id = l.refund_id JOIN returns r ON r.return_id = f.return_id "
        "JOIN orders o ON o.order_no = r.order_no JOIN return_items i ON i.item_id = l.item_id "
        "LEFT JOIN refund_payments p ON p.payment_id = l.payment_id "
        f"WHERE {' AND '.join(where)} ORDER BY f.computed_at, f.refund_id, l.item_id", params)
    names = [c[0] for c in cursor.description]
    found = [dict(zip(names, row)) for row in cursor.fetchall()]
    for line in found:  # exact, in the currency's own minor unit, as the API answers money
        line["amount"] = money.text(Decimal(line["amount"]), line["currency"])
        line["holds"] = ";".join(json.loads(line["holds"] or "[]"))
    return found


def refunds_csv(db, channel, from_=None, to=None):
    """refund_lines() as CSV for finance (a cell a spreadsheet would run as a formula is quoted)."""
    return to_csv(refund_lines(db, channel, from_, to), REFUND_COLUMNS)
