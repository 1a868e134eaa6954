"""What the label for a decided item says: where it goes next, and the codes to scan there.

`label_data` is the content; `label_codes` (SVG, for the browser label page), `label_zpl` (for
a bench's ZPL printer) and `label_svg` (one SVG document, for the API) draw it at a label
size ("4x6" or "2x1" inches) and printer resolution (203 or 300 dpi). Every label carries the
item's own Code 128 (`RI-<item_id>`, scanned at the next station); a 4x6 label adds, where it
helps, a Data Matrix (cross-dock: item, waiting order and lane; RTV: item, supplier, SKU), a
QR code (quarantine: a phone can read it) and the product's EAN-13 (restock: the unit goes
back on the shelf with its retail code).
"""
import re
import unicodedata
from html import escape

from station.downstream.crossdock import outbound_lane
from station.db import one
from station.errors import not_found
from station.languages import N_

TITLES = {
    "restock": N_("RESTOCK"),
    "crossdock": N_("CROSS-DOCK"),
    "refurbish": N_("REFURBISH"),
    "rtv": N_("RETURN TO VENDOR"),
    "scrap": N_("SCRAP"),
    "quarantine": N_("QUARANTINE"),
}
# where a restocked unit goes, by the condition it is shelved in (one sentence each for the catalog)
RESTOCK_TO = {
    "new": N_("Bin %(bin)s · new"),
    "open_box": N_("Bin %(bin)s · open-box"),
    "used": N_("Bin %(bin)s · used"),
    "refurbished": N_("Bin %(bin)s · refurbished"),
}


def english(text, **values):
    """A label's text in English: what a thermal printer prints (ZPL) and the API draws."""
    return text % values if values else text


def in_screen_language(text, **values):
    """A label's text in the screen's language: the label page a browser prints."""
    from flask_babel import gettext

    return gettext(text, **values)


def label_data(db, item_id, say=english):
    """Title, destination, the lines printed and the barcode data for an item's label.

    say: how its words are said: `english` (the printer's ZPL, the API) or `in_screen_language`
    (the label page the browser prints). The codes are the same in either."""
    item = one(
        db,
        "SELECT i.item_id, i.return_id, i.sku, i.qty, i.grade, i.reason, i.serial, p.name, p.gtin, d.disposition, d.target, d.condition, "
        "d.decided_at, r.order_no FROM return_items i JOIN decisions d ON d.item_id = i.item_id "
        "JOIN returns r ON r.return_id = i.return_id LEFT JOIN products p ON p.sku = i.sku WHERE i.item_id = ?",
        [item_id],
    )
    if item is None:
        raise not_found(N_("decided item"), item_id)
    disposition, target = item["disposition"], item["target"]
    if disposition == "restock":
        # the condition is on the label: an open-box unit is never shelved as new
        condition = item["condition"] or "new"
        destination = (say(RESTOCK_TO[condition], bin=target) if condition in RESTOCK_TO
                       else f"Bin {target} · {condition.replace('_', '-')}")
    else:
        destination = {
            "crossdock": say(N_("Order %(order)s · lane %(lane)s"), order=target, lane=outbound_lane(target))
            if target else "",
            "rtv": say(N_("Supplier %(supplier)s"), supplier=target),
            "refurbish": say(N_("Tote %(tote)s"), tote=f"RI-{item['item_id']}"),
            "quarantine": say(N_("Supervisor review")),
            "scrap": say(N_("Liquidation")),
        }[disposition]
    lines = [
        say(N_("%(sku)s × %(qty)s · grade %(grade)s"), sku=item["sku"], qty=item["qty"], grade=item["grade"]),
        item["name"] or say(N_("(not in catalogue)")),
        say(N_("Return %(return_id)s · order %(order_no)s"), return_id=item["return_id"], order_no=item["order_no"]),
    ]
    if item["serial"]:
        lines.append(say(N_("Serial %(serial)s"), serial=item["serial"]))
    code = f"RI-{item['item_id']}"
    lane = outbound_lane(target) if disposition == "crossdock" and target else None
    matrix, matrix_kind = {
        "crossdock": (f"{code}/ORDER {target}/LANE {lane}" if target else None, "datamatrix"),
        "rtv": (f"{code}/RTV {target}/SKU {item['sku']}", "datamatrix"),
        "quarantine": (f"{code}/QUARANTINE/RETURN {item['return_id']}", "qrcode"),
    }.get(disposition, (None, None))
    return {
        "item_id": item["item_id"],
        "kind": disposition,
        "matrix": _matrix_text(matrix) if matrix else None,
        "matrix_kind": matrix_kind if matrix else None,
        "ean13": ean13_of(item["gtin"]) if disposition == "restock" else None,
        "title": say(TITLES[disposition]),
        "disposition": disposition,
        "target": target,
        "lane": lane,
        "destination": destination,
        "lines": lines,
        "barcode": code,   # the returned item's own code: scanned at the next station
        "decided_at": item["decided_at"],
    }


def barcode_svg(data):
    """Inline Code 128 SVG (hardware/labels.py), or the data as text if rendering is unavailable."""
    try:
        from hardware.barcodes import code128_svg
    except ImportError:  # pragma: no cover - hardware/ ships with the app
        return f'<text x="10" y="40" font-size="32">{escape(data)}</text>'
    return code128_svg(data)


def _matrix_text(text):
    """2D code data as printable ASCII without ZPL's ~ and _ (what both renderers take as-is)."""
    return re.sub(r"[^ -}]|[~_]", "-", text)


def ean13_of(gtin):
    """The product's GTIN as an EAN-13 (a UPC-A gets its leading 0), or None if it is not one."""
    from hardware.barcodes import _ean_check_digit

    digits = str(gtin or "").strip()
    if len(digits) == 14 and digits.startswith("0"):
        digits = digits[1:]
    if len(digits) == 12:
        digits = "0" + digits
    if len(digits) != 13 or not digits.isdigit() or _ean_check_digit(digits[:12]) != digits[12]:
        return None
    return digits


def codes_on(label, size):
    """[(symbology, data)] printed on `label` at `size`: a 2x1 label has room for its Code 128 only."""
    codes = [("code128", label["barcode"])]
    if size == "4x6":
        if label.get("matrix"):
            codes.append((label["matrix_kind"], label["matrix"]))
        if label.get("ean13"):
            codes.append(("ean13", label["ean13"]))
    return codes


def label_codes(label, size="4x6", dpi=203):
    """{symbology: SVG} for the browser label page, each sized in inches to print true to size."""
    from hardware import barcodes as draw

    out = {}
    for symbology, data in codes_on(label, size):
        opts = draw.label_options(size, dpi, matrix=symbology in ("datamatrix", "qrcode"))
        if symbology in ("datamatrix", "qrcode"):
            opts["max_width_in"] = 1.3
        render = {"code128": draw.code128_svg, "ean13": draw.ean13_svg, "datamatrix": draw.datamatrix_svg,
                  "qrcode": draw.qr_svg}[symbology]
        out[symbology] = render(data, physical=True, **opts)
    return out


def printer_text(text):
    """Text for a printer's resident font: ASCII, accents dropped, other letters as "?" (a
    Zebra's font 0 and the offline renderer lack most of Unicode; the browser label keeps it)."""
    out = []
    for ch in str(text).translate({0xD7: "x", 0xB7: "-", 0x2013: "-", 0x2014: "-", 0x2192: ">"}):
        if ch.isascii():
            out.append(ch if ch.isprintable() else " ")
        else:
            out.append(unicodedata.normalize("NFKD", ch).encode("ascii", "ignore").decode("ascii") or "?")
    return "".join(out)


def label_zpl(label, size="4x6", dpi=203, copies=1):
    """The label as one ZPL format for the bench's printer."""
    from hardware.printers import zpl_label

    extra = dict(codes_on(label, size))
    return zpl_label(
        label["barcode"], [printer_text(line) for line in label["lines"]] if size == "4x6" else [],
        title=printer_text(label["title"]), subtitle=printer_text(label.get("destination") or "") or None,
        size=size, dpi=dpi, copies=copies,
        matrix=extra.get("datamatrix") or extra.get("qrcode"),
        matrix_kind="qrcode" if "qrcode" in extra else "datamatrix", ean13=extra.get("ean13"),
    )


def label_svg(db, item_id, size="4x6", dpi=203):
    """The label as one SVG document in printer dots, true size in inches (what label_url answers
    to the API)."""
    from hardware import barcodes as draw

    label = label_data(db, item_id)
    width, height = (round(v * dpi) for v in draw.LABEL_SIZES[size])
    k = dpi / 203  # the layout below is drawn for 203 dpi
    parts = [f'<rect width="{width}" height="{height}" fill="white"/>']

    def text(x, y, size_pt, body, weight="normal", family="sans-serif"):
        # Kept on the stock, margins as wide on the right as on the left: a line estimated too long
        # is drawn to the room there is (textLength), and cut first if that would squeeze it past
        # recognition (a marketplace order number took the lane off a 2x1 label).
        room = width / k - 2 * x
        advance = 0.75 if weight == "bold" else 0.65  # of the font size, a little more than sans-serif needs
        if advance * size_pt * len(body) > room:
            most = int(room / (advance * size_pt * _SQUEEZE_MOST))
            if len(body) > most:
                body = body[:max(1, most - 1)].rstrip() + "…"
            fit = f' textLength="{round(room * k)}" lengthAdjust="spacingAndGlyphs"'
        else:
            fit = ""
        parts.append(f'<text x="{round(x * k)}" y="{round(y * k)}" font-size="{round(size_pt * k)}" '
                     f'font-weight="{weight}" font-family="{family}"{fit}>{escape(body)}</text>')

    def place(svg, x, y):
        parts.append(svg.replace("<svg ", f'<svg x="{round(x * k)}" y="{round(y * k)}" ', 1))

    code = draw.code128_svg(label["barcode"], **draw.label_options(size, dpi))
    if size == "2x1":
        text(12, 34, 30, label["title"], "bold")
        text(12, 62, 20, label["destination"])
        place(code, 12, 72)
        text(24, 196, 18, label["barcode"], family="monospace")
    else:
        text(30, 110, min(96, 1500 // max(1, len(label["title"]))), label["title"], "bold")
        text(30, 190, min(54, 1300 // max(1, len(label["destination"]))), label["destination"])
        for n, line in enumerate(label["lines"]):
            text(30, 260 + 48 * n, 32, line)
        x = 30
        for symbology, data in codes_on(label, size)[1:]:
            if symbology in ("datamatrix", "qrcode"):
                opts = dict(draw.label_options(size, dpi, matrix=True), max_width_in=1.3)
                svg = (draw.datamatrix_svg if symbology == "datamatrix" else draw.qr_svg)(data, **opts)
                place(svg, x, 640)
                x += 300
            else:
                place(draw.ean13_svg(data, **dict(draw.label_options(size, dpi), height_mm=18)), x, 650)
        place(code, 30, 900)
        text(60, 1170, 36, label["barcode"], family="monospace")
    return (f'<svg xmlns="http://www.w3.org/2000/svg" width="{width / dpi:g}in" height="{height / dpi:g}in" '
            f'viewBox="0 0 {width} {height}">' + "".join(parts) + "</svg>")


# label_svg squeezes a line to no less than this share of its natural width; beyond that it is cut.
_SQUEEZE_MOST = 0.5


WORK_ORDER_TITLES = {"restock": N_("REFURBISHED"), "crossdock": N_("CROSS-DOCK"), "scrap": N_("SCRAP")}


def work_order_label(wo, say=in_screen_language):
    """The label for a finished refurbish work order: refurbished stock, a waiting order or scrap.

    Only the refurbish station's label page (a browser prints it) shows it: said in the screen's
    language unless `say` is `english`."""
    outcome, target = wo["outcome"], wo["bin"]
    destination = {
        "restock": say(N_("Bin %(bin)s · refurbished stock"), bin=target),
        "crossdock": say(N_("Order %(order)s · lane %(lane)s"), order=target, lane=outbound_lane(target)) if target else "",
        "scrap": say(N_("Liquidation")),
    }[outcome]
    lines = [
        say(N_("%(sku)s × %(qty)s · grade %(grade)s (refurbished)"), sku=wo["sku"], qty=wo["qty"],
            grade=wo["outcome_grade"]),
        wo["name"] or say(N_("(not in catalogue)")),
        say(N_("Work order %(wo_id)s · return %(return_id)s"), wo_id=wo["wo_id"], return_id=wo["return_id"]),
    ]
    if wo["serial"]:
        lines.append(say(N_("Serial %(serial)s"), serial=wo["serial"]))
    return {
        "item_id": wo["item_id"],
        "title": say(WORK_ORDER_TITLES[outcome]),
        "disposition": outcome,
        "target": target,
        "destination": destination,
        "lines": lines,
        "barcode": f"RI-{wo['item_id']}",
    }
