"""Refurbish: a work order per item; the technician records actions, then restocks or scraps it."""
import json
from decimal import Decimal, InvalidOperation

from flask_babel import gettext as _

from station.db import one, rows, write
from station.errors import bad, conflict, not_found
from station.downstream.crossdock import allocate, best_waiting_line
from station.events import emit
from station.inputs import maybe_id
from station.downstream import stock
from station.policy import GRADES, sku_rules
from station.policy import load as load_policy
from station.timeutil import now_iso
from station.languages import N_

ACTIONS = ("cleaned", "repackaged", "part_replaced", "tested", "relabelled", "other")
OUTCOMES = ("restock", "scrap", "crossdock")


def tote_code(item_id):
    return f"RI-{item_id}"


def open_work_order(db, item_id):
    """Called inside the refurbish decision's transaction."""
    cursor = db.execute(
        "INSERT INTO work_orders (item_id, tote, created_at) VALUES (?, ?, ?)", [item_id, tote_code(item_id), now_iso()]
    )
    emit(db, "work_order.opened", wo_id=cursor.lastrowid, item_id=item_id, tote=tote_code(item_id))
    return cursor.lastrowid


def get_work_order(db, key):
    """By work-order id, item id or the scanned tote code."""
    key = str(key).strip()
    found = one(db, "SELECT * FROM work_orders WHERE tote = ? OR tote = ?", [key, key.upper()])
    if found is None and maybe_id(key) is not None:
        found = one(db, "SELECT * FROM work_orders WHERE wo_id = ?", [maybe_id(key)])
    if found is None:
        raise not_found(N_("work order"), key)
    found["actions"] = json.loads(found["actions"])
    item = one(
        db,
        "SELECT i.sku, i.qty, i.grade, i.reason, i.serial, i.notes, i.return_id, p.name, p.bin AS product_bin, p.price, p.refurb_cost "
        "FROM return_items i LEFT JOIN products p ON p.sku = i.sku WHERE i.item_id = ?",
        [found["item_id"]],
    )
    found.update(item)
    return found


def queue(db):
    return rows(
        db,
        "SELECT w.wo_id, w.item_id, w.tote, w.created_at AS since, w.minutes, i.sku, p.name, i.grade, i.reason "
        "FROM work_orders w JOIN return_items i ON i.item_id = w.item_id LEFT JOIN products p ON p.sku = i.sku "
        "WHERE w.status = 'open' ORDER BY w.created_at, w.wo_id",
    )


def record_action(db, key, data, user=None):
    """Add one action (and minutes spent) to an open work order."""
    if not isinstance(data, dict):
        raise bad("body", _("must be a JSON object"))
    action = data.get("action")
    if action not in ACTIONS:
        raise bad("action", _("must be one of %(choices)s", choices=", ".join(ACTIONS)))
    minutes = data.get("minutes", 0)
    if isinstance(minutes, bool) or not isinstance(minutes, int) or not 0 <= minutes <= 600:
        raise bad("minutes", _("must be whole minutes from 0 to 600"))
    entry = {"action": action, "at": now_iso(), "by": user}
    cost = Decimal("0")
    if action == "part_replaced":
        part = data.get("part")
        if not isinstance(part, str) or not part.strip() or len(part) > 200:
            raise bad("part", _("name the part replaced"))
        try:
            cost = Decimal(str(data.get("cost", "0")))
        except InvalidOperation:
            raise bad("cost", _("must be a decimal amount")) from None
        if not cost.is_finite() or cost < 0 or cost > 100000:
            raise bad("cost", _("must be an amount from 0 to 100000"))
        entry.update(part=part.strip(), cost=f"{cost:.2f}")
    note = data.get("note")
    if isinstance(note, str) and note.strip():
        entry["note"] = note.strip()[:500]
    with write(db):
        wo = get_work_order(db, key)
        if wo["status"] != "open":
            raise conflict("work_order_done", _("Work order %(tote)s is finished", tote=wo["tote"]))
        db.execute(
            "UPDATE work_orders SET actions = ?, minutes = minutes + ?, parts_cost = parts_cost + ? WHERE wo_id = ?",
            [json.dumps(wo["actions"] + [entry], ensure_ascii=False), minutes, float(cost), wo["wo_id"]],
        )
    return get_work_order(db, wo["wo_id"])


def finish(db, key, data, user=None):
    """Close a work order: restock as refurbished (kept apart from new stock) or scrap."""
    if not isinstance(data, dict):
        raise bad("body", _("must be a JSON object"))
    outcome, grade = data.get("outcome"), data.get("grade")
    if outcome not in OUTCOMES:
        raise bad("outcome", _("must be restock, scrap or crossdock"))
    if grade not in GRADES:
        raise bad("grade", _("the outcome grade: A, B, C, D or X"))
    if outcome in ("restock", "crossdock") and grade in ("D", "X"):
        raise bad("grade", _("a unit graded D or X cannot be restocked"))
    with write(db):
        wo = get_work_order(db, key)
        if wo["status"] != "open":
            raise conflict("work_order_done", _("Work order %(tote)s is finished", tote=wo["tote"]))
        bin_ = None
        if outcome in ("restock", "crossdock") and "never_restock" in sku_rules(db, wo["sku"]):
            # a per-SKU rule (hygiene products): no unit goes back on sale, refurbished or not
            raise conflict("never_restock", _("Policy: %(sku)s is never restocked: scrap it", sku=wo["sku"]))
        if outcome == "crossdock":
            # a refurbished unit fills a waiting order only where the SKU's policy allows it
            if "refurbished_can_crossdock" not in sku_rules(db, wo["sku"]):
                raise conflict("not_allowed", _("Policy: refurbished %(sku)s may not fill waiting orders", sku=wo["sku"]))
            line = best_waiting_line(db, wo["sku"], wo["qty"])
            if line is None:
                raise conflict("no_open_quantity", _("No order is waiting for %(sku)s", sku=wo["sku"]))
            allocate(db, wo["item_id"], wo["sku"], wo["qty"], line["order_no"])
            bin_ = line["order_no"]
        elif outcome == "restock":
            bin_ = data.get("bin") or load_policy(db)["bin_refurbished"]
            if not isinstance(bin_, str) or not bin_ or len(bin_) > 64:
                raise bad("bin", _("must be a bin code"))
        cursor = db.execute(
            "UPDATE work_orders SET status = 'done', outcome = ?, outcome_grade = ?, bin = ?, closed_at = ?, closed_by = ? "
            "WHERE wo_id = ? AND status = 'open'",
            [outcome, grade, bin_, now_iso(), user, wo["wo_id"]],
        )
        if cursor.rowcount != 1:
            raise conflict("work_order_done", _("Work order %(tote)s is finished", tote=wo["tote"]))
        db.execute(
            "INSERT INTO item_outcomes (item_id, stage, outcome, target, note, by, at) VALUES (?, 'refurbish', ?, ?, ?, ?, ?)",
            [wo["item_id"], outcome, bin_, f"grade {grade}", user, now_iso()],
        )
        emit(db, "work_order.done", wo_id=wo["wo_id"], item_id=wo["item_id"], outcome=outcome, grade=grade, bin=bin_)
        if outcome == "restock":
            stock.put(db, wo["sku"], bin_, "refurbished", wo["qty"], item_id=wo["item_id"])
    return get_work_order(db, wo["wo_id"])


def parts_used(db, sku, limit=8):
    """Part names technicians recorded on this SKU before, most used first: tap instead of type."""
    return [part for (part,) in db.execute(
        "SELECT json_extract(a.value, '$.part') AS part FROM work_orders w JOIN return_items i ON i.item_id = w.item_id, "
        "json_each(w.actions) a WHERE i.sku = ? AND json_extract(a.value, '$.action') = 'part_replaced' "
        "GROUP BY part ORDER BY count(*) DESC, part LIMIT ?", [sku, limit]).fetchall()]


def crossdock_line(db, wo):
    """The waiting order line a refurbished unit of this work order may fill, or None.

    Only where the SKU's policy lets refurbished units fill waiting orders and does not forbid
    restocking it (finish() checks again).
    """
    rules = sku_rules(db, wo["sku"])
    if "refurbished_can_crossdock" not in rules or "never_restock" in rules:
        return None
    return best_waiting_line(db, wo["sku"], wo["qty"])


def recent(db, limit=10):
    """Work orders finished lately, newest first: what the technician just did."""
    return rows(
        db,
        "SELECT w.wo_id, w.item_id, w.tote, w.outcome, w.outcome_grade, w.bin, w.closed_at, w.closed_by, i.sku, p.name "
        "FROM work_orders w JOIN return_items i ON i.item_id = w.item_id LEFT JOIN products p ON p.sku = i.sku "
        "WHERE w.status = 'done' ORDER BY w.closed_at DESC, w.wo_id DESC LIMIT ?",
        [limit],
    )
