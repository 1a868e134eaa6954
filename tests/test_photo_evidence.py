"""Photos are kept as pixels only: re-encoded, metadata stripped, bounded, turned upright."""
import io

import pytest
from PIL import Image

from station.intake import photos
from tests import sample


def jpeg_with_gps(width=64, height=32, orientation=1):
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"            # Make
    exif[0x0112] = orientation             # Orientation
    exif[0x8825] = {2: (51.0, 30.0, 0.0)}  # GPSInfo: latitude
    out = io.BytesIO()
    Image.new("RGB", (width, height), "red").save(out, "JPEG", exif=exif)
    return out.getvalue() + b"<html><script>alert(1)</script></html>"  # trailing bytes of a polyglot


@pytest.fixture
def item(tmp_path):
    db = sample.fresh(tmp_path / "s.db")
    sample.load_sample(db)
    from station.intake import returns
    from station.intake.items import add_item

    opened, _ = returns.open_return(db, sample.CARTON, "B")
    added = add_item(db, returns.get_return_row(db, opened["return_id"]), {"sku": "MUG-01", "qty": 1, "grade": "A"})
    yield db, added["item_id"], tmp_path / "photos"
    db.close()


def test_a_photo_is_kept_without_its_exif_gps_or_trailing_bytes_and_turned_upright(item):
    db, item_id, photo_dir = item
    saved = photos.add_photo(db, item_id, jpeg_with_gps(orientation=6), photo_dir=str(photo_dir))
    path, kind = photos.photo_file(db, saved["photo_id"], str(photo_dir))
    stored = path.read_bytes()
    assert kind == "image/jpeg" and b"<script>" not in stored and b"PhoneMaker" not in stored
    with Image.open(io.BytesIO(stored)) as im:
        assert not im.getexif() and im.size == (32, 64)  # orientation 6: rotated a quarter turn


def test_a_huge_photo_is_kept_at_most_4096_pixels_on_its_longest_side(item):
    db, item_id, photo_dir = item
    out = io.BytesIO()
    Image.new("RGB", (6000, 1500), "blue").save(out, "JPEG", quality=30)
    saved = photos.add_photo(db, item_id, out.getvalue(), photo_dir=str(photo_dir))
    path, _ = photos.photo_file(db, saved["photo_id"], str(photo_dir))
    with Image.open(path) as im:
        assert max(im.size) <= 4096 and im.size[0] > im.size[1]
