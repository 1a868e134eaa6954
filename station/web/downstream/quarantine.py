"""Quarantine review: the supervisor looks at photos and flags and decides; the held refund follows."""
from station.downstream import quarantine as service
from station.db import get_db, one
from station.errors import ServiceError
from station.roles import SUPERVISORS
from station.policy import sku_rules
from station.web.security import roles_required
from station.web.downstream import bp
from station.web.downstream.common import error_message, form_text, msg, reason_note, render, user_name

OUTCOMES = [("restock", "Restock"), ("scrap", "Scrap"), ("return_to_customer", "Return to customer"),
            ("fraud", "Confirm fraud")]
REASONS = ["Item is ours and sellable", "Damaged beyond use", "Not our item", "Empty box", "Counterfeit",
           "Serial swapped", "Wrong item returned by mistake"]
DONE = {"restock": "restocked", "scrap": "scrapped", "return_to_customer": "goes back to the customer",
        "fraud": "fraud confirmed, the customer is marked"}


def _screen(message=None, status=200):
    db = get_db()
    items = service.queue(db)
    for item in items:
        item["refund"] = one(db, "SELECT refund_id, amount, currency, status FROM refunds WHERE return_id = ?",
                             [item["return_id"]])
        item["never_restock"] = "never_restock" in sku_rules(db, item["sku"])
    return render("downstream/_quarantine.html", "downstream/quarantine.html", status, items=items, message=message,
                  outcomes=OUTCOMES, reasons=REASONS, recent=service.recent(db), done=DONE)


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
        return _screen(msg("error", "Tap a reason (or write a note) before deciding"), 400)
    try:
        result = service.review(get_db(), item_id, {"outcome": form_text("outcome", 40), "note": note}, user=user_name())
    except ServiceError as exc:
        return _screen(error_message(exc), exc.status)
    text = f"Item {item_id}: {DONE[result['outcome']]}"
    if result["target"]:
        text += f" to bin {result['target']}"
    refund = result["refund"]
    if refund:
        text += f". Refund {refund['refund_id']} is {refund['status']}"
    return _screen(msg("ok", text + "."))
