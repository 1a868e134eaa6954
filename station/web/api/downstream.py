"""API for the work after the bench: refurbish, RTV, quarantine, carrier claims, policy, webhooks, exports."""
from flask import Response, jsonify, request

from station.data import exports, webhooks
from station.downstream import claims, quarantine, refurbish, rtv
from station import policy as policy_module
from station.roles import SUPERVISORS
from station.db import get_db
from station.reporting.tables import to_csv
from station.web.api import body, bp, user_name
from station.web.security import token_required

TECHNICIANS = ("technician",) + SUPERVISORS


@bp.get("/work-orders/<key>")
@token_required()
def work_order(key):
    """A refurbish work order by id or tote code."""
    return jsonify(refurbish.get_work_order(get_db(), key))


@bp.post("/work-orders/<key>/actions")
@token_required(*TECHNICIANS)
def work_order_action(key):
    """Record a refurbish action (cleaned, repackaged, part_replaced, tested, ...)."""
    return jsonify(refurbish.record_action(get_db(), key, body(), user=user_name()))


@bp.post("/work-orders/<key>/finish")
@token_required(*TECHNICIANS)
def work_order_finish(key):
    """Finish a work order: restock as refurbished, scrap, or cross-dock where policy allows."""
    return jsonify(refurbish.finish(get_db(), key, body(), user=user_name()))


@bp.get("/rtv/batches")
@token_required()
def rtv_batches():
    """RTV batches, optionally by status (open, closed, settled)."""
    return jsonify(batches=rtv.batches(get_db(), request.args.get("status") or None))


@bp.get("/rtv/batches/<batch_id>")
@token_required()
def rtv_batch(batch_id):
    """A batch with its items: the packing list and evidence (CSV with format=csv)."""
    batch = rtv.get_batch(get_db(), batch_id)
    if request.args.get("format") == "csv":
        columns = ["item_id", "sku", "name", "qty", "serial", "grade", "reason", "order_no", "shipped_at", "decided_at", "value", "status"]
        return Response(to_csv(batch["items"], columns), mimetype="text/csv")
    return jsonify(batch)


@bp.post("/rtv/batches/<batch_id>/close")
@token_required(*SUPERVISORS)
def rtv_close(batch_id):
    """Close a batch for shipping."""
    return jsonify(rtv.close_batch(get_db(), batch_id, user=user_name()))


@bp.post("/rtv/batches/<batch_id>/credit")
@token_required(*SUPERVISORS)
def rtv_credit(batch_id):
    """Record the supplier's credit for a closed batch."""
    return jsonify(rtv.record_credit(get_db(), batch_id, body(), user=user_name()))


@bp.post("/rtv/items/<item_id>/refuse")
@token_required(*SUPERVISORS)
def rtv_refuse(item_id):
    """The supplier refused an item: back for a new decision."""
    return jsonify(rtv.refuse_item(get_db(), item_id, body(), user=user_name()))


@bp.post("/quarantine/<item_id>/review")
@token_required(*SUPERVISORS)
def quarantine_review(item_id):
    """A supervisor's outcome for a quarantined item."""
    return jsonify(quarantine.review(get_db(), item_id, body(), user=user_name()))


@bp.get("/claims/<item_id>")
@token_required()
def claim(item_id):
    """The carrier claim of a transit-damaged item, whatever its status (a settled one has left the queue)."""
    return jsonify(claims.get_claim(get_db(), item_id))


@bp.post("/claims/<item_id>/file")
@token_required(*SUPERVISORS)
def claim_file(item_id):
    """The claim was filed with the carrier: {"claim_ref"}."""
    return jsonify(claims.file_claim(get_db(), item_id, body(), user=user_name()))


@bp.post("/claims/<item_id>/settle")
@token_required(*SUPERVISORS)
def claim_settle(item_id):
    """The carrier paid: {"amount", "note"?} in the order's currency; a second settlement is 409."""
    return jsonify(claims.settle(get_db(), item_id, body(), user=user_name()))


@bp.post("/claims/<item_id>/reject")
@token_required(*SUPERVISORS)
def claim_reject(item_id):
    """The carrier will not pay: {"note"}."""
    return jsonify(claims.reject(get_db(), item_id, body(), user=user_name()))


@bp.get("/policy")
@token_required()
def policy_get():
    """The policy in force, with per-SKU rules."""
    db = get_db()
    rules = [{"sku": s, "key": k} for s, k in db.execute("SELECT sku, key FROM sku_policy ORDER BY sku, key")]
    return jsonify(policy=policy_module.load(db), sku_rules=rules)


@bp.put("/policy")
@token_required(*SUPERVISORS)
def policy_put():
    """Change policy values (validated, audited; new decisions only)."""
    return jsonify(policy=policy_module.update(get_db(), body(), user=user_name()))


@bp.post("/policy/sku/<path:sku>")
@token_required(*SUPERVISORS)
def policy_sku(sku):
    """Turn a per-SKU rule on or off: {"key", "enabled"}."""
    data = body()
    rules = policy_module.set_sku_rule(get_db(), sku, data.get("key"), data.get("enabled"), user=user_name())
    return jsonify(sku=sku, rules=sorted(rules))


@bp.get("/policy/audit")
@token_required(*SUPERVISORS)
def policy_audit():
    """Who changed which policy value, when."""
    return jsonify(changes=policy_module.audit(get_db()))


@bp.get("/webhooks")
@token_required("admin")
def webhook_list():
    """Subscribers and their delivery state."""
    return jsonify(webhooks=webhooks.status(get_db()))


@bp.post("/webhooks")
@token_required("admin")
def webhook_add():
    """Add a subscriber: {"name", "url", "secret"?}; answers the secret once."""
    data = body()
    return jsonify(webhooks.add(get_db(), data.get("name"), data.get("url"), data.get("secret"))), 201


@bp.get("/exports/<kind>")
@token_required()
def export(kind):
    """CSV (or JSON with format=json) of decisions, stock-changes or refunds for a date range."""
    columns, found = exports.export(get_db(), kind, request.args.get("from"), request.args.get("to"))
    if request.args.get("format") == "json":
        return jsonify(rows=found)
    return Response(to_csv(found, columns), mimetype="text/csv")
