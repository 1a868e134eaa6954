"""Return to vendor: open batches per supplier, batch detail, close, credit, refusals, print pages."""
from flask import Response, abort
from flask_babel import gettext as _

from station.downstream import rtv as service
from station import policy as policy_module
from station.db import get_db
from station.errors import ServiceError
from station.languages import N_
from station.roles import SUPERVISORS
from station.reporting.tables import to_csv
from station.web.security import roles_required
from station.web.downstream import bp
from station.web.downstream.common import error_message, form_text, msg, reason_note, render, user_name

# why suppliers refuse a claim; the supervisor taps one (and may add a note)
# (the chip's English text is what the refusal keeps; the screen shows its translation)
REFUSAL_REASONS = [N_("Not covered by warranty"), N_("Customer damage"), N_("Outside the RTV window"), N_("Missing parts"),
                   N_("Not our product"), N_("Serial does not match")]
PACKING_COLUMNS = ["item_id", "sku", "name", "qty", "serial", "grade", "reason", "order_no", "shipped_at", "decided_at",
                   "value", "currency", "status"]


@bp.get("/rtv")
@roles_required(*SUPERVISORS)
def rtv():
    """Batches per supplier: open ones filling up, closed ones awaiting credit, settled ones."""
    db = get_db()
    return render("downstream/_rtv.html", "downstream/rtv.html", open=service.batches(db, "open"),
                  closed=service.batches(db, "closed"), settled=service.batches(db, "settled")[-20:][::-1])


def _batch(batch_id, message=None, status=200):
    """The batch widget; a batch that does not exist is the 404 page."""
    try:
        batch = service.get_batch(get_db(), batch_id)
    except ServiceError:
        abort(404)
    return render("downstream/_rtv_batch.html", "downstream/rtv_batch.html", status, batch=batch, message=message,
                  refusal_reasons=REFUSAL_REASONS)


@bp.get("/rtv/<id:batch_id>")
@roles_required(*SUPERVISORS)
def rtv_batch(batch_id):
    """One batch: its packing list and what can be done with it now."""
    return _batch(batch_id)


@bp.post("/rtv/<id:batch_id>/close")
@roles_required(*SUPERVISORS)
def rtv_close(batch_id):
    """Close the batch for shipping; the credit expected is fixed."""
    try:
        batch = service.close_batch(get_db(), batch_id, user=user_name())
    except ServiceError as exc:
        return _batch(batch_id, error_message(exc), exc.status)
    return _batch(batch_id, msg("ok", _("Batch %(batch)s closed: credit expected %(expected)s", batch=batch["batch_id"],
                                        expected=batch["credit_expected"])))


@bp.post("/rtv/<id:batch_id>/credit")
@roles_required(*SUPERVISORS)
def rtv_credit(batch_id):
    """The supplier's credit arrived: record the amount received."""
    amount = form_text("amount", 20)
    if not amount:
        return _batch(batch_id, msg("error", _("amount: tap the amount credited")), 400)
    try:
        batch = service.record_credit(get_db(), batch_id, {"amount": amount}, user=user_name())
    except ServiceError as exc:
        return _batch(batch_id, error_message(exc), exc.status)
    return _batch(batch_id, msg("ok", _("Credit %(received)s recorded against %(expected)s expected",
                                        received=batch["credit_received"], expected=batch["credit_expected"])))


@bp.post("/rtv/<id:batch_id>/items/<id:item_id>/refuse")
@roles_required(*SUPERVISORS)
def rtv_refuse(batch_id, item_id):
    """The supplier refused an item: it goes back to quarantine review for a new decision."""
    reason = reason_note(REFUSAL_REASONS, note_limit=250)  # the refusal reason is at most 500 characters
    try:
        batch = service.get_batch(get_db(), batch_id)
        if item_id not in [i["item_id"] for i in batch["items"]]:
            raise ServiceError("not_found", _("Item %(item)s is not in batch %(batch)s", item=item_id, batch=batch_id), 404)
        service.refuse_item(get_db(), item_id, {"reason": reason}, user=user_name())
    except ServiceError as exc:
        if exc.code == "bad_request":
            return _batch(batch_id, msg("error", _("Tap why the supplier refused it (or write a note)")), exc.status)
        return _batch(batch_id, error_message(exc), exc.status)
    return _batch(batch_id, msg("warn", _("Item %(item)s refused by the supplier: back in quarantine review", item=item_id)))


@bp.get("/rtv/<id:batch_id>/packing-list")
@roles_required(*SUPERVISORS)
def rtv_packing_list(batch_id):
    """The packing list, printable."""
    return _print_page("downstream/rtv_packing.html", batch_id)


@bp.get("/rtv/<id:batch_id>/evidence")
@roles_required(*SUPERVISORS)
def rtv_evidence(batch_id):
    """The evidence pack: per item photos, verified reason, serial, order and dates; printable."""
    return _print_page("downstream/rtv_evidence.html", batch_id)


@bp.get("/rtv/<id:batch_id>/packing-list.csv")
@roles_required(*SUPERVISORS)
def rtv_packing_csv(batch_id):
    """The packing list as CSV (the same columns as the API's format=csv)."""
    try:
        batch = service.get_batch(get_db(), batch_id)
    except ServiceError:
        abort(404)
    filename = f"rtv-batch-{batch['batch_id']}-{batch['supplier_id']}.csv"
    base = policy_module.load(get_db())["base_currency"]  # item values are catalogue values
    items = [dict(item, currency=base) for item in batch["items"]]
    return Response(to_csv(items, PACKING_COLUMNS), mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="{_safe(filename)}"'})


def _print_page(template, batch_id):
    try:
        batch = service.get_batch(get_db(), batch_id)
    except ServiceError:
        abort(404)
    return render(template, template, batch=batch)


def _safe(name):
    return "".join(c if c.isalnum() or c in "-_." else "_" for c in name)
