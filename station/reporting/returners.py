"""Frequent returners for review, with each one's history (the rule of station/customers.py)."""
import json
from datetime import timedelta

from .. import policy as policy_module
from ..db import one, rows
from ..errors import bad, not_found
from .. import timeutil
from ..timeutil import iso


def limit_arg(value, default=100, high=5000, field="limit"):
    if value in (None, ""):
        return default
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise bad(field, "must be a whole number") from None
    if not 1 <= number <= high:
        raise bad(field, f"must be from 1 to {high}")
    return number


def frequent_returners(db, limit=100, at=None):
    """Customers the frequent-returner rule flags now, most recent returns first.

    The rule (policy, editable): at least `frequent_returns_count` returns in the last
    `frequent_returns_days` days, or a return rate of at least `frequent_return_rate` over at
    least `frequent_min_orders` orders. Counts come from report_customers / report_customer_days;
    the window's first day is counted from the returns themselves, to the second.
    """
    policy = policy_module.load(db)
    at = at or timeutil.now()
    cutoff = at - timedelta(days=int(policy["frequent_returns_days"]))
    next_day = (cutoff + timedelta(days=1)).date().isoformat()
    params = {
        "cutoff": iso(cutoff), "cutoff_day": cutoff.date().isoformat(), "next_day": next_day,
        "count": int(policy["frequent_returns_count"]), "min_orders": int(policy["frequent_min_orders"]),
        "limit": limit,
    }
    # the rate as a fraction of whole numbers: exact, as customers.flags compares Decimals
    params["rate_num"], params["rate_den"] = policy_module.dec(policy, "frequent_return_rate").as_integer_ratio()
    recent = (
        "SELECT customer_id, sum(n) AS recent FROM ("
        " SELECT customer_id, returns AS n FROM report_customer_days WHERE day > :cutoff_day"
        " UNION ALL SELECT o.customer_id, 1 FROM returns r JOIN orders o ON o.order_no = r.order_no"
        " WHERE r.opened_at >= :cutoff AND r.opened_at < :next_day) GROUP BY customer_id"
    )
    # rate hit: returns / orders >= num / den, written without a division (orders may be 0)
    flagged = (
        f"SELECT a.customer_id, a.orders, a.returns, coalesce(x.recent, 0) AS recent FROM report_customers a "
        f"LEFT JOIN ({recent}) x ON x.customer_id = a.customer_id "
        "WHERE coalesce(x.recent, 0) >= :count "
        "OR (a.orders >= :min_orders AND a.returns * :rate_den >= :rate_num * a.orders)"
    )
    total = db.execute(f"SELECT count(*) FROM ({flagged})", params).fetchone()[0]
    found = rows(
        db,
        f"SELECT f.customer_id, c.name, c.country, c.email, c.fraud, f.orders, f.returns, f.recent FROM ({flagged}) f "
        "JOIN customers c ON c.customer_id = f.customer_id "
        "ORDER BY f.recent DESC, f.returns DESC, f.customer_id LIMIT :limit",
        params,
    )
    for r in found:
        r["return_rate"] = round(r["returns"] / r["orders"], 4) if r["orders"] else None
        rules = []
        if r["recent"] >= params["count"]:
            rules.append(f"{r['recent']} returns in {policy['frequent_returns_days']} days")
        if r["orders"] >= params["min_orders"] and r["returns"] * params["rate_den"] >= params["rate_num"] * r["orders"]:
            rules.append(f"returned {r['returns']} of {r['orders']} orders")
        r["why"] = "; ".join(rules)
        r["fraud"] = bool(r["fraud"])
        last = one(
            db,
            "SELECT max(r.opened_at) AS last FROM returns r JOIN orders o ON o.order_no = r.order_no "
            "WHERE o.customer_id = ?",
            [r["customer_id"]],
        )
        r["last_return_at"] = last["last"] if last else None
    return {"rows": found, "total": total, "rule": {k: policy[k] for k in (
        "frequent_returns_count", "frequent_returns_days", "frequent_return_rate", "frequent_min_orders")}}


def history(db, customer_id, limit=200):
    """One customer's card and returns, newest first: what came back, why, where it went, the refund."""
    customer = one(db, "SELECT customer_id, name, email, phone, country, fraud FROM customers WHERE customer_id = ?",
                   [customer_id])
    if customer is None:
        raise not_found("customer", customer_id)
    counts = one(db, "SELECT orders, returns FROM report_customers WHERE customer_id = ?", [customer_id]) or {
        "orders": 0, "returns": 0}
    customer.update(counts)
    customer["fraud"] = bool(customer["fraud"])
    returns = rows(
        db,
        "SELECT r.return_id, r.order_no, o.channel, o.placed_at, o.delivered_at, r.opened_at, r.station, r.status, "
        "f.amount AS refund_amount, f.currency, f.status AS refund_status FROM returns r "
        "JOIN orders o ON o.order_no = r.order_no LEFT JOIN refunds f ON f.return_id = r.return_id "
        "WHERE o.customer_id = ? ORDER BY r.opened_at DESC, r.return_id DESC LIMIT ?",
        [customer_id, limit],
    )
    items = rows(
        db,
        "SELECT i.return_id, i.sku, p.name, i.qty, i.grade, i.reason, i.flags, d.disposition FROM return_items i "
        "LEFT JOIN products p ON p.sku = i.sku LEFT JOIN decisions d ON d.item_id = i.item_id "
        "WHERE i.return_id IN (SELECT value FROM json_each(?)) ORDER BY i.item_id",
        [json.dumps([r["return_id"] for r in returns])],
    )
    by_return = {}
    for item in items:
        item["flags"] = json.loads(item["flags"])
        by_return.setdefault(item["return_id"], []).append(item)
    for r in returns:
        r["items"] = by_return.get(r["return_id"], [])
    return {"customer": customer, "returns": returns}


def history_rows(found):
    """The history flattened to one row per returned item, for CSV."""
    out = []
    for r in found["returns"]:
        for item in r["items"] or [{}]:
            out.append({"return_id": r["return_id"], "order_no": r["order_no"], "opened_at": r["opened_at"],
                        "channel": r["channel"], "sku": item.get("sku"), "qty": item.get("qty"),
                        "grade": item.get("grade"), "reason": item.get("reason"),
                        "disposition": item.get("disposition"), "refund_amount": r["refund_amount"],
                        "currency": r["currency"], "refund_status": r["refund_status"]})
    return out
