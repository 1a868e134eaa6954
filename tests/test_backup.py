"""`python run.py backup` and `restore` (CONTRACT.md): an online, integrity-checked copy, and a
restore that refuses while a server uses the database. Real files and a real server process."""
import json
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from tests import sample
from tests.fakeports import free_port, wait_for_port

ROOT = Path(__file__).resolve().parent.parent


def cli(*args):
    return subprocess.run([sys.executable, str(ROOT / "run.py"), *args], capture_output=True, text=True, timeout=120)


@pytest.fixture
def station(tmp_path):
    path = tmp_path / "station.db"
    db = sample.fresh(path)
    sample.load_sample(db)
    db.close()
    return path


def orders(path):
    conn = sqlite3.connect(path)
    try:
        return [r[0] for r in conn.execute("SELECT order_no FROM orders ORDER BY order_no")]
    finally:
        conn.close()


def test_a_backup_taken_while_the_station_serves_restores_once_it_has_stopped(station, tmp_path):
    port = free_port()
    server = subprocess.Popen([sys.executable, str(ROOT / "run.py"), "serve", "--db", str(station), "--port", str(port),
                               "--no-demo"], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        wait_for_port(port)
        copy = tmp_path / "backups" / "monday.db"
        done = cli("backup", str(copy), "--db", str(station))
        assert done.returncode == 0 and "integrity checked" in done.stderr
        assert orders(copy) == orders(station)
        accident = sqlite3.connect(station)
        with accident:  # an accident after the backup
            accident.execute("DELETE FROM cartons")
        accident.close()
        refused = cli("restore", str(copy), "--db", str(station))
        assert refused.returncode == 1 and refused.stderr.startswith("error: a server is using")
        assert sqlite3.connect(station).execute("SELECT count(*) FROM cartons").fetchone()[0] == 0  # untouched
    finally:
        server.terminate()
        server.wait(timeout=30)
    restored = cli("restore", str(copy), "--db", str(station))
    assert restored.returncode == 0, restored.stderr
    assert sqlite3.connect(station).execute("SELECT count(*) FROM cartons").fetchone()[0] == 2


def test_a_backup_never_overwrites_a_file_and_a_broken_backup_is_never_restored(station, tmp_path):
    existing = tmp_path / "there.db"
    existing.write_text("keep me")
    refused = cli("backup", str(existing), "--db", str(station))
    assert refused.returncode == 1 and "exists already" in refused.stderr and existing.read_text() == "keep me"
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"SQLite format 3\x00" + b"\x00" * 200)
    bad = cli("restore", str(junk), "--db", str(station))
    assert bad.returncode == 1 and bad.stderr.startswith("error: ") and "Traceback" not in bad.stderr
    assert orders(station) == ["SO-1", "SO-2", "SO-W1", "SO-W2", "SO-X"]
    missing = cli("backup", str(tmp_path / "x.db"), "--db", str(tmp_path / "nope.db"))
    assert missing.returncode == 1 and "no database at" in missing.stderr and not (tmp_path / "x.db").exists()


def test_two_servers_on_one_database_are_refused(station):
    port, other = free_port(), free_port()
    first = subprocess.Popen([sys.executable, str(ROOT / "run.py"), "serve", "--db", str(station), "--port", str(port),
                              "--no-demo"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_for_port(port)
        second = cli("serve", "--db", str(station), "--port", str(other), "--no-demo")
        assert second.returncode == 1 and "another server already uses" in second.stderr
    finally:
        first.terminate()
        first.wait(timeout=30)


WRITER = """
import sys
from station import db as db_module, events
handle = db_module.connect(sys.argv[1])
n = 0
while True:
    n += 1
    with db_module.write(handle):
        events.emit(handle, "test.write", n=n)
    print(n, flush=True)  # acknowledged: committed before it is said
"""


def test_a_backup_taken_under_write_load_restores_every_write_acknowledged_before_it(station, tmp_path):
    """Four processes commit as fast as they can while `run.py backup` copies the live file: the
    backup is one consistent moment (each writer's rows a gapless run), holds every write that was
    acknowledged before the backup started, and restores to a database that has them too."""
    import threading

    writers = [subprocess.Popen([sys.executable, "-c", WRITER, str(station)], stdout=subprocess.PIPE, text=True,
                                cwd=str(ROOT)) for _ in range(4)]
    acked = [[0] for _ in writers]

    def follow(proc, box):
        for out in proc.stdout:
            box[0] = int(out)

    readers = [threading.Thread(target=follow, args=(w, a), daemon=True) for w, a in zip(writers, acked)]
    for t in readers:
        t.start()
    try:
        from tests.helpers import wait_until

        wait_until(lambda: all(a[0] >= 50 for a in acked), timeout=60)
        before = [a[0] for a in acked]  # acknowledged before the backup starts
        copy = tmp_path / "under-load.db"
        done = cli("backup", str(copy), "--db", str(station))
        assert done.returncode == 0, done.stderr
        wait_until(lambda: all(a[0] > b for a, b in zip(acked, before)), timeout=60)  # still writing meanwhile
    finally:
        for w in writers:
            w.kill()
            w.wait()
    restored = tmp_path / "restored.db"
    assert cli("restore", str(copy), "--db", str(restored)).returncode == 0
    conn = sqlite3.connect(restored)
    rows = [json.loads(d)["n"] for (d,) in conn.execute("SELECT data FROM events WHERE type = 'test.write'")]
    conn.close()
    assert len(rows) >= sum(before)
    counts = {}
    for n in rows:
        counts[n] = counts.get(n, 0) + 1
    # every writer's 1..k with k at least what it had acknowledged: the smallest writer's count
    assert all(counts.get(n, 0) == 4 for n in range(1, min(before) + 1))


def test_scheduled_backups_keep_the_newest_and_leave_other_files_alone(station, tmp_path):
    from datetime import datetime, timezone

    from station.data import backup

    folder = tmp_path / "backups"
    folder.mkdir()
    (folder / "notes.txt").write_text("kept")
    made = []
    for day in (1, 2, 3, 4):
        path, deleted = backup.take_scheduled(station, folder, keep=2, at=datetime(2026, 12, day, 3, 0, tzinfo=timezone.utc))
        made.append(path.name)
    assert sorted(p.name for p in folder.iterdir()) == ["notes.txt", "station-20261203-030000.db",
                                                         "station-20261204-030000.db"]
    assert orders(folder / "station-20261204-030000.db") == orders(station)


def test_the_backup_schedule_writes_one_at_once_when_there_is_none_and_logs_it(station, tmp_path):
    from station import logs
    from station.data import backup
    from tests.helpers import wait_until

    log = tmp_path / "station.log"
    logs.configure("json", str(log))
    try:
        stop = backup.start_schedule(station, tmp_path / "nightly", every_hours=24, keep=3, check_s=0.2)
        wait_until(lambda: len(backup.scheduled_names(station, tmp_path / "nightly")) == 1)
        wait_until(lambda: '"job": "backup"' in log.read_text())
        stop.set()
    finally:
        logs.configure()
    line = json.loads(next(x for x in log.read_text().splitlines() if '"job": "backup"' in x))
    assert line["outcome"] == "written" and line["kind"] == "job" and line["file"].endswith(".db")
    assert len(backup.scheduled_names(station, tmp_path / "nightly")) == 1  # not again within the day
