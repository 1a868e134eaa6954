"""The workbench screens: sign-in, scan, inspect, decide, close, labels (htmx, touchscreen first)."""
from flask import Blueprint

bp = Blueprint("bench", __name__)

from station.web.bench import signin, workbench, inspect, demo_sheet, printing as labels  # noqa: E402,F401  (routes register on bp)
from station.web.bench import wording  # noqa: E402,F401  (its template filters, for every screen: label, said)
