"""Barcodes for printed labels, drawn so that every bar lands on whole printer dots.

A thermal printer has 203 or 300 dots per inch. A module (the narrowest bar) of 0.25 mm
would be 1.998 dots at 203 dpi: rounded differently from bar to bar, the bar widths would
drift and the code would scan badly or not at all. So sizes here are chosen in millimetres
and converted to a whole number of dots for the printer's dpi, and all drawing is in dots.

Linear codes (Code 128, EAN-13) are encoded by python-barcode; 2D codes (QR, Data Matrix) and
GS1-128 by zxing-cpp. Each symbol comes out as an SVG fragment (no XML declaration; its
user units are printer dots, so it drops into a label SVG whose viewBox is in dots, or into
HTML) or as a 1-bit PNG that carries its dpi.

    code128_svg("RI00001234", **label_options("2x1", 300))
"""

import html
import io

import barcode
import numpy as np
import zxingcpp
from barcode.errors import BarcodeError
from PIL import Image

__all__ = [
    "LabelError", "LABEL_SIZES", "label_options", "module_dots", "code128_modules",
    "code128_svg", "code128_png", "gs1_128_svg", "gs1_128_png", "ean13_svg", "ean13_png",
    "qr_svg", "qr_png", "datamatrix_svg", "datamatrix_png",
]


class LabelError(ValueError):
    """The data cannot be drawn as that barcode, or not within the space given."""


# Label stock: width and height in inches.
LABEL_SIZES = {"4x6": (4.0, 6.0), "2x1": (2.0, 1.0)}

# Per label size: the module we aim for, and the space the code may take.
# 4x6 shipping labels are scanned from arm's length, so bars are wider and taller.
_PRESETS = {
    "4x6": {"module_mm": 0.375, "matrix_module_mm": 0.75, "height_mm": 25.0, "margin_in": 0.2},
    "2x1": {"module_mm": 0.25, "matrix_module_mm": 0.5, "height_mm": 10.0, "margin_in": 0.1},
}

# Quiet zones in modules, each side (Code 128 and EAN/UPC need ten or more, QR four).
_QUIET = {"code128": 10, "ean13": 11, "qrcode": 4, "datamatrix": 2}


def label_options(size: str = "4x6", dpi: int = 203, *, matrix: bool = False) -> dict:
    """Keyword arguments for the render functions that suit a label `size` at `dpi`."""
    try:
        preset = _PRESETS[size]
    except KeyError:
        raise LabelError(f"unknown label size {size!r}; known: {', '.join(_PRESETS)}") from None
    width_in = LABEL_SIZES[size][0] - 2 * preset["margin_in"]
    opts = {"dpi": dpi, "max_width_in": width_in,
            "module_mm": preset["matrix_module_mm" if matrix else "module_mm"]}
    if not matrix:
        opts["height_mm"] = preset["height_mm"]
    return opts


def module_dots(dpi: int, module_mm: float) -> int:
    """The whole number of printer dots nearest to `module_mm` (at least one)."""
    return max(1, round(module_mm * dpi / 25.4))


def code128_modules(data: str) -> int:
    """Width of `data` as Code 128 in modules, quiet zones excluded (for laying out labels)."""
    return _Symbol.code128(data).modules.shape[1]


# --- public renderers -----------------------------------------------------------------------

def code128_svg(data: str, *, dpi: int = 203, module_mm: float = 0.25, height_mm: float = 15.0,
                max_width_in: float | None = None, physical: bool = False) -> str:
    """Code 128 as an inline SVG string."""
    return _svg(_Symbol.code128(data), dpi, module_mm, height_mm, max_width_in, physical)


def code128_png(data: str, dpi: int = 203, *, module_mm: float = 0.25, height_mm: float = 15.0,
                max_width_in: float | None = None) -> bytes:
    """Code 128 as PNG bytes at `dpi`."""
    return _png(_Symbol.code128(data), dpi, module_mm, height_mm, max_width_in)


def gs1_128_svg(ai_text: str, *, dpi: int = 203, module_mm: float = 0.25, height_mm: float = 15.0,
                max_width_in: float | None = None, physical: bool = False) -> str:
    """GS1-128 from bracketed AIs, e.g. ``(01)09506000134352(21)A1``, as an inline SVG."""
    return _svg(_Symbol.zxing(ai_text, "gs1-128"), dpi, module_mm, height_mm, max_width_in, physical)


def gs1_128_png(ai_text: str, dpi: int = 203, *, module_mm: float = 0.25, height_mm: float = 15.0,
                max_width_in: float | None = None) -> bytes:
    """GS1-128 from bracketed AIs as PNG bytes."""
    return _png(_Symbol.zxing(ai_text, "gs1-128"), dpi, module_mm, height_mm, max_width_in)


def ean13_svg(gtin: str, *, dpi: int = 203, module_mm: float = 0.33, height_mm: float = 15.0,
              max_width_in: float | None = None, physical: bool = False) -> str:
    """EAN-13 (12 digits, or 13 with a correct check digit) as an inline SVG string."""
    return _svg(_Symbol.ean13(gtin), dpi, module_mm, height_mm, max_width_in, physical)


def ean13_png(gtin: str, dpi: int = 203, *, module_mm: float = 0.33, height_mm: float = 15.0,
              max_width_in: float | None = None) -> bytes:
    """EAN-13 as PNG bytes."""
    return _png(_Symbol.ean13(gtin), dpi, module_mm, height_mm, max_width_in)


def qr_svg(data: str, *, dpi: int = 203, module_mm: float = 0.5, max_width_in: float | None = None,
           ec_level: str = "M", physical: bool = False) -> str:
    """QR code (UTF-8 text) as an inline SVG string."""
    return _svg(_Symbol.zxing(data, "qrcode", ec_level=ec_level), dpi, module_mm, None,
                max_width_in, physical)


def qr_png(data: str, dpi: int = 203, *, module_mm: float = 0.5, max_width_in: float | None = None,
           ec_level: str = "M") -> bytes:
    """QR code as PNG bytes."""
    return _png(_Symbol.zxing(data, "qrcode", ec_level=ec_level), dpi, module_mm, None, max_width_in)


def datamatrix_svg(data: str, *, dpi: int = 203, module_mm: float = 0.5,
                   max_width_in: float | None = None, physical: bool = False) -> str:
    """Square Data Matrix (UTF-8 text) as an inline SVG string."""
    return _svg(_Symbol.zxing(data, "datamatrix"), dpi, module_mm, None, max_width_in, physical)


def datamatrix_png(data: str, dpi: int = 203, *, module_mm: float = 0.5,
                   max_width_in: float | None = None) -> bytes:
    """Square Data Matrix as PNG bytes."""
    return _png(_Symbol.zxing(data, "datamatrix"), dpi, module_mm, None, max_width_in)


# --- symbols: a grid of dark (True) and light modules ---------------------------------------

class _Symbol:
    def __init__(self, modules: np.ndarray, kind: str, data: str):
        self.modules = modules  # 2D bool; linear codes have a single row
        self.linear = modules.shape[0] == 1
        self.quiet = _QUIET["code128" if kind == "gs1-128" else kind]
        self.label = data

    @classmethod
    def code128(cls, data: str):
        if not data:
            raise LabelError("Code 128 needs at least one character")
        try:
            pattern = barcode.get("code128", data).build()[0]
        except BarcodeError as exc:
            raise LabelError(f"cannot encode {data!r} as Code 128: {exc}") from None
        return cls(_row(pattern), "code128", data)

    @classmethod
    def ean13(cls, gtin: str):
        gtin = str(gtin).strip()
        if not (gtin.isdigit() and len(gtin) in (12, 13)):
            raise LabelError(f"an EAN-13 is 12 or 13 digits, not {gtin!r}")
        # python-barcode silently replaces a wrong check digit; a label must not.
        if len(gtin) == 13 and _ean_check_digit(gtin[:12]) != gtin[12]:
            raise LabelError(f"{gtin} has a wrong check digit (expected {_ean_check_digit(gtin[:12])})")
        code = barcode.get("ean13", gtin[:12])
        return cls(_row(code.build()[0]), "ean13", code.get_fullcode())

    @classmethod
    def zxing(cls, data: str, kind: str, **options):
        if not data:
            raise LabelError(f"{kind} needs some data")
        fmt = {"qrcode": zxingcpp.BarcodeFormat.QRCode, "datamatrix": zxingcpp.BarcodeFormat.DataMatrix,
               "gs1-128": zxingcpp.BarcodeFormat.Code128}[kind]
        if kind == "datamatrix":
            options["force_square"] = True  # square symbols suit square label corners and scanners
        if kind == "gs1-128":
            options["gs1"] = True
        try:
            symbol = zxingcpp.create_barcode(data, fmt, **options)
        except (ValueError, RuntimeError) as exc:
            raise LabelError(f"cannot encode {data!r} as {kind}: {exc}") from None
        img = np.asarray(symbol.to_image(scale=1, add_quiet_zones=False))
        modules = img < 128
        if kind == "gs1-128":
            modules = modules[:1]
        return cls(modules, kind, data)


def _row(pattern: str) -> np.ndarray:
    return (np.frombuffer(pattern.encode(), np.uint8) == ord("1"))[np.newaxis, :]


def _ean_check_digit(first12: str) -> str:
    total = sum(int(d) * (3 if i % 2 else 1) for i, d in enumerate(first12))
    return str((10 - total % 10) % 10)


# --- layout and drawing, all in printer dots ------------------------------------------------

def _layout(sym: _Symbol, dpi, module_mm, height_mm, max_width_in):
    """(dots per module, dots per row, total width, total height), shrunk to fit if needed."""
    rows, cols = sym.modules.shape
    m = module_dots(dpi, module_mm)
    if max_width_in is not None:
        limit = int(max_width_in * dpi)
        while m > 1 and (cols + 2 * sym.quiet) * m > limit:
            m -= 1
        if (cols + 2 * sym.quiet) * m > limit:
            raise LabelError(f"{sym.label!r} is {cols + 2 * sym.quiet} modules wide: "
                             f"more than {max_width_in} in at {dpi} dpi")
    width = (cols + 2 * sym.quiet) * m
    if sym.linear:
        row_h = max(m * 5, round(height_mm * dpi / 25.4))
        return m, row_h, width, row_h
    return m, m, width, (rows + 2 * sym.quiet) * m


def _svg(sym, dpi, module_mm, height_mm, max_width_in, physical) -> str:
    m, row_h, width, height = _layout(sym, dpi, module_mm, height_mm, max_width_in)
    x0 = sym.quiet * m
    y0 = 0 if sym.linear else sym.quiet * m
    parts = []
    for r, row in enumerate(sym.modules):
        y = y0 + r * row_h
        for start, length in _runs(row):
            parts.append(f"M{x0 + start * m} {y}h{length * m}v{row_h}h-{length * m}z")
    if physical:  # true size when printed from a browser
        size = f'width="{width / dpi:.4f}in" height="{height / dpi:.4f}in"'
    else:  # one user unit per printer dot
        size = f'width="{width}" height="{height}"'
    label = html.escape(sym.label, quote=True)
    return (f'<svg xmlns="http://www.w3.org/2000/svg" {size} viewBox="0 0 {width} {height}" '
            f'role="img" aria-label="{label}" shape-rendering="crispEdges">'
            f'<rect width="{width}" height="{height}" fill="#fff"/>'
            f'<path fill="#000" d="{"".join(parts)}"/></svg>')


def _png(sym, dpi, module_mm, height_mm, max_width_in) -> bytes:
    m, row_h, width, height = _layout(sym, dpi, module_mm, height_mm, max_width_in)
    pad = sym.quiet
    grid = np.pad(sym.modules, ((0 if sym.linear else pad,) * 2, (pad, pad)))
    pixels = np.repeat(np.repeat(grid, row_h, axis=0), m, axis=1)
    assert pixels.shape == (height, width)
    img = Image.fromarray(np.where(pixels, 0, 255).astype(np.uint8), "L").convert("1")
    out = io.BytesIO()
    img.save(out, "PNG", dpi=(dpi, dpi))
    return out.getvalue()


def _runs(row: np.ndarray):
    """(start, length) of each run of dark modules in a row."""
    padded = np.concatenate(([False], row, [False])).astype(np.int8)
    edges = np.flatnonzero(np.diff(padded))
    return zip(edges[::2].tolist(), (edges[1::2] - edges[::2]).tolist())
