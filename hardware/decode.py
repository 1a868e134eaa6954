"""Read barcodes from uploaded photos (`decode_image`) and camera frames (`decode_frame`).

Both return ``[{"symbology": "code128", "data": "..."}]``, deduplicated, in reading order.

The order of the decoders comes from bench/bench_decode.py (figures in bench/README.md):

1. zxing-cpp, limited to the formats a warehouse sees. On the sample sets it reads
   everything pyzbar reads, plus Data Matrix, in well under half of pyzbar's time.
2. Camera frames: if zxing-cpp found nothing, one cheap pass for linear codes with the frame
   turned a little, a different tilt each frame (see decode_frame).
3. Still images (or ``thorough=True``): if zxing-cpp found nothing, pyzbar, a second opinion
   from a different binariser; then preprocessing retries (scale, blur, sharpen, threshold,
   rotate, crop) until one gives a trustworthy reading. Frames skip these: on an empty frame
   they cost several frame budgets, and the camera hands us another frame 33 ms later, while
   an uploaded photo is all we will get.

Data comes back raw. GS1 content keeps its group separators (``\\x1d``) and is prefixed with
its AIM symbology identifier (``]C1`` GS1-128, ``]d2`` GS1 DataMatrix, ``]Q3`` GS1 QR,
``]e0`` DataBar), which the scan classifier strips and uses to recognise GS1. UPC-A comes back
as 12 digits, however the decoder reported it.
"""

import io
import itertools
import os
import threading
import time
import warnings
from ctypes import POINTER, c_uint, c_void_p, string_at

import cv2
import numpy as np
import zxingcpp
from PIL import Image, UnidentifiedImageError
from pyzbar import wrapper as zbar

__all__ = ["DecodeError", "NotAnImage", "ImageTooLarge", "decode_image", "decode_frame",
           "decode_gray", "load_gray"]


class DecodeError(Exception):
    """The one error type of this module."""


class NotAnImage(DecodeError):
    """The bytes are not an image we can read (the API answers 400)."""


class ImageTooLarge(DecodeError):
    """The image has more pixels than we are willing to hold in memory."""


# A 10 MB PNG can unpack to gigabytes; refuse before decoding. 60 MP covers any phone camera.
MAX_PIXELS = 60_000_000
# zxing-cpp takes no image longer than this on a side (ValueError), whatever its pixel count.
MAX_SIDE = 65_535
# Above this, JPEGs are decoded at 1/2 or 1/4 size (cheap in libjpeg): barcodes in a photo
# of that size have modules many pixels wide, and zxing-cpp downscales such images anyway.
REDUCE_ABOVE_PIXELS = 16_000_000
# Retries stop after this long; a still image that has not given up a code by then won't.
RETRY_BUDGET_S = 1.5

_F = zxingcpp.BarcodeFormat
# Families: Code39 covers Code 32 and PZN, ITF covers ITF-14, DataBar covers all its variants.
ZXING_FORMATS = zxingcpp.BarcodeFormats([
    _F.Code128, _F.Code39, _F.EAN13, _F.EAN8, _F.UPCA, _F.UPCE, _F.ITF,
    _F.QRCode, _F.DataMatrix, _F.DataBar,
])

LINEAR_FORMATS = zxingcpp.BarcodeFormats([
    _F.Code128, _F.Code39, _F.EAN13, _F.EAN8, _F.UPCA, _F.UPCE, _F.ITF, _F.DataBar,
])

_ZXING_NAMES = {
    _F.Code128: "code128",
    _F.Code39: "code39", _F.Code39Std: "code39", _F.Code39Ext: "code39",
    _F.Code32: "code32", _F.PZN: "pzn",
    _F.EAN13: "ean13", _F.EAN8: "ean8", _F.UPCA: "upca", _F.UPCE: "upce",
    _F.ITF: "itf", _F.ITF14: "itf",
    _F.QRCode: "qrcode", _F.QRCodeModel1: "qrcode", _F.QRCodeModel2: "qrcode",
    _F.MicroQRCode: "qrcode", _F.RMQRCode: "qrcode",
    _F.DataMatrix: "datamatrix",
    _F.DataBar: "databar", _F.DataBarOmni: "databar", _F.DataBarStk: "databar",
    _F.DataBarStkOmni: "databar", _F.DataBarLtd: "databar-limited",
    _F.DataBarExp: "databar-expanded", _F.DataBarExpStk: "databar-expanded",
}

_S = zbar.ZBarSymbol
_ZBAR_NAMES = {
    _S.CODE128: "code128", _S.CODE39: "code39", _S.EAN13: "ean13", _S.EAN8: "ean8",
    _S.UPCA: "upca", _S.UPCE: "upce", _S.I25: "itf", _S.QRCODE: "qrcode",
    _S.DATABAR: "databar", _S.DATABAR_EXP: "databar-expanded",
}
# zbar reports GS1 through a modifier bit, not a symbology identifier.
_ZBAR_GS1_PREFIX = {"code128": "]C1", "qrcode": "]Q3", "databar": "]e0",
                    "databar-expanded": "]e0"}
_ZBAR_MOD_GS1 = 1 << 0
_zbar_get_modifiers = zbar.zbar_function(
    "zbar_symbol_get_modifiers", c_uint, POINTER(zbar.zbar_symbol))
_ZBAR_Y800 = int.from_bytes(b"Y800", "little")

# Checksums of these are a single mod-10 digit (or none): a blurred photo can decode to a
# wrong number that still passes. Retries accept them only when two readings agree.
_WEAK = frozenset({"ean13", "ean8", "upca", "upce", "itf", "code39", "code32", "pzn"})


# Uploaded pictures decode at most one per core at a time: eight large uploads at once would
# otherwise take every core (and their memory) from the benches' lookups; the rest wait their turn.
_DECODE_SLOTS = threading.BoundedSemaphore(os.cpu_count() or 2)


def decode_image(data: bytes, *, thorough: bool = True) -> list[dict]:
    """Decode every barcode in PNG/JPEG bytes; raise NotAnImage for anything else."""
    with _DECODE_SLOTS:
        return decode_gray(load_gray(data), thorough=thorough)


def decode_frame(frame: np.ndarray, *, thorough: bool = False, tilt="cycle") -> list[dict]:
    """Decode every barcode in a camera frame (greyscale, or BGR as OpenCV captures it).

    zxing-cpp, then, if it found nothing, one cheap pass for linear codes on the frame
    turned by a tilt: a label tilted more than about 10° has no scan line across all its
    bars. With ``tilt="cycle"`` successive calls take successive tilts (±12° off horizontal,
    ±12° off vertical), so a tilted label under the camera reads within four frames for
    about 6 ms more per empty frame; ``tilt=None`` skips the pass, ``tilt=(angle, upright)``
    picks one. pyzbar and the retries only when `thorough`: on a frame with nothing in view
    they would cost several times the frame budget (bench/README.md).
    """
    if frame.ndim == 3:
        frame = cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY)
    frame = np.ascontiguousarray(frame, dtype=np.uint8)
    found, zbar = _first_pass(frame)
    if not found and tilt is not None:
        angle, upright = next(_TILTS) if tilt == "cycle" else tilt
        found = read_zxing(_tilted(frame, angle, upright), formats=LINEAR_FORMATS, try_rotate=False)
    if not found and thorough:
        found = (read_zbar(frame) if zbar is None else zbar) or _retry(frame)
    return _unique(found)


# Shared by all callers: a camera loop calling decode_frame gets a new tilt each frame.
_TILTS = itertools.cycle([(12, False), (-12, False), (12, True), (-12, True)])


def _tilted(gray: np.ndarray, angle: float, upright: bool) -> np.ndarray:
    """`gray` turned by `angle` degrees (same size, corners cut), then a quarter turn if
    `upright`, so that a label tilted that much off vertical lies horizontal."""
    h, w = gray.shape
    m = cv2.getRotationMatrix2D((w / 2, h / 2), angle, 1.0)
    out = cv2.warpAffine(gray, m, (w, h), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
    return np.ascontiguousarray(np.rot90(out)) if upright else out


def load_gray(data: bytes) -> np.ndarray:
    """Image bytes to a greyscale uint8 array; transparent pixels become white."""
    if not data:
        raise NotAnImage("empty upload")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as im:  # reads the header only
                width, height = im.size
                has_alpha = "A" in im.mode or "transparency" in im.info
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise ImageTooLarge(str(exc)) from exc
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError) as exc:
        raise NotAnImage("not an image") from exc
    if width * height > MAX_PIXELS:
        raise ImageTooLarge(f"{width}x{height} pixels is more than {MAX_PIXELS}")
    if max(width, height) > MAX_SIDE:
        raise ImageTooLarge(f"{width}x{height} pixels: longer than {MAX_SIDE} on a side")

    buf = np.frombuffer(data, np.uint8)
    pixels = width * height
    if has_alpha:
        # No reduced decode keeps the alpha channel: decode whole, put it on white, then reduce.
        img = cv2.imdecode(buf, cv2.IMREAD_UNCHANGED)
        if img is None or img.size == 0:
            raise NotAnImage("the image data cannot be decoded")
        gray = _to_gray8(img)
        del img
        factor = 4 if pixels > 4 * REDUCE_ABOVE_PIXELS else 2 if pixels > REDUCE_ABOVE_PIXELS else 1
        if factor > 1:
            gray = cv2.resize(gray, (max(1, gray.shape[1] // factor), max(1, gray.shape[0] // factor)),
                              interpolation=cv2.INTER_AREA)
        return gray
    if pixels > 4 * REDUCE_ABOVE_PIXELS:
        img = cv2.imdecode(buf, cv2.IMREAD_REDUCED_GRAYSCALE_4)
    elif pixels > REDUCE_ABOVE_PIXELS:
        img = cv2.imdecode(buf, cv2.IMREAD_REDUCED_GRAYSCALE_2)
    else:
        img = cv2.imdecode(buf, cv2.IMREAD_GRAYSCALE)
    if img is None or img.size == 0:
        raise NotAnImage("the image data cannot be decoded")
    return _to_gray8(img)


def _to_gray8(img: np.ndarray) -> np.ndarray:
    """Any decoded image as 8-bit grey; a transparent pixel becomes white.

    All in uint8, in place where it can be: a 60 MP RGBA upload composited in float32 took 2 GB."""
    if img.dtype == np.uint16:
        img = cv2.convertScaleAbs(img, alpha=1 / 257)
    elif img.dtype != np.uint8:
        img = (img / (np.iinfo(img.dtype).max / 255.0)).astype(np.uint8)
    if img.ndim == 2:
        return img
    if img.shape[2] == 4:
        # A code drawn on a transparent background would read black-on-black otherwise.
        gray, alpha = cv2.cvtColor(img, cv2.COLOR_BGRA2GRAY), img[:, :, 3]
    elif img.shape[2] == 2:  # grey + alpha
        gray, alpha = img[:, :, 0].copy(), img[:, :, 1]
    else:
        return cv2.cvtColor(img, cv2.COLOR_BGR2GRAY)
    # over white: 255 - (255 - grey) * alpha / 255
    np.subtract(255, gray, out=gray)
    cv2.multiply(gray, alpha, dst=gray, scale=1 / 255)
    np.subtract(255, gray, out=gray)
    return gray


# --- the pipeline -----------------------------------------------------------------------------

def decode_gray(gray: np.ndarray, *, thorough: bool = True) -> list[dict]:
    """zxing-cpp; if `thorough` and it found nothing, pyzbar; then preprocessing retries."""
    gray = np.ascontiguousarray(gray, dtype=np.uint8)
    found, zbar = _first_pass(gray)
    if not found and thorough:
        found = (read_zbar(gray) if zbar is None else zbar) or _retry(gray)
    return _unique(found)


def _first_pass(gray: np.ndarray) -> tuple[list[dict], list[dict] | None]:
    """zxing-cpp; where it read one symbol two different ways, pyzbar settles it.

    Answers (codes, pyzbar's codes or None when pyzbar was not asked). A disputed symbol
    comes back only as the reading pyzbar agrees with, or not at all (the next frame, or the
    retries, will read it): a wrong GTIN scans a product that is not in the box.
    """
    found, disputed = _read_zxing(gray)
    if not disputed:
        return found, None
    zbar = read_zbar(gray)
    return found + [c for c in zbar if c in disputed], zbar


def read_zxing(gray: np.ndarray, formats=None, **options) -> list[dict]:
    """One zxing-cpp pass over a greyscale image, limited to ZXING_FORMATS by default.

    A symbol read two different ways in the one pass (see _same_symbol) is left out."""
    return _read_zxing(gray, formats, **options)[0]


def _read_zxing(gray, formats=None, **options) -> tuple[list[dict], list[dict]]:
    """(codes, disputed): the codes of one zxing-cpp pass, less the readings it disagrees with
    itself about, which are answered apart."""
    results = []
    for b in zxingcpp.read_barcodes(gray, formats=formats or ZXING_FORMATS,
                                    text_mode=zxingcpp.TextMode.Plain, **options):
        name = _ZXING_NAMES.get(b.format) or _ZXING_NAMES.get(b.symbology) or _slug(str(b.format))
        data = b.text
        if b.content_type == zxingcpp.ContentType.GS1:
            data = b.symbology_identifier + data
        results.append((_normalise(name, data), b.position))
    disputed = set()
    for i, (a, pa) in enumerate(results):
        for j in range(i + 1, len(results)):
            b, pb = results[j]
            if (a["data"] != b["data"] and a["symbology"] in _WEAK
                    and _FAMILY.get(a["symbology"], a["symbology"]) == _FAMILY.get(b["symbology"], b["symbology"])
                    and _same_symbol(pa, pb)):
                disputed.update((i, j))
    found = [code for k, (code, _) in enumerate(results) if k not in disputed]
    return found, [results[k][0] for k in sorted(disputed)]


# EAN-13 and UPC-A are one symbology (a UPC-A is an EAN-13 with a leading 0).
_FAMILY = {"upca": "ean13"}


def _same_symbol(p, q) -> bool:
    """Whether two linear readings lie on one symbol: along the first one's reading direction
    they cover the same stretch (half of the shorter at least), and across it they are less than
    half that length apart. zxing-cpp 3.1 sometimes reads an EAN-13 a second time, from its
    downscaled pass or a few scan lines at the bars' ends, as another number whose check digit
    also passes (6923456001800 and 7925459001800); two real labels one above the other are
    further apart, and pyzbar then reads both anyway."""
    def corners(pos):
        return [(pt.x, pt.y) for pt in (pos.top_left, pos.top_right, pos.bottom_right, pos.bottom_left)]

    a, b = corners(p), corners(q)
    (x0, y0), (x1, y1) = a[0], a[1]
    length = float(np.hypot(x1 - x0, y1 - y0))
    if length < 1:
        return False
    ux, uy = (x1 - x0) / length, (y1 - y0) / length

    def spans(points):
        along = [(x - x0) * ux + (y - y0) * uy for x, y in points]
        across = [(y - y0) * ux - (x - x0) * uy for x, y in points]
        return (min(along), max(along)), (min(across), max(across))

    (a_lo, a_hi), (a_lo2, a_hi2) = spans(a)
    (b_lo, b_hi), (b_lo2, b_hi2) = spans(b)
    shorter = min(a_hi - a_lo, b_hi - b_lo)
    overlap = min(a_hi, b_hi) - max(a_lo, b_lo)
    gap = max(b_lo2 - a_hi2, a_lo2 - b_hi2, 0.0)
    return shorter > 0 and overlap >= 0.5 * shorter and gap < 0.5 * shorter


def read_zbar(gray: np.ndarray) -> list[dict]:
    """One pyzbar (zbar) pass, limited to the warehouse symbologies.

    Calls zbar through pyzbar's ctypes wrapper rather than pyzbar.decode, because
    decode() drops the GS1 modifier and GS1-128 would come back looking like plain text.
    """
    gray = np.ascontiguousarray(gray, dtype=np.uint8)
    height, width = gray.shape
    out = []
    scanner = zbar.zbar_image_scanner_create()
    image = zbar.zbar_image_create()
    try:
        zbar.zbar_image_scanner_set_config(scanner, 0, zbar.ZBarConfig.CFG_ENABLE, 0)
        for sym in _ZBAR_NAMES:
            zbar.zbar_image_scanner_set_config(scanner, sym, zbar.ZBarConfig.CFG_ENABLE, 1)
        zbar.zbar_image_set_format(image, _ZBAR_Y800)
        zbar.zbar_image_set_size(image, width, height)
        # zbar keeps a pointer, not a copy: `gray` outlives the image (destroyed below).
        zbar.zbar_image_set_data(image, c_void_p(gray.ctypes.data), gray.size, None)
        if zbar.zbar_scan_image(scanner, image) > 0:
            sym = zbar.zbar_image_first_symbol(image)
            while sym:
                name = _ZBAR_NAMES.get(sym.contents.type)
                raw = string_at(zbar.zbar_symbol_get_data(sym), zbar.zbar_symbol_get_data_length(sym))
                if name:
                    data = _text(raw)
                    if _zbar_get_modifiers(sym) & _ZBAR_MOD_GS1 and name in _ZBAR_GS1_PREFIX:
                        data = _ZBAR_GS1_PREFIX[name] + data
                    out.append(_normalise(name, data))
                sym = zbar.zbar_symbol_next(sym)
    finally:
        zbar.zbar_image_destroy(image)
        zbar.zbar_image_scanner_destroy(scanner)
    return out


def _retry(gray: np.ndarray) -> list[dict]:
    """Preprocessed variants until one gives a trustworthy reading or the budget runs out."""
    deadline = time.monotonic() + RETRY_BUDGET_S
    votes: dict[tuple, int] = {}
    for variant in _variants(gray):
        variant = np.ascontiguousarray(variant)
        for reader in (read_zxing, read_zbar):
            if time.monotonic() > deadline:
                break
            for code in _unique(reader(variant)):
                key = (code["symbology"], code["data"])
                votes[key] = votes.get(key, 0) + 1
        trusted = [{"symbology": s, "data": d} for (s, d), n in votes.items()
                   if s not in _WEAK or n >= 2]
        if trusted or time.monotonic() > deadline:
            return trusted
    return []


def _variants(gray: np.ndarray):
    """Preprocessed copies of `gray`, cheapest and most often useful first (lazily)."""
    h, w = gray.shape
    if max(h, w) > 1600:
        # Large photo: the code may be a small part of it; look at pieces at full resolution.
        for y0, y1, x0, x1 in _tiles(h, w):
            yield gray[y0:y1, x0:x1]
        s = 1600 / max(h, w)
        gray = cv2.resize(gray, None, fx=s, fy=s, interpolation=cv2.INTER_AREA)
    small = max(gray.shape) < 1000
    if small:  # thin bars merge at low resolution; scaling up gives the binariser room
        yield _scale(gray, 2.0)
        yield _scale(gray, 1.5)
    yield cv2.GaussianBlur(gray, (5, 5), 0)  # sensor noise, JPEG blocks
    yield _unsharp(gray, 2.0, 1.5)  # soft focus
    yield _otsu(cv2.GaussianBlur(gray, (3, 3), 0))  # uneven contrast
    yield cv2.adaptiveThreshold(gray, 255, cv2.ADAPTIVE_THRESH_GAUSSIAN_C,
                                cv2.THRESH_BINARY, 31, 5)  # shadows, gradients
    yield cv2.createCLAHE(clipLimit=2.0, tileGridSize=(8, 8)).apply(gray)  # low contrast
    for angle in (-12, 12, 45):  # linear decoders only tolerate a little skew
        yield _rotate(gray, angle)
    if small:
        # Heavy motion or focus blur: enlarge, sharpen hard, threshold.
        yield _otsu(_unsharp(_scale(gray, 2.0), 5.0, 5.0))
        yield _otsu(_unsharp(_scale(gray, 2.0), 8.0, 5.0))
    yield _crop(gray, 0.6)


def _tiles(h: int, w: int):
    """Overlapping halves of a large image (2x2 grid with 50% overlap, centre first)."""
    th, tw = h // 2, w // 2
    yield h // 4, h // 4 + th, w // 4, w // 4 + tw
    for y0 in (0, h - th):
        for x0 in (0, w - tw):
            yield y0, y0 + th, x0, x0 + tw


def _scale(gray, f):
    return cv2.resize(gray, None, fx=f, fy=f,
                      interpolation=cv2.INTER_CUBIC if f > 1 else cv2.INTER_AREA)


def _unsharp(gray, sigma, amount):
    blurred = cv2.GaussianBlur(gray, (0, 0), sigma)
    return cv2.addWeighted(gray, 1.0 + amount, blurred, -amount, 0)


def _otsu(gray):
    return cv2.threshold(gray, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)[1]


def _rotate(gray, angle):
    h, w = gray.shape
    m = cv2.getRotationMatrix2D((w / 2, h / 2), angle, 1.0)
    cos, sin = abs(m[0, 0]), abs(m[0, 1])
    nw, nh = int(h * sin + w * cos), int(h * cos + w * sin)
    m[0, 2] += nw / 2 - w / 2
    m[1, 2] += nh / 2 - h / 2
    return cv2.warpAffine(gray, m, (nw, nh), flags=cv2.INTER_LINEAR,
                          borderMode=cv2.BORDER_REPLICATE)


def _crop(gray, frac):
    """The centre `frac` of the image, enlarged back: for a small code amid clutter."""
    h, w = gray.shape
    y0, x0 = int(h * (1 - frac) / 2), int(w * (1 - frac) / 2)
    return _scale(gray[y0:h - y0, x0:w - x0], 1 / frac)


# --- results ---------------------------------------------------------------------------------

def _normalise(name: str, data: str) -> dict:
    # An EAN-13 starting with 0 is a UPC-A symbol (same bars); zxing-cpp reports it as EAN-13.
    if name == "ean13" and len(data) == 13 and data.startswith("0"):
        name, data = "upca", data[1:]
    return {"symbology": name, "data": data}


def _unique(codes: list[dict]) -> list[dict]:
    seen, out = set(), []
    for code in codes:
        key = (code["symbology"], code["data"])
        if key not in seen:
            seen.add(key)
            out.append(code)
    return out


def _text(raw: bytes) -> str:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw.decode("latin-1")


def _slug(name: str) -> str:
    return "".join(ch for ch in name.lower() if ch.isalnum())
