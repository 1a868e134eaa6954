"""The bench's door into the service layer: the same functions the JSON API calls.

The views call these names only, so the screens hold no rule of their own; the few helpers
here only read what the screens list (parcels put aside, photo counts).
"""
import json

from station.intake import decisions, label_content as labels, lookup, parcel, photos, pipeline, returns, search
from station.db import one, rows
from station.errors import ServiceError

process_scan = pipeline.process_scan
bench_view = parcel.bench_view
add_item = returns.add_item
decide = decisions.decide
search_orders = search.search_orders
searchable = search.searchable
add_photo = photos.add_photo
label_data = labels.label_data
barcode_svg = labels.barcode_svg


def close_return(db, return_id, user=None):
    return returns.close_return(db, return_id, {}, user=user)


def open_for_order(db, order_no, station=None, user=None):
    """Open the return of an order chosen from a list (no label, or a product-only scan)."""
    return returns.open_return(db, order_no, station=station, user=user, order_no=order_no)


def candidates(db, code):
    """Delivered orders that could hold a product scanned with no parcel on screen."""
    try:
        return lookup.lookup(db, code).get("candidates") or []
    except ServiceError:
        return []


def item_row(db, item_id):
    """One inspected item with its product name (404 if there is none)."""
    item = one(db, "SELECT i.*, p.name FROM return_items i LEFT JOIN products p ON p.sku = i.sku WHERE i.item_id = ?",
               [item_id])
    if item is None:
        raise ServiceError("not_found", f"Item {item_id} not found", 404)
    item["recommendation"] = json.loads(item["recommendation"])
    item["flags"] = json.loads(item["flags"])
    return item


def decision_of(db, item_id):
    """The decision recorded for an item, or None."""
    return one(db, "SELECT disposition, target FROM decisions WHERE item_id = ?", [item_id])


def photo_count(db, item_id):
    return db.execute("SELECT count(*) FROM photos WHERE item_id = ?", [item_id]).fetchone()[0]


def open_returns_at(db, station, exclude=None):
    """Parcels put aside at this station (still open), newest first."""
    return rows(
        db,
        "SELECT r.return_id, r.order_no, r.opened_at, c.name AS customer_name, "
        " (SELECT count(*) FROM return_items i WHERE i.return_id = r.return_id) AS n_items "
        "FROM returns r LEFT JOIN orders o ON o.order_no = r.order_no "
        "LEFT JOIN customers c ON c.customer_id = o.customer_id "
        "WHERE r.status = 'open' AND r.station = ? AND r.return_id IS NOT ? "
        "ORDER BY r.opened_at DESC LIMIT 8",
        [station, exclude],
    )
