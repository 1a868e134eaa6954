"""The database handle: one per request, SQLite in WAL mode, writes in IMMEDIATE transactions."""
import contextlib
import sqlite3

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
    conn.execute("PRAGMA journal_mode=WAL")
    # FULL: a committed decision survives a power cut (WAL + NORMAL could lose the
    # last transactions); measured at thousands of small transactions a second.
    conn.execute("PRAGMA synchronous=FULL")
    conn.execute("PRAGMA foreign_keys=ON")
    conn.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
    return sqlite_utils.Database(conn)


@contextlib.contextmanager
def write(db):
    """One transaction for one user action; BEGIN IMMEDIATE takes the write lock up front.

    Deferred transactions that read then write can fail with SQLITE_BUSY when two
    stations upgrade at once; IMMEDIATE makes the second one wait its turn instead.
    Nested calls become savepoints.
    """
    if db.conn.in_transaction:
        with db.atomic():
            yield db
        return
    db.conn.execute("BEGIN IMMEDIATE")
    try:
        yield db
    except BaseException:
        if db.conn.in_transaction:
            db.conn.execute("ROLLBACK")
        raise
    else:
        db.conn.execute("COMMIT")


def get_db():
    """The request's database handle, opened on first use."""
    if "db" not in g:
        g.db = connect(current_app.config["DATABASE"])
    return g.db


def close_db(exc=None):
    db = g.pop("db", None)
    if db is not None:
        db.close()


def init_app(app):
    app.teardown_appcontext(close_db)


def one(db, sql, params=()):
    """The first row of a query as a dict, or None."""
    cursor = db.execute(sql, list(params))
    row = cursor.fetchone()
    if row is None:
        return None
    return dict(zip([c[0] for c in cursor.description], row))


def rows(db, sql, params=()):
    """All rows of a query as dicts."""
    cursor = db.execute(sql, list(params))
    names = [c[0] for c in cursor.description]
    return [dict(zip(names, row)) for row in cursor.fetchall()]
