"""Find a parcel with no label: by customer name, email, phone or order number."""
import re

from station.db import rows

LIMIT = 20
# Han, kana and Hangul: one character is a family name (王, 李, 佐藤's 佐), and names carry no
# space between family and given name, so a part of the name is found anywhere in it
CJK = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff]")


def searchable(q):
    """Is this text worth a search: two characters, or one of a CJK script."""
    q = (q or "").strip()
    return 0 < len(q) <= 100 and (len(q) >= 2 or bool(CJK.search(q)))


def search_orders(db, q, limit=LIMIT):
    """Returnable orders matching the text, newest first (at most `limit`)."""
    q = (q or "").strip()
    if not searchable(q):
        return []
    like = q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    inside = ("%" if CJK.search(q) else "% ") + like  # a later word; for CJK, anywhere in the name
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
        [like, like, ("+" + digits + "%") if digits and len(digits) >= 4 else like, inside, q, limit],
    )
    return found
