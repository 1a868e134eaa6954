"""Stock by bin."""
from station.db import one, rows
from station.errors import not_found


def stock_of(db, sku):
    """New (and open-box) stock by bin with its total, as the contract has it; refurbished units,
    when there are any, beside it under `refurbished`: they are not sold as new, so they are
    not in `bins` or `total` (and a SKU without any answers exactly the contract's shape)."""
    if not sku or one(db, "SELECT 1 FROM products WHERE sku = ?", [sku]) is None:
        raise not_found("product", sku)
    bins = rows(db, "SELECT bin, qty FROM stock WHERE sku = ? ORDER BY bin", [sku])
    answer = {"sku": sku, "bins": bins, "total": sum(b["qty"] for b in bins)}
    refurbished = rows(db, "SELECT bin, qty FROM refurb_stock WHERE sku = ? AND qty != 0 ORDER BY bin", [sku])
    if refurbished:
        answer["refurbished"] = {"bins": refurbished, "total": sum(b["qty"] for b in refurbished)}
    return answer
