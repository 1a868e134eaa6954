"""Refunds: held ones to approve or reject with a reason; ready, paid and rejected ones to see."""
from decimal import Decimal

from flask import request
from flask_babel import gettext as _

from station import money
from station.downstream import refunds as service
from station.db import get_db, rows
from station.errors import ServiceError
from station.languages import N_
from station.roles import SUPERVISORS
from station.web.security import roles_required
from station.web.downstream import bp
from station.web.downstream.common import error_message, form_text, msg, reason_note, render, said, user_name

# labels marked with N_ are translated where they are shown; a reason chip's English text is what the note keeps
APPROVE_REASONS = [N_("Inspection OK"), N_("Carrier delay confirmed"), N_("Goodwill"), N_("Customer service agreed"),
                   N_("Defect confirmed")]
REJECT_REASONS = [N_("Outside the return window"), N_("Customer damage"), N_("Not our item"), N_("Item missing"),
                  N_("Fraud suspected")]
TABS = [("held", N_("Held")), ("ready", N_("Ready, awaiting payment")), ("paid", N_("Paid")), ("rejected", N_("Rejected")),
        ("exchange", N_("Exchange"))]


REVIEWED = {"restock": N_("restocked"), "scrap": N_("scrapped"), "return_to_customer": N_("sent back to the customer"),
            "fraud": N_("fraud confirmed")}


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
        return _screen("held", msg("error", _("Tap a reason (or write a note) first")), 400)
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
    line = next((line for line in refund["lines"] if str(line["item_id"]) == item_id), None)
    figures = {"refund": refund["refund_id"], "currency": refund["currency"], "payable": refund["payable"]}
    if item_id and line:
        text = _(done[0], item=item_id, amount=line["amount"], status=said(line["status"]), **figures)
    elif item_id:
        text = _(done[1], item=item_id, amount=refund["amount"], **figures)
    else:
        text = _(done[2], amount=refund["amount"], **figures)
    return _screen("held", msg("ok", text))


@bp.post("/refunds/<id:refund_id>/approve")
@roles_required(*SUPERVISORS)
def refund_approve(refund_id):
    """Approve a held line (or every held line) at its amount: ready for the payment system."""
    return _decide(refund_id, service.approve, APPROVE_REASONS, (
        N_("Item %(item)s of refund %(refund)s approved, ready for payment: %(amount)s %(currency)s %(status)s; "
           "%(payable)s %(currency)s payable now"),
        N_("Item %(item)s of refund %(refund)s approved, ready for payment: %(amount)s %(currency)s; "
           "%(payable)s %(currency)s payable now"),
        N_("Refund %(refund)s approved, ready for payment: %(amount)s %(currency)s; %(payable)s %(currency)s payable now")))


@bp.post("/refunds/<id:refund_id>/reject")
@roles_required(*SUPERVISORS)
def refund_reject(refund_id):
    """Reject a held line (or every held line)."""
    return _decide(refund_id, service.reject, REJECT_REASONS, (
        N_("Item %(item)s of refund %(refund)s rejected: %(amount)s %(currency)s %(status)s; "
           "%(payable)s %(currency)s payable now"),
        N_("Item %(item)s of refund %(refund)s rejected: %(amount)s %(currency)s; %(payable)s %(currency)s payable now"),
        N_("Refund %(refund)s rejected: %(amount)s %(currency)s; %(payable)s %(currency)s payable now")))
