"""The one error type the service layer raises; views turn it into JSON or a flash.

Messages are written in English and marked for translation (`_()` from flask_babel): inside a
screen's request they come out in the user's language, in the JSON API and on the command line in
English (station/web/i18n.py). The `code` never changes with the language.
"""
from flask_babel import gettext as _


class ServiceError(Exception):
    """A rejected request: nothing was changed. `status` is the HTTP status to answer."""

    def __init__(self, code, message, status=400, **extra):
        super().__init__(message)
        self.code = code
        self.message = message
        self.status = status
        self.extra = extra

    def as_dict(self):
        return {"error": {"code": self.code, "message": self.message, **self.extra}}


def not_found(what, key):
    """404 for `what` (an English noun marked with N_ where it is written: N_("order")) `key`."""
    return ServiceError("not_found", _("%(what)s %(key)s not found", what=_(what), key=key), 404)


def bad(field, message):
    """400 naming the field, as the contract requires for wrong types or values."""
    return ServiceError("bad_request", f"{field}: {message}", 400, field=field)


def conflict(code, message):
    return ServiceError(code, message, 409)
