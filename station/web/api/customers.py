"""A customer's flags through the API: a supervisor clears one with a note (audited)."""
from flask import jsonify

from station.db import get_db
from station.intake import customers
from station.roles import SUPERVISORS
from station.web.api import body, bp, user_name
from station.web.security import token_required


@bp.post("/customers/<path:customer_id>/flags/<flag>/clear")
@token_required(*SUPERVISORS)
def clear_customer_flag(customer_id, flag):
    """Clear `frequent_returner` or `earlier_fraud` for a customer, with a `note` saying why."""
    return jsonify(customers.clear_flag(get_db(), customer_id, flag, body().get("note"), user=user_name()))
