"""Refunds: held ones to approve or reject with a reason; ready, paid and rejected ones to see."""
from decimal import Decimal

from flask import request

from station import money
from station.downstream import refunds as service
from station.db import get_db, rows
from station.errors import ServiceError
from station.roles import SUPERVISORS
from station.web.security import roles_required
from station.web.downstream import bp
from station.web.downstream.common import error_message, form_text, msg, reason_note, render, user_name

APPROVE_REASONS = ["Inspection OK", "Carrier delay confirmed", "Goodwill", "Customer service agreed",
                   "Defect confirmed"]
REJECT_REASONS = ["Outside the return window", "Customer damage", "Not our item", "Item missing",
                  "Fraud suspected"]
TABS = [("held", "Held"), ("ready", "Ready, awaiting payment"), ("paid", "Paid"), ("rejected", "Rejected"),
        ("exchange", "Exchange")]


REVIEWED = {"restock": "restocked", "scrap": "scrapped", "return_to_customer": "sent back to the customer",
            "fraud": "fraud confirmed"}


def _screen(status_tab="held", message=None, status=200):
    db = get_db()
    if status_tab not in service.STATUSES:
        status_tab = "held"
    refunds = service.listing(db, status_tab)
    _with_items(db, refunds)
    return render("downstream/_refunds.html", "downstream/refunds.html", status, tab=status_tab, tabs=TABS,
                  counts=service.counts(db), refunds=refunds, message=message,
                  approve_reasons=APPROVE_REASONS, reject_reasons=REJECT_REASONS, reviewed=REVIEWED)


def _with_items(db, refunds):
    """Each line with what the supervisor decides on: the operator's grade, reason and notes (a
    reason `other` is explained only there), and the quarantine review the item had already;
    what the held lines wait for, in the refund's currency."""
    for refund in refunds:
        ids = [line["item_id"] for line in refund["lines"]]
        refund["waiting"] = money.text(sum((Decimal(line["amount"]) for line in refund["lines"]
                                            if line["status"] == "held"), Decimal("0")), refund["currency"])
        if not ids:
            continue
        marks = ", ".join("?" * len(ids))
        items = {row["item_id"]: row for row in rows(
            db, f"SELECT item_id, grade, reason, notes FROM return_items WHERE item_id IN ({marks})", ids)}
        reviews = {row["item_id"]: row for row in rows(
            db, f"SELECT item_id, outcome, note, reviewed_by, reviewed_at FROM quarantine_reviews WHERE item_id IN ({marks})",
            ids)}
        for line in refund["lines"]:
            line["item"], line["review"] = items.get(line["item_id"]), reviews.get(line["item_id"])


@bp.get("/refunds")
@roles_required(*SUPERVISORS)
def refunds():
    """Held refunds to decide (default tab), or where the others are."""
    return _screen(request.args.get("status", "held"))


def _decide(refund_id, action, reasons, done):
    note = reason_note(reasons)
    if not note:
        return _screen("held", msg("error", "Tap a reason (or write a note) first"), 400)
    data = {"note": note}
    item_id = form_text("item_id", 20)
    if item_id:
        data["item_id"] = item_id
    if action is service.approve and form_text("amount", 40):
        data["amount"] = form_text("amount", 40)
    try:
        refund = action(get_db(), refund_id, data, user=user_name())
    except ServiceError as exc:
        # the second of two supervisors lands here: "already approved by …", nothing changed
        return _screen("held", error_message(exc), exc.status)
    which = f"item {item_id} of refund {refund['refund_id']}" if item_id else f"refund {refund['refund_id']}"
    line = next((line for line in refund["lines"] if str(line["item_id"]) == item_id), None)
    said = f"{line['amount']} {refund['currency']} {line['status']}" if line else f"{refund['amount']} {refund['currency']}"
    return _screen("held", msg("ok", f"{which.capitalize()} {done}: {said}; "
                                     f"{refund['payable']} {refund['currency']} payable now"))


@bp.post("/refunds/<id:refund_id>/approve")
@roles_required(*SUPERVISORS)
def refund_approve(refund_id):
    """Approve a held line (or every held line) at its amount: ready for the payment system."""
    return _decide(refund_id, service.approve, APPROVE_REASONS, "approved, ready for payment")


@bp.post("/refunds/<id:refund_id>/reject")
@roles_required(*SUPERVISORS)
def refund_reject(refund_id):
    """Reject a held line (or every held line)."""
    return _decide(refund_id, service.reject, REJECT_REASONS, "rejected")
