"""The database handle: one per request, SQLite in WAL mode, writes in IMMEDIATE transactions."""
import contextlib
import fcntl
import os
import sqlite3
import subprocess
import sys
import threading
import time

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
# The bench's actions go further and share commits (write(db, group=True), _Member below): at
# 1,000 stations on gunicorn the p99 of every call went from ~245 ms (median of 6 runs) to ~107 ms.
_WRITERS = {}
_WRITERS_GUARD = threading.Lock()


def _key(path):
    import os

    return os.path.realpath(str(path))


# While a thread of this process holds the write turn (or waits at the file lock with it in hand),
# every other writer of the site waits for it; but each statement it runs lets go of the interpreter
# lock (SQLite works with it released) and, to get it back from a thread busy with another request,
# waits up to the switch interval, 5 ms by default: a write of ten statements could hold the turn for
# tens of milliseconds. So the process switches threads every 0.2 ms meanwhile, and at the default
# again when the turn is let go. Measured at 1,000 stations on gunicorn 4x8, runs in turn with the
# code before (benchmarks/README "Stations over HTTP"): the turn held p99 15-23 -> 12-17 ms; the calls'
# p99 after the first interval 87-119 -> 45-87 ms (8 runs each); on a site started before the
# stations came, within the machine's noise (worst p99 median ~68 -> ~62 ms, 10 runs each).
QUICK_SWITCH_SECONDS = 0.0002
_switching_guard = threading.Lock()
_switching_turns = 0  # turns of this process held now
_switching_default = sys.getswitchinterval()


def _quick_switching(step):
    global _switching_turns, _switching_default
    with _switching_guard:
        if _switching_turns == 0 and step > 0:
            _switching_default = sys.getswitchinterval()  # the process's own, should it have set one
        _switching_turns += step
        sys.setswitchinterval(QUICK_SWITCH_SECONDS if _switching_turns > 0 else _switching_default)


class _WriterTurn:
    """One process's turn at writing one database file: a re-entrant lock, and the file lock while
    held (or while a group commit is open), and the group commit (write(db, group=True))."""

    def __init__(self, path):
        self._lock = threading.RLock()
        self._memory = path.startswith(":memory:")
        self._db_path = path
        self._path = None if self._memory else f"{path}.writers"
        self._handle = None
        self._flocked = False
        self._depth = 0
        self._waiting = 0  # threads asleep in acquire(): the next members of an open group
        self._guard = threading.Lock()
        self._writer = None  # the connection a group's members write through
        self.group = None  # the open group commit, or None
        self._quick = False  # this turn counted in _quick_switching

    def acquire(self, timeout=-1):
        with self._guard:
            self._waiting += 1
        try:
            if not self._lock.acquire(timeout=timeout):
                return False
        finally:
            with self._guard:
                self._waiting -= 1
        if self._depth == 0 and not self._quick:
            self._quick = True
            _quick_switching(+1)
        if self._depth == 0 and self._path is not None and not self._flocked:
            try:
                if self._handle is None:
                    self._handle = open(self._path, "a")  # noqa: SIM115 - kept open (close_if_idle)
                fcntl.flock(self._handle, fcntl.LOCK_EX)  # blocks with the GIL released
                self._flocked = True
            except OSError:
                # a directory the station may not create files in: its processes meet SQLite's lock only
                self._path = None
                self._handle = None
        self._depth += 1
        return True

    def release(self):
        self._depth -= 1
        if self._depth == 0 and self.group is None:
            if self._flocked:
                fcntl.flock(self._handle, fcntl.LOCK_UN)
                self._flocked = False
            if self._quick:
                self._quick = False
                _quick_switching(-1)
        self._lock.release()

    def __enter__(self):
        self.acquire()
        return self

    def __exit__(self, *exc):
        self.release()

    @property
    def depth(self):
        return self._depth

    def others_waiting(self):
        return self._waiting > 0

    def can_group(self):
        return not self._memory

    def writer(self):
        """The group's sqlite3 connection (made with connect(): the same pragmas and functions)."""
        if self._writer is None:
            self._writer = connect(self._db_path).conn
        return self._writer

    def close_if_idle(self):
        """Close the group connection and the lock file while no thread holds or waits for the turn
        (both are opened again when it is next taken)."""
        if not self._lock.acquire(blocking=False):
            return
        try:
            if self._depth or self.group is not None or self._waiting:
                return
            if self._writer is not None:
                self._writer.close()
                self._writer = None
            if self._handle is not None and not self._flocked:
                self._handle.close()
                self._handle = None
        finally:
            self._lock.release()

    def flush(self, trace=None):
        """Commit the open group (with the lock held): before a write on another connection."""
        if self.group is not None:
            self.end_group(commit=True, trace=trace)

    def end_group(self, commit, trace=None):
        """COMMIT (or ROLLBACK) the open group, with the lock held; its members are told."""
        group, conn = self.group, self._writer
        try:
            if commit and conn.in_transaction:
                conn.set_trace_callback(trace)
                try:
                    conn.execute("COMMIT")
                finally:
                    conn.set_trace_callback(None)
        except sqlite3.Error as exc:
            group.error = exc
        finally:
            try:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
            finally:
                self.group = None
                group.done.set()


# a group commits when nobody else is waiting, or at 32 members, or 20 ms after its first was done
GROUP_MAX_MEMBERS = 32
GROUP_MAX_SECONDS = 0.02


class _Group:
    """Writes of one process committed together: one fsync for several user actions."""

    def __init__(self):
        self.done = threading.Event()
        self.error = None
        self.members = 0  # done with their statements, waiting for the COMMIT
        self.started = None  # when the first of them was done

    def full(self):
        return self.members >= GROUP_MAX_MEMBERS or time.monotonic() - self.started >= GROUP_MAX_SECONDS

    def outcome(self):
        """Raise the group's failure in a member's thread: nothing of the member was saved."""
        if self.error is not None:
            raise sqlite3.OperationalError(f"{self.error} (the write was rolled back)")


class _Member:
    """One user action's write inside a group commit (write(db, group=True)); entered with the
    turn's lock held, it releases it.

    Its statements run through the group's connection (the handle's own is put back after): the
    first member opens the transaction, the next ones are savepoints in it. When it is done and
    another writer of the process is waiting, the group stays open for that one; the last (or the
    32nd, or after 20 ms) commits it for all. A member whose action fails is rolled back alone.
    write() returns only after the group's COMMIT: an acknowledged action is durable."""

    def __init__(self, turn, db):
        self.turn, self.db = turn, db

    def __enter__(self):
        turn = self.turn
        self.first = turn.group is None
        if self.first:
            turn.group = _Group()
        self.group = turn.group
        self.writer = turn.writer()
        self.trace = getattr(self.db, "trace", None)
        self.saved = self.db.conn
        self.db.conn = self.writer
        self.writer.set_trace_callback(self.trace)
        try:
            self.writer.execute("BEGIN IMMEDIATE" if self.first else "SAVEPOINT member")
        except BaseException:
            self._put_back()
            if self.first:
                turn.group = None
                self.group.done.set()
            turn.release()
            raise
        return self.db

    def _put_back(self):
        self.writer.set_trace_callback(None)
        self.db.conn = self.saved

    def __exit__(self, exc_type, exc, tb):
        turn, writer, group = self.turn, self.writer, self.group
        try:
            if exc_type is None:
                if not self.first:
                    writer.execute("RELEASE member")
                if group.members == 0:
                    group.started = time.monotonic()  # the first acknowledgement waits from now
                group.members += 1
            elif self.first:
                if writer.in_transaction:
                    writer.execute("ROLLBACK")
            elif writer.in_transaction:
                writer.execute("ROLLBACK TO member")
                writer.execute("RELEASE member")
            else:  # the failure ended the whole transaction: the members before lost theirs too
                group.error = exc
        except sqlite3.Error as failed:
            group.error = group.error or failed
        # the group's fate, decided with the lock held
        left_open = False
        try:
            if group.error is not None or not writer.in_transaction:
                turn.end_group(commit=False)
            elif turn.others_waiting() and not group.full():
                left_open = True  # the file lock stays held while the group is open
            else:
                turn.end_group(commit=True, trace=self.trace)
        finally:
            self._put_back()
            turn.release()
        if exc_type is None:
            if left_open:
                self._wait(group)
            group.outcome()
        return False

    def _wait(self, group):
        # the next member commits; should it never come (it gave up waiting), commit it ourselves
        while not group.done.wait(0.5):
            with self.turn:
                if self.turn.group is group:
                    self.turn.end_group(commit=True)


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
            # a process that wrote many database files (the test suite, a script) keeps open files
            # for the last few only: descriptors past 1,023 break select() (pyserial's)
            for older in list(_WRITERS.values())[:-_CACHED_PATHS]:
                older.close_if_idle()
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
def write(db, savepoint=True, group=False):
    """One transaction for one user action; BEGIN IMMEDIATE takes the write lock up front.

    Deferred transactions that read then write can fail with SQLITE_BUSY when two
    stations upgrade at once; IMMEDIATE makes the second one wait its turn instead.
    Nested calls become savepoints; with savepoint=False a nested call joins the caller's
    transaction as it is (two statements fewer), for a step whose failure is always the whole
    action's (nobody catches it inside the transaction to carry on).

    group=True: the action may share its COMMIT (its fsync) with the process's other writers
    waiting at that moment (_Member): for the bench's actions, whose bodies only read and write
    through `db`. Other writers commit an open group before they begin.
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
    if group and lock.depth == 1 and lock.can_group():
        with _Member(lock, db):
            yield db
        return
    if lock.depth > 1 and lock.group is not None:
        # a second handle of a thread inside its own group member: a savepoint of the group
        saved, db.conn = db.conn, lock.writer()
        try:
            with db.atomic():
                yield db
        finally:
            db.conn = saved
            lock.release()
        return
    try:
        if lock.depth == 1:
            lock.flush(getattr(db, "trace", None))
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
        db.trace = current_app.config.get("SQL_TRACE")
        db.conn.set_trace_callback(db.trace)  # and a group commit's connection while it writes for this handle
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
