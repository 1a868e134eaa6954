"""The bench: one scan route for every code, parcels on and off the screen, closing with a refund."""
from flask import Response, current_app, jsonify, redirect, render_template, request, session, url_for
from flask_babel import gettext as _

from station.db import get_db
from station.devices import live
from station.web import nav
from station.errors import ServiceError
from station.inputs import maybe_id
from station.roles import OPERATORS
from station.web.security import current_user, home_or_forbidden, roles_required, station_name
from station.intake import closing, parcel, pipeline, returns, search as order_search
from station.web.bench import bp
from station.web.bench.inspect import select_item, select_pending, select_product
from station.web.bench.render import render_bench, user_name
from station.web.bench.wording import label
from station.web.pages import msg


@bp.get("/")
@home_or_forbidden(*OPERATORS)
def index():
    """Sign-in for a stranger, the bench for a signed-in operator."""
    user = current_user()
    if user is None:  # a bench names itself with /?station=NAME as well as on the sign-in page
        station = request.args.get("station")
        return redirect(url_for("bench.sign_in", station=station) if station else url_for("bench.sign_in"))
    landing = nav.home(user)
    if landing != "bench.index":  # a technician's badge opens the refurbish station
        return redirect(url_for(landing))
    return render_bench()


@bp.get("/bench")
@roles_required(*OPERATORS)
def bench():
    """The bench widget (htmx) or page."""
    return render_bench()


ERROR_STATUS = {"bad_code": 400, "not_found": 404}
SOURCES = ("wedge", "typed", "serial", "camera")
DEVICE_SOURCES = ("serial", "camera")  # relayed by the page from /bench/events, with their scan_id


@bp.post("/bench/scan")
@roles_required(*OPERATORS)
def scan():
    """A scan from any scanner, the camera or the typed-code field: a parcel, or an item of the parcel."""
    db = get_db()
    code = request.form.get("code", "")
    source = request.form.get("source") if request.form.get("source") in SOURCES else "wedge"
    if _ignored(source, code):
        return "", 204  # htmx swaps nothing: the screen stays as it is
    # the parcel on screen, if any: process_scan reads it once and acts on it only while it is open
    try:
        result = pipeline.process_scan(db, code, source=source, station=station_name(), user=user_name(),
                                       current_return_id=session.get("return_id"))
    except Exception:
        # not taken (a busy database's 503, a fault): the same code scanned again is a retry
        live.hub(current_app).forget(station_name(), code)
        raise
    if result["kind"] == "error" or not result["ok"]:
        return render_bench(msg("error", result["message"]), ERROR_STATUS.get(result.get("code"), 409))
    if result["kind"] == "courier":
        return render_bench(msg("warn", result["message"]))
    if result["kind"] == "parcel":
        return _show_parcel(db, result["return_id"], _previous_note(result.get("previous")), ret=result["row"])
    if result.get("return_id") is None:  # a product with no parcel on screen: which order?
        # kept as resolved: the order tapped next opens with this item, without a second scan
        session["pending_product"] = {"sku": result["sku"], "code": result["code"], "serial": result["serial"]}
        found = result["candidates"]
        text = _("Product with no parcel: tap its order below") if found else _("No recent order has this product")
        return render_bench(msg("warn", text), candidates=found, candidate_product=result.get("product"))
    return select_product(db, result)


def _ignored(source, code):
    """A device scan another page of this bench took already, or a double read of the last scan."""
    hub = live.hub(current_app)
    if source in DEVICE_SOURCES:
        try:
            scan_id = int(request.form.get("scan_id", ""))
        except ValueError:
            return True
        if not hub.claim(station_name(), scan_id):
            return True
    # typed codes are meant; a scanner that reads one label twice within SCAN_REPEAT_MS is not
    return source != "typed" and hub.is_repeat(station_name(), code, current_app.config["SCAN_REPEAT_MS"])


@bp.get("/bench/events")
@roles_required(*OPERATORS)
def events():
    """This bench's serial-scanner and camera scans as server-sent events (static/js/live.js)."""
    config, hub, bench = current_app.config, live.hub(current_app), station_name()
    # a page holding its stream open is not an operator at work: leave the idle clock alone
    session.permanent = False
    session.modified = False
    if not hub.has_source(bench):
        # no serial scanner or camera of this process pushes scans to this bench (a page from before a
        # restart, a gunicorn worker): nothing would come down a stream, and it would hold a thread
        return Response(status=204)
    if not hub.open_stream(bench, config["LIVE_MAX_STREAMS"]):
        return Response("Too many live bench pages open\n", 503, {"Retry-After": "15"}, mimetype="text/plain")
    last = request.headers.get("Last-Event-ID", "")
    body = live.stream(hub, bench, maybe_id(last) or 0,
                       config["LIVE_HEARTBEAT_S"], config["LIVE_STREAM_MAX_S"])
    response = Response(body, mimetype="text/event-stream",
                        headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"})
    response.call_on_close(lambda: hub.close_stream(bench))
    return response


@bp.get("/bench/events/poll")
@roles_required(*OPERATORS)
def events_poll():
    """The same scans for a page whose stream was refused: unclaimed ones above `after`, at once
    (no thread held), as JSON; the page asks every second."""
    session.permanent = False
    session.modified = False
    hub = live.hub(current_app)
    after = maybe_id(request.args.get("after", "")) or 0
    found = hub.pending(station_name(), after)
    return jsonify(events=[{"seq": e["seq"], "code": e["code"], "source": e["source"]} for e in found])


def _previous_note(previous):
    """What happened to the parcel that was on screen when another was scanned."""
    if not previous:
        return ""
    if previous.get("closed"):
        refund = previous["closed"]["refund"]
        if refund is None:  # a removal box: no customer to pay
            return _("Removal box %(return_id)s closed, %(count)s.", return_id=previous["return_id"],
                     count=_shortfall(previous["closed"].get("removal")))
        return _("Return %(return_id)s closed, refund %(amount)s %(currency)s %(status)s.", return_id=previous["return_id"],
                 amount=refund["amount"], currency=refund["currency"], status=label(refund["status"], "refund_status"))
    return _("Return %(return_id)s put aside (still open).", return_id=previous["return_id"])


def _open_return_id(db):
    """The return on screen if it is still open."""
    return_id = session.get("return_id")
    if not return_id:
        return None
    row = db.execute("SELECT status FROM returns WHERE return_id = ?", [return_id]).fetchone()
    return return_id if row and row[0] == "open" else None


def _set_aside(db, return_id):
    """Take a parcel off the screen (returns.put_aside: closed if everything is decided, else kept
    open); the note that says which."""
    if not return_id:
        return ""
    return _previous_note(closing.put_aside(db, return_id, user=user_name()))


def _show_parcel(db, return_id, note="", tone="ok", ret=None):
    """The parcel on screen (ret: its row, when the caller has it)."""
    if session.get("return_id") != return_id:
        session.pop("inspect", None)
    session["return_id"] = return_id
    view = parcel.bench_view(db, return_id, ret=ret)
    if view["return"]["status"] != "open":
        return render_bench(msg("warn", _also(_("Return %(return_id)s is closed already.", return_id=return_id), note)),
                            view=view)
    undecided = next((i for i in view["items"] if not i["decision"]), None)
    if undecided and not session.get("inspect"):
        # a parcel brought back: its recorded item waits for its decision, no need to scan it again
        select_item(undecided)
    warn = view["flags"] or not view["within_window"]
    said = _also(_("Parcel open: return %(return_id)s.", return_id=return_id), note)
    return render_bench(msg("warn" if warn else tone, said), view=view)


def _also(sentence, note):
    """A message and a note after it (what happened to the previous parcel), as the language joins two sentences."""
    return _("%(sentence)s %(note)s", sentence=sentence, note=note) if note else sentence


@bp.post("/bench/open")
@roles_required(*OPERATORS)
def open_order():
    """Open the return of an order tapped in a list (no label, or a product-only scan)."""
    db = get_db()
    order_no = request.form.get("order_no", "")
    try:
        ret, _created = returns.open_return(db, order_no, station=station_name(), user=user_name(), order_no=order_no)
    except ServiceError as exc:
        return render_bench(msg("error", exc.message), exc.status)
    previous = _open_return_id(db)
    note = _set_aside(db, previous) if previous != ret["return_id"] else ""
    pending = session.pop("pending_product", None)
    if pending and request.form.get("with_product"):
        session["return_id"] = ret["return_id"]
        session.pop("inspect", None)
        return select_pending(db, pending)
    return _show_parcel(db, ret["return_id"], note)


@bp.post("/bench/returns/<id:return_id>/resume")
@roles_required(*OPERATORS)
def resume(return_id):
    """Bring a put-aside parcel back on screen."""
    db = get_db()
    try:
        previous = _open_return_id(db)
        return _show_parcel(db, return_id, _set_aside(db, previous) if previous != return_id else "")
    except ServiceError as exc:
        return render_bench(msg("error", exc.message), exc.status)


@bp.post("/bench/returns/<id:return_id>/close")
@roles_required(*OPERATORS)
def close(return_id):
    """Close the parcel: the refund is computed once and shown."""
    shipping = request.form.get("return_shipping", "").strip()
    try:
        closed = closing.close_return(get_db(), return_id, {"return_shipping": shipping}, user=user_name())
    except ServiceError as exc:
        return render_bench(msg("error", exc.message), exc.status)
    session["return_id"] = return_id
    session.pop("inspect", None)
    refund = closed["refund"]
    if refund is None:
        return render_bench(msg("ok", _("Closed. Removal box: %(count)s", count=_shortfall(closed.get("removal")))))
    return render_bench(msg("ok", _("Closed. Refund %(amount)s %(currency)s: %(status)s, %(payable)s %(currency)s paid now",
                                    amount=refund["amount"], currency=refund["currency"], payable=refund["payable"],
                                    status=label(refund["status"], "refund_status"))))


def _shortfall(counted):
    """A removal box's count against its report, in words."""
    if not counted or not (counted["shortages"] or counted["overages"]):
        return _("every unit the report lists was there")
    parts = [_("%(qty)s × %(sku)s missing", qty=s["qty"], sku=s["sku"]) for s in counted["shortages"]]
    parts += [_("%(qty)s × %(sku)s more than the report", qty=o["qty"], sku=o["sku"]) for o in counted["overages"]]
    return ", ".join(parts)


@bp.post("/bench/clear")
@roles_required(*OPERATORS)
def clear():
    """Take the parcel off the screen (it stays open) to start fresh."""
    db = get_db()
    note = _set_aside(db, _open_return_id(db))
    session.pop("return_id", None)
    session.pop("inspect", None)
    return render_bench(msg("ok", note) if note else None)


@bp.get("/bench/search")
@roles_required(*OPERATORS)
def search():
    """No label: orders by customer name, email, phone or order number."""
    q = request.args.get("q", "")[:80]
    sku = request.args.get("sku", "")[:128] or None  # a product scanned with no parcel open: its orders only
    searched = order_search.searchable(q)
    results = order_search.search_orders(get_db(), q, sku=sku) if searched else []
    return render_template("_search_results.html", results=results, q=q, searched=searched, sku=sku)
