"""Backups you can restore: an online copy of the database (SQLite's backup API, consistent while
the station serves), integrity-checked; a restore that refuses while a server uses the database.

A serving station holds an exclusive lock on `<database>.serving` (flock: it goes with the
process, so a killed server leaves no stale lock); restore takes the same lock or refuses.
"""
import fcntl
import sqlite3
from pathlib import Path


class BackupError(Exception):
    """What went wrong, in words for the person at the terminal."""


def serving_lock_path(db_path):
    return Path(f"{db_path}.serving")


def hold_serving_lock(db_path):
    """Called by `run.py serve`: the open file whose lock says "a server uses this database"."""
    handle = open(serving_lock_path(db_path), "a")
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        handle.close()
        raise BackupError(f"another server already uses {db_path}") from None
    return handle


def _check(path):
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        result = conn.execute("PRAGMA integrity_check").fetchone()[0]
        if result != "ok":
            raise BackupError(f"{path} failed its integrity check: {result}")
        tables = {name for (name,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        if not {"orders", "returns", "_sqlite_migrations"} <= tables:
            raise BackupError(f"{path} is not a Returns Station database")
        return conn.execute("SELECT count(*) FROM orders").fetchone()[0]
    except sqlite3.DatabaseError as exc:
        raise BackupError(f"{path} is not a readable SQLite database ({exc})") from None
    finally:
        conn.close()


def _copy(source, target):
    src = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
    dst = sqlite3.connect(str(target))
    try:
        src.backup(dst, pages=1024)  # in steps: the station keeps serving meanwhile
    finally:
        dst.close()
        src.close()


def backup(db_path, target):
    """Copy the live database to `target` (a new file), then check the copy; answers its order count."""
    db_path, target = Path(db_path), Path(target)
    if not db_path.is_file():
        raise BackupError(f"no database at {db_path}")
    if target.exists():
        raise BackupError(f"{target} exists already: a backup never overwrites a file")
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + ".part")
    try:
        _copy(db_path, partial)
        orders = _check(partial)
        partial.replace(target)  # only a checked copy gets the name
    except (BackupError, sqlite3.Error, OSError):
        partial.unlink(missing_ok=True)
        raise
    return orders


def restore(backup_path, db_path):
    """Put a checked backup in place of the database; refused while a server uses it."""
    backup_path, db_path = Path(backup_path), Path(db_path)
    if not backup_path.is_file():
        raise BackupError(f"no backup at {backup_path}")
    _check(backup_path)
    db_path.parent.mkdir(parents=True, exist_ok=True)
    with open(serving_lock_path(db_path), "a") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            raise BackupError(f"a server is using {db_path}: stop it first, then restore") from None
        _copy(backup_path, db_path)  # through SQLite: the WAL and its locks stay right
        return _check(db_path)
