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


def _copy(source, target, one_file=True):
    src = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
    dst = sqlite3.connect(str(target))
    try:
        # one step, one read transaction: a consistent copy while the benches keep writing (WAL lets
        # writers on); copied in several steps, every write between two steps would start it over
        src.backup(dst, pages=-1)
        # the copy is one self-contained file: it took the source's WAL mode with its header, and
        # would otherwise leave `.part-wal` and `.part-shm` beside it once renamed
        if one_file:
            dst.execute("PRAGMA journal_mode=DELETE")
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
        _copy(backup_path, db_path, one_file=False)  # through SQLite: the WAL and its locks stay right
        return _check(db_path)


def scheduled_names(db_path, directory):
    """The scheduled backups of `db_path` in `directory`, oldest first (by the time in their names)."""
    stem = Path(db_path).stem
    return sorted(p for p in Path(directory).glob(f"{stem}-????????-??????.db") if p.is_file())


def take_scheduled(db_path, directory, keep, at=None):
    """One scheduled backup, `<database name>-YYYYMMDD-HHMMSS.db` in `directory`, then the oldest
    ones beyond the newest `keep` deleted (only files of that pattern); answers (path, deleted)."""
    from station.timeutil import now

    at = at or now()
    target = Path(directory) / f"{Path(db_path).stem}-{at:%Y%m%d-%H%M%S}.db"
    backup(db_path, target)
    deleted = []
    for old in scheduled_names(db_path, directory)[:-keep]:
        old.unlink(missing_ok=True)
        deleted.append(old)
    return target, deleted


def start_schedule(db_path, directory, every_hours, keep, check_s=60.0):
    """A daemon thread of `run.py serve` / `worker`: a backup whenever the newest scheduled one is
    `every_hours` old (at once when there is none), one log line per backup."""
    import threading
    import time

    from station import logs

    stop = threading.Event()
    every_s = every_hours * 3600

    def due():
        found = scheduled_names(db_path, directory)
        return not found or time.time() - found[-1].stat().st_mtime >= every_s

    def loop():
        while not stop.is_set():
            if due():
                started = time.perf_counter()
                try:
                    path, deleted = take_scheduled(db_path, directory, keep)
                    logs.job("backup", "written", started, file=str(path), deleted=len(deleted))
                except (BackupError, sqlite3.Error, OSError) as exc:
                    logs.job("backup", "failed", started, error=str(exc)[:300])
                    stop.wait(max(check_s, 300))  # a full disk is not retried every minute
            stop.wait(check_s)

    threading.Thread(target=loop, name="backups", daemon=True).start()
    return stop
