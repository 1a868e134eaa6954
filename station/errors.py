"""The one error type the service layer raises; views turn it into JSON or a flash."""


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
    return ServiceError("not_found", f"{what} {key!s} not found", 404)


def bad(field, message):
    """400 naming the field, as the contract requires for wrong types or values."""
    return ServiceError("bad_request", f"{field}: {message}", 400, field=field)


def conflict(code, message):
    return ServiceError(code, message, 409)
