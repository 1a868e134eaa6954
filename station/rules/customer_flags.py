"""Customer-level flags: frequent returner (DESIGN.md "Customer flags") and earlier fraud."""
from decimal import Decimal

from station.policy import dec


def customer_flags(orders_count, returns_count, recent_returns, fraud, policy):
    """`frequent_returner`: at least N returns in the last days, or a return rate at least R over at
    least M orders (policy values); `earlier_fraud`: a quarantine review confirmed fraud before."""
    result = []
    rate_hit = (
        orders_count >= int(policy["frequent_min_orders"])
        and Decimal(returns_count) / Decimal(orders_count) >= dec(policy, "frequent_return_rate")
    )
    if recent_returns >= int(policy["frequent_returns_count"]) or rate_hit:
        result.append("frequent_returner")
    if fraud:
        result.append("earlier_fraud")
    return result
