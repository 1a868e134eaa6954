"""Everything the bench shows about the parcel on screen, in one dict."""
from station import policy as policy_module
from station.db import rows
from station.intake.lookup import order_card
from station.intake.items import items_of
from station.downstream.refunds import refund_of_return
from station.intake.closing import compute_refund
from station.intake.removals import REMOVAL, tally
from station.intake.returns import get_return_row
from station.timeutil import parse


def bench_view(db, return_id, ret=None, policy=None):
    """The return, its order and customer card, expected lines with progress, items, refund.

    ret: the return's row when the caller has it (a scan that just opened it); policy: the policy
    this request read already. Each row is read once (lookup.order_card), the items' photos in one
    read for all of them.
    """
    ret = ret or get_return_row(db, return_id)
    policy = policy or policy_module.load(db)
    card, facts = order_card(db, ret["order_no"], ret["rma_no"], policy, at=parse(ret["opened_at"]))
    items = items_of(db, ret["return_id"])
    shots = {}
    if items:
        for photo in rows(db, "SELECT p.item_id, p.photo_id, p.sha256, p.taken_at FROM photos p "
                              "JOIN return_items i ON i.item_id = p.item_id WHERE i.return_id = ? ORDER BY p.photo_id",
                          [ret["return_id"]]):
            item_id = photo.pop("item_id")
            shots.setdefault(item_id, []).append(photo)
    for item in items:
        item["photos"] = shots.get(item["item_id"], [])
    decided = {}
    for item in items:
        if item["decision"]:
            decided[item["sku"]] = decided.get(item["sku"], 0) + item["qty"]
    for line in card["expected"]:
        line["qty_decided"] = min(decided.get(line["sku"], 0), line["qty"])
    all_decided = bool(items) and all(item["decision"] for item in items) and all(
        line["qty_decided"] >= line["qty"] for line in card["expected"]
    )
    removal = tally(db, ret["return_id"]) if card["order"]["status"] == REMOVAL else None
    # a refund is stored when the return closes (closing.close_return), in the same transaction
    refund = None if removal or ret["status"] == "open" else refund_of_return(db, ret["return_id"])
    preview = None
    if removal is None and refund is None and items and all(item["decision"] for item in items):
        preview = compute_refund(db, ret, items, policy=policy, card=(card, facts))
    return {
        "return": {k: ret[k] for k in ("return_id", "order_no", "rma_no", "status", "station", "opened_at", "closed_at", "code", "match")},
        **card,
        "items": items,
        "all_decided": all_decided,
        "refund_preview": preview,
        # the customer's return shipping is refunded with a seller-fault return: the bench asks for it then
        "shipping_refundable": any(item["reason"] in policy_module.SELLER_FAULT for item in items),
        "refund": refund,
        "removal": removal,  # a marketplace's removal box: counted against its report, no refund
    }
