"""Find a parcel with no label: by customer name (any order of its words, accents or not), email,
phone (any spacing, national or international), order number or a tracking number."""
import re
import unicodedata

from station.db import rows

LIMIT = 20
# Han, kana and Hangul: one character is a family name (王, 李, 佐藤's 佐), and names carry no
# space between family and given name, so a part of the name is found anywhere in it
CJK = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff]")
_FOLDS = str.maketrans({"ß": "ss", "ø": "o", "đ": "d", "ł": "l", "æ": "ae", "œ": "oe", "ı": "i", "þ": "th"})
FIELDS = ("o.order_no, o.placed_at, o.delivered_at, o.channel, o.status, c.name AS customer_name, c.email, c.phone, "
          "c.country")


NAME_LIKE = "fold(name) LIKE ? ESCAPE '\\'"


def fold(text):
    """Text as a search compares it: lower case, without accents (Björn = bjorn, Łukasz = lukasz)."""
    if text is None:
        return None
    text = unicodedata.normalize("NFKD", str(text).casefold().translate(_FOLDS))
    return "".join(c for c in text if not unicodedata.combining(c))


def digits(text):
    """The digits of a phone number, whatever its spacing and signs."""
    return re.sub(r"\D", "", text) if text else None


def searchable(q):
    """Is this text worth a search: two characters, or one of a CJK script."""
    q = (q or "").strip()
    return 0 < len(q) <= 100 and (len(q) >= 2 or bool(CJK.search(q)))


def _escape(text):
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _names_match(name, words):
    """Every word typed starts a word of the name, in any order (CJK: anywhere in it)."""
    folded = fold(name) or ""
    parts = re.split(r"[\s\-'’.,]+", folded)
    return all((word in folded) if CJK.search(word) else any(p.startswith(word) for p in parts) for word in words)


def search_orders(db, q, limit=LIMIT):
    """Returnable orders matching the text, newest first (at most `limit`)."""
    q = (q or "").strip()
    if not searchable(q):
        return []
    words = fold(q).split()
    found = {}

    def add(sql, params):
        for row in rows(db, f"SELECT {FIELDS} FROM orders o JOIN customers c ON c.customer_id = o.customer_id "
                            f"WHERE o.status IN ('shipped', 'delivered') AND {sql} ORDER BY o.placed_at DESC LIMIT 200",
                        params):
            found.setdefault(row["order_no"], row)

    # order number or tracking number, as typed (any case)
    add("(o.order_no = ? COLLATE NOCASE OR o.order_no IN (SELECT order_no FROM cartons WHERE tracking_no = ? COLLATE NOCASE "
        "OR carton_code = ? COLLATE NOCASE) OR o.order_no IN (SELECT order_no FROM rmas WHERE return_tracking_no = ? "
        "COLLATE NOCASE OR rma_no = ? COLLATE NOCASE))", [q] * 5)
    # name: every word somewhere in it (narrowed in Python to word starts, in any order)
    like = [f"%{_escape(word)}%" for word in words]
    for row in rows(db, f"SELECT {FIELDS} FROM orders o JOIN customers c ON c.customer_id = o.customer_id "
                        "WHERE o.status IN ('shipped', 'delivered') AND o.customer_id IN (SELECT customer_id FROM customers "
                        f"WHERE {' AND '.join([NAME_LIKE] * len(like))}) "
                        "ORDER BY o.placed_at DESC LIMIT 500", like):
        if _names_match(row["customer_name"], words):
            found.setdefault(row["order_no"], row)
    # email, from its start
    add("fold(c.email) LIKE ? ESCAPE '\\'", [_escape(fold(q)) + "%"])
    # phone: its digits, international (+44 7908 378656) or national (07908 378656)
    number = (digits(q) or "").lstrip("0")
    if len(number) >= 6 and len(number) * 2 >= len(re.sub(r"[\s+()\-./]", "", q)):
        add("digits(c.phone) LIKE ?", [f"%{number}%"])
    return sorted(found.values(), key=lambda r: r["placed_at"] or "", reverse=True)[:limit]
