"""The database handle: one per request, SQLite in WAL mode, writes in IMMEDIATE transactions."""
import contextlib
import fcntl
import os
import sqlite3
import subprocess
import sys
import threading

import sqlite_utils
from flask import current_app, g

BUSY_TIMEOUT_MS = 10_000


def connect(path):
    """Open the station database with the pragmas every connection needs."""
    # isolation_level=None: no implicit BEGIN from the sqlite3 module; every write
    # goes through write() below (or sqlite-utils' atomic()), so nothing is ever
    # left half-committed by a forgotten commit().
    conn = sqlite3.connect(
        str(path), isolation_level=None, check_same_thread=False, timeout=BUSY_TIMEOUT_MS / 1000
    )
    # journal_mode=WAL is stored in the file: set once when the app starts (migrate())
    # FULL: a committed decision survives a power cut (WAL + NORMAL could lose the
    # last transactions); measured at thousands of small transactions a second.
    conn.execute("PRAGMA synchronous=FULL")
    conn.execute("PRAGMA foreign_keys=ON")
    conn.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
    # statement journals (every upsert with a trigger or a foreign key writes one) in memory,
    # not in temp files: a 1,000,000-order import made 50,000 pwrite calls a second without it
    conn.execute("PRAGMA temp_store=MEMORY")
    # the no-label search compares names without accents and phones by their digits; name_key and
    # phone_key are what migration 0018's triggers store per customer (Latin spelling, phone forms)
    from station.intake.search_keys import digits, fold, name_key, phone_key

    conn.create_function("fold", 1, fold, deterministic=True)
    conn.create_function("digits", 1, digits, deterministic=True)
    conn.create_function("name_key", 1, name_key, deterministic=True)
    conn.create_function("phone_key", 2, phone_key, deterministic=True)
    # execute_plugins=False: no plugin discovery on every connection (we use none)
    db = sqlite_utils.Database(conn, execute_plugins=False)
    db.station_path = _key(path)
    return db


# Writers queue for a database file in turn instead of sleeping in SQLite's busy handler (which
# wakes on a timer, so the tail of a busy minute was writers asleep while the file was free).
# Within a process on a lock per file, re-entrant (a thread writing through a second connection of
# its own passes, as before); across processes (gunicorn's workers, `run.py worker`) on an flock
# of `<database>.writers`, which the kernel hands to the next waiter the moment it is released.
# Without it the writers of one process took the file turn after turn while another process's
# slept in the busy handler: 1,000 stations on two gunicorn processes waited up to 5 s.
# Programs that do not take it (a CLI import, sqlite3) still meet SQLite's own lock.
_WRITERS = {}
_WRITERS_GUARD = threading.Lock()


def _key(path):
    import os

    return os.path.realpath(str(path))


class _WriterTurn:
    """One process's turn at writing one database file: a re-entrant lock, and the file lock while held."""

    def __init__(self, path):
        self._lock = threading.RLock()
        self._path = None if path.startswith(":memory:") else f"{path}.writers"
        self._handle = None
        self._depth = 0

    def acquire(self, timeout=-1):
        if not self._lock.acquire(timeout=timeout):
            return False
        if self._depth == 0 and self._path is not None:
            try:
                if self._handle is None:
                    self._handle = open(self._path, "a")  # noqa: SIM115 - kept open for the process's life
                fcntl.flock(self._handle, fcntl.LOCK_EX)  # blocks with the GIL released
            except OSError:
                # a directory the station may not create files in: its processes meet SQLite's lock only
                self._path = None
                self._handle = None
        self._depth += 1
        return True

    def release(self):
        self._depth -= 1
        if self._depth == 0 and self._handle is not None:
            fcntl.flock(self._handle, fcntl.LOCK_UN)
        self._lock.release()

    def __enter__(self):
        self.acquire()
        return self

    def __exit__(self, *exc):
        self.release()


def _writer_lock(db):
    path = getattr(db, "station_path", None)
    if path is None:  # a handle made elsewhere (sqlite_utils.Database over a sqlite3 connection)
        row = db.conn.execute("PRAGMA database_list").fetchone()
        path = _key(row[2]) if row and row[2] else f":memory:{id(db.conn)}"
        try:
            db.station_path = path
        except AttributeError:
            pass
    key = (os.getpid(), path)  # a forked process (gunicorn --preload) opens its own lock file
    with _WRITERS_GUARD:
        lock = _WRITERS.get(key)
        if lock is None:
            lock = _WRITERS[key] = _WriterTurn(path)
    return lock


_WARM_READER = """
import os, sys
with open(sys.argv[1], "rb") as f:
    if hasattr(os, "posix_fadvise"):
        os.posix_fadvise(f.fileno(), 0, 0, os.POSIX_FADV_WILLNEED)
    while f.read(1 << 20):
        pass
"""


def warm_cache(path, background=True):
    """Read the database file once so its pages sit in the OS page cache.

    A station that restarts in the morning would otherwise pay a disk read for every page
    the first hundreds of lookups touch (measured: carton lookup p50 1.7 ms cold against
    0.15 ms warm on a 1,000,000-order file). Sequential reading of a few hundred MB takes
    seconds; the server answers meanwhile. Returns the thread (or None when run inline).

    The file is read by a child process, never opened here: POSIX record locks belong to
    the process, and closing *any* descriptor of the file drops every lock SQLite holds on
    it. The next program to open and close the database would then find no other user,
    delete the WAL, and leave the server writing decisions into a deleted file.
    """
    proc = subprocess.Popen([sys.executable, "-c", _WARM_READER, str(path)],
                            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    if not background:
        proc.wait()
        return None
    thread = threading.Thread(target=proc.wait, name="db-warm", daemon=True)  # reaps the child
    thread.start()
    return thread


def migrate(path):
    """Start-up: WAL mode (persistent in the file) and any pending migrations."""
    from station import migrations

    db = connect(path)
    try:
        db.conn.execute("PRAGMA journal_mode=WAL")
        migrations.apply(db)
    finally:
        db.close()


@contextlib.contextmanager
def write(db, savepoint=True):
    """One transaction for one user action; BEGIN IMMEDIATE takes the write lock up front.

    Deferred transactions that read then write can fail with SQLITE_BUSY when two
    stations upgrade at once; IMMEDIATE makes the second one wait its turn instead.
    Nested calls become savepoints; with savepoint=False a nested call joins the caller's
    transaction as it is (two statements fewer), for a step whose failure is always the whole
    action's (nobody catches it inside the transaction to carry on).
    """
    if db.conn.in_transaction:
        if not savepoint:
            yield db
            return
        with db.atomic():
            yield db
        return
    lock = _writer_lock(db)
    if not lock.acquire(timeout=BUSY_TIMEOUT_MS / 1000):
        raise sqlite3.OperationalError("database is locked (other writers of this process held it too long)")
    try:
        with _immediate(db):
            yield db
    finally:
        lock.release()


@contextlib.contextmanager
def _immediate(db):
    """BEGIN IMMEDIATE ... COMMIT, or ROLLBACK on any exception."""
    db.conn.execute("BEGIN IMMEDIATE")
    try:
        yield db
    except BaseException:
        if db.conn.in_transaction:
            db.conn.execute("ROLLBACK")
        raise
    else:
        db.conn.execute("COMMIT")


# One connection per server thread, reused request after request: opening a connection
# and setting its pragmas costs more than a whole carton lookup. Each request still gets
# exactly one handle (on g), and teardown rolls back anything a failed request left open.
_local = threading.local()
_CACHED_PATHS = 4


def get_db():
    """The request's database handle (this thread's connection to the app's database)."""
    if "db" not in g:
        path = current_app.config["DATABASE"]
        cache = _local.__dict__.setdefault("dbs", {})
        db = cache.pop(path, None) or connect(path)
        cache[path] = db  # most recently used last
        while len(cache) > _CACHED_PATHS:
            cache.pop(next(iter(cache))).close()
        # SQL_TRACE (tests only, not a setting): a callable handed every statement this request
        # runs (sqlite3's trace callback), or None, which also clears one a former request set
        db.conn.set_trace_callback(current_app.config.get("SQL_TRACE"))
        g.db = db
    return g.db


def close_db(exc=None):
    db = g.pop("db", None)
    if db is not None and db.conn.in_transaction:
        db.conn.execute("ROLLBACK")


def init_app(app):
    app.teardown_appcontext(close_db)


def one(db, sql, params=()):
    """The first row of a query as a dict, or None."""
    cursor = db.conn.execute(sql, params)
    row = cursor.fetchone()
    if row is None:
        return None
    return dict(zip([c[0] for c in cursor.description], row))


def rows(db, sql, params=()):
    """All rows of a query as dicts."""
    cursor = db.conn.execute(sql, params)
    names = [c[0] for c in cursor.description]
    return [dict(zip(names, row)) for row in cursor.fetchall()]
