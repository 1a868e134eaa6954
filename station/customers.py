"""Customer history and flags: frequent returner, earlier fraud."""
from datetime import timedelta
from decimal import Decimal

from . import policy as policy_module
from .timeutil import iso, now


def history(db, customer_id):
    """Orders (cancelled excluded) and returns received at the bench for one customer."""
    orders_count = db.execute(
        "SELECT count(*) FROM orders WHERE customer_id = ? AND status != 'cancelled'", [customer_id]
    ).fetchone()[0]
    returns_count = db.execute(
        "SELECT count(*) FROM returns r JOIN orders o ON o.order_no = r.order_no WHERE o.customer_id = ?",
        [customer_id],
    ).fetchone()[0]
    return orders_count, returns_count


def flags(db, customer, policy, orders_count=None, returns_count=None):
    """Customer-level flags: `frequent_returner`, `earlier_fraud`."""
    if orders_count is None:
        orders_count, returns_count = history(db, customer["customer_id"])
    result = []
    since = iso(now() - timedelta(days=int(policy["frequent_returns_days"])))
    recent = db.execute(
        "SELECT count(*) FROM returns r JOIN orders o ON o.order_no = r.order_no "
        "WHERE o.customer_id = ? AND r.opened_at >= ?",
        [customer["customer_id"], since],
    ).fetchone()[0]
    rate_hit = (
        orders_count >= int(policy["frequent_min_orders"])
        and Decimal(returns_count) / Decimal(orders_count) >= policy_module.dec(policy, "frequent_return_rate")
    )
    if recent >= int(policy["frequent_returns_count"]) or rate_hit:
        result.append("frequent_returner")
    if customer.get("fraud"):
        result.append("earlier_fraud")
    return result


def describe(db, customer_id, policy):
    """The customer card: contract fields plus email and phone for the bench."""
    row = db.execute(
        "SELECT customer_id, name, email, phone, country, fraud FROM customers WHERE customer_id = ?",
        [customer_id],
    ).fetchone()
    if row is None:
        return None
    customer = dict(zip(("customer_id", "name", "email", "phone", "country", "fraud"), row))
    orders_count, returns_count = history(db, customer_id)
    customer["flags"] = flags(db, customer, policy, orders_count, returns_count)
    customer["orders_count"] = orders_count
    customer["returns_count"] = returns_count
    customer.pop("fraud")
    return customer
