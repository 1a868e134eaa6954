"""Carrier claims: transit-damaged items by carrier; the claim pack, its CSV; filed, settled, rejected."""
from flask import Response, abort, request
from flask_babel import gettext as _, ngettext

from station.downstream import claims as service
from station.db import get_db
from station.errors import ServiceError
from station.languages import N_
from station.roles import SUPERVISORS
from station.reporting.tables import to_csv
from station.timeutil import now_iso
from station.web.security import roles_required
from station.web.downstream import bp
from station.web.downstream.common import form_text, msg, reason_note, render, translated, user_name

# why a carrier refuses a claim (or why it is not pursued); the supervisor taps one and may add a note
# (the chip's English text is what the note keeps; the screen shows its translation)
REJECT_REASONS = [N_("Packaging judged insufficient"), N_("Claimed too late"), N_("No proof of damage"),
                  N_("Value above the carrier's limit"), N_("Not worth claiming")]


def _screen(message=None, status=200, problem=None):
    """The claims widget; `problem` is a refused form: which one, its field, the text and what was typed."""
    db = get_db()
    groups = service.by_carrier(service.listing(db))
    for group in groups:
        group["key"] = _safe(group["carrier"])
    return render("downstream/_claims.html", "downstream/claims.html", status, groups=groups,
                  recent=service.recent(db), message=message, problem=problem or {}, reject_reasons=REJECT_REASONS)


def _refused(exc, form, values):
    """A refused action: a field's error next to that field (400), anything else as the message (404, 409)."""
    field = exc.extra.get("field")
    if field and field in values:
        return _screen(status=exc.status, problem={"form": form, "field": field, "text": exc.message, "values": values})
    return _screen(msg("error", exc.message), exc.status)


@bp.get("/claims")
@roles_required(*SUPERVISORS)
def claims():
    """Transit-damaged items by carrier, awaiting their claim; settled and rejected lately."""
    return _screen()


@bp.post("/claims/<id:item_id>/file")
@roles_required(*SUPERVISORS)
def claim_file(item_id):
    """The claim is filed with the carrier: its claim reference."""
    values = {"claim_ref": form_text("claim_ref", 200)}
    try:
        claim = service.file_claim(get_db(), item_id, values, user=user_name())
    except ServiceError as exc:
        return _refused(exc, f"file-{item_id}", values)
    return _screen(msg("ok", _("Item %(item)s: claim filed with %(carrier)s under %(ref)s", item=claim["item_id"],
                               carrier=said_carrier(claim["carrier"]), ref=claim["claim_ref"])))


@bp.post("/claims/file")
@roles_required(*SUPERVISORS)
def claims_file_group():
    """One claim reference for every open claim of a carrier group shown (all or none)."""
    carrier = form_text("carrier", 200)
    ids = list(dict.fromkeys(request.form.getlist("item_id")))[:1000]
    values = {"claim_ref": form_text("claim_ref", 200)}
    form = f"group-{_safe(carrier)}"
    try:
        filed = service.file_claims(get_db(), ids, values, user=user_name(), carrier=carrier or None)
    except ServiceError as exc:
        return _refused(exc, form, values)
    return _screen(msg("ok", ngettext("%(num)d claim filed with %(carrier)s under %(ref)s: items %(items)s",
                                      "%(num)d claims filed with %(carrier)s under %(ref)s: items %(items)s", len(filed),
                                      carrier=said_carrier(carrier), ref=filed[0]["claim_ref"],
                                      items=", ".join(str(c["item_id"]) for c in filed))))


@bp.post("/claims/<id:item_id>/settle")
@roles_required(*SUPERVISORS)
def claim_settle(item_id):
    """The carrier paid: the amount, in the order's currency."""
    values = {"amount": form_text("amount", 40), "note": form_text("note", 1000)}
    try:
        claim = service.settle(get_db(), item_id, values, user=user_name())
    except ServiceError as exc:
        return _refused(exc, f"settle-{item_id}", values)
    return _screen(msg("ok", _("Item %(item)s: %(carrier)s paid %(amount)s %(currency)s (declared %(value)s %(currency)s); "
                               "the claim is settled", item=claim["item_id"], carrier=said_carrier(claim["carrier"]),
                               amount=claim["settled_amount"], currency=claim["currency"], value=claim["value"] or "—")))


@bp.post("/claims/<id:item_id>/reject")
@roles_required(*SUPERVISORS)
def claim_reject(item_id):
    """The carrier will not pay: a reason chip and/or a note."""
    values = {"note": reason_note(REJECT_REASONS)}
    try:
        claim = service.reject(get_db(), item_id, values, user=user_name())
    except ServiceError as exc:
        if exc.extra.get("field") == "note":
            exc.message = _("note: tap why the claim was rejected (or write a note)")
        return _refused(exc, f"reject-{item_id}", values)
    return _screen(msg("warn", _("Item %(item)s: the claim with %(carrier)s is rejected — %(note)s", item=claim["item_id"],
                                 carrier=said_carrier(claim["carrier"]), note=translated(claim["note"]))))


@bp.app_template_filter("carrier")
def said_carrier(carrier):
    """A carrier's name as the screen says it: "unknown carrier" (no carton, no carrier) translated."""
    return _(service.UNKNOWN_CARRIER) if carrier == service.UNKNOWN_CARRIER else carrier


def _pack_claims(carrier):
    """The unsettled claims of one carrier (all carriers without one); an unknown carrier is a 404."""
    found = service.listing(get_db(), carrier=carrier or None)
    if carrier and not found:
        abort(404)
    return found


@bp.get("/claims/pack")
@roles_required(*SUPERVISORS)
def claims_pack():
    """The claim pack of a carrier (`?carrier=`): per item photos, order, tracking, declared value; printable."""
    carrier = (request.args.get("carrier") or "").strip()
    groups = service.by_carrier(_pack_claims(carrier))
    return render("downstream/claims_pack.html", "downstream/claims_pack.html", groups=groups, carrier=carrier,
                  printed=now_iso())


@bp.get("/claims/export.csv")
@roles_required(*SUPERVISORS)
def claims_csv():
    """The claim pack as CSV: a header row, every amount beside its currency."""
    carrier = (request.args.get("carrier") or "").strip()
    found = [{**claim, "photos": " ".join(str(p) for p in claim["photos"])} for claim in _pack_claims(carrier)]
    filename = f"carrier-claims-{carrier or 'all'}-{now_iso()[:10]}.csv"
    return Response(to_csv(found, service.CSV_COLUMNS), mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="{_safe(filename)}"'})


def _safe(name):
    return "".join(c if c.isalnum() or c in "-_." else "_" for c in name)
