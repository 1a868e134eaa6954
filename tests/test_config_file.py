"""instance/config.json is checked the way STATION_* variables are: a bad value, an unknown key,
invalid JSON or a top level that is not an object stops start-up naming the file and the key."""
import json
import re

import pytest

from station import config
from station.config import ConfigError


@pytest.fixture(autouse=True)
def no_station_env(monkeypatch):
    """The tests' own environment does not leak STATION_* values into load()."""
    for key in config.DEFAULTS:
        monkeypatch.delenv(f"STATION_{key}", raising=False)


def write_config(instance, data):
    path = instance / "config.json"
    path.write_text(data if isinstance(data, str) else json.dumps(data), "utf-8")
    return path


def load_error(instance):
    with pytest.raises(ConfigError) as caught:
        config.load(str(instance))
    return str(caught.value)


def test_a_good_file_overrides_the_defaults(tmp_path):
    write_config(tmp_path, {"SESSION_IDLE_MINUTES": 60, "PIN_ATTEMPTS": "3", "SCAN_PREFIX": "#",
                            "SCAN_TERMINATOR": "Tab", "SECRET_KEY": "from-file",
                            "BENCHES": {"bench-1": {"printer": "zpl://10.0.0.5", "dpi": 300}}})
    loaded = config.load(str(tmp_path))
    assert loaded["SESSION_IDLE_MINUTES"] == 60
    assert loaded["PIN_ATTEMPTS"] == 3  # text of digits is read as STATION_PIN_ATTEMPTS=3 would be
    assert (loaded["SCAN_PREFIX"], loaded["SCAN_TERMINATOR"], loaded["SECRET_KEY"]) == ("#", "Tab", "from-file")
    assert loaded["BENCHES"]["bench-1"]["dpi"] == 300 and loaded["BENCHES"]["bench-1"]["label_size"] == "4x6"
    assert loaded["PIN_LOCK_MINUTES"] == config.DEFAULTS["PIN_LOCK_MINUTES"]


def test_no_file_gives_the_defaults(tmp_path):
    loaded = config.load(str(tmp_path))
    assert loaded["SESSION_IDLE_MINUTES"] == config.DEFAULTS["SESSION_IDLE_MINUTES"]


def test_an_environment_variable_still_overrides_the_file(tmp_path, monkeypatch):
    write_config(tmp_path, {"SESSION_IDLE_MINUTES": 60, "PIN_ATTEMPTS": 3})
    monkeypatch.setenv("STATION_SESSION_IDLE_MINUTES", "90")
    loaded = config.load(str(tmp_path))
    assert loaded["SESSION_IDLE_MINUTES"] == 90 and loaded["PIN_ATTEMPTS"] == 3


def test_create_apps_own_settings_still_override_the_file_and_are_not_checked_as_strictly(tmp_path):
    write_config(tmp_path, {"LIVE_HEARTBEAT_S": 5})
    loaded = config.load(str(tmp_path), {"LIVE_HEARTBEAT_S": 0.2, "TESTING": True})
    assert loaded["LIVE_HEARTBEAT_S"] == 0.2 and loaded["TESTING"] is True


@pytest.mark.parametrize("value, expected", [
    ("five", "expected an integer, got 'five'"),
    (True, "expected an integer, got true"),
    (5.0, "expected an integer, got 5.0"),
    ([5], "expected an integer, got [5]"),
    (None, "expected an integer, got null"),
    (0, "expected an integer of at least 1, got 0"),
])
def test_a_bad_integer_in_the_file_stops_start_up_naming_the_file_and_the_key(tmp_path, value, expected):
    path = write_config(tmp_path, {"SESSION_IDLE_MINUTES": 60, "PIN_ATTEMPTS": value})
    assert load_error(tmp_path) == f"{path}: PIN_ATTEMPTS: {expected}"


def test_a_negative_time_out_in_the_file_stops_start_up(tmp_path):
    path = write_config(tmp_path, {"PRINTER_TIMEOUT_MS": -5})
    assert load_error(tmp_path) == f"{path}: PRINTER_TIMEOUT_MS: expected an integer of at least 1, got -5"


def test_the_environment_is_held_to_the_same_rules_as_the_file(tmp_path, monkeypatch):
    monkeypatch.setenv("STATION_PRINTER_TIMEOUT_MS", "-5")
    assert load_error(tmp_path) == "STATION_PRINTER_TIMEOUT_MS: expected an integer of at least 1, got '-5'"
    monkeypatch.setenv("STATION_PRINTER_TIMEOUT_MS", "2000")
    monkeypatch.setenv("STATION_SCAN_TERMINATOR", "Space")
    assert load_error(tmp_path) == "STATION_SCAN_TERMINATOR: expected Enter or Tab, got 'Space'"


def test_a_bad_boolean_stops_start_up_naming_the_file_and_the_key(tmp_path, monkeypatch):
    # no setting is a boolean today: the rule is the one a boolean key gets, from the file and the environment
    monkeypatch.setitem(config.DEFAULTS, "SCAN_BEEP", False)
    path = write_config(tmp_path, {"SCAN_BEEP": 1})
    assert load_error(tmp_path) == f"{path}: SCAN_BEEP: expected a boolean, got 1"
    write_config(tmp_path, {"SCAN_BEEP": "maybe"})
    assert load_error(tmp_path) == f"{path}: SCAN_BEEP: expected a boolean, got 'maybe'"
    write_config(tmp_path, {"SCAN_BEEP": "on"})
    assert config.load(str(tmp_path))["SCAN_BEEP"] is True
    write_config(tmp_path, {"SCAN_BEEP": True})
    monkeypatch.setenv("STATION_SCAN_BEEP", "nope")
    assert load_error(tmp_path) == "STATION_SCAN_BEEP: expected a boolean, got 'nope'"
    monkeypatch.setenv("STATION_SCAN_BEEP", "off")
    assert config.load(str(tmp_path))["SCAN_BEEP"] is False


def test_a_true_or_false_where_a_number_belongs_is_a_bad_value_not_one_or_zero(tmp_path):
    path = write_config(tmp_path, {"LIVE_MAX_STREAMS": False})
    assert load_error(tmp_path) == f"{path}: LIVE_MAX_STREAMS: expected an integer, got false"


def test_a_number_or_a_list_where_text_belongs_stops_start_up(tmp_path):
    path = write_config(tmp_path, {"SCAN_PREFIX": 7})
    assert load_error(tmp_path) == f"{path}: SCAN_PREFIX: expected a string, got 7"
    write_config(tmp_path, {"PHOTO_DIR": ["a", "b"]})
    assert load_error(tmp_path) == f'{path}: PHOTO_DIR: expected a string, got ["a", "b"]'
    write_config(tmp_path, {"SCAN_TERMINATOR": "Space"})
    assert load_error(tmp_path) == f"{path}: SCAN_TERMINATOR: expected Enter or Tab, got 'Space'"


def test_an_unknown_key_stops_start_up_naming_it_and_the_key_it_was_probably_meant_to_be(tmp_path):
    path = write_config(tmp_path, {"SESION_IDLE_MINUTES": 60})
    assert load_error(tmp_path) == f"{path}: SESION_IDLE_MINUTES: unknown key (did you mean SESSION_IDLE_MINUTES?)"
    write_config(tmp_path, {"FAVOURITE_COLOUR": "green"})
    message = load_error(tmp_path)
    assert message.startswith(f"{path}: FAVOURITE_COLOUR: unknown key")


def test_a_file_that_is_not_valid_json_stops_start_up_naming_the_file(tmp_path):
    path = write_config(tmp_path, '{"SESSION_IDLE_MINUTES": 60,}')
    message = load_error(tmp_path)
    assert message.startswith(f"{path}: not valid JSON (")


def test_a_file_whose_top_level_is_not_an_object_stops_start_up(tmp_path):
    path = write_config(tmp_path, [{"SESSION_IDLE_MINUTES": 60}])
    assert load_error(tmp_path) == f"{path}: expected a JSON object of settings, got an array"
    write_config(tmp_path, "null")
    assert load_error(tmp_path) == f"{path}: expected a JSON object of settings, got null"


@pytest.mark.parametrize("benches, named", [
    ([{"printer": "browser"}], "BENCHES: expected a JSON object"),
    ({"bench-2": "zpl://x"}, "BENCHES.bench-2: expected an object"),
    ({"bench-2": {"dpi": 600}}, "BENCHES.bench-2.dpi: expected 203 or 300"),
    ({"bench-2": {"dpi": True}}, "BENCHES.bench-2.dpi: expected 203 or 300"),
    ({"bench-2": {"printer": "http://x"}}, "BENCHES.bench-2.printer: expected"),
])
def test_benches_of_the_wrong_shape_stop_start_up_naming_the_file_and_the_bench(tmp_path, benches, named):
    path = write_config(tmp_path, {"BENCHES": benches})
    assert load_error(tmp_path).startswith(f"{path}: {named}")


def test_benches_from_the_environment_name_the_variable_and_the_bench(tmp_path, monkeypatch):
    monkeypatch.setenv("STATION_BENCHES", json.dumps({"dock-2": {"label_size": "A4"}}))
    assert re.match(r"STATION_BENCHES\.dock-2\.label_size: expected one of 4x6, 2x1", load_error(tmp_path))


def test_photos_and_the_session_secret_live_beside_the_database(tmp_path):
    site = tmp_path / "data" / "site.db"
    loaded = config.load(tmp_path / "instance", {"DATABASE": str(site)})
    assert loaded["PHOTO_DIR"] == str(site.parent / "photos")
    secret = (site.parent / "secret_key").read_text().strip()
    assert loaded["SECRET_KEY"] == secret and len(secret) == 64
    assert not (tmp_path / "instance" / "secret_key").exists()
    again = config.load(tmp_path / "instance", {"DATABASE": str(site)})
    assert again["SECRET_KEY"] == secret  # sign-ins survive a restart
