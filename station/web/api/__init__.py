"""The JSON API (CONTRACT.md): short callers of the service layer, bearer tokens only."""
import json

from flask import Blueprint, Response, current_app, jsonify, request, url_for
from werkzeug.exceptions import HTTPException

from station.downstream import crossdock, queues, refunds, stock
from station.intake import closing, decisions, lookup, photos, returns
from station import events
from station.roles import SUPERVISORS
from station.roles import OPERATORS  # the bench's own routes: not a technician's token
from station.db import get_db
from station.inputs import db_id, whole_number
from station.errors import ServiceError, bad, not_found
from station.web.security import current_user, station_name, token_required
from station.languages import N_

bp = Blueprint("api", __name__, url_prefix="/api")


@bp.errorhandler(ServiceError)
def service_error(exc):
    return jsonify(exc.as_dict()), exc.status


HTTP_CODES = {404: "not_found", 405: "method_not_allowed", 413: "too_large", 500: "internal_error"}


@bp.errorhandler(HTTPException)
def http_error(exc):
    code = HTTP_CODES.get(exc.code, "bad_request")
    return jsonify(error={"code": code, "message": exc.description}), exc.code


@bp.app_errorhandler(404)
@bp.app_errorhandler(405)
def api_routing_error(exc):
    """A URL under /api/ that no route matches (or not with this method) is a JSON error too; other
    paths keep their pages."""
    if request.path == "/api" or request.path.startswith("/api/"):
        return http_error(exc)
    return exc


def body():
    """The JSON object sent, or a 400 naming the problem."""
    try:
        data = request.get_json(silent=True)
    except RecursionError:  # thousands of nested [ or {: the parser gives up, and so do we
        raise ServiceError("bad_json", "the body is nested too deeply", 400, field="body") from None
    if data is None and request.content_length:
        raise ServiceError("bad_json", "the body is not valid JSON", 400, field="body")
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise bad("body", "must be a JSON object")
    _no_lone_surrogates(data)
    return data


def _no_lone_surrogates(data):
    """JSON may escape half a UTF-16 pair ("\\ud800"): Python keeps it, SQLite cannot store it (a 500)."""
    try:
        json.dumps(data, ensure_ascii=False).encode("utf-8")
        return
    except UnicodeEncodeError:
        pass

    def broken(value):
        if isinstance(value, str):
            return any("\ud800" <= c <= "\udfff" for c in value)
        if isinstance(value, list):
            return any(broken(v) for v in value)
        if isinstance(value, dict):
            return any(broken(k) or broken(v) for k, v in value.items())
        return False

    for key, value in data.items():
        if broken(key) or broken(value):
            name = key if not broken(key) else "body"
            raise bad(name, "is not valid Unicode text (a lone UTF-16 surrogate)")


def user_name():
    return current_user()["name"]


@bp.get("/lookup")
@token_required(*OPERATORS)
def lookup_code():
    """What a scanned or typed code is, and the order behind it."""
    code = request.args.get("code")
    if code is None:
        raise ServiceError("bad_code", "the code is empty", 400, field="code")
    return jsonify(lookup.lookup(get_db(), code))


@bp.post("/returns")
@token_required(*OPERATORS)
def open_return():
    """Open the return for a parcel (or answer the open one); the code goes to the scan log."""
    data = body()
    station = returns.station_of(data.get("station")) or station_name()  # a wrong type is a 400, not a default
    ret, created = returns.open_return(
        get_db(), data.get("code"), station=station, user=user_name(), order_no=data.get("order_no"), source="api",
    )
    return jsonify(ret), 201 if created else 200


@bp.get("/returns/<return_id>")
@token_required()
def get_return(return_id):
    """A return with its items, decisions and refund."""
    return jsonify(returns.get_return(get_db(), return_id))


@bp.post("/returns/<return_id>/items")
@token_required(*OPERATORS)
def add_item(return_id):
    """Record an inspected item; answers its flags and the recommendation (a scanned `code` is logged)."""
    data = body()
    station = returns.station_of(data.get("station")) or station_name()
    return jsonify(returns.add_item(get_db(), return_id, data, user=user_name(), source="api", station=station)), 201


@bp.post("/returns/<return_id>/items/<item_id>/photos")
@token_required(*OPERATORS)
def add_photo(return_id, item_id):
    """A photo of an inspected item (multipart field `image`): required before a grade D or X decision."""
    upload = request.files.get("image")
    if upload is None:
        raise bad("image", "send the picture as the multipart field 'image'")
    data = upload.read(photos.MAX_BYTES + 1)
    saved = photos.add_photo(get_db(), item_id, data, photo_dir=current_app.config["PHOTO_DIR"], user=user_name(),
                             return_id=return_id, field="image")
    return jsonify(photo_id=saved["photo_id"], sha256=saved["sha256"], content_type=saved["content_type"]), 201


@bp.post("/returns/<return_id>/items/<item_id>/decision")
@token_required(*OPERATORS)
def decide(return_id, item_id):
    """Decide where the item goes."""
    data = body()
    result = decisions.decide(get_db(), return_id, item_id, data, user=user_name(), station=data.get("station"))
    # absolute, so a client can fetch it as given (urljoin keeps an absolute URL as it is)
    result["label_url"] = url_for("api.item_label", item_id=result["item_id"], _external=True)
    return jsonify(result)


@bp.get("/items/<item_id>/label")
@token_required()
def item_label(item_id):
    """The label for where a decided item goes next (SVG, 4x6 in)."""
    from station.intake import label_content as labels

    return Response(labels.label_svg(get_db(), db_id(item_id, "decided item")), mimetype="image/svg+xml")


@bp.post("/returns/<return_id>/close")
@token_required(*OPERATORS)
def close_return(return_id):
    """Close the return and compute its refund (once)."""
    return jsonify(closing.close_return(get_db(), return_id, body(), user=user_name()))


@bp.get("/queues/<name>")
@token_required()
def queue(name):
    """Work waiting after the bench, oldest first."""
    return jsonify(queues.queue(get_db(), name))


@bp.post("/refunds/<refund_id>/approve")
@token_required(*SUPERVISORS)
def approve_refund(refund_id):
    """A supervisor releases a held refund."""
    return jsonify(refunds.approve(get_db(), refund_id, body(), user=user_name()))


@bp.post("/refunds/<refund_id>/reject")
@token_required(*SUPERVISORS)
def reject_refund(refund_id):
    """A supervisor rejects a held refund."""
    return jsonify(refunds.reject(get_db(), refund_id, body(), user=user_name()))


@bp.post("/refunds/<refund_id>/paid")
@token_required()
def refund_paid(refund_id):
    """The payment system confirms a refund was paid."""
    return jsonify(refunds.mark_paid(get_db(), refund_id, body(), user=user_name()))


@bp.get("/refunds/<refund_id>")
@token_required()
def get_refund(refund_id):
    """One refund."""
    return jsonify(refunds.get_refund(get_db(), refund_id))


@bp.get("/events")
@token_required()
def event_feed():
    """The event feed, after a cursor."""
    after = whole_number(request.args.get("after"), "after", 0, 2**62, default=0)
    limit = whole_number(request.args.get("limit"), "limit", 1, events.MAX_LIMIT, default=100)
    return jsonify(events.feed(get_db(), after, limit))


@bp.get("/stock")
@token_required()
def stock_of():
    """Stock of one SKU by bin."""
    sku = request.args.get("sku", "").strip()
    if not sku:
        raise bad("sku", "give the SKU: /api/stock?sku=S")
    return jsonify(stock.stock_of(get_db(), sku))


@bp.get("/orders/<path:order_no>")
@token_required()
def order(order_no):
    """An order with its lines and allocated quantities."""
    found = crossdock.order_with_lines(get_db(), order_no)
    if found is None:
        raise not_found(N_("order"), order_no)
    return jsonify(found)


@bp.post("/decode")
@token_required()
def decode():
    """Decode the barcodes in an uploaded image."""
    from hardware.decode import DecodeError, ImageTooLarge, decode_image

    upload = request.files.get("image")
    if upload is None:
        raise bad("image", "send the picture as the multipart field 'image'")
    data = upload.read(current_app.config["DECODE_MAX_BYTES"] + 1)
    if len(data) > current_app.config["DECODE_MAX_BYTES"]:
        raise ServiceError("too_large", "the image is larger than 10 MB", 413, field="image")
    try:
        codes = decode_image(data)
    except ImageTooLarge as exc:  # small on disk, too many pixels to decode safely
        raise ServiceError("too_large", f"the image is too large to decode ({exc})", 413, field="image") from None
    except DecodeError as exc:
        raise ServiceError("not_an_image", f"not a PNG or JPEG image ({exc})", 400, field="image") from None
    return jsonify(codes=codes)

from station.web.api import customers, downstream, imports, parcels, platform_files, reports  # noqa: E402,F401  (routes register on bp)
