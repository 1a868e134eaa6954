"""Writers of one process take turns on a lock per database file (station/db.py write())."""
import sys
import threading

from station import db as db_module
from station import migrations
from tests.helpers import wait_until


def _blocked_in_write(thread):
    """Is `thread` waiting inside station.db.write() (for the lock, or in SQLite's BEGIN)?"""
    frame = sys._current_frames().get(thread.ident)
    while frame is not None:
        if frame.f_code.co_name in ("write", "_immediate") and frame.f_code.co_filename.endswith("db.py"):
            return True
        frame = frame.f_back
    return False


def test_a_second_writer_waits_its_turn_before_it_asks_sqlite_for_the_file(tmp_path):
    """Without the lock, B would be inside BEGIN IMMEDIATE (asleep in SQLite's busy handler) while A
    still writes: its BEGIN would come before A's COMMIT in the statements both connections ran."""
    path = tmp_path / "w.db"
    a, b = db_module.connect(path), db_module.connect(path)
    a.conn.execute("PRAGMA journal_mode=WAL")
    a.execute("CREATE TABLE t (n INTEGER)")
    ran = []
    a.conn.set_trace_callback(lambda sql: ran.append(("a", sql)))
    b.conn.set_trace_callback(lambda sql: ran.append(("b", sql)))

    def second():
        with db_module.write(b):
            b.execute("INSERT INTO t VALUES (2)")

    with db_module.write(a):
        a.execute("INSERT INTO t VALUES (1)")
        other = threading.Thread(target=second)
        other.start()
        wait_until(lambda: _blocked_in_write(other))
    other.join()
    order = [(who, sql.split()[0]) for who, sql in ran if sql.split()[0] in ("BEGIN", "COMMIT")]
    assert order == [("a", "BEGIN"), ("a", "COMMIT"), ("b", "BEGIN"), ("b", "COMMIT")]
    assert a.execute("SELECT count(*) FROM t").fetchone()[0] == 2
    a.close()
    b.close()


def test_parallel_writers_on_their_own_connections_take_turns_and_none_is_lost(tmp_path):
    path = tmp_path / "w.db"
    first = db_module.connect(path)
    first.conn.execute("PRAGMA journal_mode=WAL")
    migrations.apply(first)
    first.execute("CREATE TABLE tally (n INTEGER)")
    inside, most, errors = [0], [0], []
    guard = threading.Lock()

    def writer():
        db = db_module.connect(path)
        try:
            for _ in range(25):
                with db_module.write(db):
                    with guard:
                        inside[0] += 1
                        most[0] = max(most[0], inside[0])
                    db.execute("INSERT INTO tally (n) VALUES (1)")
                    with guard:
                        inside[0] -= 1
        except Exception as exc:  # noqa: BLE001 - any failure is the test's answer
            errors.append(exc)
        finally:
            db.close()

    threads = [threading.Thread(target=writer) for _ in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == [] and most[0] == 1
    assert first.execute("SELECT count(*) FROM tally").fetchone()[0] == 400
    first.close()


def test_a_thread_writing_through_a_second_connection_of_its_own_is_not_stopped_by_its_first(tmp_path):
    path = tmp_path / "w.db"
    a, b = db_module.connect(path), db_module.connect(path)
    a.execute("CREATE TABLE t (n INTEGER)")
    with db_module.write(a):
        a.execute("INSERT INTO t VALUES (1)")
    lock = db_module._writer_lock(b)
    with lock:  # this thread holds it; the re-entrant lock lets it in again
        with db_module.write(b):
            b.execute("INSERT INTO t VALUES (2)")
    assert a.execute("SELECT count(*) FROM t").fetchone()[0] == 2
    a.close()
    b.close()
