"""One log line per request (station/logs.py): its id, the bench, the user, method and path, status
and milliseconds. Registered before every other hook, so a request turned away by sign-in or CSRF
checks is logged too."""
import time

from flask import g, request, session

from station import logs


def init_app(app):
    logs.configure(app.config["LOG_FORMAT"], app.config["LOG_FILE"])
    app.before_request_funcs.setdefault(None, []).insert(0, _start)
    app.after_request(_finish)


def _start():
    g.request_id = logs.new_request_id(request.headers.get("X-Request-Id"))
    g.request_started = time.perf_counter()


def _finish(response):
    request_id = g.get("request_id") or logs.new_request_id()
    started = g.get("request_started")
    response.headers["X-Request-Id"] = request_id
    user = g.get("user")  # what the request's own sign-in check found; never read again for the log
    logs.line("request", id=request_id,
              bench=session.get("station") or request.headers.get("X-Station") or None,
              user=user["name"] if user else None, method=request.method,
              path=logs.masked_path(request.path, request.query_string), status=response.status_code,
              ms=round((time.perf_counter() - started) * 1000, 1) if started else None)
    return response
