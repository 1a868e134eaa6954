"""The README keeps up with the code: commands, config keys, API routes."""
import re
from pathlib import Path

from station import config, create_app

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text("utf-8")


def test_the_quick_start_has_the_two_sh_commands():
    section = README.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```sh\n(.*?)```", section, re.S)
    assert len(blocks) >= 2
    assert "run.py" in blocks[0] and "pytest" in blocks[1]


def test_the_tests_run_in_the_venv_and_ci_runs_the_readmes_test_command():
    section = README.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    app, tests = (block.strip() for block in re.findall(r"```sh\n(.*?)```", section, re.S)[:2])
    assert app == "sh scripts/install.sh && python3 run.py"  # run.py re-enters .venv itself
    assert tests == "sh scripts/install.sh --test && .venv/bin/python -m pytest -q"
    ci = (ROOT / ".ci" / "run").read_text("utf-8").strip().splitlines()[-1]
    assert ci == tests + " -p no:cacheprovider"


def test_every_config_key_is_documented():
    missing = [key for key in config.DEFAULTS if f"`{key}`" not in README]
    assert missing == []


def test_every_cli_command_is_documented():
    import run

    parser = run.parser()
    commands = parser._subparsers._group_actions[0].choices
    for name in commands:
        assert f"python run.py {name}" in README or (name == "user" and "python run.py user add" in README), name


def test_every_api_route_is_documented(tmp_path):
    app = create_app({"DATABASE": str(tmp_path / "d.db"), "SECRET_KEY": "x"})
    routes = {
        re.sub(r"<(?:\w+:)?(\w+)>", r"<\1>", rule.rule)
        for rule in app.url_map.iter_rules() if rule.rule.startswith("/api/")
    }
    documented = set(re.findall(r"`(?:GET|POST|PUT) (/api/[^`?\s]*)", README))
    documented = {re.sub(r"<(\w+)>", r"<\1>", d) for d in documented}
    # the README names path parameters as in the contract; compare shapes, not names
    shape = lambda r: re.sub(r"<\w+>", "<>", r)
    assert {shape(r) for r in routes} - {shape(d) for d in documented} == set()
