"""A small hand-made data set with known answers, shared by the tests."""
from datetime import timedelta

from station import db as db_module
from station.timeutil import iso, now

CARTON = "00376130321109103420"          # SSCC with AI 00 in front
SSCC = "376130321109103420"
RMA = "RMA-1"
RETURN_TRACKING = "RR123456785CN"
OUT_TRACKING = "1Z999AA10123456784"
MUG_GTIN = "5901234123457"
PHONE_GTIN = "4006381333931"
SHOE_UPC = "036000291452"


def png_bytes(width=8, height=8, colour="white"):
    """A real (small) PNG: photos are decoded before they are kept, so a fake header will not do."""
    import io

    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (width, height), colour).save(out, "PNG")
    return out.getvalue()


def evidence(db, item_id, grade=None):
    """The photo a grade D or X item needs before its decision (rules/inspection.py), stored beside
    the database file; nothing for other grades (when `grade` is given)."""
    from pathlib import Path

    from station.intake import photos
    from station.rules.inspection import needs_photo

    if grade is not None and not needs_photo(grade):
        return None
    path = db.execute("PRAGMA database_list").fetchone()[2]
    return photos.add_photo(db, item_id, png_bytes(), photo_dir=str(Path(path).parent / "photos"))


def days_ago(n):
    return iso(now() - timedelta(days=n))


def fresh(path):
    db_module.migrate(path)
    return db_module.connect(path)


def load_sample(db):
    with db_module.write(db):
        db["suppliers"].insert_all([
            {"supplier_id": "SUP-RTV", "name": "Shenzhen Parts", "country": "CN", "accepts_rtv": 1, "rtv_window_days": 90},
            {"supplier_id": "SUP-NO", "name": "Porto Shoes", "country": "PT", "accepts_rtv": 0, "rtv_window_days": None},
        ])
        db["products"].insert_all([
            {"sku": "MUG-01", "name": "Travel mug", "gtin": MUG_GTIN, "gtin14": "0" + MUG_GTIN, "supplier_id": "SUP-NO",
             "unit_cost": 8, "price": 20, "refurbishable": 1, "refurb_cost": 2, "bin": "A-01-01", "has_serial": 0},
            {"sku": "PHONE-01", "name": "Phone X", "gtin": PHONE_GTIN, "gtin14": "0" + PHONE_GTIN, "supplier_id": "SUP-RTV",
             "unit_cost": 200, "price": 300, "refurbishable": 1, "refurb_cost": 30, "bin": "B-02-01", "has_serial": 1},
            {"sku": "SHOE-01", "name": "Runner shoe", "gtin": SHOE_UPC, "gtin14": "00" + SHOE_UPC, "supplier_id": "SUP-NO",
             "unit_cost": 20, "price": 50, "refurbishable": 0, "refurb_cost": 0, "bin": "C-03-01", "has_serial": 0},
        ])
        db["customers"].insert_all([
            {"customer_id": "C1", "name": "王小明", "email": "xm@example.cn", "phone": "+8613800000000", "country": "CN"},
            {"customer_id": "C2", "name": "<script>alert(1)</script>", "email": "x@example.com", "phone": "+15550000", "country": "US"},
            {"customer_id": "C3", "name": "فاطمة الزهراء", "email": "f@example.sa", "phone": "+966500000", "country": "SA"},
            {"customer_id": "C4", "name": "Иван Петров", "email": "ivan@example.ru", "phone": "+7900000", "country": "RU"},
        ])
        db["orders"].insert_all([
            {"order_no": "SO-1", "customer_id": "C1", "placed_at": days_ago(20), "channel": "aliexpress",
             "shipped_at": days_ago(15), "delivered_at": days_ago(10), "currency": "USD", "status": "delivered", "priority": 0},
            {"order_no": "SO-2", "customer_id": "C2", "placed_at": days_ago(70), "channel": "amazon",
             "shipped_at": days_ago(65), "delivered_at": days_ago(60), "currency": "EUR", "status": "delivered", "priority": 0},
            {"order_no": "SO-W1", "customer_id": "C3", "placed_at": days_ago(5), "channel": "shop",
             "shipped_at": None, "delivered_at": None, "currency": "USD", "status": "awaiting_stock", "priority": 1},
            {"order_no": "SO-W2", "customer_id": "C4", "placed_at": days_ago(3), "channel": "ebay",
             "shipped_at": None, "delivered_at": None, "currency": "USD", "status": "awaiting_stock", "priority": 5},
            {"order_no": "SO-X", "customer_id": "C4", "placed_at": days_ago(3), "channel": "ebay",
             "shipped_at": None, "delivered_at": None, "currency": "USD", "status": "cancelled", "priority": 0},
        ])
        db["order_lines"].insert_all([
            {"order_no": "SO-1", "line_no": 1, "sku": "MUG-01", "qty": 2, "unit_price": 19.99, "serials": None},
            {"order_no": "SO-1", "line_no": 2, "sku": "PHONE-01", "qty": 1, "unit_price": 299, "serials": "SN1"},
            {"order_no": "SO-2", "line_no": 1, "sku": "SHOE-01", "qty": 1, "unit_price": 49.5, "serials": None},
            {"order_no": "SO-W1", "line_no": 1, "sku": "MUG-01", "qty": 1, "unit_price": 19.99, "serials": None},
            {"order_no": "SO-W2", "line_no": 1, "sku": "MUG-01", "qty": 1, "unit_price": 19.99, "serials": None},
            {"order_no": "SO-X", "line_no": 1, "sku": "MUG-01", "qty": 1, "unit_price": 19.99, "serials": None},
        ])
        db["order_serials"].insert({"serial": "SN1", "order_no": "SO-1", "line_no": 2, "sku": "PHONE-01"})
        db["cartons"].insert_all([
            {"carton_code": CARTON, "order_no": "SO-1", "tracking_no": OUT_TRACKING, "carrier": "UPS"},
            {"carton_code": "CTN-2", "order_no": "SO-2", "tracking_no": None, "carrier": "DHL"},
        ])
        db["rmas"].insert({"rma_no": RMA, "order_no": "SO-1", "created_at": days_ago(2), "reason": "changed_mind",
                           "resolution": "refund", "return_tracking_no": RETURN_TRACKING})
        db["rma_lines"].insert({"rma_no": RMA, "sku": "MUG-01", "qty": 1})
        db["stock"].insert({"sku": "MUG-01", "bin": "A-01-01", "qty": 5})
        # units of the base currency (USD) for one unit of each order currency but USD
        db["fx_rates"].insert_all([{"currency": "EUR", "rate": "1.08", "as_of": days_ago(1), "updated_at": days_ago(1)},
                                   {"currency": "SAR", "rate": "0.2666", "as_of": days_ago(1), "updated_at": days_ago(1)}])
    return db
