"""What the label for a decided item says: where it goes next, and the code to scan there."""
from html import escape

from .crossdock import outbound_lane
from .db import one
from .errors import not_found

TITLES = {
    "restock": "RESTOCK",
    "crossdock": "CROSS-DOCK",
    "refurbish": "REFURBISH",
    "rtv": "RETURN TO VENDOR",
    "scrap": "SCRAP",
    "quarantine": "QUARANTINE",
}


def label_data(db, item_id):
    """Title, destination, the lines printed and the barcode data for an item's label."""
    item = one(
        db,
        "SELECT i.item_id, i.return_id, i.sku, i.qty, i.grade, i.reason, i.serial, p.name, d.disposition, d.target, "
        "d.decided_at, r.order_no FROM return_items i JOIN decisions d ON d.item_id = i.item_id "
        "JOIN returns r ON r.return_id = i.return_id LEFT JOIN products p ON p.sku = i.sku WHERE i.item_id = ?",
        [item_id],
    )
    if item is None:
        raise not_found("decided item", item_id)
    disposition, target = item["disposition"], item["target"]
    destination = {
        "restock": f"Bin {target}",
        "crossdock": f"Order {target} · lane {outbound_lane(target)}" if target else "",
        "rtv": f"Supplier {target}",
        "refurbish": f"Tote RI-{item['item_id']}",
        "quarantine": "Supervisor review",
        "scrap": "Liquidation",
    }[disposition]
    lines = [
        f"{item['sku']} × {item['qty']} · grade {item['grade']}",
        item["name"] or "(not in catalogue)",
        f"Return {item['return_id']} · order {item['order_no']}",
    ]
    if item["serial"]:
        lines.append(f"Serial {item['serial']}")
    return {
        "item_id": item["item_id"],
        "title": TITLES[disposition],
        "disposition": disposition,
        "target": target,
        "lane": outbound_lane(target) if disposition == "crossdock" and target else None,
        "destination": destination,
        "lines": lines,
        "barcode": f"RI-{item['item_id']}",   # the returned item's own code: scanned at the next station
        "decided_at": item["decided_at"],
    }


def barcode_svg(data):
    """Inline Code 128 SVG (hardware/labels.py), or the data as text if rendering is unavailable."""
    try:
        from hardware.labels import code128_svg
    except ImportError:  # pragma: no cover - hardware/ ships with the app
        return f'<text x="10" y="40" font-size="32">{escape(data)}</text>'
    return code128_svg(data)


def label_svg(db, item_id):
    """A 4x6 in label as one SVG document (what label_url answers to the API)."""
    label = label_data(db, item_id)
    texts = "".join(
        f'<text x="30" y="{330 + 50 * n}" font-size="34" font-family="sans-serif">{escape(line)}</text>'
        for n, line in enumerate(label["lines"])
    )
    barcode = barcode_svg(label["barcode"])
    return (
        '<svg xmlns="http://www.w3.org/2000/svg" width="4in" height="6in" viewBox="0 0 812 1218">'
        '<rect width="812" height="1218" fill="white"/>'
        f'<text x="30" y="120" font-size="96" font-weight="bold" font-family="sans-serif">{escape(label["title"])}</text>'
        f'<text x="30" y="230" font-size="60" font-family="sans-serif">{escape(label["destination"])}</text>'
        f"{texts}"
        f'<g transform="translate(30 700)">{barcode}</g>'
        f'<text x="30" y="1150" font-size="36" font-family="monospace">{escape(label["barcode"])}</text>'
        "</svg>"
    )


WORK_ORDER_TITLES = {"restock": "REFURBISHED", "crossdock": "CROSS-DOCK", "scrap": "SCRAP"}


def work_order_label(wo):
    """The label for a finished refurbish work order: refurbished stock, a waiting order or scrap."""
    outcome, target = wo["outcome"], wo["bin"]
    destination = {
        "restock": f"Bin {target} · refurbished stock",
        "crossdock": f"Order {target} · lane {outbound_lane(target)}" if target else "",
        "scrap": "Liquidation",
    }[outcome]
    lines = [
        f"{wo['sku']} × {wo['qty']} · grade {wo['outcome_grade']} (refurbished)",
        wo["name"] or "(not in catalogue)",
        f"Work order {wo['wo_id']} · return {wo['return_id']}",
    ]
    if wo["serial"]:
        lines.append(f"Serial {wo['serial']}")
    return {
        "item_id": wo["item_id"],
        "title": WORK_ORDER_TITLES[outcome],
        "disposition": outcome,
        "target": target,
        "destination": destination,
        "lines": lines,
        "barcode": f"RI-{wo['item_id']}",
    }
