"""Return to vendor: items collect in an open batch per supplier; a supervisor closes and settles it."""
from decimal import Decimal, InvalidOperation

from flask_babel import gettext as _

from station.db import one, rows, write
from station.errors import bad, conflict, not_found
from station.events import emit
from station.inputs import db_id
from station.timeutil import now_iso
from station.languages import N_


def add_to_batch(db, item_id, supplier_id, qty, unit_cost):
    """Called inside the rtv decision's transaction: the supplier's open batch, made if needed."""
    batch = one(db, "SELECT batch_id FROM rtv_batches WHERE supplier_id = ? AND status = 'open'", [supplier_id])
    if batch is None:
        cursor = db.execute("INSERT INTO rtv_batches (supplier_id, opened_at) VALUES (?, ?)", [supplier_id, now_iso()])
        batch = {"batch_id": cursor.lastrowid}
        emit(db, "rtv.batch_opened", batch_id=batch["batch_id"], supplier_id=supplier_id)
    value = Decimal(str(unit_cost or 0)) * qty
    db.execute("INSERT INTO rtv_items (item_id, batch_id, value, added_at) VALUES (?, ?, ?, ?)",
               [item_id, batch["batch_id"], f"{value:.2f}", now_iso()])
    return batch["batch_id"]


def get_batch(db, batch_id):
    batch_id = db_id(batch_id, "RTV batch")
    batch = one(db, "SELECT b.*, s.name AS supplier_name FROM rtv_batches b JOIN suppliers s ON s.supplier_id = b.supplier_id "
                    "WHERE b.batch_id = ?", [batch_id])
    if batch is None:
        raise not_found(N_("RTV batch"), batch_id)
    batch["items"] = batch_items(db, batch_id)
    batch["value"] = f"{sum(Decimal(i['value']) for i in batch['items'] if i['status'] != 'refused'):.2f}"
    return batch


def batch_items(db, batch_id):
    """The packing list and evidence pack: each item with what a supplier needs to accept it."""
    items = rows(
        db,
        "SELECT t.item_id, t.value, t.status, t.refused_reason, i.sku, p.name, i.qty, i.grade, i.reason, i.serial, i.notes, "
        "r.order_no, o.shipped_at, d.decided_at FROM rtv_items t JOIN return_items i ON i.item_id = t.item_id "
        "JOIN returns r ON r.return_id = i.return_id JOIN orders o ON o.order_no = r.order_no "
        "LEFT JOIN products p ON p.sku = i.sku JOIN decisions d ON d.item_id = t.item_id "
        "WHERE t.batch_id = ? ORDER BY t.item_id",
        [batch_id],
    )
    for item in items:
        item["photos"] = [p["photo_id"] for p in rows(db, "SELECT photo_id FROM photos WHERE item_id = ? ORDER BY photo_id", [item["item_id"]])]
    return items


def batches(db, status=None):
    """Batches (of one status), oldest first, each with its item count and value (refused items left out)."""
    where, params = ("WHERE b.status = ?", [status]) if status else ("", [])
    found = rows(
        db,
        "SELECT b.batch_id, b.supplier_id, s.name AS supplier_name, b.status, b.opened_at, b.closed_at, b.credit_expected, "
        "b.credit_received, (SELECT count(*) FROM rtv_items t WHERE t.batch_id = b.batch_id) AS items "
        f"FROM rtv_batches b JOIN suppliers s ON s.supplier_id = b.supplier_id {where} ORDER BY b.opened_at, b.batch_id",
        params,
    )
    # money is summed as decimals, not as SQLite floats
    totals = {}
    listed = db.execute(f"SELECT t.batch_id, t.value, t.status FROM rtv_items t JOIN rtv_batches b ON b.batch_id = t.batch_id {where}",
                        params).fetchall()
    for batch_id, value, item_status in listed:
        total = totals.setdefault(batch_id, {"value": Decimal("0"), "refused": 0})
        if item_status == "refused":
            total["refused"] += 1
        else:
            total["value"] += Decimal(value)
    for batch in found:
        total = totals.get(batch["batch_id"], {"value": Decimal("0"), "refused": 0})
        batch["value"], batch["refused"] = f"{total['value']:.2f}", total["refused"]
    return found


def close_batch(db, batch_id, user=None):
    """Close an open batch for shipping: the expected credit is fixed from its items."""
    with write(db):
        batch = get_batch(db, batch_id)
        if batch["status"] != "open":
            raise conflict("batch_not_open", _("Batch %(batch)s is %(status)s", batch=batch["batch_id"],
                                               status=_(batch["status"])))
        if not batch["items"]:
            raise conflict("batch_empty", _("An empty batch cannot be closed"))
        db.execute("UPDATE rtv_batches SET status = 'closed', closed_at = ?, closed_by = ?, credit_expected = ? WHERE batch_id = ?",
                   [now_iso(), user, batch["value"], batch["batch_id"]])
        emit(db, "rtv.batch_closed", batch_id=batch["batch_id"], supplier_id=batch["supplier_id"], credit_expected=batch["value"])
    return get_batch(db, batch["batch_id"])


def record_credit(db, batch_id, data, user=None):
    """The supplier's credit note arrived: credit received against expected."""
    if not isinstance(data, dict):
        raise bad("body", _("must be a JSON object"))
    try:
        amount = Decimal(str(data.get("amount")))
    except InvalidOperation:
        raise bad("amount", _("must be a decimal amount")) from None
    if not amount.is_finite() or amount < 0 or amount > Decimal("100000000"):
        raise bad("amount", _("must be an amount of 0 or more"))
    with write(db):
        batch = get_batch(db, batch_id)
        if batch["status"] != "closed":
            raise conflict("batch_not_closed", _("Batch %(batch)s is %(status)s: credit is recorded on a closed batch",
                                                 batch=batch["batch_id"], status=_(batch["status"])))
        db.execute("UPDATE rtv_batches SET status = 'settled', credit_received = ?, settled_at = ? WHERE batch_id = ?",
                   [f"{amount:.2f}", now_iso(), batch["batch_id"]])
        db.execute("UPDATE rtv_items SET status = 'accepted' WHERE batch_id = ? AND status = 'in_batch'", [batch["batch_id"]])
        emit(db, "rtv.credited", batch_id=batch["batch_id"], supplier_id=batch["supplier_id"],
             credit_expected=batch["credit_expected"], credit_received=f"{amount:.2f}")
    return get_batch(db, batch["batch_id"])


def refuse_item(db, item_id, data, user=None):
    """The supplier refused an item: it comes back for a new decision (quarantine review)."""
    if not isinstance(data, dict):
        raise bad("body", _("must be a JSON object"))
    reason = data.get("reason")
    if not isinstance(reason, str) or not reason.strip() or len(reason) > 500:
        raise bad("reason", _("say why the supplier refused it"))
    with write(db):
        item = one(db, "SELECT * FROM rtv_items WHERE item_id = ?", [db_id(item_id, "item")])
        if item is None:
            raise not_found(N_("RTV item"), item_id)
        if item["status"] == "refused":
            raise conflict("already_refused", _("Item %(item)s is already back from the supplier", item=item_id))
        batch = one(db, "SELECT status, credit_expected FROM rtv_batches WHERE batch_id = ?", [item["batch_id"]])
        if batch["status"] == "settled" or item["status"] != "in_batch":
            # the supplier's credit note settled the batch: what it credited stands
            raise conflict("batch_settled", _("Batch %(batch)s is settled: the supplier accepted item %(item)s with its "
                                              "credit note", batch=item["batch_id"], item=item["item_id"]))
        db.execute("UPDATE rtv_items SET status = 'refused', refused_reason = ? WHERE item_id = ?", [reason.strip(), item["item_id"]])
        if batch["status"] == "closed":
            # no credit comes for a refused item: what the batch still expects drops by its value
            expected = Decimal(batch["credit_expected"] or "0") - Decimal(item["value"])
            db.execute("UPDATE rtv_batches SET credit_expected = ? WHERE batch_id = ?",
                       [f"{max(expected, Decimal('0')):.2f}", item["batch_id"]])
        db.execute("INSERT INTO item_outcomes (item_id, stage, outcome, note, by, at) VALUES (?, 'rtv', 'refused', ?, ?, ?)",
                   [item["item_id"], reason.strip(), user, now_iso()])
        emit(db, "rtv.item_refused", item_id=item["item_id"], batch_id=item["batch_id"], reason=reason.strip())
    return {"item_id": item["item_id"], "status": "refused", "next": "quarantine"}

