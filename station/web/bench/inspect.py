"""Inspecting one item: grade, reason, qty, serial, notes, photo; then the decision."""
from flask import current_app, request, session
from flask_babel import gettext as _

from station.devices import live
from station import policy
from station.db import get_db
from station.errors import ServiceError
from station.roles import OPERATORS
from station.web.security import roles_required, station_name
from station.db import one
from station.intake import decisions, items, photos, returns
from station.rules.inspection import default_reason
from station.web.bench import bp
from station.web.bench.render import current_view, render_bench, user_name
from station.web.bench.wording import label
from station.web.pages import msg


def select_item(item):
    """Put a recorded, undecided item under inspection (its decision panel shows)."""
    session["inspect"] = {"sku": item["sku"], "code": item["code"], "name": item["name"],
                          "item_id": item["item_id"], "grade": item["grade"],
                          "reason": item["reason"], "qty": item["qty"]}


def select_product(db, result):
    """A product scanned with a parcel on screen: select its undecided item, or start a new one."""
    view = current_view(db, ret=result.get("row"))
    sku = result.get("sku")
    product = result.get("product") or {}
    open_item = next((i for i in view["items"] if sku and i["sku"] == sku and not i["decision"]), None)
    if open_item:
        select_item(open_item)
        return render_bench(msg("ok", _("Item selected")), view=view)
    session["inspect"] = {
        "sku": sku, "code": result.get("code"), "name": product.get("name"), "serial": result.get("serial"),
        "qty": 1, "grade": None, "reason": default_reason(None, (view.get("rma") or {}).get("reason")), "notes": None,
        "weight_g": _weigh(), "expected_g": product.get("weight_g"),
    }
    if sku is None:
        return render_bench(msg("warn", _("Unknown product: it will go to quarantine")), view=view)
    if not any(line["sku"] == sku for line in view["expected"]):
        return render_bench(msg("warn", _("Not on this order: it will go to quarantine")), view=view)
    return render_bench(msg("ok", _("Item scanned: tap its grade")), view=view)


def select_pending(db, pending):
    """The product scanned before its order was tapped (kept resolved in the session): its item."""
    product = one(db, "SELECT * FROM products WHERE sku = ?", [pending["sku"]])
    return select_product(db, dict(pending, product=product))


def _open_return(db):
    """The return on screen, when it is still open (else None)."""
    return_id = session.get("return_id")
    ret = one(db, "SELECT return_id, order_no, rma_no, status FROM returns WHERE return_id = ?", [return_id]) if return_id else None
    return ret if ret and ret["status"] == "open" else None


def _weigh(wait=0.0):
    """Grams on this bench's scale (a fresh, steady reading), or None without a scale or one."""
    scale = live.device(current_app, station_name(), "scale")
    return scale.weigh(timeout=wait) if scale else None


def _form_qty(value, default=1):
    try:
        return max(1, min(int(value), 10_000))
    except (TypeError, ValueError):
        return default


@bp.post("/bench/inspect")
@roles_required(*OPERATORS)
def inspect():
    """A tap on a grade or reason (with qty, serial, notes): add the item once both are known."""
    db = get_db()
    draft = session.get("inspect")
    ret = _open_return(db)
    if not draft or ret is None:
        return render_bench(msg("error", _("Scan an item first")), 409)
    if draft.get("item_id"):
        return render_bench()
    form = request.form
    draft = dict(draft, qty=_form_qty(form.get("qty"), draft.get("qty") or 1),
                 serial=(form.get("serial") or "").strip() or None, notes=(form.get("notes") or "").strip() or None)
    if form.get("set_grade") in policy.GRADES:
        draft["grade"] = form["set_grade"]
    if form.get("set_reason") in policy.REASONS:
        draft["reason"] = form["set_reason"]
    if draft.get("grade") and not draft.get("reason"):
        draft["reason"] = default_reason(draft["grade"], items.rma_reason(db, ret))
    session["inspect"] = draft
    if not draft.get("grade") or not draft.get("reason"):
        return render_bench()
    if draft["reason"] == "other" and not draft.get("notes"):
        return render_bench(msg("warn", _("Reason Other: write a note, then tap Other again")))
    data = {"qty": draft["qty"], "grade": draft["grade"], "reason": draft["reason"],
            "serial": draft.get("serial"), "notes": draft.get("notes")}
    data["sku" if draft.get("sku") else "code"] = draft.get("sku") or draft.get("code")
    # the item has sat on the scale while it was graded: read it now, waiting a moment to settle
    measured = _weigh(wait=1.0)
    measured = draft.get("weight_g") if measured is None else measured
    tolerance = (current_app.config["WEIGHT_TOLERANCE_PCT"], current_app.config["WEIGHT_TOLERANCE_G"])
    try:
        added = returns.add_item(db, ret["return_id"], data, user=user_name(), measured_g=measured,
                                 weight_tolerance=tolerance)
    except ServiceError as exc:
        return render_bench(msg("error", exc.message), exc.status)
    session["inspect"] = dict(draft, item_id=added["item_id"])
    return render_bench()


@bp.post("/bench/inspect/cancel")
@roles_required(*OPERATORS)
def cancel_inspect():
    """Drop the draft (an item already added stays recorded, undecided)."""
    session.pop("inspect", None)
    return render_bench()


@bp.post("/bench/items/<id:item_id>/decide")
@roles_required(*OPERATORS)
def decide(item_id):
    """Confirm the recommendation, or override it with a reason; the label prints."""
    db = get_db()
    item = items.item_row(db, item_id)
    if item is None:
        return render_bench(msg("error", _("Item %(item_id)s not found", item_id=item_id)), 404)
    data = {"disposition": request.form.get("disposition", "")}
    if request.form.get("override_reason"):
        data["override_reason"] = request.form["override_reason"]
    try:
        decided = decisions.decide(db, item["return_id"], item_id, data, user=user_name(), station=station_name())
    except ServiceError as exc:
        done = decisions.decision_of(db, item_id) if exc.code == "already_decided" else None
        if done and done["disposition"] == data["disposition"]:
            # the same Confirm twice (a double tap, a retried request): it is recorded; say so
            session.pop("inspect", None)
            return render_bench(msg("ok", _("%(where)s: confirmed already", where=_where(done))))
        return render_bench(msg("error", exc.message), exc.status)
    session.pop("inspect", None)
    session["last_item"] = item_id
    return render_bench(msg("ok", _("%(where)s: label printing", where=_where(decided))), print_item=item_id)


def _where(decision):
    """Where a decided item goes, as the message says it: RESTOCK A-01-02, QUARANTINE."""
    where = label(decision["disposition"], "disposition").upper()
    return where + (f" {decision['target']}" if decision.get("target") else "")


@bp.post("/bench/items/<id:item_id>/photos")
@roles_required(*OPERATORS)
def photo(item_id):
    """A photo from the bench camera or a file."""
    db = get_db()
    upload = request.files.get("photo")
    if upload is None:
        return render_bench(msg("error", _("No photo received")), 400)
    try:
        photos.add_photo(db, item_id, upload.read(photos.MAX_BYTES + 1), photo_dir=current_app.config["PHOTO_DIR"],
                         user=user_name())
    except ServiceError as exc:
        return render_bench(msg("error", exc.message), exc.status)
    return render_bench(msg("ok", _("Photo saved")))


@bp.post("/bench/items/<id:item_id>/camera-photo")
@roles_required(*OPERATORS)
def camera_photo(item_id):
    """A photo from this bench's own camera (BENCHES camera), stored like an uploaded one."""
    from hardware.camera import CameraError

    camera = live.device(current_app, station_name(), "camera")
    if camera is None:
        return render_bench(msg("error", _("This bench has no camera running")), 409)
    try:
        data = camera.snapshot()
        photos.add_photo(get_db(), item_id, data, photo_dir=current_app.config["PHOTO_DIR"], user=user_name())
    except CameraError as exc:
        return render_bench(msg("error", _("Bench camera: %(problem)s", problem=exc)), 409)
    except ServiceError as exc:
        return render_bench(msg("error", exc.message), exc.status)
    return render_bench(msg("ok", _("Photo saved from the bench camera")))
