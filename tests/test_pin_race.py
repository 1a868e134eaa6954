"""Wrong PINs tried in parallel are each counted: none gets through once the badge is locked."""
import sqlite3
import threading

import pytest

from station import auth
from station.db import connect
from station.errors import ServiceError
from tests import sample


@pytest.mark.parametrize("guesses", [41, 300])
def test_parallel_wrong_pins_lock_the_badge_after_five_and_no_more_are_tried(tmp_path, guesses):
    path = tmp_path / "station.db"
    db = sample.fresh(path)
    auth.add_user(db, "Olga", "operator", "1234", "OP-1")
    db.close()
    barrier, outcomes = threading.Barrier(guesses), []

    def attempt(pin):
        conn = connect(path)
        barrier.wait()
        try:
            auth.sign_in(conn, "OP-1", pin, attempts=5, lock_minutes=15)
            outcomes.append("in")
        except ServiceError as exc:
            outcomes.append(exc.code)
        except sqlite3.OperationalError:  # waited its turn past the limit: refused whole (a 503 at the server)
            outcomes.append("busy")
        finally:
            conn.close()

    threads = [threading.Thread(target=attempt, args=("0000",)) for _ in range(guesses)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    # four counted wrong, the fifth locks the badge, and every other attempt is refused: as locked, or
    # (300 threads each hashing a PIN on a busy machine) as busy before it was checked, nothing written
    assert outcomes.count("bad_pin") == 4 and "in" not in outcomes
    assert outcomes.count("locked") >= 1 and outcomes.count("locked") + outcomes.count("busy") == guesses - 4
    db = connect(path)
    try:
        assert db.execute("SELECT locked_until FROM users").fetchone()[0] is not None
        try:
            auth.sign_in(db, "OP-1", "1234")
            raise AssertionError("the right PIN got through a locked badge")
        except ServiceError as exc:
            assert exc.code == "locked"
    finally:
        db.close()
