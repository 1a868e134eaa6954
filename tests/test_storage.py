"""The server's writes stay in the database file whatever other programs do beside it."""
import json
import os
import sqlite3
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from tests.fakeports import free_port, wait_for_port
from tests.sample import CARTON, fresh, load_sample

ROOT = Path(__file__).resolve().parent.parent


def deleted_files_held_by(pid):
    fd_dir = Path(f"/proc/{pid}/fd")
    held = []
    for fd in fd_dir.iterdir():
        try:
            held.append(os.readlink(fd))
        except OSError:
            pass
    return [target for target in held if target.endswith("(deleted)")]


def test_a_return_opened_on_the_server_is_in_the_file_after_another_program_opened_and_closed_it(tmp_path):
    db_path = tmp_path / "station.db"
    db = fresh(db_path)
    load_sample(db)
    db.close()
    cli = [sys.executable, str(ROOT / "run.py")]
    subprocess.run(cli + ["user", "add", "--name", "Olga", "--role", "operator", "--pin", "1234", "--badge", "OP-1",
                          "--db", str(db_path)], check=True, capture_output=True)
    token = subprocess.run(cli + ["token", "--user", "Olga", "--db", str(db_path)], check=True,
                           capture_output=True, text=True).stdout.strip()
    port = free_port()
    server = subprocess.Popen(cli + ["serve", "--no-demo", "--db", str(db_path), "--port", str(port)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_for_port(port)
        time.sleep(1.0)  # the start-up cache warm-up has read the file by now
        # what a backup script, a report query or `run.py token` does: open, read, close
        outside = sqlite3.connect(db_path)
        outside.execute("SELECT count(*) FROM orders").fetchone()
        outside.close()

        request = urllib.request.Request(
            f"http://127.0.0.1:{port}/api/returns", method="POST",
            data=json.dumps({"code": CARTON, "station": "bench-1"}).encode(),
            headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"})
        with urllib.request.urlopen(request) as response:
            assert response.status == 201
            return_id = json.loads(response.read())["return_id"]

        assert Path(str(db_path) + "-wal").exists()
        assert deleted_files_held_by(server.pid) == []
        reader = sqlite3.connect(db_path)
        assert reader.execute("SELECT order_no, status FROM returns WHERE return_id = ?", [return_id]).fetchone() \
            == ("SO-1", "open")
        reader.close()
    finally:
        server.terminate()
        server.wait(timeout=30)
