"""The demo's barcode sheet: print it, then try every path with a USB scanner."""
from flask import render_template

from station.data.demo.sheet import sheet
from station.db import get_db
from station.web.bench import bp


@bp.get("/demo/barcodes")
def demo_barcodes():
    """Public like sign-in: a demo station's codes (its badges only while their PIN is the demo one)."""
    return render_template("demo_sheet.html", sheet=sheet(get_db()))
