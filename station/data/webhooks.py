"""Webhooks: the event feed pushed to subscribers, HMAC-signed, in order, at least once."""
import hashlib
import hmac
import json
import logging
import secrets
import threading
import time
import urllib.error
import urllib.request
from datetime import timedelta
from urllib.parse import urlparse

from flask_babel import gettext as _

from station import logs
from station.inputs import db_id
from station.db import connect, one, rows, write
from station.errors import ServiceError, bad, not_found
from station.events import feed
from station.languages import N_
from station.timeutil import iso, now, now_iso

log = logging.getLogger(__name__)
BATCH = 100
MAX_BACKOFF_S = 3600
SIGNATURE_HEADER = "X-Station-Signature"


def add(db, name, url, secret=None):
    """Register a subscriber; it receives every event from now on (and those after `delivered_seq`)."""
    if not isinstance(name, str) or not name.strip() or len(name) > 100:
        raise bad("name", _("a name is required"))
    if not isinstance(url, str) or any(ord(c) <= 32 or 127 <= ord(c) <= 159 for c in url):
        # CR/LF in a URL would be a header injected into the request the dispatcher sends
        raise bad("url", _("must be an http or https URL without spaces or control characters"))
    parsed = urlparse(url)
    if parsed.scheme not in ("http", "https") or not parsed.netloc or len(url) > 2000:
        raise bad("url", _("must be an http or https URL"))
    secret = secret or secrets.token_hex(32)
    if not isinstance(secret, str) or len(secret) < 16:
        raise bad("secret", _("must be at least 16 characters"))
    last = db.execute("SELECT coalesce(max(seq), 0) FROM events").fetchone()[0]
    with write(db):
        if one(db, "SELECT 1 FROM webhooks WHERE name = ?", [name.strip()]):
            raise ServiceError("exists", _("a webhook named %(name)s exists", name=name), 409)
        cursor = db.execute(
            "INSERT INTO webhooks (name, url, secret, delivered_seq, created_at) VALUES (?, ?, ?, ?, ?)",
            [name.strip(), url, secret, last, now_iso()],
        )
    return {**status(db)[-1], "secret": secret} if cursor.lastrowid else None


def status(db):
    """Every subscriber with how far it got and its failures (what the admin sees)."""
    last = db.execute("SELECT coalesce(max(seq), 0) FROM events").fetchone()[0]
    hooks = rows(db, "SELECT w.webhook_id, w.name, w.url, w.active, w.delivered_seq, w.failures, w.last_error, "
                     "w.last_attempt_at, w.next_attempt_at, w.created_at, e.type AS delivered_type, e.at AS delivered_event_at "
                     "FROM webhooks w LEFT JOIN events e ON e.seq = w.delivered_seq ORDER BY w.webhook_id")
    for hook in hooks:
        hook["behind"] = last - hook["delivered_seq"]
    return hooks


def _hook(db, webhook_id):
    webhook_id = db_id(webhook_id, "webhook")
    hook = one(db, "SELECT * FROM webhooks WHERE webhook_id = ?", [webhook_id])
    if hook is None:
        raise not_found(N_("webhook"), webhook_id)
    return hook


def set_active(db, webhook_id, active):
    """Pause or resume a subscriber; a paused one keeps its place and catches up when resumed."""
    with write(db):
        hook = _hook(db, webhook_id)
        db.execute("UPDATE webhooks SET active = ?, next_attempt_at = NULL WHERE webhook_id = ?",
                   [1 if active else 0, hook["webhook_id"]])
    return hook["name"]


def retry_now(db, webhook_id):
    """Skip the backoff wait: the dispatcher tries this subscriber on its next round."""
    with write(db):
        hook = _hook(db, webhook_id)
        db.execute("UPDATE webhooks SET next_attempt_at = NULL WHERE webhook_id = ?", [hook["webhook_id"]])
    return hook["name"]


def sign(secret, body):
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def deliver(db, hook, timeout=5):
    """POST the next batch of events to one subscriber; the cursor moves only on a 2xx."""
    batch = feed(db, hook["delivered_seq"], BATCH)
    if not batch["events"]:
        return 0
    started = time.perf_counter()
    body = json.dumps(batch, ensure_ascii=False).encode()
    request = urllib.request.Request(
        hook["url"], data=body, method="POST",
        headers={"Content-Type": "application/json", SIGNATURE_HEADER: sign(hook["secret"], body),
                 "X-Station-Events": f"{batch['events'][0]['seq']}-{batch['next']}"},
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            ok, error = 200 <= response.status < 300, f"HTTP {response.status}"
    except urllib.error.HTTPError as exc:
        ok, error = False, f"HTTP {exc.code}"
    except Exception as exc:  # refused, time-out, DNS: all just a failed attempt
        ok, error = False, f"{type(exc).__name__}: {exc}"[:300]
    with write(db):
        if ok:
            db.execute("UPDATE webhooks SET delivered_seq = ?, failures = 0, last_error = NULL, last_attempt_at = ?, "
                       "next_attempt_at = NULL WHERE webhook_id = ? AND delivered_seq = ?",
                       [batch["next"], now_iso(), hook["webhook_id"], hook["delivered_seq"]])
        else:
            failures = hook["failures"] + 1
            delay = min(2 ** failures, MAX_BACKOFF_S)  # exponential backoff, capped at an hour
            db.execute("UPDATE webhooks SET failures = ?, last_error = ?, last_attempt_at = ?, next_attempt_at = ? "
                       "WHERE webhook_id = ?",
                       [failures, error, now_iso(), iso(now() + timedelta(seconds=delay)), hook["webhook_id"]])
    # the subscriber's name only: its URL may carry credentials
    logs.job("webhook", "delivered" if ok else "failed", started, webhook=hook["name"], events=len(batch["events"]),
             error=None if ok else error)
    return len(batch["events"]) if ok else -1


def deliver_due(db):
    """One round over the active subscribers that are due; returns events delivered."""
    delivered = 0
    for hook in rows(db, "SELECT * FROM webhooks WHERE active = 1 AND (next_attempt_at IS NULL OR next_attempt_at <= ?)",
                     [now_iso()]):
        sent = deliver(db, hook)
        delivered += max(sent, 0)
    return delivered


def start_dispatcher(db_path, interval=2.0):
    """A daemon thread that keeps subscribers up to date while the server runs."""
    stop = threading.Event()

    def loop():
        db = connect(db_path)
        while not stop.is_set():
            try:
                while deliver_due(db) > 0 and not stop.is_set():
                    pass
            except Exception:
                log.exception("webhook delivery round failed")
            stop.wait(interval)
        db.close()

    threading.Thread(target=loop, name="webhooks", daemon=True).start()
    return stop
