"""Is this upload a whole picture? Checked by decoding it, before anything keeps it.

The first bytes say little: a PNG signature in front of an HTML page, a JPEG cut off half-way,
or a small PNG that unpacks to gigabytes (a "decompression bomb") all look like pictures there.
A photo is kept only when Pillow decodes every byte of it within a pixel budget. JPEGs decode at
1/8 scale (libjpeg's draft mode still reads every byte, at 1/64 of the memory), so a 50 MP phone
photo is checked in a few MB; PNG and WebP decode whole, so they get a smaller budget.
"""
import io
import warnings

from PIL import Image, ImageOps, UnidentifiedImageError

from hardware.decode import ImageTooLarge, NotAnImage

TYPES = {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp"}
MAX_PIXELS = {"JPEG": 60_000_000, "PNG": 16_000_000, "WEBP": 16_000_000}
MAX_SIDE = 30_000

__all__ = ["check_image", "reencode", "NotAnImage", "ImageTooLarge", "TYPES"]
KEEP_SIDE = 4096  # a kept photo's longest side: evidence for a supervisor, not a print


def check_image(data, types=TYPES):
    """(content type, width, height) of a whole, decodable picture of one of `types`.

    Raises NotAnImage (not a picture, a truncated or corrupt one, another format) or
    ImageTooLarge (more pixels than its format's budget).
    """
    if not data:
        raise NotAnImage("the file is empty")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as im:  # the header only, so far
                fmt = im.format
                if fmt not in types:
                    raise NotAnImage(f"a {fmt} image, not {' or '.join(types)}" if fmt else "not an image")
                width, height = im.size
                if width * height > MAX_PIXELS[fmt] or max(width, height) > MAX_SIDE:
                    raise ImageTooLarge(f"{width}x{height} pixels is more than this station keeps for a {fmt}")
                if fmt == "JPEG":
                    im.draft(im.mode, (max(1, width // 8), max(1, height // 8)))
                im.load()  # every byte: a cut-off or corrupt file fails here
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise ImageTooLarge(str(exc)) from exc
    except UnidentifiedImageError as exc:
        raise NotAnImage("not an image") from exc
    except (OSError, ValueError, SyntaxError, EOFError) as exc:
        raise NotAnImage(f"a broken or cut-off image ({exc})") from exc
    return types[fmt], width, height


def reencode(data, content_type, max_side=KEEP_SIDE):
    """The picture as the station keeps it: decoded and written again, so nothing of the upload
    but its pixels survives (EXIF with the phone's GPS position, comments, trailing bytes, a
    polyglot's second meaning), turned upright by its EXIF orientation, at most `max_side` on its
    longest side. Call after check_image: the budget was checked there."""
    with Image.open(io.BytesIO(data)) as im:
        if im.format == "JPEG":
            im.draft("RGB", (max_side, max_side))  # libjpeg reduces while decoding a huge photo
        upright = ImageOps.exif_transpose(im)
        upright.thumbnail((max_side, max_side))
        out = io.BytesIO()
        if content_type == "image/jpeg":
            upright.convert("RGB").save(out, "JPEG", quality=90, optimize=True)
        elif content_type == "image/webp":
            upright.save(out, "WEBP", quality=90)
        else:
            if upright.mode not in ("1", "L", "LA", "P", "RGB", "RGBA", "I;16"):
                upright = upright.convert("RGBA")
            upright.save(out, "PNG", optimize=False)
    return out.getvalue()
