"""The screens after the bench: refurbish station, return to vendor, quarantine review, refunds,
carrier claims, and the open parcels of every bench.

Each screen is a page whose one widget (`templates/downstream/_<screen>.html`, root id
`<screen>`) every action answers, like the bench: htmx swaps the widget, a plain request gets
the page. Views parse the form, call the service function the JSON API calls too, render.
"""
from flask import Blueprint

bp = Blueprint("downstream", __name__)

from station.web.downstream import common, refurbish, rtv, quarantine, refunds, claims, parcels  # noqa: E402,F401  (routes register on bp)
