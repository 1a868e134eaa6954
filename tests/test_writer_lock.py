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


HOLD = """
import sys
from station import db
handle = db.connect(sys.argv[1])
with db.write(handle):
    handle.execute("INSERT INTO t VALUES (1)")
    print("holding", flush=True)
    sys.stdin.readline()
"""


def _waiting_for_the_file_lock(thread):
    frame = sys._current_frames().get(thread.ident)
    while frame is not None:
        if frame.f_code.co_name == "acquire" and frame.f_code.co_filename.endswith("db.py"):
            return True
        frame = frame.f_back
    return False


def test_a_writer_of_another_process_waits_on_the_file_lock_not_in_sqlites_busy_handler(tmp_path):
    """gunicorn's workers are processes: while one writes, another's writer waits in the kernel for
    `<database>.writers` (woken when it is released), and asks SQLite only after the first committed."""
    import subprocess
    from pathlib import Path

    path = tmp_path / "w.db"
    b = db_module.connect(path)
    b.conn.execute("PRAGMA journal_mode=WAL")
    b.execute("CREATE TABLE t (n INTEGER)")
    ran = []
    b.conn.set_trace_callback(ran.append)
    holder = subprocess.Popen([sys.executable, "-c", HOLD, str(path)], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                              text=True, cwd=str(Path(__file__).resolve().parent.parent))
    try:
        assert holder.stdout.readline().strip() == "holding"

        def second():
            with db_module.write(b):
                b.execute("INSERT INTO t VALUES (2)")

        other = threading.Thread(target=second)
        other.start()
        wait_until(lambda: _waiting_for_the_file_lock(other))
        assert not any(sql.startswith("BEGIN") for sql in ran)  # not asleep in SQLite's busy handler
        holder.stdin.write("go\n")
        holder.stdin.flush()
        assert holder.wait(timeout=30) == 0
        other.join(30)
    finally:
        holder.kill()
    assert [sql.split()[0] for sql in ran if sql.split()[0] in ("BEGIN", "COMMIT")] == ["BEGIN", "COMMIT"]
    assert sorted(n for (n,) in b.execute("SELECT n FROM t").fetchall()) == [1, 2]
    b.close()
