"""Open parcels on every bench: their age and what they lack; a supervisor closes a decided one
or moves one to another bench (its put-aside list there)."""
from flask import current_app
from flask_babel import gettext as _

from station.db import get_db
from station.errors import ServiceError
from station.intake import closing, finishing
from station.roles import SUPERVISORS
from station.web.downstream import bp
from station.web.downstream.common import form_text, msg, render, said, user_name
from station.web.security import roles_required


def _screen(message=None, status=200):
    db = get_db()
    parcels = finishing.open_parcels(db)
    # the benches a parcel can go to: those configured, those signed in at lately, those with parcels
    known = {r[0] for r in db.execute("SELECT station FROM bench_sessions WHERE station IS NOT NULL "
                                      "GROUP BY station ORDER BY max(started_at) DESC LIMIT 50")}
    known |= {r[0] for r in db.execute("SELECT station FROM returns WHERE station IS NOT NULL "
                                       "GROUP BY station ORDER BY max(opened_at) DESC LIMIT 50")}
    stations = sorted(known | set(current_app.config.get("BENCHES") or {}) | {p["station"] for p in parcels if p["station"]})
    return render("downstream/_parcels.html", "downstream/parcels.html", status, parcels=parcels, stations=stations,
                  message=message)


@bp.get("/parcels")
@roles_required(*SUPERVISORS)
def parcels():
    """Every open parcel, oldest first."""
    return _screen()


@bp.post("/parcels/<id:return_id>/close")
@roles_required(*SUPERVISORS)
def parcel_close(return_id):
    """Close a parcel whose recorded items are all decided (its refund computed)."""
    try:
        closed = closing.close_return(get_db(), return_id, user=user_name())
    except ServiceError as exc:
        return _screen(msg("error", exc.message), exc.status)
    refund = closed["refund"]
    if refund:
        text = _("Return %(return_id)s closed: refund %(amount)s %(currency)s %(status)s", return_id=return_id,
                 amount=refund["amount"], currency=refund["currency"], status=said(refund["status"]))
    else:
        text = _("Return %(return_id)s closed: no refund (removal box)", return_id=return_id)
    return _screen(msg("ok", text))


@bp.post("/parcels/<id:return_id>/reassign")
@roles_required(*SUPERVISORS)
def parcel_reassign(return_id):
    """Move an open parcel to another bench."""
    try:
        moved = finishing.reassign(get_db(), return_id, form_text("station", 64), user_name())
    except ServiceError as exc:
        return _screen(msg("error", exc.message), exc.status)
    return _screen(msg("ok", _("Return %(return_id)s now waits at %(station)s", return_id=return_id,
                               station=moved["station"])))
