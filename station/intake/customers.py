"""Customer history and flags: frequent returner, earlier fraud; a supervisor clears a flag with a note."""
from datetime import timedelta

from flask_babel import gettext as _

from station.db import one, rows, write
from station.errors import bad, not_found
from station.events import emit
from station.rules.customer_flags import customer_flags
from station.timeutil import iso, now, now_iso
from station.languages import N_

CLEARABLE = ("frequent_returner", "earlier_fraud")


def history(db, customer_id, policy, for_flags=False):
    """Orders (cancelled excluded), returns received at the bench, and those of recent days.

    for_flags: once a supervisor cleared the frequent-returner flag, it is judged only on what
    came after the clearance (the card's own counts stay whole)."""
    cleared = ""
    if for_flags:
        cleared = one(db, "SELECT max(cleared_at) AS at FROM customer_flag_clearances WHERE customer_id = ? "
                          "AND flag = 'frequent_returner'", [customer_id])["at"] or ""
    since = max(iso(now() - timedelta(days=int(policy["frequent_returns_days"]))), cleared)
    return db.execute(
        "SELECT (SELECT count(*) FROM orders WHERE customer_id = :c AND status != 'cancelled' AND placed_at >= :cleared), "
        "count(CASE WHEN r.opened_at >= :cleared THEN 1 END), count(CASE WHEN r.opened_at >= :since THEN 1 END) "
        "FROM returns r JOIN orders o ON o.order_no = r.order_no WHERE o.customer_id = :c",
        {"c": customer_id, "since": since, "cleared": cleared},
    ).fetchone()


def flags(db, customer, policy, counts=None):
    """Customer-level flags: `frequent_returner`, `earlier_fraud` (station/rules/customer_flags.py)."""
    orders_count, returns_count, recent = counts or history(db, customer["customer_id"], policy, for_flags=True)
    return customer_flags(orders_count, returns_count, recent, customer.get("fraud"), policy)


def clear_flag(db, customer_id, flag, note, user=None):
    """A supervisor clears a customer's flag, saying why (audited; an event on the feed)."""
    if flag not in CLEARABLE:
        raise bad("flag", _("must be one of %(choices)s", choices=", ".join(CLEARABLE)))
    if not isinstance(note, str) or not note.strip() or len(note) > 2000:
        raise bad("note", _("a note saying why is required"))
    with write(db):
        customer = one(db, "SELECT customer_id, fraud FROM customers WHERE customer_id = ?", [customer_id])
        if customer is None:
            raise not_found(N_("customer"), customer_id)
        at = now_iso()
        db.execute("INSERT INTO customer_flag_clearances (customer_id, flag, note, cleared_by, cleared_at) "
                   "VALUES (?, ?, ?, ?, ?)", [customer_id, flag, note.strip(), user, at])
        if flag == "earlier_fraud":
            db.execute("UPDATE customers SET fraud = 0 WHERE customer_id = ?", [customer_id])
        emit(db, "customer.flag_cleared", customer_id=customer_id, flag=flag, note=note.strip(), by=user)
    return {"customer_id": customer_id, "flag": flag, "note": note.strip(), "cleared_by": user, "cleared_at": at}


def clearances(db, customer_id):
    """The flags cleared for this customer, newest first."""
    return rows(db, "SELECT flag, note, cleared_by, cleared_at FROM customer_flag_clearances WHERE customer_id = ? "
                    "ORDER BY cleared_at DESC", [customer_id])


def describe(db, customer_id, policy):
    """The customer card: contract fields plus email and phone for the bench."""
    row = db.execute(
        "SELECT customer_id, name, email, phone, country, fraud FROM customers WHERE customer_id = ?",
        [customer_id],
    ).fetchone()
    if row is None:
        return None
    customer = dict(zip(("customer_id", "name", "email", "phone", "country", "fraud"), row))
    orders_count, returns_count, _recent = history(db, customer_id, policy)
    customer["flags"] = flags(db, customer, policy)
    customer["orders_count"] = orders_count
    customer["returns_count"] = returns_count
    customer.pop("fraud")
    return customer
