"""hardware.decode on images made here (python-barcode, zxing-cpp), never the shared samples."""

import io
import struct
import zlib

import barcode
import cv2
import numpy as np
import pytest
import zxingcpp
from barcode.writer import ImageWriter

from hardware import decode
from hardware.decode import DecodeError, ImageTooLarge, NotAnImage, decode_frame, decode_image

F = zxingcpp.BarcodeFormat


def python_barcode(kind, data, **options):
    """Greyscale array of a python-barcode image (its ImageWriter, no human-readable text)."""
    opts = {"module_width": 0.254, "module_height": 12, "dpi": 300, "write_text": False,
            "quiet_zone": 4}
    opts.update(options)
    extra = {"add_checksum": False} if kind == "code39" else {}  # a plain Code 39, as labels use
    buf = io.BytesIO()
    barcode.get_barcode_class(kind)(data, writer=ImageWriter(), **extra).write(buf, options=opts)
    return cv2.imdecode(np.frombuffer(buf.getvalue(), np.uint8), cv2.IMREAD_GRAYSCALE)


def zxing_symbol(data, fmt, scale=4, **options):
    img = zxingcpp.create_barcode(data, fmt, **options).to_image(scale=scale)
    return np.ascontiguousarray(np.asarray(img))


def png(gray):
    return cv2.imencode(".png", gray)[1].tobytes()


def on_page(gray, pad=60, angle=0):
    """The symbol on a larger white page, optionally turned by `angle` degrees."""
    page = cv2.copyMakeBorder(gray, pad, pad, pad, pad, cv2.BORDER_CONSTANT, value=255)
    if angle % 90 == 0:
        return np.ascontiguousarray(np.rot90(page, angle // 90))
    side = int(np.hypot(*page.shape)) + 1  # a square canvas the turned page fits on
    y, x = (side - page.shape[0]) // 2, (side - page.shape[1]) // 2
    canvas = np.full((side, side), 255, np.uint8)
    canvas[y:y + page.shape[0], x:x + page.shape[1]] = page
    m = cv2.getRotationMatrix2D((side / 2, side / 2), angle, 1.0)
    return cv2.warpAffine(canvas, m, (side, side), borderValue=255)


@pytest.mark.parametrize("kind,data,symbology,expected", [
    ("code128", "RMA-2024-00017", "code128", "RMA-2024-00017"),
    ("code128", "bin a/12 lower", "code128", "bin a/12 lower"),
    ("ean13", "400638133393", "ean13", "4006381333931"),
    ("ean8", "9638507", "ean8", "96385074"),
    ("upca", "03600029145", "upca", "036000291452"),
    ("code39", "RTV-42", "code39", "RTV-42"),
    ("itf", "1234567890", "itf", "1234567890"),
])
def test_it_reads_linear_codes_drawn_by_python_barcode(kind, data, symbology, expected):
    gray = python_barcode(kind, data)
    assert decode_image(png(on_page(gray))) == [{"symbology": symbology, "data": expected}]


def test_upc_a_comes_back_as_12_digits_not_as_an_ean13_with_a_leading_zero():
    # zxing-cpp reports this symbol as EAN-13 "0036000291452"; the bars are the same.
    codes = decode_image(png(on_page(python_barcode("upca", "03600029145"))))
    assert codes == [{"symbology": "upca", "data": "036000291452"}]


@pytest.mark.parametrize("fmt,symbology", [(F.QRCode, "qrcode"), (F.DataMatrix, "datamatrix")])
def test_it_reads_2d_codes_with_utf8_text(fmt, symbology):
    data = "Rücksendung 退货 #42"
    assert decode_image(png(zxing_symbol(data, fmt))) == [{"symbology": symbology, "data": data}]


def test_gs1_128_comes_back_raw_with_group_separator_and_aim_prefix():
    # AI 21 (serial) is variable length, so a group separator must end it before AI 01.
    gray = zxing_symbol("(21)SN-0042(01)09506000134352", F.Code128, scale=3, gs1=True)
    assert decode_image(png(on_page(gray))) == [
        {"symbology": "code128", "data": "]C121SN-0042\x1d0109506000134352"}]


def test_gs1_128_with_01_then_21_needs_no_separator_at_the_end():
    gray = zxing_symbol("(01)09506000134352(21)SN-0042", F.Code128, scale=3, gs1=True)
    assert decode_image(png(on_page(gray))) == [
        {"symbology": "code128", "data": "]C10109506000134352" + "21SN-0042"}]


@pytest.mark.parametrize("fmt,prefix", [(F.DataMatrix, "]d2"), (F.QRCode, "]Q3")])
def test_gs1_2d_codes_carry_their_own_aim_prefix(fmt, prefix):
    gray = zxing_symbol("(01)09506000134352(10)LOT7(21)SN1", fmt, gs1=True)
    assert decode_image(png(on_page(gray)))[0]["data"] == prefix + "0109506000134352" + "10LOT7\x1d21SN1"


def test_pyzbar_second_opinion_also_reports_gs1_with_its_prefix():
    gray = zxing_symbol("(21)SN-0042(01)09506000134352", F.Code128, scale=3, gs1=True)
    assert decode.read_zbar(on_page(gray)) == [
        {"symbology": "code128", "data": "]C121SN-0042\x1d0109506000134352"}]


def test_it_reads_a_jpeg():
    gray = on_page(python_barcode("code128", "RMA-77"))
    jpeg = cv2.imencode(".jpg", gray, [cv2.IMWRITE_JPEG_QUALITY, 40])[1].tobytes()
    assert jpeg[:2] == b"\xff\xd8"
    assert decode_image(jpeg) == [{"symbology": "code128", "data": "RMA-77"}]


@pytest.mark.parametrize("angle", [7, 90, 180, 270])
def test_it_reads_a_code128_turned_on_the_bench(angle):
    gray = on_page(python_barcode("code128", "RMA-2024-00017"), angle=angle)
    assert decode_image(png(gray)) == [{"symbology": "code128", "data": "RMA-2024-00017"}]


def test_it_reads_a_qr_code_at_any_angle():
    gray = on_page(zxing_symbol("RI00001234", F.QRCode), angle=33)
    assert decode_image(png(gray)) == [{"symbology": "qrcode", "data": "RI00001234"}]


@pytest.mark.parametrize("sigma", [20, 40])
def test_it_reads_through_sensor_noise(sigma):
    rng = np.random.default_rng(sigma)
    gray = on_page(python_barcode("code128", "RMA-2024-00017")).astype(np.float32)
    noisy = np.clip(gray + rng.normal(0, sigma, gray.shape), 0, 255).astype(np.uint8)
    assert decode_image(png(noisy)) == [{"symbology": "code128", "data": "RMA-2024-00017"}]


def test_it_reads_a_blurred_photo():
    gray = cv2.GaussianBlur(on_page(python_barcode("code128", "RMA-2024-00017")), (0, 0), 2.0)
    assert decode_image(png(gray)) == [{"symbology": "code128", "data": "RMA-2024-00017"}]


def test_preprocessing_retries_read_what_the_first_pass_cannot():
    # Out-of-focus EAN-13: neither decoder reads it as it is; the sharpened retries do.
    gray = cv2.GaussianBlur(python_barcode("ean13", "400638133393", quiet_zone=3), (0, 0), 2.0)
    assert decode.read_zxing(gray) == [] and decode.read_zbar(gray) == []
    assert decode_image(png(gray)) == [{"symbology": "ean13", "data": "4006381333931"}]
    assert decode_frame(gray, tilt=None) == []  # frames skip retries: the next comes in 33 ms


def test_a_weak_check_digit_read_once_during_retries_is_not_trusted(monkeypatch):
    calls = []

    def one_lucky_ean(gray):
        calls.append(gray.shape)
        return [{"symbology": "ean13", "data": "4006381333931"}] if len(calls) == 2 else []

    monkeypatch.setattr(decode, "read_zxing", one_lucky_ean)
    monkeypatch.setattr(decode, "read_zbar", lambda gray: [])
    assert decode.decode_gray(np.full((60, 80), 255, np.uint8)) == []
    assert len(calls) > 2  # it kept looking for a second reading


def test_a_qr_read_once_during_retries_is_trusted(monkeypatch):
    calls = []

    def one_qr(gray):
        calls.append(1)
        return [{"symbology": "qrcode", "data": "RI1"}] if len(calls) == 3 else []

    monkeypatch.setattr(decode, "read_zxing", one_qr)
    monkeypatch.setattr(decode, "read_zbar", lambda gray: [])
    assert decode.decode_gray(np.full((60, 80), 255, np.uint8)) == [{"symbology": "qrcode", "data": "RI1"}]


def test_two_codes_in_one_photo_both_come_back_and_duplicates_once():
    a = on_page(python_barcode("code128", "RMA-1"))
    b = on_page(zxing_symbol("RI00000002", F.QRCode), pad=40)
    b = cv2.copyMakeBorder(b, 0, 0, 0, a.shape[1] - b.shape[1], cv2.BORDER_CONSTANT, value=255)
    codes = decode_image(png(np.vstack([a, b, a])))
    assert sorted(codes, key=lambda c: c["symbology"]) == [
        {"symbology": "code128", "data": "RMA-1"}, {"symbology": "qrcode", "data": "RI00000002"}]


def test_an_image_without_a_code_gives_an_empty_list():
    assert decode_image(png(np.full((240, 320), 255, np.uint8))) == []


def test_noise_without_a_code_gives_no_false_reading():
    rng = np.random.default_rng(5)
    blotches = cv2.resize(rng.normal(128, 60, (12, 16)), (320, 240), interpolation=cv2.INTER_CUBIC)
    gray = np.clip(blotches + rng.normal(0, 15, blotches.shape), 0, 255).astype(np.uint8)
    assert decode_image(png(gray)) == []


@pytest.mark.parametrize("data", [b"", b"hello", b"%PDF-1.7\n", b"\x89PNG\r\n\x1a\n" + b"\0" * 20])
def test_bytes_that_are_not_an_image_raise_not_an_image(data):
    with pytest.raises(NotAnImage):
        decode_image(data)
    assert issubclass(NotAnImage, DecodeError)


def test_a_truncated_png_raises_not_an_image():
    whole = png(on_page(python_barcode("code128", "RMA-1")))
    with pytest.raises(NotAnImage):
        decode_image(whole[:60])


def test_a_png_that_would_unpack_to_gigapixels_is_refused_before_decoding():
    def chunk(kind, body):
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    header = struct.pack(">IIBBBBB", 30000, 30000, 8, 0, 0, 0, 0)
    bomb = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"")) + chunk(b"IEND", b"")
    with pytest.raises(ImageTooLarge):
        decode_image(bomb)
    assert issubclass(ImageTooLarge, DecodeError)


def one_bit_png(width, height):
    """A white 1-bit PNG of that size, written by hand: a few kB on disk whatever its size."""
    def chunk(kind, body):
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    rows = (b"\0" + b"\xff" * ((width + 7) // 8)) * height
    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows, 9))
            + chunk(b"IEND", b""))


@pytest.mark.parametrize("width,height", [(100_000, 100), (100, 70_000), (1, 60_000_000)])
def test_an_image_longer_than_65535_pixels_on_a_side_is_refused_as_too_large_not_a_crash(width, height):
    # few pixels in all, but zxing-cpp raises ValueError on a side over 65535 (a 500 at /api/decode)
    with pytest.raises(ImageTooLarge):
        decode_image(one_bit_png(width, height))


def test_the_longest_side_zxing_takes_still_decodes():
    assert decode_image(one_bit_png(65_535, 40)) == []


def rgba_png(width, height):
    """A white, fully transparent 8-bit RGBA PNG of that size: a few hundred kB however large."""
    def chunk(kind, body):
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    packer = zlib.compressobj(9)
    row = b"\0" + b"\xff\xff\xff\x00" * width
    pixels = b"".join(packer.compress(row) for _ in range(height)) + packer.flush()
    header = struct.pack(">IIBBBBB", width, height, 8, 6, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")


def test_a_large_transparent_png_is_read_in_a_bounded_amount_of_memory():
    # 245 kB on disk, 60 MP: the float32 compositing took 2 GB (and 10 s) for one upload
    import tracemalloc

    data = rgba_png(7745, 7745)
    tracemalloc.start()
    try:
        gray = decode.load_gray(data)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 400 * 2**20  # the decoded RGBA itself is 240 MB
    assert gray.dtype == np.uint8 and gray.max() == 255 and gray.shape[0] * gray.shape[1] <= decode.REDUCE_ABOVE_PIXELS


def test_a_code_on_a_transparent_background_is_read_as_black_on_white():
    gray = on_page(python_barcode("code128", "RMA-9"))
    rgba = np.zeros(gray.shape + (4,), np.uint8)  # transparent black everywhere...
    rgba[:, :, 3] = 255 - gray  # ...opaque only where the bars are
    assert decode_image(png(rgba)) == [{"symbology": "code128", "data": "RMA-9"}]


@pytest.mark.parametrize("angle", [14, -14, 90 + 14, 90 - 14])
def test_a_label_tilted_under_the_camera_reads_within_four_frames(angle):
    # Short bars tilted 14°: no horizontal (or vertical) scan line crosses them all.
    frame = on_page(python_barcode("code128", "RMA-2024-00017", module_height=6), angle=angle)
    assert decode.read_zxing(frame) == []
    assert decode_frame(frame, tilt=None) == []
    reads = [decode_frame(frame) for _ in range(4)]
    assert {"symbology": "code128", "data": "RMA-2024-00017"} in [c for r in reads for c in r]


def test_decode_frame_takes_greyscale_or_bgr_camera_frames():
    gray = on_page(python_barcode("code128", "RMA-5"), pad=100)
    bgr = cv2.cvtColor(gray, cv2.COLOR_GRAY2BGR)
    assert decode_frame(gray) == decode_frame(bgr) == [{"symbology": "code128", "data": "RMA-5"}]


def lamp_ean_in_a_camera_frame(shift):
    """The demo lamp's EAN-13 (6923456001800) as python-barcode draws it, on a grey 960x540 frame,
    `shift` pixels right of the middle (the parcel moving a little under the camera)."""
    code = python_barcode("ean13", "692345600180", module_width=0.4, module_height=20, quiet_zone=6.5,
                          dpi=200, write_text=True)
    frame = np.full((540, 960), 200, np.uint8)
    h, w = code.shape
    y, x = (540 - h) // 2, (960 - w) // 2 + shift
    frame[y:y + h, x:x + w] = code
    return frame


@pytest.mark.parametrize("shift", [-1, 2])
def test_a_second_different_reading_of_the_same_ean13_is_dropped_and_only_the_real_gtin_comes_back(shift):
    # zxing-cpp 3.1 reads this one symbol twice, once right and once as 7925459001800 (its check
    # digit passes too): a GTIN the camera would scan although no such product is in view.
    frame = lamp_ean_in_a_camera_frame(shift)
    assert decode_frame(frame) == [{"symbology": "ean13", "data": "6923456001800"}]
    assert decode_image(png(frame)) == [{"symbology": "ean13", "data": "6923456001800"}]


def test_two_different_ean13_codes_one_above_the_other_both_come_back():
    def padded(gray):
        return cv2.copyMakeBorder(gray, 30, 30, 60, 60, cv2.BORDER_CONSTANT, value=255)

    both = np.vstack([padded(python_barcode("ean13", "692345600180")),
                      padded(python_barcode("ean13", "697123400100"))])
    expected = [{"symbology": "ean13", "data": "6923456001800"}, {"symbology": "ean13", "data": "6971234001009"}]
    assert sorted(decode_image(png(both)), key=lambda c: c["data"]) == expected
    assert sorted(decode_frame(both), key=lambda c: c["data"]) == expected
