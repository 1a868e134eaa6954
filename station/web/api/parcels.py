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
