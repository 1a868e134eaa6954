"""Find a parcel with no label: by customer name, email, phone or order number."""
import re

from .db import rows

LIMIT = 20


def search_orders(db, q, limit=LIMIT):
    """Returnable orders matching the text, newest first (at most `limit`)."""
    q = (q or "").strip()
    if len(q) < 2 or len(q) > 100:
        return []
    like = q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    digits = re.sub(r"\D", "", q)
    found = rows(
        db,
        "SELECT o.order_no, o.placed_at, o.delivered_at, o.channel, o.status, c.name AS customer_name, c.email, c.phone, c.country "
        "FROM orders o JOIN customers c ON c.customer_id = o.customer_id "
        "WHERE o.status IN ('shipped', 'delivered') AND o.customer_id IN ("
        "  SELECT customer_id FROM customers WHERE name LIKE ? ESCAPE '\\' COLLATE NOCASE"
        "  UNION SELECT customer_id FROM customers WHERE email LIKE ? ESCAPE '\\' COLLATE NOCASE"
        "  UNION SELECT customer_id FROM customers WHERE phone LIKE ? ESCAPE '\\'"
        "  UNION SELECT customer_id FROM customers WHERE name LIKE ? ESCAPE '\\' COLLATE NOCASE"
        ") "
        "UNION SELECT o.order_no, o.placed_at, o.delivered_at, o.channel, o.status, c.name, c.email, c.phone, c.country "
        "FROM orders o JOIN customers c ON c.customer_id = o.customer_id WHERE o.order_no = ? COLLATE NOCASE "
        "ORDER BY 2 DESC LIMIT ?",
        [like, like, ("+" + digits + "%") if digits and len(digits) >= 4 else like, "% " + like, q, limit],
    )
    return found
