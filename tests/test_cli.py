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
