"""The bench's actions share a commit with the writers of the process waiting at that moment
(station/db.py write(db, group=True)): one fsync for several actions, each still all or nothing,
each acknowledged only once it is committed."""
import sqlite3
import sys
import threading

import pytest

from station import db as db_module
from tests.helpers import wait_until


def _in_db_py(thread, names):
    frame = sys._current_frames().get(thread.ident)
    while frame is not None:
        if frame.f_code.co_name in names and frame.f_code.co_filename.endswith("db.py"):
            return True
        frame = frame.f_back
    return False


def _waiting_for_the_lock(thread):
    return _in_db_py(thread, ("acquire",))


@pytest.fixture
def site(tmp_path, monkeypatch):
    """A WAL database with a table of rows, and what every handle's statements were (who, sql).

    A group here waits for its members however long the test takes to line them up (the station
    commits 20 ms after the first member is done at the latest)."""
    monkeypatch.setattr(db_module, "GROUP_MAX_SECONDS", 600)
    path = tmp_path / "g.db"
    first = db_module.connect(path)
    first.conn.execute("PRAGMA journal_mode=WAL")
    first.execute("CREATE TABLE t (n INTEGER PRIMARY KEY, who TEXT)")
    first.close()
    ran = []

    def handle(who):
        db = db_module.connect(path)
        db.trace = lambda sql: ran.append((who, sql))
        db.conn.set_trace_callback(db.trace)
        return db

    yield path, handle, ran


def _saved(path):
    """The rows as a new connection sees them (what is committed)."""
    reader = sqlite3.connect(path)
    try:
        return sorted(who for (who,) in reader.execute("SELECT who FROM t"))
    finally:
        reader.close()


def _kinds(ran):
    return [(who, sql.split()[0]) for who, sql in ran if sql.split()[0] in ("BEGIN", "SAVEPOINT", "COMMIT", "ROLLBACK")]


def test_writers_waiting_together_share_one_commit_and_each_sees_its_row_saved_when_its_write_returns(site):
    path, handle, ran = site
    a = handle("a")
    go, seen, errors = threading.Event(), {}, []

    def member(who):
        db = handle(who)
        try:
            with db_module.write(db, group=True):
                db.execute("INSERT INTO t (who) VALUES (?)", [who])
            seen[who] = _saved(path)  # acknowledged: on disk for any other connection
        except Exception as exc:  # noqa: BLE001 - the test's answer
            errors.append(exc)
        finally:
            db.close()

    others = [threading.Thread(target=member, args=(who,)) for who in ("b", "c")]
    with db_module.write(a, group=True):
        a.execute("INSERT INTO t (who) VALUES ('a')")
        for thread in others:
            thread.start()
        wait_until(lambda: all(_waiting_for_the_lock(t) for t in others))
    # a's write returned: b and c joined its group, and it was committed before a went on
    assert _saved(path) == ["a", "b", "c"]
    for thread in others:
        thread.join(30)
    assert errors == []
    assert seen == {"b": ["a", "b", "c"], "c": ["a", "b", "c"]}
    kinds = [kind for _, kind in _kinds(ran)]
    assert kinds.count("BEGIN") == 1 and kinds.count("COMMIT") == 1 and kinds.count("SAVEPOINT") == 2
    assert kinds[0] == "BEGIN" and kinds[-1] == "COMMIT"
    a.close()


def test_a_member_whose_action_fails_is_rolled_back_alone_and_the_others_of_its_group_are_saved(site):
    path, handle, ran = site
    a = handle("a")
    errors = []

    def member(who, fail):
        db = handle(who)
        try:
            with db_module.write(db, group=True):
                db.execute("INSERT INTO t (who) VALUES (?)", [who])
                if fail:
                    raise ValueError(f"{who} refused")
        except ValueError as exc:
            errors.append(str(exc))
        finally:
            db.close()

    others = [threading.Thread(target=member, args=("b", True)), threading.Thread(target=member, args=("c", False))]
    with db_module.write(a, group=True):
        a.execute("INSERT INTO t (who) VALUES ('a')")
        for thread in others:
            thread.start()
        wait_until(lambda: all(_waiting_for_the_lock(t) for t in others))
    for thread in others:
        thread.join(30)
    assert errors == ["b refused"]
    assert _saved(path) == ["a", "c"]
    assert ("b", "ROLLBACK") in _kinds(ran)  # ROLLBACK TO its savepoint: b's row only
    a.close()


def test_a_failed_first_member_leaves_nothing_and_the_next_write_begins_afresh(site):
    path, handle, ran = site
    a = handle("a")
    with pytest.raises(ValueError):
        with db_module.write(a, group=True):
            a.execute("INSERT INTO t (who) VALUES ('a')")
            raise ValueError("refused")
    assert _saved(path) == []
    with db_module.write(a, group=True):
        a.execute("INSERT INTO t (who) VALUES ('again')")
    assert _saved(path) == ["again"]
    assert db_module._writer_lock(a).group is None
    assert not a.conn.in_transaction  # the handle's own connection is back, idle
    a.close()


def test_a_writer_on_its_own_connection_commits_an_open_group_before_it_begins(site):
    """A background job's write (print queue, webhooks) does not join a group: it commits the open
    one first, so its BEGIN IMMEDIATE never waits on the group's transaction."""
    path, handle, ran = site
    a, errors = handle("a"), []

    def plain():
        db = handle("job")
        try:
            with db_module.write(db):
                db.execute("INSERT INTO t (who) VALUES ('job')")
        except Exception as exc:  # noqa: BLE001 - the test's answer
            errors.append(exc)
        finally:
            db.close()

    job = threading.Thread(target=plain)
    with db_module.write(a, group=True):
        a.execute("INSERT INTO t (who) VALUES ('a')")
        job.start()
        wait_until(lambda: _waiting_for_the_lock(job))
    job.join(30)
    assert errors == []
    assert _saved(path) == ["a", "job"]
    kinds = _kinds(ran)
    # a's group is committed (by whichever of the two) before the job's own transaction begins
    assert kinds.index(("job", "BEGIN")) > [k for _, k in kinds].index("COMMIT")
    a.close()


def test_a_second_handle_of_a_thread_inside_its_group_write_is_a_savepoint_of_that_group(site):
    path, handle, ran = site
    a, b = handle("a"), handle("b")
    with db_module.write(a, group=True):
        a.execute("INSERT INTO t (who) VALUES ('a')")
        with db_module.write(b):
            b.execute("INSERT INTO t (who) VALUES ('b')")
        assert _saved(path) == []  # nothing committed yet: one transaction
    assert _saved(path) == ["a", "b"]
    a.close()
    b.close()


def test_many_bench_writers_in_groups_lose_nothing_and_each_row_is_committed_once(site):
    path, handle, ran = site
    errors = []

    def writer(k):
        db = handle(f"w{k}")
        try:
            for i in range(40):
                try:
                    with db_module.write(db, group=True):
                        db.execute("INSERT INTO t (who) VALUES (?)", [f"w{k}-{i}"])
                        if i % 10 == 9:
                            raise ValueError("refused")  # every tenth action refused, alone
                except ValueError:
                    pass
        except Exception as exc:  # noqa: BLE001 - the test's answer
            errors.append(exc)
        finally:
            db.close()

    threads = [threading.Thread(target=writer, args=(k,)) for k in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert errors == []
    saved = _saved(path)
    assert len(saved) == 12 * 36 and len(set(saved)) == len(saved)
    assert not any(who.endswith(("-9", "-19", "-29", "-39")) for who in saved)


def _line_up(site, members):
    """a writes in a group while `members` queue behind it; answers (a's handle, the threads, errors)."""
    path, handle, ran = site
    errors = []

    def member(who):
        db = handle(who)
        try:
            with db_module.write(db, group=True):
                db.execute("INSERT INTO t (who) VALUES (?)", [who])
        except Exception as exc:  # noqa: BLE001 - the test's answer
            errors.append(exc)
        finally:
            db.close()

    a = handle("a")
    threads = [threading.Thread(target=member, args=(who,)) for who in members]
    with db_module.write(a, group=True):
        a.execute("INSERT INTO t (who) VALUES ('a')")
        for thread in threads:
            thread.start()
        wait_until(lambda: all(_waiting_for_the_lock(t) for t in threads))
    return a, threads, errors


def test_a_full_group_commits_though_more_writers_wait_and_they_begin_the_next(site, monkeypatch):
    monkeypatch.setattr(db_module, "GROUP_MAX_MEMBERS", 2)
    path, handle, ran = site
    a, threads, errors = _line_up(site, ["b", "c"])
    for thread in threads:
        thread.join(30)
    assert errors == [] and _saved(path) == ["a", "b", "c"]
    kinds = [kind for _, kind in _kinds(ran)]
    assert kinds == ["BEGIN", "SAVEPOINT", "COMMIT", "BEGIN", "COMMIT"]  # a and the first behind it; then the last
    a.close()


def test_a_group_past_its_time_commits_at_once_though_writers_wait(site, monkeypatch):
    monkeypatch.setattr(db_module, "GROUP_MAX_SECONDS", 0)  # the station's 20 ms, already past
    path, handle, ran = site
    a, threads, errors = _line_up(site, ["b"])
    for thread in threads:
        thread.join(30)
    assert errors == [] and _saved(path) == ["a", "b"]
    assert [kind for _, kind in _kinds(ran)] == ["BEGIN", "COMMIT", "BEGIN", "COMMIT"]  # a committed alone
    a.close()


def test_a_process_that_wrote_to_many_database_files_keeps_files_open_for_the_last_few_only(tmp_path):
    """Descriptors past 1,023 break select() (the serial scanners' pyserial): the group connections
    and lock files of databases written long ago are closed, and opened again if needed."""
    import os

    def open_files():
        found = set()
        for fd in os.listdir("/proc/self/fd"):
            try:
                target = os.readlink(f"/proc/self/fd/{fd}")
            except OSError:
                continue
            if target.startswith(str(tmp_path)):
                found.add(target)
        return found

    paths = [tmp_path / f"site-{n}.db" for n in range(20)]
    for path in paths:
        db = db_module.connect(path)
        db.execute("CREATE TABLE t (n INTEGER)")
        with db_module.write(db, group=True):
            db.execute("INSERT INTO t VALUES (1)")
        db.close()
    still_open = {os.path.basename(p).split(".")[0] for p in open_files()}
    assert still_open and len(still_open) <= 5, still_open  # the last four written, and the one being opened
    assert "site-0" not in still_open
    db = db_module.connect(paths[0])  # written to again: its turn opens what it needs
    with db_module.write(db, group=True):
        db.execute("INSERT INTO t VALUES (2)")
    assert db.execute("SELECT count(*) FROM t").fetchone()[0] == 2
    db.close()


def test_a_process_switches_threads_quickly_only_while_it_holds_the_write_turn(site):
    # each statement lets go of the interpreter lock; the writer must get it back within 0.2 ms,
    # not the default 5 ms, while every other writer of the site waits for its turn
    path, handle, _ran = site
    default = sys.getswitchinterval()
    assert default > db_module.QUICK_SWITCH_SECONDS
    a, b = handle("a"), handle("b")
    inside, errors = {}, []

    def member():
        try:
            with db_module.write(b, group=True):
                b.execute("INSERT INTO t (who) VALUES ('b')")
                inside["b"] = sys.getswitchinterval()
        except Exception as exc:  # noqa: BLE001 - the test's answer
            errors.append(exc)

    with db_module.write(a):  # a writer of its own
        a.execute("INSERT INTO t (who) VALUES ('plain')")
        inside["plain"] = sys.getswitchinterval()
    assert sys.getswitchinterval() == default
    with pytest.raises(ValueError):  # a refused action gives the turn back as well
        with db_module.write(a, group=True):
            inside["refused"] = sys.getswitchinterval()
            raise ValueError("refused")
    assert sys.getswitchinterval() == default
    other = threading.Thread(target=member)
    with db_module.write(a, group=True):  # a group held open for a member that waits
        a.execute("INSERT INTO t (who) VALUES ('a')")
        other.start()
        wait_until(lambda: _waiting_for_the_lock(other))
    other.join(30)
    assert errors == []
    quick = pytest.approx(db_module.QUICK_SWITCH_SECONDS, rel=0.01)  # kept in whole microseconds
    assert inside == {"plain": quick, "refused": quick, "b": quick}
    assert sys.getswitchinterval() == default  # the group committed: the turn is free
    assert db_module._writer_lock(a).group is None
    assert _saved(path) == ["a", "b", "plain"]
    a.close()
    b.close()
