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
    since = iso(now() - timedelta(days=int(policy["frequent_returns_days"])))
    return db.execute(
        "WITH cleared(at) AS (SELECT CASE WHEN :for_flags THEN coalesce((SELECT max(cleared_at) "
        "    FROM customer_flag_clearances WHERE customer_id = :c AND flag = 'frequent_returner'), '') ELSE '' END) "
        "SELECT (SELECT count(*) FROM orders, cleared WHERE customer_id = :c AND status != 'cancelled' "
        "        AND placed_at >= cleared.at), "
        "count(CASE WHEN r.opened_at >= cleared.at THEN 1 END), "
        "count(CASE WHEN r.opened_at >= max(:since, cleared.at) THEN 1 END) "
        "FROM cleared, returns r JOIN orders o ON o.order_no = r.order_no WHERE o.customer_id = :c",
        {"c": customer_id, "since": since, "for_flags": int(for_flags)},
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
    """The customer card: contract fields plus email and phone for the bench.

    One read: the customer, the card's counts (history) and the counts its flags weigh
    (history for_flags: after a clearance of the frequent-returner flag)."""
    since = iso(now() - timedelta(days=int(policy["frequent_returns_days"])))
    row = one(
        db,
        "WITH cleared(at) AS (SELECT coalesce(max(cleared_at), '') FROM customer_flag_clearances "
        "    WHERE customer_id = :c AND flag = 'frequent_returner'), "
        "back(opened_at) AS (SELECT r.opened_at FROM returns r JOIN orders o ON o.order_no = r.order_no "
        "    WHERE o.customer_id = :c) "
        "SELECT c.customer_id, c.name, c.email, c.phone, c.country, c.fraud, "
        "(SELECT count(*) FROM orders WHERE customer_id = :c AND status != 'cancelled' AND placed_at >= '') AS orders_count, "
        "(SELECT count(CASE WHEN opened_at >= '' THEN 1 END) FROM back) AS returns_count, "
        "(SELECT count(*) FROM orders, cleared WHERE customer_id = :c AND status != 'cancelled' "
        "    AND placed_at >= cleared.at) AS flag_orders, "
        "(SELECT count(CASE WHEN opened_at >= cleared.at THEN 1 END) FROM back, cleared) AS flag_returns, "
        "(SELECT count(CASE WHEN opened_at >= max(:since, cleared.at) THEN 1 END) FROM back, cleared) AS flag_recent "
        "FROM customers c WHERE c.customer_id = :c",
        {"c": customer_id, "since": since},
    )
    if row is None:
        return None
    counts = (row.pop("flag_orders"), row.pop("flag_returns"), row.pop("flag_recent"))
    customer = {k: row[k] for k in ("customer_id", "name", "email", "phone", "country", "fraud")}
    customer["flags"] = flags(db, customer, policy, counts)
    customer["orders_count"] = row["orders_count"]
    customer["returns_count"] = row["returns_count"]
    customer.pop("fraud")
    return customer
