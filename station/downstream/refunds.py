"""A refund after it is computed: its lines approved or rejected by a supervisor, paid by the
payment system under its own reference, settled line by line by quarantine reviews.

Each action is one transaction whose UPDATE names the status it expects (`WHERE status =
'held'`, `'ready'`), so two supervisors, or a payment racing an approval, count once: a line
is paid once, never twice, and the paid lines never sum to more than the refund.
"""
import json
from decimal import Decimal

from flask_babel import gettext as _

from station import money
from station.db import one, rows, write
from station.errors import bad, conflict, not_found
from station.events import emit
from station.inputs import db_id
from station.rules.refund import HOLD_LABELS, summary
from station.timeutil import now_iso
from station.languages import N_

STATUSES = ("held", "ready", "paid", "rejected", "exchange")
MAX_NOTE = 2000


# --- reading ---------------------------------------------------------------------------------

def _lines(db, refund_id):
    found = rows(db, "SELECT l.item_id, i.sku, l.amount, l.status, l.why, l.holds, l.note, l.decided_by, l.updated_at, "
                     "p.payment_ref FROM refund_lines l JOIN return_items i ON i.item_id = l.item_id "
                     "LEFT JOIN refund_payments p ON p.payment_id = l.payment_id WHERE l.refund_id = ? ORDER BY l.item_id",
                 [refund_id])
    for line in found:
        line["holds"] = json.loads(line["holds"])
    return found


def _answer(db, row):
    lines = _lines(db, row["refund_id"])
    payments = rows(db, "SELECT payment_ref, amount, paid_at, paid_by FROM refund_payments WHERE refund_id = ? "
                        "ORDER BY payment_id", [row["refund_id"]])
    paid = sum((Decimal(p["amount"]) for p in payments), Decimal("0"))
    figures = summary(lines, row["currency"], paid=paid, adjustments=json.loads(row["adjustments"]))
    return {"refund_id": row["refund_id"], "return_id": row["return_id"], **figures,
            "payments": payments, "payment_ref": payments[-1]["payment_ref"] if payments else None,
            "note": row["note"], "decided_by": row["decided_by"],
            "computed_at": row["computed_at"], "updated_at": row["updated_at"]}


def get_refund(db, refund_id):
    """REFUND (CONTRACT.md): the figures, every line, the adjustments and the payments."""
    refund_id = db_id(refund_id, "refund")
    row = one(db, "SELECT * FROM refunds WHERE refund_id = ?", [refund_id])
    if row is None:
        raise not_found(N_("refund"), refund_id)
    return _answer(db, row)


def refund_of_return(db, return_id):
    """The return's REFUND, or None before it closes."""
    row = one(db, "SELECT * FROM refunds WHERE return_id = ?", [return_id])
    return _answer(db, row) if row else None


# --- writing ---------------------------------------------------------------------------------

def store(db, return_id, computed, at):
    """Record a refund computed at close (rules/refund.py's answer) with its lines; answers its id.

    Runs inside the caller's transaction (closing the return)."""
    refund_id = db.execute(
        "INSERT INTO refunds (return_id, amount, currency, status, hold_reasons, adjustments, computed_at, updated_at) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        [return_id, computed["amount"], computed["currency"], computed["status"],
         json.dumps([line for line in computed["lines"] if line["status"] == "held"], ensure_ascii=False),
         json.dumps(computed["adjustments"], ensure_ascii=False), at, at],
    ).lastrowid
    for line in computed["lines"]:
        db.execute("INSERT INTO refund_lines (item_id, refund_id, amount, status, why, holds, updated_at) "
                   "VALUES (?, ?, ?, ?, ?, ?, ?)",
                   [line["item_id"], refund_id, line["amount"], line["status"], line["why"], json.dumps(line["holds"]), at])
    return refund_id


def _refresh(db, refund_id, at):
    """Keep the refund row's amount and status (what lists and reports read) equal to its lines."""
    row = one(db, "SELECT * FROM refunds WHERE refund_id = ?", [refund_id])
    figures = _answer(db, row)
    db.execute("UPDATE refunds SET amount = ?, status = ?, updated_at = ? WHERE refund_id = ?",
               [figures["amount"], figures["status"], at, refund_id])
    return figures


def _note(data, required=True):
    note = data.get("note")
    if note is None or (isinstance(note, str) and not note.strip()):
        if required:
            raise bad("note", _("a note saying why is required"))
        return None
    if not isinstance(note, str) or len(note) > MAX_NOTE:
        raise bad("note", _("must be a string of at most %(limit)s characters", limit=MAX_NOTE))
    return note.strip()


def _targets(db, refund, data):
    """The held lines an approval or rejection acts on: `item_id`'s, else every held one."""
    item_id = data.get("item_id")
    lines = _lines(db, refund["refund_id"])
    if item_id is not None:
        if isinstance(item_id, bool) or not isinstance(item_id, (int, str)):
            raise bad("item_id", _("must be the id of an item of this refund"))
        wanted = db_id(item_id, "item of this refund")
        line = next((line for line in lines if line["item_id"] == wanted), None)
        if line is None:
            raise not_found(N_("item of this refund"), item_id)
        if line["status"] != "held":
            raise conflict("not_held", already_decided(refund, line))
        return [line]
    held = [line for line in lines if line["status"] == "held"]
    if not held:
        raise conflict("not_held", already_decided(refund))
    return held


VERBS = {"ready": N_("approved"), "paid": N_("approved and paid"), "rejected": N_("rejected"),
         "exchange": N_("settled as an exchange")}


def already_decided(refund, line=None):
    """What the second of two supervisors reads: who settled it first, and how."""
    if line is not None:
        verb = _(VERBS.get(line["status"], line["status"]))
        if line.get("decided_by"):
            return _("Item %(item)s of refund %(refund)s was already %(verb)s by %(who)s: nothing changed",
                     item=line["item_id"], refund=refund["refund_id"], verb=verb, who=line["decided_by"])
        return _("Item %(item)s of refund %(refund)s was already %(verb)s: nothing changed",
                 item=line["item_id"], refund=refund["refund_id"], verb=verb)
    verb = VERBS.get(refund["status"])
    if verb is None:
        return _("Refund %(refund)s is %(status)s, with no held line: nothing changed", refund=refund["refund_id"],
                 status=_(refund["status"]))
    if refund.get("decided_by"):
        return _("Refund %(refund)s was already %(verb)s by %(who)s: nothing changed", refund=refund["refund_id"],
                 verb=_(verb), who=refund["decided_by"])
    return _("Refund %(refund)s was already %(verb)s: nothing changed", refund=refund["refund_id"], verb=_(verb))


def _settle(db, refund_id, data, status, user):
    if not isinstance(data, dict):
        raise bad("body", _("must be a JSON object"))
    note = _note(data)
    with write(db):
        refund = get_refund(db, refund_id)
        targets = _targets(db, refund, data)
        amount = None
        if status == "ready" and data.get("amount") is not None:
            if len(targets) != 1:
                raise bad("amount", _("an amount is for one held line: name its item_id"))
            amount = money.text(money.parse(data["amount"], "amount", refund["currency"]), refund["currency"])
        at = now_iso()
        for line in targets:
            new_amount = amount if amount is not None else line["amount"]
            line_status = status
            if status == "ready" and Decimal(new_amount) == 0:
                line_status = "rejected"  # approving nothing is refusing it: it is never 'ready' to pay 0.00
            cursor = db.execute(
                "UPDATE refund_lines SET status = ?, amount = ?, note = ?, decided_by = ?, updated_at = ? "
                "WHERE item_id = ? AND status = 'held'",
                [line_status, new_amount, note, user, at, line["item_id"]])
            if cursor.rowcount != 1:  # another supervisor got there first
                raise conflict("not_held", already_decided(refund, line))
            line.update(status=line_status, amount=new_amount)
        db.execute("UPDATE refunds SET note = ?, decided_by = ? WHERE refund_id = ?", [note, user, refund["refund_id"]])
        after = _refresh(db, refund["refund_id"], at)
        approved = [line for line in targets if line["status"] == "ready"]
        rejected = [line for line in targets if line["status"] == "rejected"]
        for kind, group in (("refund.approved", approved), ("refund.rejected", rejected)):
            if group:
                emit(db, kind, refund_id=refund["refund_id"], return_id=refund["return_id"],
                     item_ids=[line["item_id"] for line in group],
                     amounts={str(line["item_id"]): line["amount"] for line in group},
                     amount=money.text(sum(Decimal(line["amount"]) for line in group), refund["currency"]),
                     currency=refund["currency"], status=after["status"], note=note, by=user)
    return get_refund(db, refund["refund_id"])


def approve(db, refund_id, data, user=None):
    """A supervisor approves held lines (one by `item_id`, with an `amount` if it changes, or all):
    they become ready for the payment system."""
    return _settle(db, refund_id, data, "ready", user)


def reject(db, refund_id, data, user=None):
    """A supervisor rejects held lines (one by `item_id`, or all)."""
    return _settle(db, refund_id, data, "rejected", user)


def mark_paid(db, refund_id, data, user=None):
    """The payment system pays the ready lines under its `payment_ref`; the same confirmation again
    answers the same; a later payment pays what was approved since."""
    if not isinstance(data, dict):
        raise bad("body", _("must be a JSON object"))
    ref = data.get("payment_ref")
    if not isinstance(ref, str) or not ref.strip() or len(ref) > 200 or any(ord(c) < 32 or ord(c) == 127 for c in ref):
        raise bad("payment_ref", _("a payment reference (text, at most 200 characters) is required"))
    ref = ref.strip()
    with write(db):
        refund = get_refund(db, refund_id)
        done = one(db, "SELECT amount FROM refund_payments WHERE refund_id = ? AND payment_ref = ?",
                   [refund["refund_id"], ref])
        if done:
            return _paid(refund, ref, done["amount"])
        payable = Decimal(refund["payable"])
        if payable <= 0:
            raise conflict("nothing_payable", _("Refund %(refund)s has nothing ready to pay (it is %(status)s, %(paid)s "
                                                "%(currency)s paid)", refund=refund["refund_id"], status=_(refund["status"]),
                                                paid=refund["paid"], currency=refund["currency"]))
        if data.get("amount") is not None:
            said = money.parse(data["amount"], "amount", refund["currency"])
            if said != payable:
                raise conflict("amount_mismatch", _("%(said)s is not what is payable: %(payable)s %(currency)s",
                                                    said=money.text(said, refund["currency"]), payable=refund["payable"],
                                                    currency=refund["currency"]))
        at = now_iso()
        payment_id = db.execute(
            "INSERT INTO refund_payments (refund_id, payment_ref, amount, paid_at, paid_by) VALUES (?, ?, ?, ?, ?)",
            [refund["refund_id"], ref, refund["payable"], at, user]).lastrowid
        ready = [line for line in refund["lines"] if line["status"] == "ready"]
        cursor = db.execute("UPDATE refund_lines SET status = 'paid', payment_id = ?, updated_at = ? "
                            "WHERE refund_id = ? AND status = 'ready'", [payment_id, at, refund["refund_id"]])
        if cursor.rowcount != len(ready):  # cannot happen inside one write transaction; never pay what was not read
            raise conflict("changed", _("The refund changed while it was being paid: nothing was paid, try again"))
        db.execute("UPDATE refunds SET payment_ref = ? WHERE refund_id = ?", [ref, refund["refund_id"]])
        _refresh(db, refund["refund_id"], at)
        emit(db, "refund.paid", refund_id=refund["refund_id"], return_id=refund["return_id"], payment_ref=ref,
             amount=refund["payable"], currency=refund["currency"], item_ids=[line["item_id"] for line in ready])
    return _paid(get_refund(db, refund["refund_id"]), ref, refund["payable"])


def _paid(refund, ref, amount):
    return {"refund_id": refund["refund_id"], "status": refund["status"], "payment_ref": ref, "amount": amount,
            "currency": refund["currency"], "paid": refund["paid"], "payable": refund["payable"]}


def settle_by_review(db, item_id, outcome, note, user, amount=None):
    """A quarantine review settles its own item's line and no other: restock and scrap make it ready
    at `amount` (default the line's proposed amount; 0 rejects it), return to the customer rejects
    it, fraud rejects it and holds every other unpaid line of the return. Inside the review's
    transaction; None when the parcel has not closed yet (closing applies the review then)."""
    line = one(db, "SELECT l.*, f.currency, f.return_id FROM refund_lines l JOIN refunds f ON f.refund_id = l.refund_id "
                   "WHERE l.item_id = ?", [item_id])
    if line is None:
        return None
    at = now_iso()
    why = f"quarantine review: {note}"
    touched = {"refund.approved": [], "refund.rejected": []}
    if line["status"] == "held":
        if outcome in ("restock", "scrap"):
            new_amount = line["amount"] if amount is None else money.text(amount, line["currency"])
            status = "ready" if Decimal(new_amount) > 0 else "rejected"
        else:
            new_amount, status = line["amount"], "rejected"
        db.execute("UPDATE refund_lines SET status = ?, amount = ?, note = ?, decided_by = ?, updated_at = ? "
                   "WHERE item_id = ? AND status = 'held'", [status, new_amount, why, user, at, item_id])
        touched["refund.approved" if status == "ready" else "refund.rejected"].append((item_id, new_amount))
    if outcome == "fraud":
        for other in rows(db, "SELECT item_id, holds FROM refund_lines WHERE refund_id = ? AND item_id != ? "
                              "AND status IN ('ready', 'held')", [line["refund_id"], item_id]):
            holds = json.loads(other["holds"])
            if "fraud_review" not in holds:
                holds.append("fraud_review")
            db.execute("UPDATE refund_lines SET status = 'held', holds = ?, why = why || ?, updated_at = ? WHERE item_id = ?",
                       [json.dumps(holds), f"; held: fraud confirmed on item {item_id} of this return", at,
                        other["item_id"]])
    db.execute("UPDATE refunds SET note = ?, decided_by = ? WHERE refund_id = ?", [why, user, line["refund_id"]])
    after = _refresh(db, line["refund_id"], at)
    for kind, group in touched.items():
        if group:
            emit(db, kind, refund_id=line["refund_id"], return_id=line["return_id"], item_ids=[i for i, _ in group],
                 amounts={str(i): a for i, a in group}, amount=group[0][1], currency=line["currency"],
                 status=after["status"], note=why, by=user)
    return get_refund(db, line["refund_id"])


# --- the supervisor's lists -------------------------------------------------------------------

def hold_kinds(lines):
    """[(kind, label)] once each, for a refund's held lines."""
    kinds = []
    for line in lines:
        if line["status"] == "held":
            for kind in line["holds"]:
                if kind not in kinds:
                    kinds.append(kind)
    return [(kind, HOLD_LABELS.get(kind, kind)) for kind in kinds]


def listing(db, status, limit=100):
    """Refunds in one status with their order and customer: oldest first while held, else newest."""
    if status not in STATUSES:
        raise not_found(N_("refund status"), status)
    order = "f.computed_at, f.refund_id" if status == "held" else "f.updated_at DESC, f.refund_id DESC"
    # "held": every refund with a line waiting for a supervisor, whatever its other lines (a refund
    # whose clear lines are ready to pay still has its doubtful one to decide)
    where = HELD_WHERE if status == "held" else "f.status = ?"
    found = rows(
        db,
        "SELECT f.refund_id, f.return_id, r.order_no, o.channel, c.customer_id, c.name AS customer_name "
        "FROM refunds f JOIN returns r ON r.return_id = f.return_id JOIN orders o ON o.order_no = r.order_no "
        f"JOIN customers c ON c.customer_id = o.customer_id WHERE {where} ORDER BY {order} LIMIT ?",
        ([] if status == "held" else [status]) + [limit],
    )
    for refund in found:
        refund.update(get_refund(db, refund["refund_id"]))
        refund["kinds"] = hold_kinds(refund["lines"])
        # a quarantine review settles its item's line: say so, so it is not decided twice over
        refund["in_quarantine"] = [r["item_id"] for r in rows(
            db, "SELECT i.item_id FROM return_items i JOIN decisions d ON d.item_id = i.item_id WHERE i.return_id = ? "
                "AND d.disposition = 'quarantine' AND i.item_id NOT IN (SELECT item_id FROM quarantine_reviews) "
                "ORDER BY i.item_id", [refund["return_id"]])] if status == "held" else []
    return found


HELD_WHERE = "f.refund_id IN (SELECT refund_id FROM refund_lines WHERE status = 'held')"


def counts(db):
    """How many refunds are in each status; `held`: how many have a line waiting for a supervisor."""
    have = dict(db.execute("SELECT status, count(*) FROM refunds GROUP BY status").fetchall())
    answer = {status: have.get(status, 0) for status in STATUSES}
    answer["held"] = db.execute(f"SELECT count(*) FROM refunds f WHERE {HELD_WHERE}").fetchone()[0]
    return answer
