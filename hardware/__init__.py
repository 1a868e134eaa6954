"""Drivers for the devices on a returns bench: decoders, label rendering, scanners, printers.

One module per device kind, each with a small interface, a status enum where the device has a
state, and one error type (STYLE.md, habit 7). Nothing here imports Flask.
"""
