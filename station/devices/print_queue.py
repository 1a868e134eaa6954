"""The print queue: labels for network and CUPS printers survive a printer that is off.

A label is a row in `print_jobs` (migration 0006) before any byte goes out. The worker thread
(`start_worker`, started by `run.py serve`) sends each printer's jobs in order, oldest first;
a printer that does not take a job keeps it and all its later jobs queued and is tried again
after 1, 2, 4 ... seconds (at most `retry_max_s`). "Retry now" and a new job wake the worker.

Exactly once: a job is claimed (queued -> sending) in one transaction before it is sent and
marked sent in another after the printer took the bytes, so two workers, or the worker and a
"retry now" from the devices page, never send the same job. A process that dies between the
two leaves the job `sending`; the next worker start puts it back in the queue (that one label
may then print twice - better than not at all).

    job_id = enqueue(db, bench="bench-1", printer="zpl://10.0.0.31:9100", payload=zpl,
                     description="RESTOCK RI-12 (4x6)", item_id=12)
    deliver_due(db)        # what the worker does every round
"""
import logging
import threading
import time
from datetime import timedelta

from flask_babel import gettext as _

from station import logs
from station.inputs import maybe_id
from station.db import connect, one, rows, write
from station.timeutil import iso, now, now_iso

from hardware.printers import PrinterError, PrinterStatus, printer_for
from hardware.registry import detail
from station.languages import N_

log = logging.getLogger(__name__)

__all__ = ["enqueue", "deliver_due", "retry_now", "cancel", "reprint", "pending", "recent",
           "printer_summary", "start_worker", "wake", "backoff", "PrinterDevice", "BrowserPrinterDevice"]

_wake = threading.Event()
_locks: dict[str, threading.Lock] = {}
_locks_guard = threading.Lock()


def wake():
    """Tell the worker there is something to send now."""
    _wake.set()


def _printer_lock(printer):
    with _locks_guard:
        return _locks.setdefault(printer, threading.Lock())


def backoff(attempts, retry_max_s=60.0):
    """Seconds to wait after the `attempts`-th failure: 1, 2, 4, ... at most retry_max_s."""
    return float(min(retry_max_s, 2 ** max(0, attempts - 1)))


def enqueue(db, *, bench, printer, payload, description, item_id=None, user=None):
    """Queue one label (ZPL text) for `printer`; due at once. Answers the job id."""
    with write(db):
        cur = db.conn.execute(
            "INSERT INTO print_jobs (bench, printer, item_id, description, payload, next_attempt_at, created_at, "
            "created_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            [bench, printer, item_id, description, payload, time.time(), now_iso(), user],
        )
        job_id = cur.lastrowid
    wake()
    return job_id


def queued_lately(db, item_id, minutes=5):
    """Whether a label of item `item_id` was queued in the last `minutes` (whatever became of it)."""
    since = iso(now() - timedelta(minutes=minutes))
    return one(db, "SELECT 1 FROM print_jobs WHERE item_id = ? AND created_at >= ?", [item_id, since]) is not None


def reprint(db, job_id, user=None):
    """A new job with the same label as job `job_id` (answers its id; None if no such job)."""
    if maybe_id(job_id) is None:
        return None
    job = one(db, "SELECT bench, printer, item_id, description, payload FROM print_jobs WHERE job_id = ?", [job_id])
    if job is None:
        return None
    description = job["description"] if job["description"].startswith("Reprint") else f"Reprint {job['description']}"
    return enqueue(db, bench=job["bench"], printer=job["printer"], payload=job["payload"],
                   description=description, item_id=job["item_id"], user=user)


def retry_now(db, printer):
    """Make `printer`'s queued jobs due now (the devices page's "Retry now"); answers how many."""
    with write(db):
        n = db.conn.execute("UPDATE print_jobs SET next_attempt_at = ? WHERE printer = ? AND status = 'queued'",
                            [time.time(), printer]).rowcount
    wake()
    return n


def cancel(db, job_id):
    """Drop a queued job (it will not print); answers whether it was still queued."""
    if maybe_id(job_id) is None:
        return False
    with write(db):
        return db.conn.execute("UPDATE print_jobs SET status = 'cancelled' WHERE job_id = ? AND status = 'queued'",
                               [job_id]).rowcount == 1


def deliver_due(db, *, printer=None, timeout=5.0, retry_max_s=60.0, clock=time.time, driver_for=printer_for):
    """Send every due job, printer by printer, oldest first; answers how many were sent.

    A printer whose oldest queued job is not due yet is left alone (its jobs stay in order).
    On a failure that job gets the next backoff and the printer's later jobs wait for it.
    """
    sent = 0
    sql = "SELECT DISTINCT printer FROM print_jobs WHERE status = 'queued'"
    params = []
    if printer is not None:
        sql += " AND printer = ?"
        params.append(printer)
    for (name,) in db.conn.execute(sql, params).fetchall():
        lock = _printer_lock(name)
        if not lock.acquire(blocking=False):
            continue  # someone is sending to this printer right now
        try:
            sent += _deliver_printer(db, name, timeout, retry_max_s, clock, driver_for)
        finally:
            lock.release()
    return sent


def _deliver_printer(db, name, timeout, retry_max_s, clock, driver_for):
    sent = 0
    while True:
        job = one(db, "SELECT job_id, bench, payload, attempts, next_attempt_at FROM print_jobs "
                      "WHERE printer = ? AND status = 'queued' ORDER BY job_id LIMIT 1", [name])
        if job is None or job["next_attempt_at"] > clock():
            return sent
        with write(db):
            claimed = db.conn.execute("UPDATE print_jobs SET status = 'sending' WHERE job_id = ? AND status = 'queued'",
                                      [job["job_id"]]).rowcount
        if not claimed:
            continue  # cancelled or taken in between
        attempts = job["attempts"] + 1
        started = time.perf_counter()
        try:
            driver_for(name, timeout=timeout).print_label(job["payload"])
        except (PrinterError, OSError) as exc:
            with write(db):
                db.conn.execute(
                    "UPDATE print_jobs SET status = 'queued', attempts = ?, last_error = ?, next_attempt_at = ? "
                    "WHERE job_id = ?",
                    [attempts, str(exc)[:500], clock() + backoff(attempts, retry_max_s), job["job_id"]])
            logs.job("print", "failed", started, id=job["job_id"], bench=job["bench"], printer=name, attempt=attempts,
                     error=str(exc)[:200])
            return sent
        with write(db):
            db.conn.execute("UPDATE print_jobs SET status = 'sent', attempts = ?, sent_at = ?, last_error = NULL "
                            "WHERE job_id = ?", [attempts, now_iso(), job["job_id"]])
        logs.job("print", "sent", started, id=job["job_id"], bench=job["bench"], printer=name, attempt=attempts)
        sent += 1


def pending(db, printer):
    return db.conn.execute("SELECT count(*) FROM print_jobs WHERE printer = ? AND status IN ('queued', 'sending')",
                           [printer]).fetchone()[0]


def recent(db, printer=None, bench=None, limit=5):
    """The latest jobs, newest first (for the devices page)."""
    where, params = [], []
    if printer is not None:
        where.append("printer = ?")
        params.append(printer)
    if bench is not None:
        where.append("bench = ?")
        params.append(bench)
    sql = ("SELECT job_id, bench, printer, item_id, description, status, attempts, last_error, created_at, sent_at "
           "FROM print_jobs" + (" WHERE " + " AND ".join(where) if where else "") + " ORDER BY job_id DESC LIMIT ?")
    return rows(db, sql, params + [limit])


def printer_summary(db, printer):
    """Queue length, the last error of a job still waiting, the last time a job went out."""
    waiting = one(db, "SELECT count(*) AS n, min(next_attempt_at) AS next_at FROM print_jobs "
                      "WHERE printer = ? AND status IN ('queued', 'sending')", [printer])
    error = one(db, "SELECT last_error FROM print_jobs WHERE printer = ? AND status = 'queued' "
                    "AND last_error IS NOT NULL ORDER BY job_id LIMIT 1", [printer])
    last_sent = one(db, "SELECT max(sent_at) AS at FROM print_jobs WHERE printer = ? AND status = 'sent'", [printer])
    return {"queue": waiting["n"], "next_attempt_at": waiting["next_at"],
            "last_error": error["last_error"] if error else None, "last_sent": last_sent["at"]}


def start_worker(db_path, *, interval=1.0, timeout=5.0, retry_max_s=60.0):
    """A daemon thread that sends queued labels while the server runs; answers its stop event."""
    stop = threading.Event()
    db = connect(db_path)
    with write(db):  # a process that died mid-send left jobs claimed: queue them again
        db.conn.execute("UPDATE print_jobs SET status = 'queued' WHERE status = 'sending'")

    def loop():
        while not stop.is_set():
            _wake.clear()
            try:
                deliver_due(db, timeout=timeout, retry_max_s=retry_max_s)
            except Exception:
                log.exception("print queue round failed")
            # sleep until the next job is due, a new job arrives, or `interval` passes
            _wake.wait(_until_next(db, interval))
        db.close()

    threading.Thread(target=loop, name="print-queue", daemon=True).start()
    stop_event = _Stop(stop)
    return stop_event


class _Stop:
    """stop.set() ends the worker promptly (it may be waiting on the wake event)."""

    def __init__(self, event):
        self._event = event

    def set(self):
        self._event.set()
        wake()

    def is_set(self):
        return self._event.is_set()


def _until_next(db, interval):
    try:
        row = db.conn.execute("SELECT min(next_attempt_at) FROM print_jobs WHERE status = 'queued'").fetchone()
    except Exception:
        return interval
    if row[0] is None:
        return interval
    return max(0.01, min(interval, row[0] - time.time()))


# --- devices for the registry (hardware/registry.py) ---------------------------------------

# (state, detail): the detail in English, marked for the devices page, which translates it
_STATE = {
    PrinterStatus.READY: ("ok", N_("ready")),
    PrinterStatus.PRINTING: ("ok", N_("printing")),
    PrinterStatus.PAUSED: ("error", N_("paused")),
    PrinterStatus.PAPER_OUT: ("error", N_("paper out")),
    PrinterStatus.RIBBON_OUT: ("error", N_("ribbon out")),
    PrinterStatus.HEAD_OPEN: ("error", N_("head open")),
    PrinterStatus.FAULT: ("error", N_("fault (no answer to ~HS, or temperature)")),
    PrinterStatus.OFFLINE: ("offline", N_("offline")),
}


class PrinterDevice:
    """A bench's ZPL or CUPS printer with its queue, as the devices page sees it."""

    kind = "printer"
    actions = ("retry", "test_print")
    CACHE_S = 3.0  # a devices page refreshing every few seconds polls each printer at most this often

    def __init__(self, bench, url, db_path, *, timeout=3.0, label_size="4x6", dpi=203):
        self.bench = bench
        self.name = url
        self.url = url
        self.db_path = db_path
        self.timeout = timeout
        self.label_size = label_size
        self.dpi = dpi
        self._last = None  # (monotonic time, PrinterStatus)
        self._last_seen = None
        self._guard = threading.Lock()

    def printer_status(self):
        """The printer's PrinterStatus, polled (~HS for ZPL) at most every CACHE_S seconds."""
        with self._guard:
            if self._last and time.monotonic() - self._last[0] < self.CACHE_S:
                return self._last[1]
        status = printer_for(self.url, timeout=self.timeout).status()
        with self._guard:
            self._last = (time.monotonic(), status)
            if status is not PrinterStatus.OFFLINE:
                self._last_seen = now_iso()
        return status

    def status(self):
        status = self.printer_status()
        state, said = _STATE[status]
        parts = [(said, {})]
        db = connect(self.db_path)
        try:
            summary = printer_summary(db, self.url)
        finally:
            db.close()
        if summary["queue"]:
            parts.append((N_("%(n)s waiting"), {"n": summary["queue"]}))
            if state == "ok" and summary["last_error"]:
                state = "error"  # answers ~HS but refused the last attempt
        return {"state": state, **detail(*parts), "last_seen": self._last_seen, "printer": status.value,
                "queue": summary["queue"], "last_error": summary["last_error"], "last_sent": summary["last_sent"]}

    def act(self, action, user=None):
        """"retry": make the queue due now; "test_print": queue a test label. Answers a message."""
        db = connect(self.db_path)
        try:
            if action == "retry":
                n = retry_now(db, self.url)
                with self._guard:
                    self._last = None  # poll again on the next look
                return _("%(n)s label(s) to send now", n=n) if n else _("Nothing waiting")
            if action == "test_print":
                # the description is kept with the job (English, like the label itself)
                enqueue(db, bench=self.bench, printer=self.url, payload=test_label(self, user),
                        description=f"Test print ({self.label_size}, {self.dpi} dpi)", user=user)
                return _("Test label queued")
        finally:
            db.close()
        raise ValueError(f"unknown action {action!r}")


def test_label(device, user=None):
    import re

    from hardware.printers import zpl_label

    return zpl_label("TEST-" + (re.sub(r"[^A-Z0-9-]+", "-", device.bench.upper())[:12] or "BENCH"),
                     [f"{device.url}", f"{device.label_size} in · {device.dpi} dpi"][: 1 if device.label_size == "2x1" else 2],
                     title="TEST PRINT", size=device.label_size, dpi=device.dpi)


class BrowserPrinterDevice:
    """A bench that prints the label page from its browser: nothing the server can ask."""

    kind = "printer"
    actions = ()

    def __init__(self, bench):
        self.bench = bench
        self.name = "browser"

    def status(self):
        return {"state": "unknown", **detail((N_("prints from the bench's browser (label page)"), {})), "last_seen": None}
