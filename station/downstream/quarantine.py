"""Quarantine review: a supervisor looks at the photos and flags and decides the item's fate."""
import json

from flask_babel import gettext as _

from station import money
from station import policy as policy_module
from station.downstream import refunds, stock
from station.inputs import db_id
from station.db import one, rows, write
from station.errors import bad, conflict, not_found
from station.events import emit
from station.policy import sku_rules
from station.timeutil import now_iso
from station.languages import N_

# (marked: a conflict message names the outcome given already, translated)
OUTCOMES = (N_("restock"), N_("scrap"), N_("return_to_customer"), N_("fraud"))
CONDITIONS = ("new", "open_box", "used")  # what a restocked item is sold as (CONTRACT.md; default open_box)

PENDING = (
    "SELECT i.item_id FROM return_items i JOIN decisions d ON d.item_id = i.item_id WHERE d.disposition = 'quarantine' "
    "UNION SELECT item_id FROM rtv_items WHERE status = 'refused'"
)


def queue(db):
    """Items waiting for a supervisor, oldest first, with flags and photo ids."""
    items = rows(
        db,
        "SELECT i.item_id, coalesce(t.added_at, d.decided_at) AS since, i.return_id, r.order_no, i.sku, p.name, i.qty, "
        "i.grade, i.reason, i.serial, i.notes, i.flags, c.name AS customer_name, c.customer_id, "
        "CASE WHEN t.status = 'refused' THEN 'refused by supplier: ' || t.refused_reason END AS origin, "
        "CASE WHEN t.status = 'refused' THEN t.refused_reason END AS refused_reason "
        f"FROM return_items i JOIN ({PENDING}) q ON q.item_id = i.item_id "
        "JOIN decisions d ON d.item_id = i.item_id JOIN returns r ON r.return_id = i.return_id "
        "JOIN orders o ON o.order_no = r.order_no JOIN customers c ON c.customer_id = o.customer_id "
        "LEFT JOIN products p ON p.sku = i.sku LEFT JOIN rtv_items t ON t.item_id = i.item_id "
        "WHERE i.item_id NOT IN (SELECT item_id FROM quarantine_reviews) ORDER BY since, i.item_id",
    )
    for item in items:
        item["flags"] = json.loads(item["flags"])
        item["photos"] = [p["photo_id"] for p in rows(db, "SELECT photo_id FROM photos WHERE item_id = ?", [item["item_id"]])]
    return items


def recent(db, limit=10):
    """Reviews done lately, newest first: where each reviewed item went and what became of its refund."""
    return rows(
        db,
        "SELECT q.item_id, q.outcome, q.target, q.note, q.reviewed_by, q.reviewed_at, i.sku, p.name, i.qty, r.order_no, "
        "c.name AS customer_name, f.refund_id, f.status AS refund_status FROM quarantine_reviews q "
        "JOIN return_items i ON i.item_id = q.item_id JOIN returns r ON r.return_id = i.return_id "
        "JOIN orders o ON o.order_no = r.order_no JOIN customers c ON c.customer_id = o.customer_id "
        "LEFT JOIN products p ON p.sku = i.sku LEFT JOIN refunds f ON f.return_id = i.return_id "
        "ORDER BY q.reviewed_at DESC, q.item_id DESC LIMIT ?",
        [limit],
    )


def review(db, item_id, data, user=None):
    """Decide a quarantined item: restock, scrap, return to the customer, or confirm fraud."""
    if not isinstance(data, dict):
        raise bad("body", _("must be a JSON object"))
    outcome = data.get("outcome")
    if outcome not in OUTCOMES:
        raise bad("outcome", _("must be one of %(choices)s", choices=", ".join(OUTCOMES)))
    note = data.get("note")
    if not isinstance(note, str) or not note.strip() or len(note) > 2000:
        raise bad("note", _("a note saying why is required"))
    condition = data.get("condition")
    if condition is not None and (outcome != "restock" or condition not in CONDITIONS):
        raise bad("condition", _("a restock names its condition: %(choices)s", choices=", ".join(CONDITIONS)))
    amount = data.get("refund_amount")
    if amount is not None and outcome not in ("restock", "scrap"):
        raise bad("refund_amount", _("only a restock or scrap review pays the item's line (the others reject it)"))
    item_id = db_id(item_id, "item")
    with write(db):
        pending = one(db, f"SELECT item_id FROM ({PENDING}) WHERE item_id = ?", [item_id])
        if pending is None:
            raise not_found(N_("quarantined item"), item_id)
        done = one(db, "SELECT outcome, reviewed_by FROM quarantine_reviews WHERE item_id = ?", [item_id])
        if done:
            if done["reviewed_by"]:
                said = _("Item %(item)s was reviewed already by %(who)s (%(outcome)s): nothing changed", item=item_id,
                         who=done["reviewed_by"], outcome=_(done["outcome"]))
            else:
                said = _("Item %(item)s was reviewed already (%(outcome)s): nothing changed", item=item_id,
                         outcome=_(done["outcome"]))
            raise conflict("already_reviewed", said)
        item = one(db, "SELECT i.*, r.order_no, o.customer_id, p.bin, p.name FROM return_items i "
                       "JOIN returns r ON r.return_id = i.return_id JOIN orders o ON o.order_no = r.order_no "
                       "LEFT JOIN products p ON p.sku = i.sku WHERE i.item_id = ?", [item_id])
        target = None
        if outcome == "restock":
            if item["name"] is None:
                raise conflict("unknown_product", _("An item that is not in the catalogue cannot be restocked"))
            if "never_restock" in sku_rules(db, item["sku"]):
                raise conflict("never_restock", _("Policy: %(sku)s is never restocked: scrap it or return it to the customer",
                                                  sku=item["sku"]))
            condition = condition or "open_box"  # CONTRACT.md: a reviewed item is open-box unless named
            target = data.get("bin") or stock.bin_for(db, {"sku": item["sku"], "bin": item["bin"]}, condition,
                                                       policy_module.load(db))
            if not isinstance(target, str) or not target or len(target) > 64:
                raise bad("bin", _("restock needs a bin"))
            stock.put(db, item["sku"], target, condition, item["qty"], item_id=item_id)
        if outcome == "fraud":
            db.execute("UPDATE customers SET fraud = 1 WHERE customer_id = ?", [item["customer_id"]])
            emit(db, "customer.fraud_confirmed", customer_id=item["customer_id"], item_id=item_id)
        at = now_iso()
        db.execute("INSERT INTO quarantine_reviews (item_id, outcome, target, note, reviewed_by, reviewed_at) VALUES (?, ?, ?, ?, ?, ?)",
                   [item_id, outcome, target, note.strip(), user, at])
        db.execute("INSERT INTO item_outcomes (item_id, stage, outcome, target, note, by, at) VALUES (?, 'quarantine', ?, ?, ?, ?, ?)",
                   [item_id, outcome, target, note.strip(), user, at])
        emit(db, "quarantine.reviewed", item_id=item_id, outcome=outcome, target=target, condition=condition)
        if amount is not None:
            currency = one(db, "SELECT currency FROM orders WHERE order_no = ?", [item["order_no"]])["currency"]
            amount = money.parse(amount, "refund_amount", currency)
            db.execute("UPDATE quarantine_reviews SET refund_amount = ? WHERE item_id = ?",
                       [money.text(amount, currency), item_id])
        refund = refunds.settle_by_review(db, item_id, outcome, note.strip(), user, amount)
    review = {"item_id": item_id, "outcome": outcome, "target": target, "condition": condition}
    return dict(refund, review=review) if refund else {"refund": None, "review": review}
