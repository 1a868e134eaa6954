"""Quarantine review: the supervisor looks at photos and flags and decides; the held refund follows."""
from flask_babel import gettext as _

from station.downstream import quarantine as service
from station.db import get_db, one
from station.errors import ServiceError
from station.languages import N_
from station.roles import SUPERVISORS
from station.policy import sku_rules
from station.web.security import roles_required
from station.web.downstream import bp
from station.web.downstream.common import error_message, form_text, msg, reason_note, render, said, user_name

# labels marked with N_ are translated where they are shown; a reason chip's English text is what the note keeps
OUTCOMES = [("restock", N_("Restock")), ("scrap", N_("Scrap")), ("return_to_customer", N_("Return to customer")),
            ("fraud", N_("Confirm fraud"))]
REASONS = [N_("Item is ours and sellable"), N_("Damaged beyond use"), N_("Not our item"), N_("Empty box"),
           N_("Counterfeit"), N_("Serial swapped"), N_("Wrong item returned by mistake")]
CONDITIONS = [("new", N_("New")), ("open_box", N_("Open box")), ("used", N_("Used"))]  # what a restocked item is sold as
CONDITION_WORDS = (N_("new"), N_("open-box"), N_("used"))  # the condition as the message after a review names it
DONE = {"restock": N_("restocked"), "scrap": N_("scrapped"), "return_to_customer": N_("goes back to the customer"),
        "fraud": N_("fraud confirmed, the customer is marked")}


def _screen(message=None, status=200):
    db = get_db()
    items = service.queue(db)
    for item in items:
        item["refund"] = one(db, "SELECT refund_id, amount, currency, status FROM refunds WHERE return_id = ?",
                             [item["return_id"]])
        item["line"] = one(db, "SELECT amount, status, why FROM refund_lines WHERE item_id = ?", [item["item_id"]])
        item["currency"] = one(db, "SELECT currency FROM orders WHERE order_no = ?", [item["order_no"]])["currency"]
        item["never_restock"] = "never_restock" in sku_rules(db, item["sku"])
    return render("downstream/_quarantine.html", "downstream/quarantine.html", status, items=items, message=message,
                  outcomes=OUTCOMES, reasons=REASONS, recent=service.recent(db), done=DONE, conditions=CONDITIONS)


@bp.get("/quarantine")
@roles_required(*SUPERVISORS)
def quarantine():
    """Items held for a supervisor, oldest first, with photos and flags."""
    return _screen()


@bp.post("/quarantine/<id:item_id>/review")
@roles_required(*SUPERVISORS)
def quarantine_review(item_id):
    """An outcome for one item; its held refund is released or rejected in the same transaction."""
    note = reason_note(REASONS)
    if not note:
        return _screen(msg("error", _("Tap a reason (or write a note) before deciding")), 400)
    outcome = form_text("outcome", 40)
    data = {"outcome": outcome, "note": note}
    amount = form_text("refund_amount", 40)
    if amount and outcome in ("restock", "scrap"):  # the others reject the line whatever the field says
        data["refund_amount"] = amount
    if outcome == "restock" and form_text("condition", 20):
        data["condition"] = form_text("condition", 20)
    try:
        result = service.review(get_db(), item_id, data, user=user_name())
    except ServiceError as exc:
        return _screen(error_message(exc), exc.status)
    review = result["review"]
    done = _(DONE[review["outcome"]])
    if review["target"]:
        text = _("Item %(item)s: %(done)s to bin %(bin)s (%(condition)s)", item=item_id, done=done, bin=review["target"],
                 condition=_((review["condition"] or "open_box").replace("_", "-")))
    else:
        text = _("Item %(item)s: %(done)s", item=item_id, done=done)
    line = next((line for line in result.get("lines") or [] if line["item_id"] == item_id), None)
    if line:
        text += _(". Its refund line: %(amount)s %(currency)s %(line_status)s; refund %(refund)s is %(status)s "
                  "(%(payable)s %(currency)s to pay).", amount=line["amount"], currency=result["currency"],
                  line_status=said(line["status"]), refund=result["refund_id"], status=said(result["status"]),
                  payable=result["payable"])
    else:
        text += _(". The parcel is still open: its refund line follows this review when it closes.")
    return _screen(msg("ok", text))
