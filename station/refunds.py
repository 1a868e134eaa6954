"""A refund after it is computed: a supervisor approves or rejects a held one, payment confirms."""
from decimal import Decimal, InvalidOperation

from .db import one, write
from .errors import bad, conflict, not_found
from .events import emit
from .timeutil import now_iso

FIELDS = "refund_id, return_id, amount, currency, status, payment_ref, note, decided_by, computed_at, updated_at"


def get_refund(db, refund_id):
    try:
        refund_id = int(refund_id)
    except (TypeError, ValueError):
        raise not_found("refund", refund_id) from None
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
            raise conflict("not_held", f"Refund {refund['refund_id']} is {refund['status']}, not held")
        refund = get_refund(db, refund["refund_id"])
        emit(db, "refund.approved" if status == "ready" else "refund.rejected", refund_id=refund["refund_id"],
             return_id=refund["return_id"], amount=refund["amount"], status=status, note=note, by=user)
    return refund


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
        amount = f"{value.quantize(Decimal('0.01'))}"
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
