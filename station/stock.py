"""Stock by bin."""
from .db import one, rows
from .errors import not_found


def stock_of(db, sku):
    if not sku or one(db, "SELECT 1 FROM products WHERE sku = ?", [sku]) is None:
        raise not_found("product", sku)
    bins = rows(db, "SELECT bin, qty FROM stock WHERE sku = ? ORDER BY bin", [sku])
    return {"sku": sku, "bins": bins, "total": sum(b["qty"] for b in bins)}
