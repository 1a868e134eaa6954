"""`python run.py backup` and `restore` (CONTRACT.md): an online, integrity-checked copy, and a
restore that refuses while a server uses the database. Real files and a real server process."""
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
