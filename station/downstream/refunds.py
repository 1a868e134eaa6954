"""A refund after it is computed: a supervisor approves or rejects a held one, payment confirms."""
import json
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from station.db import one, rows, write
from station.inputs import db_id
from station.errors import bad, conflict, not_found
from station.events import emit
from station.timeutil import now_iso

FIELDS = "refund_id, return_id, amount, currency, status, payment_ref, note, decided_by, computed_at, updated_at"


def get_refund(db, refund_id):
    refund_id = db_id(refund_id, "refund")
    refund = one(db, f"SELECT {FIELDS} FROM refunds WHERE refund_id = ?", [refund_id])
    if refund is None:
        raise not_found("refund", refund_id)
    return refund


def _note(data, required=True):
    note = data.get("note")
    if note is None or (isinstance(note, str) and not note.strip()):
        if required:
            raise bad("note", "a note saying why is required")
        return None
    if not isinstance(note, str) or len(note) > 2000:
        raise bad("note", "must be a string of at most 2000 characters")
    return note.strip()


def _settle_held(db, refund_id, status, note, user, amount=None):
    """Move a held refund to `status`; the WHERE makes two supervisors' clicks count once."""
    with write(db):
        refund = get_refund(db, refund_id)
        sets, params = "status = ?, note = ?, decided_by = ?, updated_at = ?", [status, note, user, now_iso()]
        if amount is not None:
            sets += ", amount = ?"
            params.append(amount)
        cursor = db.execute(f"UPDATE refunds SET {sets} WHERE refund_id = ? AND status = 'held'", params + [refund["refund_id"]])
        if cursor.rowcount != 1:
            raise conflict("not_held", already_decided(refund))
        refund = get_refund(db, refund["refund_id"])
        emit(db, "refund.approved" if status == "ready" else "refund.rejected", refund_id=refund["refund_id"],
             return_id=refund["return_id"], amount=refund["amount"], status=status, note=note, by=user)
    return refund


def already_decided(refund):
    """What the second of two supervisors reads: who settled this refund first, and how."""
    verb = {"ready": "approved", "paid": "approved and paid", "rejected": "rejected"}.get(refund["status"])
    if verb is None:
        return f"Refund {refund['refund_id']} is {refund['status']}, not held: nothing changed"
    who = f" by {refund['decided_by']}" if refund["decided_by"] else ""
    return f"Refund {refund['refund_id']} was already {verb}{who}: nothing changed"


def approve(db, refund_id, data, user=None):
    if not isinstance(data, dict):
        raise bad("body", "must be a JSON object")
    amount = data.get("amount")
    if amount is not None:
        try:
            if isinstance(amount, bool):
                raise InvalidOperation
            value = Decimal(str(amount))
        except InvalidOperation:
            raise bad("amount", "must be a decimal amount") from None
        if not value.is_finite() or value < 0 or value > Decimal("10000000"):
            raise bad("amount", "must be an amount of 0 or more")
        amount = f"{value.quantize(Decimal('0.01'), ROUND_HALF_UP)}"  # to cents as the refund rule rounds
    return _settle_held(db, refund_id, "ready", _note(data), user, amount)


def reject(db, refund_id, data, user=None):
    if not isinstance(data, dict):
        raise bad("body", "must be a JSON object")
    return _settle_held(db, refund_id, "rejected", _note(data), user)


def mark_paid(db, refund_id, data, user=None):
    """The payment system confirms a ready refund; a repeat of the same confirmation is harmless."""
    if not isinstance(data, dict):
        raise bad("body", "must be a JSON object")
    ref = data.get("payment_ref")
    if not isinstance(ref, str) or not ref.strip() or len(ref) > 200:
        raise bad("payment_ref", "a payment reference (string) is required")
    ref = ref.strip()
    with write(db):
        refund = get_refund(db, refund_id)
        if refund["status"] == "paid":
            if refund["payment_ref"] == ref:
                return _paid(refund)
            raise conflict("already_paid", f"Refund {refund['refund_id']} was paid with {refund['payment_ref']}")
        cursor = db.execute(
            "UPDATE refunds SET status = 'paid', payment_ref = ?, updated_at = ? WHERE refund_id = ? AND status = 'ready'",
            [ref, now_iso(), refund["refund_id"]],
        )
        if cursor.rowcount != 1:
            raise conflict("not_ready", f"Refund {refund['refund_id']} is {refund['status']}: only a ready refund is paid")
        emit(db, "refund.paid", refund_id=refund["refund_id"], payment_ref=ref, return_id=refund["return_id"],
             amount=refund["amount"])
        refund = get_refund(db, refund["refund_id"])
    return _paid(refund)


def _paid(refund):
    return {"refund_id": refund["refund_id"], "status": "paid", "payment_ref": refund["payment_ref"],
            "amount": refund["amount"], "currency": refund["currency"]}


# Why a refund is held, as the supervisor's queue names it. The `why` texts are written by
# refund_rules.item_refund; a test pins each one to its kind.
HOLD_KINDS = (
    ("outside the return window", "out_of_window", "Outside window"),
    ("grade X", "grade_x", "Grade X"),
    ("mismatch", "mismatch", "Mismatch"),
    ("grade D", "customer_damage", "Customer damage (D)"),
    ("reason other", "other", "Other reason"),
)
STATUSES = ("held", "ready", "paid", "rejected", "exchange")


def hold_kinds(hold_reasons):
    """[(kind, label)] once each, in the order HOLD_KINDS lists them, for a refund's held lines."""
    text = " | ".join(line.get("why") or "" for line in hold_reasons)
    return [(kind, label) for needle, kind, label in HOLD_KINDS if needle in text]


def listing(db, status, limit=100):
    """Refunds in one status with their order and customer: oldest first while held, else newest."""
    if status not in STATUSES:
        raise not_found("refund status", status)
    order = "f.computed_at, f.refund_id" if status == "held" else "f.updated_at DESC, f.refund_id DESC"
    found = rows(
        db,
        "SELECT f.refund_id, f.return_id, f.amount, f.currency, f.status, f.hold_reasons, f.payment_ref, f.note, "
        "f.decided_by, f.computed_at, f.updated_at, r.order_no, o.channel, c.customer_id, c.name AS customer_name "
        "FROM refunds f JOIN returns r ON r.return_id = f.return_id JOIN orders o ON o.order_no = r.order_no "
        f"JOIN customers c ON c.customer_id = o.customer_id WHERE f.status = ? ORDER BY {order} LIMIT ?",
        [status, limit],
    )
    for refund in found:
        refund["hold_reasons"] = json.loads(refund["hold_reasons"])
        refund["kinds"] = hold_kinds(refund["hold_reasons"])
        # a quarantine review settles the refund too: say so, so it is not decided twice over
        refund["in_quarantine"] = [r["item_id"] for r in rows(
            db, "SELECT i.item_id FROM return_items i JOIN decisions d ON d.item_id = i.item_id WHERE i.return_id = ? "
                "AND d.disposition = 'quarantine' AND i.item_id NOT IN (SELECT item_id FROM quarantine_reviews) "
                "ORDER BY i.item_id", [refund["return_id"]])] if status == "held" else []
    return found


def counts(db):
    """How many refunds are in each status."""
    have = dict(db.execute("SELECT status, count(*) FROM refunds GROUP BY status").fetchall())
    return {status: have.get(status, 0) for status in STATUSES}
