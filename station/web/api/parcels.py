"""Open parcels through the API: every bench's, with age and what they lack; move one to another bench."""
from flask import jsonify

from station.db import get_db
from station.intake import finishing
from station.roles import SUPERVISORS
from station.web.api import body, bp, user_name
from station.web.security import token_required


@bp.get("/parcels/open")
@token_required(*SUPERVISORS)
def open_parcels():
    """{"parcels": [{"return_id", "order_no", "station", "opened_at", "age_minutes", "missing", "closable", ...}]}"""
    return jsonify(parcels=finishing.open_parcels(get_db()))


@bp.post("/returns/<return_id>/reassign")
@token_required(*SUPERVISORS)
def reassign_parcel(return_id):
    """Move an open parcel to the bench named `station`."""
    return jsonify(finishing.reassign(get_db(), return_id, body().get("station"), user_name()))


@bp.get("/removals/discrepancies")
@token_required(*SUPERVISORS)
def removal_discrepancies():
    """Closed removal boxes whose count differs from the removal report: the list Amazon's
    reimbursement claim needs. `?format=csv` gives one row per SKU short or over."""
    from flask import request

    from station.intake.removals import discrepancies
    from station.web.pages import download

    boxes = discrepancies(get_db())
    if request.args.get("format") == "csv":
        import csv
        import io

        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\r\n")
        writer.writerow(["removal_id", "tracking_no", "return_id", "closed_at", "sku", "expected", "received",
                         "difference"])
        for box in boxes:
            for line in box["lines"]:
                if line["expected"] != line["received"]:
                    writer.writerow([box["removal_id"], box["tracking_no"], box["return_id"], box["closed_at"],
                                     line["sku"], line["expected"], line["received"], line["received"] - line["expected"]])
        return download(out.getvalue(), "text/csv", "removal-discrepancies.csv")
    return jsonify(boxes=boxes)
