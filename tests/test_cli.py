"""The command line as scripts use it (`python run.py ...`), in a real subprocess."""
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def run(*args, cwd=ROOT):
    return subprocess.run([sys.executable, str(ROOT / "run.py"), *args], capture_output=True, text=True, cwd=cwd, timeout=120)


def test_user_add_then_token_prints_only_the_token(tmp_path):
    db = str(tmp_path / "s.db")
    added = run("user", "add", "--name", "olga", "--role", "operator", "--pin", "1234", "--badge", "OP-9", "--db", db)
    assert added.returncode == 0, added.stderr
    token = run("token", "--user", "olga", "--db", db)
    assert token.returncode == 0 and token.stdout.count("\n") == 1 and token.stdout.strip().startswith("rs_")
    from station import auth
    from tests.sample import fresh

    conn = fresh(db)
    assert auth.user_for_token(conn, token.stdout.strip())["name"] == "olga"
    conn.close()


def test_bad_user_input_is_refused_with_a_message(tmp_path):
    db = str(tmp_path / "s.db")
    for pin in ("12", "123456789", "12a4"):
        result = run("user", "add", "--name", "x", "--role", "operator", "--pin", pin, "--badge", "B", "--db", db)
        assert result.returncode == 1 and "PIN" in result.stderr
    assert run("user", "add", "--name", "x", "--role", "chief", "--pin", "1234", "--badge", "B", "--db", db).returncode != 0
    assert run("token", "--user", "nobody", "--db", db).returncode == 1
    from tests.sample import fresh

    conn = fresh(db)
    assert conn["users"].count == 0
    conn.close()


def test_a_file_that_is_not_a_database_is_an_error_line_not_a_traceback_and_stays_as_it_was(tmp_path):
    db = tmp_path / "notes.db"
    db.write_text("shopping list\n")

    for args in (("token", "--user", "olga"), ("user", "add", "--name", "olga", "--role", "operator", "--pin", "1234",
                 "--badge", "OP-9"), ("import", str(tmp_path)), ("demo",)):
        result = run(*args, "--db", str(db))
        assert result.returncode == 1, args
        assert result.stderr.startswith(f"error: cannot open the database {db}: file is not a database"), args
        assert "Traceback" not in result.stderr and result.stdout == ""
    assert db.read_text() == "shopping list\n"


def test_serve_on_a_taken_port_says_so_at_once_and_loads_no_demo(tmp_path):
    import socket

    from tests.sample import fresh

    db = str(tmp_path / "s.db")
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = run("serve", "--db", db, "--port", str(port))

    assert result.returncode == 1
    assert f"error: cannot listen on 127.0.0.1:{port}: " in result.stderr and "Traceback" not in result.stderr
    conn = fresh(db)
    assert conn["orders"].count == 0 and conn["users"].count == 0
    conn.close()


def test_serve_with_threads_its_live_streams_could_all_take_says_so_at_once_and_loads_no_demo(tmp_path, monkeypatch):
    import socket

    from tests.sample import fresh

    db = str(tmp_path / "s.db")
    monkeypatch.setenv("STATION_SERVER_THREADS", "20")
    monkeypatch.setenv("STATION_LIVE_MAX_STREAMS", "16")  # 4 threads left for every bench's scans
    with socket.socket() as free:
        free.bind(("127.0.0.1", 0))
        port = free.getsockname()[1]
    result = run("serve", "--db", db, "--port", str(port))

    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert result.stderr.startswith("error: SERVER_THREADS is 20 and LIVE_MAX_STREAMS 16: that leaves 4 thread(s)")
    assert "raise SERVER_THREADS or lower LIVE_MAX_STREAMS" in result.stderr
    conn = fresh(db)
    assert conn["orders"].count == 0 and conn["users"].count == 0
    conn.close()


def test_a_port_out_of_range_is_a_usage_error_and_creates_no_database(tmp_path):
    db = tmp_path / "s.db"

    for port in ("99999", "0", "http"):
        result = run("serve", "--db", str(db), "--port", port)
        assert result.returncode == 2 and f"invalid port value: '{port}'" in result.stderr
        assert "Traceback" not in result.stderr
    assert not db.exists()


def test_token_for_a_database_that_does_not_exist_is_an_error_and_creates_no_file(tmp_path):
    db = tmp_path / "typo" / "station.db"

    result = run("token", "--user", "olga", "--db", str(db))

    assert result.returncode == 1 and result.stdout == ""
    assert result.stderr == f"error: no database at {db} (users come from `python run.py user add`)\n"
    assert not db.exists() and not db.parent.exists()


def test_a_pin_with_a_trailing_line_break_or_a_badge_with_control_characters_is_refused(tmp_path):
    from tests.sample import fresh

    db = str(tmp_path / "s.db")
    pin = run("user", "add", "--name", "olga", "--role", "operator", "--pin", "1234\n", "--badge", "OP-9", "--db", db)
    badge = run("user", "add", "--name", "olga", "--role", "operator", "--pin", "1234", "--badge", "OP\x1b9", "--db", db)

    assert pin.returncode == 1 and pin.stderr == "error: pin: a PIN is 4 to 8 digits\n"
    assert badge.returncode == 1 and "control characters" in badge.stderr and "Traceback" not in badge.stderr
    conn = fresh(db)
    assert conn["users"].count == 0
    conn.close()


def test_token_finds_the_user_when_the_name_has_stray_spaces(tmp_path):
    db = str(tmp_path / "s.db")
    assert run("user", "add", "--name", "Olga Ivanova", "--role", "admin", "--pin", "5678", "--badge", "AD-9",
               "--db", db).returncode == 0

    token = run("token", "--user", " Olga Ivanova ", "--db", db)

    assert token.returncode == 0 and token.stdout.strip().startswith("rs_") and token.stdout.count("\n") == 1
    from station import auth
    from tests.sample import fresh

    conn = fresh(db)
    assert auth.user_for_token(conn, token.stdout.strip())["role"] == "admin"
    conn.close()


def test_import_names_the_csv_files_it_ignores_and_imports_the_rest(tmp_path):
    from tests.sample import fresh

    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "customers.csv").write_text("customer_id,name,country\nC1,Zoë,FR\n", encoding="utf-8")
    (tmp_path / "in" / "order-lines.csv").write_text("order_no,line_no\n", encoding="utf-8")
    db = str(tmp_path / "s.db")

    result = run("import", str(tmp_path / "in"), "--db", db)

    assert result.returncode == 0 and result.stdout == ""
    assert "order-lines.csv: not an import file name, ignored\n" in result.stderr
    assert "imported: customers 1" in result.stderr
    conn = fresh(db)
    assert [r["name"] for r in conn["customers"].rows] == ["Zoë"]
    conn.close()


def test_a_failed_import_writes_only_its_file_line_reasons_to_stderr(tmp_path):
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "customers.csv").write_text(
        "customer_id,name,country\nC1,Zoë,FR\nC2,,DE\nC3,Ann,Germany\n", encoding="utf-8")
    db = str(tmp_path / "s.db")

    result = run("import", str(tmp_path / "in"), "--db", db)

    assert result.returncode == 1
    lines = result.stderr.splitlines()
    assert [line.split(": ", 1)[0] for line in lines] == ["customers.csv:3", "customers.csv:4"]
    assert "nothing imported: 2 bad row(s)" in result.stdout
    conn = __import__("sqlite3").connect(db)
    assert conn.execute("SELECT count(*) FROM customers").fetchone() == (0,)
    conn.close()
