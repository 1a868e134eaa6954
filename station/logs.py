"""The station's log: one line per request and one per background job, for the supervisor or admin
who asks "what happened at bench-3 at 10:42?".

Each line has the time (UTC), a request id (also sent back as `X-Request-Id`, or taken from the
proxy's `X-Request-Id` when it is a plain token), the bench, the user, what was asked or done, the
outcome and the milliseconds. Text by default; JSON lines with `LOG_FORMAT` = `json`. Written to
stderr, or appended to `LOG_FILE`. No secrets: headers, cookies, bodies and PINs are never logged;
a query parameter or a path part that is a key (`token`, the floor display's token in its URL) is
written as `***`.
"""
import json
import logging
import re
import sys
import threading
import time
import uuid

from station.timeutil import now_iso

logger = logging.getLogger("station.log")
logger.propagate = False
logger.setLevel(logging.INFO)
_guard = threading.Lock()
_target = None  # (format, file) the handler was made for

_SECRET_PARAMS = re.compile(r"(?i)^(token|access_token|pin|password|secret|key|api_key)$")
_SECRET_PATHS = (re.compile(r"^(/reports/floor/)[^/?]+"),)  # a wall display's key is its URL
_GOOD_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")


def configure(fmt="text", path=""):
    """Where and how lines go; called by create_app (the latest app's settings win in a process)."""
    global _target
    with _guard:
        if _target == (fmt, path):
            return
        for handler in list(logger.handlers):
            logger.removeHandler(handler)
            handler.close()
        handler = logging.FileHandler(path, encoding="utf-8") if path else logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(message)s"))
        logger.addHandler(handler)
        _target = (fmt, path)


def new_request_id(offered=None):
    """The proxy's id when it is a plain token (letters, digits, . _ -, at most 64), else a new one."""
    if offered and _GOOD_ID.match(offered):
        return offered
    return uuid.uuid4().hex[:16]


def masked_path(path, query_string=b""):
    """The path and query as logged: keys in either replaced by ***."""
    for pattern in _SECRET_PATHS:
        path = pattern.sub(r"\1***", path)
    if not query_string:
        return path
    query = query_string.decode("latin-1") if isinstance(query_string, bytes) else query_string
    parts = []
    for part in query.split("&"):
        name, eq, _value = part.partition("=")
        parts.append(f"{name}=***" if eq and _SECRET_PARAMS.match(name) else part)
    return f"{path}?{'&'.join(parts)}"


def line(kind, **fields):
    """One line: `kind` is "request" or "job"; fields whose value is None are left out."""
    record = {"at": now_iso(), "kind": kind, **{k: v for k, v in fields.items() if v is not None}}
    if (_target or ("text",))[0] == "json":
        text = json.dumps(record, ensure_ascii=False, default=str)
    else:
        text = " ".join([record.pop("at"), record.pop("kind")] + [f"{k}={_quoted(v)}" for k, v in record.items()])
    if not logger.handlers:
        configure()
    logger.info(text)


_PLAIN = re.compile(r"[!#-<>-~]+\Z")  # printable ASCII but space, '"' and '=': most values, at once


def _quoted(value):
    text = str(value)
    if _PLAIN.match(text):
        return text
    if text == "" or any(c.isspace() or c in '"=' or not c.isprintable() for c in text):
        return json.dumps(text, ensure_ascii=False)
    return text


def job(name, outcome, started, **fields):
    """A background job's line: its name (print, webhook, close-parcels, backup), what came of it
    ("sent", "failed", "closed"), and the ms since `started` (time.perf_counter())."""
    line("job", job=name, outcome=outcome, ms=round((time.perf_counter() - started) * 1000, 1), **fields)
