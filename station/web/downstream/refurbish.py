"""The refurbish station: scan a tote (or tap the queue), record actions, finish with an outcome."""
from flask import render_template, session
from flask_babel import gettext as _
from markupsafe import Markup

from station.intake import label_content as labels
from station.downstream import refurbish as service
from station.db import get_db
from station.errors import ServiceError
from station.languages import N_
from station.roles import TECHNICIANS
from station.policy import GRADES, sku_rules
from station.web.security import roles_required
from station.web.downstream import bp
from station.web.downstream.common import error_message, form_text, msg, render, said, user_name

# labels marked with N_ are translated where they are shown; a part chip's English name is what the work order keeps
ACTION_BUTTONS = [("cleaned", N_("Cleaned")), ("repackaged", N_("Repackaged")), ("tested", N_("Tested")),
                  ("relabelled", N_("Relabelled"))]
COMMON_PARTS = [N_("Lid"), N_("Seal"), N_("Cable"), N_("Charger"), N_("Battery"), N_("Box")]
MINUTE_CHIPS = [0, 5, 10, 15, 30, 60]
PART_CHIPS = 6  # one row on the station's screen
FINISHED = {"restock": N_("%(tote)s: Restocked as refurbished stock in bin %(bin)s. Label printing."),
            "crossdock": N_("%(tote)s: Fills waiting order %(bin)s. Label printing."),
            "scrap": N_("%(tote)s: Scrapped. Label printing.")}


def _screen(message=None, status=200, print_wo=None, part_open=False):
    """The refurbish widget: the queue and the work order on screen (from the session)."""
    db = get_db()
    wo = None
    if session.get("wo"):
        try:
            wo = service.get_work_order(db, session["wo"])
        except ServiceError:
            session.pop("wo", None)
    extra = {}
    if wo is not None:
        extra = {"parts": _parts(db, wo["sku"]), "crossdock": service.crossdock_line(db, wo) if wo["status"] == "open" else None,
                 "never_restock": "never_restock" in sku_rules(db, wo["sku"])}
    return render("downstream/_refurbish.html", "downstream/refurbish.html", status, queue=service.queue(db), wo=wo,
                  recent=service.recent(db), message=message, print_wo=print_wo, actions=ACTION_BUTTONS,
                  minute_chips=MINUTE_CHIPS, grades=GRADES, part_open=part_open, **extra)


def _parts(db, sku):
    used = service.parts_used(db, sku)
    return (used + [p for p in COMMON_PARTS if p not in used])[:PART_CHIPS]


@bp.get("/refurbish")
@roles_required(*TECHNICIANS)
def refurbish():
    """The technician's station: the queue, oldest first, and the work order on screen."""
    return _screen()


@bp.post("/refurbish/scan")
@roles_required(*TECHNICIANS)
def refurbish_scan():
    """A tote label scanned (or a queue row tapped): open that work order."""
    code = form_text("code", 128)
    if not code:
        return _screen(msg("error", _("Scan a tote label (RI-…)")), 400)
    try:
        wo = service.get_work_order(get_db(), code)
    except ServiceError as exc:
        return _screen(msg("error", _("No work order for %(code)s: scan the tote label (RI-…)", code=code)), exc.status)
    session["wo"] = wo["wo_id"]
    if wo["status"] != "open":
        return _screen(msg("warn", _("Work order %(tote)s is finished: %(outcome)s", tote=wo["tote"],
                                     outcome=said(wo["outcome"]))))
    return _screen(msg("ok", _("Work order %(tote)s open", tote=wo["tote"])))


@bp.post("/refurbish/<id:wo_id>/action")
@roles_required(*TECHNICIANS)
def refurbish_action(wo_id):
    """Record one action with the minutes it took (a part with its cost)."""
    data = {"action": form_text("action", 40), "minutes": _whole(form_text("minutes", 12))}
    if data["action"] == "part_replaced":
        data["part"] = form_text("part_other", 200) or form_text("part", 200)
        data["cost"] = form_text("cost", 20) or "0"
    note = form_text("note")
    if note:
        data["note"] = note
    try:
        wo = service.record_action(get_db(), wo_id, data, user=user_name())
    except ServiceError as exc:
        return _screen(error_message(exc), exc.status, part_open=data["action"] == "part_replaced")
    session["wo"] = wo["wo_id"]
    done = wo["actions"][-1]
    if done["action"] == "part_replaced":
        text = _("Recorded part replaced: %(part)s (%(cost)s), %(minutes)s min", part=_(done["part"]), cost=done["cost"],
                 minutes=data["minutes"])
    else:
        text = _("Recorded %(action)s, %(minutes)s min", action=said(done["action"]), minutes=data["minutes"])
    return _screen(msg("ok", text))


@bp.post("/refurbish/<id:wo_id>/finish")
@roles_required(*TECHNICIANS)
def refurbish_finish(wo_id):
    """Finish: restock as refurbished, fill a waiting order where policy allows, or scrap."""
    data = {"outcome": form_text("outcome", 20), "grade": form_text("grade", 2) or None}
    try:
        wo = service.finish(get_db(), wo_id, data, user=user_name())
    except ServiceError as exc:
        return _screen(error_message(exc), exc.status)
    session["wo"] = wo["wo_id"]
    return _screen(msg("ok", _(FINISHED[wo["outcome"]], tote=wo["tote"], bin=wo["bin"])), print_wo=wo["wo_id"])


@bp.post("/refurbish/clear")
@roles_required(*TECHNICIANS)
def refurbish_clear():
    """Take the work order off the screen."""
    session.pop("wo", None)
    return _screen()


@bp.get("/refurbish/<id:wo_id>/label")
@roles_required(*TECHNICIANS)
def refurbish_label(wo_id):
    """The label of a finished work order (printed from a hidden frame with ?print=1)."""
    try:
        wo = service.get_work_order(get_db(), wo_id)
        if wo["status"] != "done":
            raise ServiceError("not_finished", _("Work order %(tote)s is not finished: no label yet", tote=wo["tote"]), 409)
    except ServiceError as exc:
        return render_template("label.html", error=exc.message), exc.status
    data = labels.work_order_label(wo)
    # the SVG comes from our own barcode writer and the label's own code, never user text
    return render_template("label.html", label=data, item=wo, svg=Markup(labels.barcode_svg(data["barcode"])))


def _whole(text):
    """Minutes typed on the keypad: whole digits become a number; anything else goes on to be refused."""
    if text == "":
        return 0
    return int(text) if text.isdigit() and len(text) <= 6 else text
