"""Bench devices at run time: the live scan hub and device threads (live.py), the print queue.

The drivers themselves are in hardware/ (which knows nothing of the station); the devices
page and /api/devices are in station/web/devices/.
"""
