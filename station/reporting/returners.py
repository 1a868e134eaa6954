"""Frequent returners for review, with each one's history (the rule of station/customers.py)."""
import json
from datetime import timedelta

from station import policy as policy_module
from station.db import one, rows
from station.errors import not_found
from station.inputs import whole_number
from station import timeutil
from station.timeutil import iso
from station.languages import N_


MAX_LIST = 1000  # frequent returners listed at most (the total is always counted)


def limit_arg(value, default=100, high=5000, field="limit"):
    return whole_number(value, field, 1, high, default=default)


def _english(text, **values):
    return text % values


def frequent_returners(db, limit=100, at=None, say=_english):
    """Customers the frequent-returner rule flags now, most recent returns first.

    Each one's `why` names the rule it meets, phrased by `say(text, **values)`: English (the API's,
    the CSV's) unless a screen passes flask_babel's gettext for its language.

    The rule (policy, editable): at least `frequent_returns_count` returns in the last
    `frequent_returns_days` days, or a return rate of at least `frequent_return_rate` over at
    least `frequent_min_orders` orders. Counts come from report_customers / report_customer_days;
    the window's first day is counted from the returns themselves, to the second.

    Whoever meets the count rule sorts before whoever meets only the rate rule (more recent
    returns), so the list is the count-rule hits, topped up with rate-rule hits only when they
    are fewer than `limit`; the total is |count hits| + |rate hits| - |both|, never a list of all.
    """
    policy = policy_module.load(db)
    at = at or timeutil.now()
    cutoff = at - timedelta(days=int(policy["frequent_returns_days"]))
    p = {"cutoff": iso(cutoff), "cutoff_day": cutoff.date().isoformat(),
         "next_day": (cutoff + timedelta(days=1)).date().isoformat(), "count": int(policy["frequent_returns_count"]),
         "min_orders": int(policy["frequent_min_orders"])}
    # the rate as a fraction of whole numbers: exact, as customers.flags compares Decimals
    p["num"], p["den"] = policy_module.dec(policy, "frequent_return_rate").as_integer_ratio()
    recent = (
        "SELECT customer_id, sum(n) AS recent FROM ("
        " SELECT customer_id, returns AS n FROM report_customer_days WHERE day > :cutoff_day"
        " UNION ALL SELECT o.customer_id, 1 FROM returns r JOIN orders o ON o.order_no = r.order_no"
        " WHERE r.opened_at >= :cutoff AND r.opened_at < :next_day) GROUP BY customer_id"
    )
    rate_hit = "a.orders >= :min_orders AND a.returns * :den >= :num * a.orders"  # no division: orders may be 0
    hits = {r["customer_id"]: r for r in rows(
        db,
        f"SELECT x.customer_id, x.recent, coalesce(a.orders, 0) AS orders, coalesce(a.returns, 0) AS returns, "
        f"coalesce({rate_hit}, 0) AS rate_hit FROM ({recent}) x "
        "LEFT JOIN report_customers a ON a.customer_id = x.customer_id WHERE x.recent >= :count",
        p,
    )}
    rate_hits = db.execute(f"SELECT count(*) FROM report_customers a WHERE {rate_hit}", p).fetchone()[0]
    total = len(hits) + rate_hits - sum(1 for h in hits.values() if h["rate_hit"])
    chosen = sorted(hits.values(), key=lambda r: (-r["recent"], -r["returns"], r["customer_id"]))[:limit]
    if len(chosen) < limit:  # top up with the rate-rule hits, by their returns in the window
        chosen += rows(
            db,
            f"SELECT a.customer_id, coalesce(x.recent, 0) AS recent, a.orders, a.returns FROM report_customers a "
            f"LEFT JOIN ({recent}) x ON x.customer_id = a.customer_id WHERE {rate_hit} AND coalesce(x.recent, 0) < :count "
            "ORDER BY coalesce(x.recent, 0) DESC, a.returns DESC, a.customer_id LIMIT :limit",
            dict(p, limit=limit - len(chosen)),
        )
    # a supervisor who cleared the flag judged what came before: the bench's rule (customers.flags)
    # decides again for those, and a customer it no longer flags leaves the list and the total
    cleared = {r["customer_id"] for r in rows(
        db, "SELECT DISTINCT customer_id FROM customer_flag_clearances WHERE flag = 'frequent_returner' "
            "AND customer_id IN (SELECT value FROM json_each(?))", [json.dumps([h["customer_id"] for h in chosen])])}
    if cleared:
        from station.intake.customers import flags as customer_flags

        still = {c for c in cleared if "frequent_returner" in customer_flags(
            db, one(db, "SELECT customer_id, fraud FROM customers WHERE customer_id = ?", [c]), policy)}
        total -= len(cleared - still)
        chosen = [h for h in chosen if h["customer_id"] not in cleared - still]
    ids = json.dumps([h["customer_id"] for h in chosen])
    people = {r["customer_id"]: r for r in rows(
        db, "SELECT customer_id, name, country, email, fraud FROM customers "
            "WHERE customer_id IN (SELECT value FROM json_each(?))", [ids])}
    last = {r["customer_id"]: r["last"] for r in rows(
        db, "SELECT customer_id, (SELECT max(day) FROM report_customer_days d WHERE d.customer_id = c.value "
            "AND d.returns > 0) AS last FROM (SELECT value, value AS customer_id FROM json_each(?)) c", [ids])}
    result = []
    for h in chosen:
        c = people.get(h["customer_id"], {})
        r = {"customer_id": h["customer_id"], "name": c.get("name"), "country": c.get("country"),
             "email": c.get("email"), "fraud": bool(c.get("fraud")), "orders": h["orders"], "returns": h["returns"],
             "recent": h["recent"], "return_rate": round(h["returns"] / h["orders"], 4) if h["orders"] else None,
             "last_return_day": last.get(h["customer_id"])}
        rules = []
        if r["recent"] >= p["count"]:
            rules.append(say(N_("%(recent)s returns in %(days)s days"), recent=r["recent"],
                             days=policy["frequent_returns_days"]))
        if r["orders"] >= p["min_orders"] and r["returns"] * p["den"] >= p["num"] * r["orders"]:
            # the bench's rule is returns per order (two parcels back from one order are two returns)
            rules.append(say(N_("%(returns)s returns over %(orders)s orders (%(rate)s%%)"), returns=r["returns"],
                             orders=r["orders"], rate=f"{r['return_rate'] * 100:.0f}"))
        r["why"] = "; ".join(rules)
        result.append(r)
    return {"rows": result, "total": total, "rule": {k: policy[k] for k in (
        "frequent_returns_count", "frequent_returns_days", "frequent_return_rate", "frequent_min_orders")}}


def history(db, customer_id, limit=200):
    """One customer's card and returns, newest first: what came back, why, where it went, the refund.

    Each return carries its whole refund (refund_amount, currency, refund_status); each item its
    own refund line: line_amount in line_currency (the refund's), line_status (ready, held,
    rejected, paid, exchange) and line_holds (what holds it). Before the return closes an item
    has no line: those are None (line_holds empty).
    """
    customer = one(db, "SELECT customer_id, name, email, phone, country, fraud FROM customers WHERE customer_id = ?",
                   [customer_id])
    if customer is None:
        raise not_found(N_("customer"), customer_id)
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
        "SELECT i.return_id, i.item_id, i.sku, p.name, i.qty, i.grade, i.reason, i.flags, d.disposition, "
        "l.amount AS line_amount, f.currency AS line_currency, l.status AS line_status, l.holds AS line_holds "
        "FROM return_items i LEFT JOIN products p ON p.sku = i.sku LEFT JOIN decisions d ON d.item_id = i.item_id "
        "LEFT JOIN refund_lines l ON l.item_id = i.item_id LEFT JOIN refunds f ON f.refund_id = l.refund_id "
        "WHERE i.return_id IN (SELECT value FROM json_each(?)) ORDER BY i.item_id",
        [json.dumps([r["return_id"] for r in returns])],
    )
    by_return = {}
    for item in items:
        item["flags"] = json.loads(item["flags"])
        # the item's own refund line (none before the return closes): its amount is in the refund's currency
        item["line_holds"] = json.loads(item["line_holds"]) if item["line_holds"] else []
        by_return.setdefault(item["return_id"], []).append(item)
    for r in returns:
        r["items"] = by_return.get(r["return_id"], [])
    return {"customer": customer, "returns": returns}


HISTORY_COLUMNS = ("return_id", "order_no", "opened_at", "channel", "sku", "qty", "grade", "reason", "disposition",
                   "refund_amount", "currency", "refund_status",
                   "line_amount", "line_currency", "line_status", "line_holds")


def history_rows(found):
    """The history flattened to one row per returned item, for CSV (columns: HISTORY_COLUMNS).

    The whole refund's amount sits beside its currency, the item's line amount beside its own;
    line_holds is the holds' names separated by spaces.
    """
    out = []
    for r in found["returns"]:
        for item in r["items"] or [{}]:
            out.append({"return_id": r["return_id"], "order_no": r["order_no"], "opened_at": r["opened_at"],
                        "channel": r["channel"], "sku": item.get("sku"), "qty": item.get("qty"),
                        "grade": item.get("grade"), "reason": item.get("reason"),
                        "disposition": item.get("disposition"), "refund_amount": r["refund_amount"],
                        "currency": r["currency"], "refund_status": r["refund_status"],
                        "line_amount": item.get("line_amount"), "line_currency": item.get("line_currency"),
                        "line_status": item.get("line_status"), "line_holds": " ".join(item.get("line_holds") or [])})
    return out
