"""Every barcode we render for a label scans back to the same data."""

import io
import re
import xml.etree.ElementTree as ET

import cv2
import numpy as np
import pytest
from PIL import Image

from hardware import barcodes as labels
from hardware.decode import decode_image
from hardware.barcodes import LabelError, label_options

LABELS = [("4x6", 203), ("4x6", 300), ("2x1", 203), ("2x1", 300)]


def rasterise(svg: str) -> bytes:
    """Draw our SVG (one white rect, one path of axis-aligned rectangles) as PNG bytes.

    Our own tiny rasteriser rather than cairosvg (not installed): it reads exactly the
    geometry the printer would get, so a bar off by a dot would show here.
    """
    root = ET.fromstring(svg)
    _, _, width, height = (int(v) for v in root.get("viewBox").split())
    img = np.full((height, width), 255, np.uint8)
    path = root.find("{http://www.w3.org/2000/svg}path").get("d")
    for x, y, w, h in re.findall(r"M(\d+) (\d+)h(\d+)v(\d+)h-\d+z", path):
        x, y, w, h = int(x), int(y), int(w), int(h)
        img[y:y + h, x:x + w] = 0
    return cv2.imencode(".png", img)[1].tobytes()


@pytest.mark.parametrize("size,dpi", LABELS)
def test_code128_with_letters_digits_and_dashes_scans_back_on_every_label(size, dpi):
    data = "RI-00001234-ab"
    opts = label_options(size, dpi)
    assert decode_image(labels.code128_png(data, **opts)) == [{"symbology": "code128", "data": data}]
    assert decode_image(rasterise(labels.code128_svg(data, **opts))) == [
        {"symbology": "code128", "data": data}]


@pytest.mark.parametrize("size,dpi", LABELS)
def test_ean13_scans_back_on_every_label(size, dpi):
    opts = label_options(size, dpi)
    assert decode_image(labels.ean13_png("4006381333931", **opts)) == [
        {"symbology": "ean13", "data": "4006381333931"}]
    assert decode_image(rasterise(labels.ean13_svg("4006381333931", **opts))) == [
        {"symbology": "ean13", "data": "4006381333931"}]


@pytest.mark.parametrize("size,dpi", LABELS)
def test_qr_with_utf8_text_scans_back_on_every_label(size, dpi):
    data = "Rücksendung – 退货 №42 ✓"
    opts = label_options(size, dpi, matrix=True)
    assert decode_image(labels.qr_png(data, **opts)) == [{"symbology": "qrcode", "data": data}]
    assert decode_image(rasterise(labels.qr_svg(data, **opts))) == [{"symbology": "qrcode", "data": data}]


@pytest.mark.parametrize("size,dpi", LABELS)
def test_square_datamatrix_scans_back_on_every_label(size, dpi):
    data = "RTV/SUPPLIER-42/Ü"
    opts = label_options(size, dpi, matrix=True)
    png = labels.datamatrix_png(data, **opts)
    width, height = Image.open(io.BytesIO(png)).size
    assert width == height
    assert decode_image(png) == [{"symbology": "datamatrix", "data": data}]
    assert decode_image(rasterise(labels.datamatrix_svg(data, **opts))) == [
        {"symbology": "datamatrix", "data": data}]


def test_gs1_128_scans_back_raw_with_its_group_separator():
    png = labels.gs1_128_png("(01)09506000134352(21)SN42(10)LOT7", **label_options("4x6", 203))
    assert decode_image(png) == [
        {"symbology": "code128", "data": "]C1010950600013435221SN42\x1d10LOT7"}]


def test_a_12_digit_ean_gets_its_check_digit():
    assert decode_image(labels.ean13_png("400638133393"))[0]["data"] == "4006381333931"


def test_an_ean13_with_a_wrong_check_digit_is_refused_not_silently_corrected():
    with pytest.raises(LabelError, match="check digit"):
        labels.ean13_svg("4006381333932")


@pytest.mark.parametrize("bad", ["", "abc", "40063813339311"])
def test_an_ean13_that_is_not_12_or_13_digits_is_refused(bad):
    with pytest.raises(LabelError):
        labels.ean13_png(bad)


def test_code128_refuses_characters_it_cannot_encode():
    with pytest.raises(LabelError):
        labels.code128_svg("café")
    with pytest.raises(LabelError):
        labels.code128_svg("")


def test_a_code_too_long_for_the_label_is_refused_rather_than_squeezed():
    with pytest.raises(LabelError, match="modules wide"):
        labels.code128_svg("X" * 60, **label_options("2x1", 203))


def test_bars_land_on_whole_dots_at_the_printers_resolution():
    assert labels.module_dots(203, 0.25) == 2
    assert labels.module_dots(300, 0.25) == 3
    assert labels.module_dots(203, 0.05) == 1
    svg = labels.code128_svg("RI00001234", dpi=300, module_mm=0.25)
    path = ET.fromstring(svg).find("{http://www.w3.org/2000/svg}path").get("d")
    bars = re.findall(r"M(\d+) 0h(\d+)v", path)
    assert len(bars) == path.count("M")  # every coordinate is a whole number of dots
    assert all(int(x) % 3 == 0 and int(w) % 3 == 0 for x, w in bars)  # 3 dots per module


def test_a_long_code_on_a_small_label_shrinks_its_module_but_still_scans():
    opts = label_options("2x1", 203)
    data = "RI-2024-000000123456"
    svg = labels.code128_svg(data, **opts)
    assert int(ET.fromstring(svg).get("width")) <= opts["max_width_in"] * 203
    assert decode_image(rasterise(svg)) == [{"symbology": "code128", "data": data}]


def test_svg_is_a_fragment_safe_to_embed_in_html():
    svg = labels.code128_svg('A<b>&"c')
    assert svg.startswith("<svg ") and "<?xml" not in svg and "DOCTYPE" not in svg
    root = ET.fromstring(svg)  # well-formed: the data is escaped
    assert root.get("aria-label") == 'A<b>&"c'
    assert "<b>" not in svg


def test_physical_svg_is_sized_in_inches_for_browser_printing():
    svg = labels.code128_svg("RI1", dpi=203, physical=True)
    root = ET.fromstring(svg)
    width_dots = int(root.get("viewBox").split()[2])
    assert root.get("width") == f"{width_dots / 203:.4f}in"


def test_png_carries_its_dpi_so_it_prints_at_true_size():
    png = labels.code128_png("RI1", dpi=300)
    dpi = Image.open(io.BytesIO(png)).info["dpi"]
    assert round(dpi[0]) == 300 and round(dpi[1]) == 300


def test_unknown_label_size_is_refused():
    with pytest.raises(LabelError, match="unknown label size"):
        label_options("A4")
