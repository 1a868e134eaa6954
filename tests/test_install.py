"""The project's virtual environment: scripts/install.sh installs into .venv, never into the system's
Python, and `python3 run.py ...` with any interpreter re-executes itself in .venv (same pid, same
arguments), once."""
import os
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest

import run
from tests.fakeports import free_port
from tests.helpers import wait_until

ROOT = Path(__file__).resolve().parent.parent
SYSTEM_PYTHON = Path("/usr/bin/python3")


def fake_venv(where):
    python = where / ".venv" / "bin" / "python"
    python.parent.mkdir(parents=True)
    python.write_text("")
    return where / ".venv"


def test_another_interpreter_is_replaced_by_the_venvs_python(tmp_path):
    venv = fake_venv(tmp_path)
    assert run.venv_python(venv, "/usr", {}) == venv / "bin" / "python"
    assert run.venv_python(venv, str(tmp_path / "other-venv"), {"PATH": "/usr/bin"}) == venv / "bin" / "python"


def test_the_venvs_own_interpreter_goes_on_even_through_a_symlinked_path(tmp_path):
    venv = fake_venv(tmp_path / "project")
    (tmp_path / "link").symlink_to(tmp_path / "project")
    assert run.venv_python(venv, str(venv), {}) is None
    assert run.venv_python(venv, str(tmp_path / "link" / ".venv"), {}) is None
    assert run.venv_python(tmp_path / "link" / ".venv", str(venv), {}) is None


def test_without_a_venv_the_command_runs_in_the_interpreter_it_was_started_with(tmp_path):
    assert run.venv_python(tmp_path / ".venv", "/usr", {}) is None
    (tmp_path / ".venv" / "bin").mkdir(parents=True)  # half made: no python in it
    assert run.venv_python(tmp_path / ".venv", "/usr", {}) is None


def test_the_re_execution_itself_never_re_executes_again(tmp_path):
    venv = fake_venv(tmp_path)
    # the venv's python started as another prefix (a broken venv): it goes on, it does not loop
    assert run.venv_python(venv, "/usr", {run.REENTERED: str(venv / "bin" / "python")}) is None


def test_the_install_script_installs_into_the_venv_and_never_into_the_system_python():
    script = (ROOT / "scripts" / "install.sh").read_text("utf-8")
    assert "--break-system-packages" not in script
    assert '-m venv "$VENV"' in script and 'VENV=.venv' in script
    pip_lines = [line for line in script.splitlines() if "pip install" in line and not line.lstrip().startswith("#")]
    assert pip_lines and all(line.startswith('"$VENV/bin/python" -m pip install') for line in pip_lines)
    assert ".venv" in [line.strip("/") for line in (ROOT / ".gitignore").read_text("utf-8").split()]


needs_both = pytest.mark.skipif(not SYSTEM_PYTHON.exists() or not (ROOT / ".venv" / "bin" / "python").exists(),
                                reason="needs /usr/bin/python3 and the project's .venv (sh scripts/install.sh)")


@needs_both
def test_run_py_started_with_the_system_python_answers_from_the_venv():
    done = subprocess.run([str(SYSTEM_PYTHON), "run.py", "--help"], cwd=ROOT, capture_output=True, text=True,
                          timeout=120, env={k: v for k, v in os.environ.items() if k != run.REENTERED})
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("usage: run.py") and "serve" in done.stdout
    assert done.stderr == ""


@needs_both
def test_a_server_started_with_the_system_python_is_the_venvs_python_under_the_same_pid(tmp_path):
    port = free_port()
    server = subprocess.Popen([str(SYSTEM_PYTHON), "run.py", "serve", "--db", str(tmp_path / "s.db"), "--port",
                               str(port), "--no-demo"], cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                              text=True, env={k: v for k, v in os.environ.items() if k != run.REENTERED})

    def healthy():
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as answer:
                return answer.status == 200
        except OSError:
            assert server.poll() is None, server.stderr.read()
            return False

    try:
        wait_until(healthy, timeout=60)
        # the pid Popen started answers, and it is the venv's python now (execv keeps the pid)
        argv = Path(f"/proc/{server.pid}/cmdline").read_bytes().split(b"\0")
        assert argv[0].decode() == str(ROOT / ".venv" / "bin" / "python")
        assert argv[1:4] == [b"run.py", b"serve", b"--db"]
    finally:
        server.terminate()  # SIGTERM to the pid we know reaches the server
        server.wait(timeout=30)
