"""Photo evidence for an inspected item: stored on disk with a checksum, linked to the item."""
import hashlib
from pathlib import Path

from station.db import one, write
from station.errors import ServiceError, not_found
from station.timeutil import now_iso

TYPES = {"image/jpeg": ".jpg", "image/png": ".png", "image/webp": ".webp"}
MAGIC = {b"\xff\xd8\xff": "image/jpeg", b"\x89PNG\r\n\x1a\n": "image/png", b"RIFF": "image/webp"}
MAX_BYTES = 10 * 1024 * 1024


def sniff(data):
    for magic, content_type in MAGIC.items():
        if data.startswith(magic):
            return content_type
    return None


def add_photo(db, item_id, data, content_type=None, photo_dir="instance/photos", user=None):
    """Store one photo for an item; the type is read from the bytes, not trusted from the client."""
    if one(db, "SELECT 1 FROM return_items WHERE item_id = ?", [item_id]) is None:
        raise not_found("item", item_id)
    if not data:
        raise ServiceError("bad_photo", "the photo is empty", 400, field="photo")
    if len(data) > MAX_BYTES:
        raise ServiceError("too_large", "the photo is larger than 10 MB", 413, field="photo")
    kind = sniff(data)
    if kind is None:
        raise ServiceError("bad_photo", "the photo must be a JPEG, PNG or WebP image", 400, field="photo")
    digest = hashlib.sha256(data).hexdigest()
    relative = Path(str(item_id)) / f"{digest[:16]}{TYPES[kind]}"
    path = Path(photo_dir) / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.exists():
        tmp = path.with_suffix(".part")
        tmp.write_bytes(data)
        tmp.replace(path)  # atomic: a half-written file is never linked
    with write(db):
        cursor = db.execute(
            "INSERT INTO photos (item_id, path, sha256, content_type, taken_by, taken_at) VALUES (?, ?, ?, ?, ?, ?)",
            [item_id, str(relative), digest, kind, user, now_iso()],
        )
    return {"photo_id": cursor.lastrowid, "sha256": digest, "content_type": kind}


def photo_file(db, photo_id, photo_dir):
    row = one(db, "SELECT path, content_type FROM photos WHERE photo_id = ?", [photo_id])
    if row is None:
        raise not_found("photo", photo_id)
    return Path(photo_dir) / row["path"], row["content_type"]
