"""The queues work waits in after the bench: refurbish, RTV, quarantine, held refunds."""
from .db import rows
from .errors import not_found

NAMES = ("refurbish", "rtv", "quarantine", "refunds")


def queue(db, name, limit=500):
    """Oldest first."""
    if name not in NAMES:
        raise not_found("queue", name)
    if name == "refunds":
        items = rows(
            db,
            "SELECT f.refund_id, f.computed_at AS since, f.return_id, r.order_no, f.amount, f.currency, f.hold_reasons "
            "FROM refunds f JOIN returns r ON r.return_id = f.return_id WHERE f.status = 'held' "
            "ORDER BY f.computed_at, f.refund_id LIMIT ?",
            [limit],
        )
    else:
        items = rows(
            db,
            "SELECT d.item_id, d.decided_at AS since, i.return_id, r.order_no, i.sku, p.name, i.qty, i.grade, i.reason, "
            "i.flags, d.target, p.supplier_id FROM decisions d JOIN return_items i ON i.item_id = d.item_id "
            "JOIN returns r ON r.return_id = i.return_id LEFT JOIN products p ON p.sku = i.sku "
            "WHERE d.disposition = ? ORDER BY d.decided_at, d.item_id LIMIT ?",
            [name, limit],
        )
    import json

    for item in items:
        for key in ("flags", "hold_reasons"):
            if key in item:
                item[key] = json.loads(item[key])
    return {"items": items}
