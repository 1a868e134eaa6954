"""POST /api/imports: a marketplace or ERP file imported (or previewed) as the Imports screen does it,
by the same service, under the same 20 MB limit (station/web/admin/imports.py reads the upload)."""
from flask import jsonify, request

from station.data import marketplace
from station.data.importer.reading import ImportFailed
from station.db import get_db
from station.errors import ServiceError, bad
from station.roles import ADMINS
from station.web.admin.imports import read_upload, unreadable_number
from station.web.api import bp, user_name
from station.web.security import token_required

YES, NO = ("1", "true", "yes"), ("", "0", "false", "no")


@bp.post("/imports")
@token_required(*ADMINS)
def import_file():
    """Multipart `file` and `format` (a preset or saved mapping); `preview=1` writes nothing and answers the preview."""
    # first: it sets the size limit before the form is parsed
    name, data = read_upload("file", missing="send the file as the multipart field 'file'")
    format_name = request.form.get("format", "").strip()
    if not format_name:
        raise bad("format", "name a preset or a saved mapping (see python run.py mapping list)")
    preview = request.form.get("preview", request.args.get("preview", "")).strip().lower()
    if preview not in YES + NO:
        raise bad("preview", "1 for a dry run, 0 or absent to import")
    db = get_db()
    try:
        if preview in YES:
            return jsonify(marketplace.preview(db, name, data, format_name))
        return jsonify(marketplace.import_file(db, name, data, format_name, user=user_name()))
    except ImportFailed as failed:
        count = len(failed.errors)
        raise ServiceError("import_failed", f"{count} problem{'s' if count != 1 else ''} in {name}: nothing imported",
                           400, errors=failed.errors) from None
    except ArithmeticError:
        raise unreadable_number(name) from None
