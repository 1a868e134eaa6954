"""Queues after the bench (sizes and ages) and cross-dock fills (waiting orders filled from returns)."""
import json
from datetime import timedelta

from station.db import one, rows
from station.inputs import whole_number
from station import timeutil
from station.timeutil import iso, parse
from station.reporting.periods import parse_range
from station.languages import N_

# each queue's label, in English (the API's); a page shows it in its language (`_(label)`)
QUEUES = {"refurbish": N_("Refurbish"), "rtv": N_("Return to vendor"), "quarantine": N_("Quarantine"),
          "refunds": N_("Held refunds"), "claims": N_("Carrier claims")}
AGE_BANDS = [("under_1d", 1), ("d1_to_3", 3), ("d3_to_7", 7), ("over_7d", None)]
LEAD_DAYS = 14  # default supplier lead time a cross-dock fill is measured against


# What waits in each queue, as the time it has waited since: the definitions of
# station/queues.py (an item leaves its queue when its work is done), counted instead of
# listed, from indexed columns only (a million-item quarantine is counted in milliseconds).
_MEMBERS = {
    "refurbish": "SELECT d.decided_at AS since FROM work_orders w JOIN decisions d ON d.item_id = w.item_id "
                 "WHERE w.status = 'open'",
    "rtv": "SELECT d.decided_at AS since FROM rtv_items t JOIN rtv_batches b ON b.batch_id = t.batch_id "
           "JOIN decisions d ON d.item_id = t.item_id WHERE t.status = 'in_batch' AND b.status = 'open'",
    # quarantine.PENDING: decided quarantine, or refused by the supplier; not yet reviewed
    "quarantine": "SELECT coalesce(t.added_at, d.decided_at) AS since FROM decisions d "
                  "LEFT JOIN rtv_items t ON t.item_id = d.item_id "
                  "WHERE d.disposition = 'quarantine' AND d.item_id NOT IN (SELECT item_id FROM quarantine_reviews) "
                  "UNION ALL SELECT t.added_at FROM rtv_items t JOIN decisions d ON d.item_id = t.item_id "
                  "WHERE t.status = 'refused' AND d.disposition != 'quarantine' "
                  "AND t.item_id NOT IN (SELECT item_id FROM quarantine_reviews)",
    "refunds": "SELECT computed_at AS since FROM refunds WHERE refund_id IN "
               "(SELECT refund_id FROM refund_lines WHERE status = 'held')",
    # downstream/claims.py UNSETTLED: a decided transit-damaged item whose claim is open or filed
    "claims": "SELECT d.decided_at AS since FROM return_items i JOIN decisions d ON d.item_id = i.item_id "
              "LEFT JOIN carrier_claims k ON k.item_id = i.item_id "
              "WHERE i.reason = 'damaged_in_transit' AND coalesce(k.status, 'open') IN ('open', 'claimed')",
}


def queues(db, at=None):
    """Per queue: items, the oldest waiting since when, and how many in each age band."""
    at = at or timeutil.now()
    cuts = [iso(at - timedelta(days=days)) for _, days in AGE_BANDS if days]
    result = []
    for name, label in QUEUES.items():
        row = one(
            db,
            "SELECT count(*) AS items, min(since) AS oldest, "
            "sum(since > ?) AS b0, sum(since <= ? AND since > ?) AS b1, sum(since <= ? AND since > ?) AS b2, "
            f"sum(since <= ?) AS b3 FROM ({_MEMBERS[name]})",
            [cuts[0], cuts[0], cuts[1], cuts[1], cuts[2], cuts[2]],
        )
        oldest = row["oldest"]
        entry = {"queue": name, "label": label, "items": row["items"], "oldest_since": oldest,
                 "oldest_age_days": round((at - parse(oldest)).total_seconds() / 86400, 1) if oldest else None}
        for i, (band, _) in enumerate(AGE_BANDS):
            entry[band] = row[f"b{i}"] or 0
        result.append(entry)
    return {"rows": result}


def lead_days_arg(value):
    return whole_number(value, "lead_days", 0, 365, default=LEAD_DAYS, unit=" of days")


def crossdock_fills(db, from_=None, to=None, lead_days=LEAD_DAYS):
    """Each returned unit that filled a waiting order line, with the days the order waited and saved.

    Days saved: the waiting order would have shipped when supplier stock arrived, `lead_days`
    after it was placed; the returns shipped it when the last of them covered its last line
    instead (never below zero). So the days count once per order, at the fill that completed
    it; a fill that leaves the order waiting for supplier stock saves nothing.
    """
    start, end = parse_range(from_, to)
    where, params = [], []
    if start:
        where.append("a.at >= ?")
        params.append(start.isoformat())
    if end:
        where.append("a.at < ?")
        params.append((end + timedelta(days=1)).isoformat())
    found = rows(
        db,
        "SELECT a.allocation_id, a.order_no, a.line_no, ol.sku, a.qty AS units, a.item_id, o.placed_at, "
        "a.at AS filled_at, o.status AS order_status, round(julianday(a.at) - julianday(o.placed_at), 1) AS days_waited "
        "FROM allocations a JOIN orders o ON o.order_no = a.order_no "
        "JOIN order_lines ol ON ol.order_no = a.order_no AND ol.line_no = a.line_no "
        f"WHERE {' AND '.join(where) or '1'} ORDER BY a.at DESC, a.allocation_id DESC",
        params,
    )
    # the fill that completed each order: its last allocation, once every line is covered
    completing = {r["last_id"] for r in rows(
        db,
        "SELECT (SELECT a.allocation_id FROM allocations a WHERE a.order_no = k.value "
        "        ORDER BY a.at DESC, a.allocation_id DESC LIMIT 1) AS last_id "
        "FROM json_each(?) k WHERE (SELECT coalesce(sum(a.qty), 0) FROM allocations a WHERE a.order_no = k.value) "
        "  >= (SELECT coalesce(sum(ol.qty), 0) FROM order_lines ol WHERE ol.order_no = k.value) "
        "AND (SELECT status FROM orders WHERE order_no = k.value) IS NOT 'cancelled'",
        [json.dumps(sorted({r["order_no"] for r in found}))],
    )}
    for r in found:
        r["completed_order"] = r["allocation_id"] in completing
        saved = max(0.0, lead_days - (r["days_waited"] or 0)) if r["completed_order"] else 0.0
        r["days_saved"] = round(saved, 1)
        del r["allocation_id"]
    completed = sum(1 for r in found if r["completed_order"])
    summary = {"fills": len(found), "orders": len({r["order_no"] for r in found}),
               "units": sum(r["units"] for r in found), "orders_completed": completed,
               "days_saved": round(sum(r["days_saved"] for r in found), 1), "lead_days": lead_days}
    summary["avg_days_saved"] = round(summary["days_saved"] / completed, 1) if completed else 0.0
    return {"rows": found, "summary": summary}
