"""Customer history and flags: frequent returner, earlier fraud."""
from datetime import timedelta

from station.rules.customer_flags import customer_flags
from station.timeutil import iso, now


def history(db, customer_id, policy):
    """Orders (cancelled excluded), returns received at the bench, and those of recent days."""
    since = iso(now() - timedelta(days=int(policy["frequent_returns_days"])))
    return db.execute(
        "SELECT (SELECT count(*) FROM orders WHERE customer_id = :c AND status != 'cancelled'), "
        "count(*), count(CASE WHEN r.opened_at >= :since THEN 1 END) "
        "FROM returns r JOIN orders o ON o.order_no = r.order_no WHERE o.customer_id = :c",
        {"c": customer_id, "since": since},
    ).fetchone()


def flags(db, customer, policy, counts=None):
    """Customer-level flags: `frequent_returner`, `earlier_fraud` (station/rules/customer_flags.py)."""
    orders_count, returns_count, recent = counts or history(db, customer["customer_id"], policy)
    return customer_flags(orders_count, returns_count, recent, customer.get("fraud"), policy)


def describe(db, customer_id, policy):
    """The customer card: contract fields plus email and phone for the bench."""
    row = db.execute(
        "SELECT customer_id, name, email, phone, country, fraud FROM customers WHERE customer_id = ?",
        [customer_id],
    ).fetchone()
    if row is None:
        return None
    customer = dict(zip(("customer_id", "name", "email", "phone", "country", "fraud"), row))
    counts = history(db, customer_id, policy)
    orders_count, returns_count, _recent = counts
    customer["flags"] = flags(db, customer, policy, counts)
    customer["orders_count"] = orders_count
    customer["returns_count"] = returns_count
    customer.pop("fraud")
    return customer
