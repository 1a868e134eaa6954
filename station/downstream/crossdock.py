"""Cross-dock: a returned unit goes straight to a customer order that is waiting for it."""
from flask_babel import gettext as _

from station.db import one, rows
from station.errors import conflict
from station.events import emit
from station.timeutil import now_iso


def best_waiting_line(db, sku, qty, order_no=None):
    """The waiting line to fill: highest priority, then oldest placed_at; open qty >= qty."""
    where = "AND o.order_no = ?" if order_no else ""
    params = [sku, qty] + ([order_no] if order_no else [])
    return one(
        db,
        "SELECT ol.order_no, ol.line_no, ol.qty, ol.qty_allocated, o.priority, o.placed_at "
        "FROM order_lines ol JOIN orders o ON o.order_no = ol.order_no "
        f"WHERE o.status = 'awaiting_stock' AND ol.sku = ? AND ol.qty - ol.qty_allocated >= ? {where} "
        # julianday: stored times with fractions ('...:00.500000Z') sort before whole seconds ('...:00Z') as text
        "ORDER BY o.priority DESC, julianday(o.placed_at) ASC, o.placed_at ASC, o.order_no, ol.line_no LIMIT 1",
        params,
    )


def allocate(db, item_id, sku, qty, order_no):
    """Allocate qty of sku to a waiting line of order_no; call inside the decision's transaction.

    The UPDATE re-checks the open quantity itself, so two stations can never take the same
    unit: the second one's update matches no row and it gets a 409.
    """
    line = best_waiting_line(db, sku, qty, order_no)
    if line is None:
        raise conflict("no_open_quantity", _("Order %(order)s has no waiting quantity of %(sku)s left",
                                             order=order_no, sku=sku))
    cursor = db.execute(
        "UPDATE order_lines SET qty_allocated = qty_allocated + ? "
        "WHERE order_no = ? AND line_no = ? AND qty - qty_allocated >= ?",
        [qty, line["order_no"], line["line_no"], qty],
    )
    if cursor.rowcount != 1:
        raise conflict("no_open_quantity", _("Order %(order)s has no waiting quantity of %(sku)s left",
                                             order=order_no, sku=sku))
    db.execute(
        "INSERT INTO allocations (order_no, line_no, item_id, qty, at) VALUES (?, ?, ?, ?, ?)",
        [line["order_no"], line["line_no"], item_id, qty, now_iso()],
    )
    emit(db, "allocation.made", order_no=line["order_no"], line_no=line["line_no"], qty=qty, item_id=item_id)
    open_lines = one(
        db, "SELECT count(*) AS n FROM order_lines WHERE order_no = ? AND qty_allocated < qty", [line["order_no"]]
    )["n"]
    if open_lines == 0:
        db.execute("UPDATE orders SET status = 'ready_to_ship' WHERE order_no = ? AND status = 'awaiting_stock'",
                   [line["order_no"]])
        emit(db, "order.ready_to_ship", order_no=line["order_no"])
    return line


def outbound_lane(order_no):
    """The outbound lane a cross-docked item is taken to (by order number, stable)."""
    digits = sum(ord(c) for c in order_no)
    return f"OUT-{digits % 8 + 1:02d}"


def order_with_lines(db, order_no):
    order = one(db, "SELECT order_no, status, customer_id, placed_at, priority FROM orders WHERE order_no = ?", [order_no])
    if order is None:
        return None
    order["lines"] = rows(
        db, "SELECT line_no, sku, qty, qty_allocated, unit_price FROM order_lines WHERE order_no = ? ORDER BY line_no",
        [order_no],
    )
    return order
