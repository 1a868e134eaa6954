"""A printable sheet of codes to try the demo with a real USB scanner: the demo badges (with their
PINs while they are unchanged), parcels to open (cartons, RMAs, return tracking numbers, in several
scripts and countries), the products inside them, and shipping labels that are no items.

Only codes that are in this database are shown; a badge whose PIN was changed is shown without it.
"""
from werkzeug.security import check_password_hash

from hardware import barcodes
from station.data.demo.tables import DEMO_EXAMPLES, DEMO_USERS
from station.db import one, rows

PARCELS = 6


def _svg(code, kind="code128"):
    if kind == "ean13":
        return barcodes.ean13_svg(code, module_mm=0.33, height_mm=14)
    return barcodes.code128_svg(code, module_mm=0.3, height_mm=12, max_width_in=3.2)


def sheet(db):
    """{"demo", "badges": [...], "parcels": [...], "products": [...], "labels": [...]} each with its SVG.

    A station holding a warehouse's own data (not the demo set) shows nothing: the page is public
    like the sign-in page, and a real customer's name or order is no demo."""
    if not one(db, "SELECT 1 FROM orders WHERE order_no = ?", [DEMO_EXAMPLES["order_no"]]):
        return {"demo": False, "badges": [], "parcels": [], "products": [], "labels": []}
    badges = []
    for demo in DEMO_USERS:
        user = one(db, "SELECT name, role, badge, pin_hash, active FROM users WHERE badge = ?", [demo["badge"]])
        if user and user["active"]:
            pin = demo["pin"] if check_password_hash(user["pin_hash"], demo["pin"]) else None
            badges.append({"name": user["name"], "role": user["role"], "code": user["badge"], "pin": pin,
                           "svg": _svg(user["badge"])})
    parcels, products, seen = [], [], set()
    # RMAs announced and not yet at a bench, customers from several countries (their names in their script)
    found = rows(db, "SELECT m.rma_no, m.return_tracking_no, m.order_no, c.name, c.country, "
                     "(SELECT carton_code FROM cartons k WHERE k.order_no = m.order_no LIMIT 1) AS carton "
                     "FROM rmas m JOIN orders o ON o.order_no = m.order_no JOIN customers c ON c.customer_id = o.customer_id "
                     "WHERE o.status = 'delivered' AND m.source IS NULL "
                     "AND NOT EXISTS (SELECT 1 FROM returns r WHERE r.order_no = m.order_no) "
                     "ORDER BY m.created_at DESC LIMIT 200")
    countries = set()
    for row in found:
        if row["country"] in countries and len(found) > PARCELS:
            continue
        countries.add(row["country"])
        kinds = [("carton", row["carton"]), ("RMA", row["rma_no"]), ("return tracking", row["return_tracking_no"])]
        kind, code = next(((k, c) for k, c in kinds[len(parcels) % 3:] + kinds[:len(parcels) % 3] if c), (None, None))
        if not code:
            continue
        parcels.append({"kind": kind, "code": code, "name": row["name"], "country": row["country"],
                        "order_no": row["order_no"], "svg": _svg(code)})
        for item in rows(db, "SELECT p.sku, p.name, p.gtin FROM rma_lines l JOIN products p ON p.sku = l.sku "
                             "WHERE l.rma_no = ?", [row["rma_no"]]):
            if item["sku"] in seen:
                continue
            seen.add(item["sku"])
            gtin = item["gtin"] if item["gtin"] and len(item["gtin"]) == 13 else None
            products.append({"sku": item["sku"], "name": item["name"], "code": gtin or item["sku"],
                             "svg": _svg(gtin, "ean13") if gtin else _svg(item["sku"])})
        if len(parcels) >= PARCELS:
            break
    labels = [{"what": "a courier's own label (UPS): said, never recorded", "code": "1Z999AA10123456784"},
              {"what": "a code that is nothing here: red, nothing created", "code": "NOT-A-CODE-42"}]
    for label in labels:
        label["svg"] = _svg(label["code"])
    return {"demo": True, "badges": badges, "parcels": parcels, "products": products, "labels": labels}
