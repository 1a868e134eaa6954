"""The queues work waits in after the bench: refurbish, RTV, quarantine, held refunds, carrier claims."""
import json

from station.downstream import claims, quarantine
from station.db import rows
from station.errors import not_found
from station.languages import N_

NAMES = ("refurbish", "rtv", "quarantine", "refunds", "claims")


def queue(db, name, limit=1000):
    """What waits in one queue, oldest first; an item leaves it when its work is done."""
    if name not in NAMES:
        raise not_found(N_("queue"), name)
    if name == "refunds":
        items = rows(
            db,
            # a refund with a line waiting for a supervisor (its other lines may be paid already)
            "SELECT f.refund_id, f.computed_at AS since, f.return_id, r.order_no, f.amount, f.currency, f.status "
            "FROM refunds f JOIN returns r ON r.return_id = f.return_id "
            "WHERE f.refund_id IN (SELECT refund_id FROM refund_lines WHERE status = 'held') "
            "ORDER BY f.computed_at, f.refund_id LIMIT ?",
            [limit],
        )
        for item in items:
            held = rows(db, "SELECT item_id, amount, why, holds FROM refund_lines WHERE refund_id = ? AND status = 'held' "
                            "ORDER BY item_id", [item["refund_id"]])
            for line in held:
                line["holds"] = json.loads(line["holds"])
            item["held_lines"] = held
            item["hold_reasons"] = held  # the name this queue used before lines (kept for integrations)
        return {"items": items}
    if name == "quarantine":
        return {"items": quarantine.queue(db)[:limit]}
    if name == "claims":
        # transit-damaged items whose carrier claim is open or filed, not yet settled or rejected
        return claims.queue(db, limit)
    if name == "refurbish":
        where = "JOIN work_orders w ON w.item_id = d.item_id AND w.status = 'open'"
        extra = ", w.wo_id, w.tote"
    else:
        where = ("JOIN rtv_items t ON t.item_id = d.item_id AND t.status = 'in_batch' "
                 "JOIN rtv_batches b ON b.batch_id = t.batch_id AND b.status = 'open'")
        extra = ", t.batch_id, t.value"
    items = rows(
        db,
        f"SELECT d.item_id, d.decided_at AS since, i.return_id, r.order_no, i.sku, p.name, i.qty, i.grade, i.reason, "
        f"i.flags, d.target, p.supplier_id{extra} FROM decisions d {where} JOIN return_items i ON i.item_id = d.item_id "
        "JOIN returns r ON r.return_id = i.return_id LEFT JOIN products p ON p.sku = i.sku "
        "ORDER BY d.decided_at, d.item_id LIMIT ?",
        [limit],
    )
    for item in items:
        item["flags"] = json.loads(item["flags"])
    return {"items": items}
