"""The bench's services: a scan resolved to a parcel, its items inspected and decided.

pipeline.py (every scan, whatever its source), lookup.py and customers.py (what a code finds),
returns.py (open, add items, close), decisions.py, photos.py, search.py (no label), parcel.py
(everything the bench shows of one parcel), label_content.py (what a decided item's label says).
The HTML views (station/web/bench/) and the JSON API (station/web/api/) both call these.
"""
