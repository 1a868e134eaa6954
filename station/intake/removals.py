"""Marketplace removal shipments at the bench (Amazon FBA removals, imported with
`--format amazon-removals`): a box opens like a parcel by its tracking number, its units are
counted by scan (or with the quantity key), graded and decided with the same rules; closing it
pays no customer, it lists what the removal report promised and the box did not hold (and the
other way round), for the reimbursement claim the marketplace needs.
"""
from station.db import one, rows

REMOVAL = "removal"  # orders.status of a removal order


def is_removal(db, order_no):
    row = one(db, "SELECT status FROM orders WHERE order_no = ?", [order_no])
    return bool(row) and row["status"] == REMOVAL


def tally(db, return_id):
    """Per SKU: what the report says this box holds, what was recorded, and the difference.

    {"removal_id", "tracking_no", "lines": [{"sku", "name", "expected", "received"}],
     "shortages": [{"sku", "qty"}], "overages": [{"sku", "qty"}]}
    """
    ret = one(db, "SELECT return_id, order_no, rma_no FROM returns WHERE return_id = ?", [return_id])
    if ret["rma_no"]:
        expected = rows(db, "SELECT l.sku, p.name, l.qty FROM rma_lines l LEFT JOIN products p ON p.sku = l.sku "
                            "WHERE l.rma_no = ? ORDER BY l.sku", [ret["rma_no"]])
    else:
        expected = rows(db, "SELECT l.sku, p.name, sum(l.qty) AS qty FROM order_lines l LEFT JOIN products p ON p.sku = l.sku "
                            "WHERE l.order_no = ? GROUP BY l.sku ORDER BY l.sku", [ret["order_no"]])
    received = {r["sku"]: r["qty"] for r in rows(
        db, "SELECT sku, sum(qty) AS qty FROM return_items WHERE return_id = ? GROUP BY sku", [return_id])}
    names = {r["sku"]: r["name"] for r in expected}
    wanted = {r["sku"]: r["qty"] for r in expected}
    lines = [{"sku": sku, "name": names.get(sku), "expected": wanted.get(sku, 0), "received": received.get(sku, 0)}
             for sku in sorted(set(wanted) | set(received))]
    rma = one(db, "SELECT return_tracking_no FROM rmas WHERE rma_no = ?", [ret["rma_no"]]) if ret["rma_no"] else None
    return {"removal_id": ret["order_no"], "tracking_no": rma["return_tracking_no"] if rma else None, "lines": lines,
            "shortages": [{"sku": x["sku"], "qty": x["expected"] - x["received"]} for x in lines
                          if x["expected"] > x["received"]],
            "overages": [{"sku": x["sku"], "qty": x["received"] - x["expected"]} for x in lines
                         if x["received"] > x["expected"]]}


def discrepancies(db, limit=500):
    """Closed removal boxes whose count differs from the report, newest first (the claim list)."""
    found = []
    for ret in rows(db, "SELECT r.return_id, r.closed_at FROM returns r JOIN orders o ON o.order_no = r.order_no "
                        "WHERE o.status = ? AND r.status = 'closed' ORDER BY r.closed_at DESC LIMIT ?", [REMOVAL, limit]):
        counted = tally(db, ret["return_id"])
        if counted["shortages"] or counted["overages"]:
            found.append({"return_id": ret["return_id"], "closed_at": ret["closed_at"]} | counted)
    return found
