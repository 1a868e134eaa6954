"""Photo evidence for an inspected item: checked to be a whole picture, re-encoded (metadata
stripped, at most 4096 px on a side), stored on disk with its checksum, linked to the item. The bench and `POST /api/returns/<id>/items/<item_id>/photos` both
come here."""
import hashlib
from pathlib import Path

from flask_babel import gettext as _

from hardware.images import ImageTooLarge, NotAnImage, check_image, reencode
from station.db import one, write
from station.errors import ServiceError, not_found
from station.inputs import db_id
from station.timeutil import now_iso
from station.languages import N_

SUFFIXES = {"image/jpeg": ".jpg", "image/png": ".png", "image/webp": ".webp"}
MAX_BYTES = 10 * 1024 * 1024


def add_photo(db, item_id, data, content_type=None, photo_dir="instance/photos", user=None, return_id=None,
              field="photo"):
    """Store one photo for an item; what it is comes from decoding the bytes, never from the client.

    return_id: when given (the API's route), the item must belong to that return. `field`: the
    form field named in a 400 or 413.
    """
    item_id = db_id(item_id, "item")
    item = one(db, "SELECT return_id FROM return_items WHERE item_id = ?", [item_id])
    if item is None or (return_id is not None and item["return_id"] != db_id(return_id, "return")):
        raise not_found(N_("item"), item_id)
    if not data:
        raise ServiceError("bad_photo", _("the photo is empty"), 400, field=field)
    if len(data) > MAX_BYTES:
        raise ServiceError("too_large", _("the photo is larger than 10 MB"), 413, field=field)
    try:
        kind, _width, _height = check_image(data)
    except ImageTooLarge as exc:
        raise ServiceError("too_large", _("the photo has too many pixels (%(detail)s)", detail=exc), 413, field=field) from None
    except NotAnImage as exc:
        raise ServiceError("bad_photo", _("the photo must be a whole JPEG, PNG or WebP image: %(detail)s", detail=exc), 400,
                           field=field) from None
    data = reencode(data, kind)  # only the pixels are kept: no EXIF/GPS, no trailing bytes
    digest = hashlib.sha256(data).hexdigest()
    relative = Path(str(item_id)) / f"{digest[:16]}{SUFFIXES[kind]}"
    path = Path(photo_dir) / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.exists():
        tmp = path.with_suffix(".part")
        tmp.write_bytes(data)
        tmp.replace(path)  # atomic: a half-written file is never linked
    with write(db, group=True):
        cursor = db.execute(
            "INSERT INTO photos (item_id, path, sha256, content_type, taken_by, taken_at) VALUES (?, ?, ?, ?, ?, ?)",
            [item_id, str(relative), digest, kind, user, now_iso()],
        )
    return {"photo_id": cursor.lastrowid, "sha256": digest, "content_type": kind}


def photo_count(db, item_id):
    return db.execute("SELECT count(*) FROM photos WHERE item_id = ?", [item_id]).fetchone()[0]


def photo_file(db, photo_id, photo_dir):
    row = one(db, "SELECT path, content_type FROM photos WHERE photo_id = ?", [photo_id])
    if row is None:
        raise not_found(N_("photo"), photo_id)
    return Path(photo_dir) / row["path"], row["content_type"]
