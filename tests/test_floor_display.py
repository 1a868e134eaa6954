"""The floor display: a TV opens the wall-board with a display token (no sign-in, read-only,
revocable), in the site's time zone, with the day's targets in colour."""
from datetime import datetime, timezone

import pytest

from station import create_app, policy
from station.reporting import board, displays
from tests import sample


@pytest.fixture
def app(tmp_path):
    path = tmp_path / "s.db"
    db = sample.fresh(path)
    sample.load_sample(db)
    db.close()
    return create_app({"DATABASE": str(path), "TESTING": True, "SECRET_KEY": "t", "TIMEZONE": "Asia/Shanghai"})


def test_a_display_token_opens_the_floor_board_without_a_sign_in_until_it_is_revoked(app):
    from station.db import connect

    db = connect(app.config["DATABASE"])
    made = displays.create(db, "TV by dock 3", "ada")
    client = app.test_client()
    page = client.get(f"/reports/floor/{made['token']}")
    text = page.get_data(as_text=True)
    assert page.status_code == 200 and "Returns today" in text and "Asia/Shanghai" in text and "TV by dock 3" in text
    assert "Sign out" not in text and 'class="nav' not in text  # no desktop chrome on the TV
    assert db.execute("SELECT token_hash FROM display_tokens").fetchone()[0] != made["token"]  # only its hash
    part = client.get(f"/reports/floor/{made['token']}", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert part.lstrip().startswith("<main id=\"floor\"") or 'id="floor"' in part.split("\n")[2]
    displays.revoke(db, made["token_id"], "ada")
    assert client.get(f"/reports/floor/{made['token']}").status_code == 404
    for wrong in ("fd_nope", "x" * 300, "<script>"):
        assert client.get(f"/reports/floor/{wrong}").status_code == 404
    with pytest.raises(Exception):
        displays.create(db, "  ", "ada")
    db.close()


def test_the_board_counts_the_sites_day_and_labels_its_hours_in_the_sites_time(fresh_db):
    from zoneinfo import ZoneInfo

    db = fresh_db
    at = datetime(2026, 12, 4, 17, 30, tzinfo=timezone.utc)  # 01:30 on the 5th in Shanghai
    b = board.board(db, at=at, zone=ZoneInfo("Asia/Shanghai"))
    assert b["day"] == "2026-12-05" and b["zone"] == "Asia/Shanghai"
    assert b["hours"][-1]["hour"] == "01:00" and b["hours"][0]["hour"] == "14:00"


@pytest.mark.parametrize("parcels, open_, dock_s, expected", [
    (80, 5, 600, {"parcels": "ok", "open_parcels": "ok", "dock": "ok"}),
    (45, 18, 1500, {"parcels": "warn", "open_parcels": "warn", "dock": "warn"}),
    (10, 30, 4000, {"parcels": "alarm", "open_parcels": "alarm", "dock": "alarm"}),
])
def test_tiles_are_coloured_by_the_days_targets(parcels, open_, dock_s, expected):
    values = dict(policy.DEFAULTS, board_target_parcels=100, board_max_open_parcels=20, board_max_dock_minutes=30)
    b = {"today": {"parcels": parcels, "open_parcels": open_, "dock_to_decision_avg_s": dock_s}}
    at = datetime(2026, 12, 4, 16, 0, tzinfo=timezone.utc)  # 16:00 UTC: 80 % of the 8-18 day gone
    found = board.alarms(b, values, at=at)
    assert {k: found[k] for k in expected} == expected and found["parcels_target"] == 100


def test_an_unknown_time_zone_stops_start_up_naming_it(tmp_path, monkeypatch):
    from station import config

    monkeypatch.setenv("STATION_TIMEZONE", "Mars/Olympus")
    with pytest.raises(config.ConfigError) as stopped:
        config.load(tmp_path, {"DATABASE": str(tmp_path / "x.db")})
    assert "STATION_TIMEZONE" in str(stopped.value) and "Mars/Olympus" in str(stopped.value)


def test_an_admin_makes_and_revokes_a_display_link_on_the_page(app):
    from station.db import connect
    from station.timeutil import now
    from tests.helpers import bench_session
    from station import auth

    db = connect(app.config["DATABASE"])
    auth.add_user(db, "ada", "admin", "1111", "AD-9")
    user_id = db.execute("SELECT id FROM users WHERE name = 'ada'").fetchone()[0]
    db.close()
    client = app.test_client()
    with client.session_transaction() as session:
        session.update(user_id=user_id, sid=bench_session(app, user_id), csrf="c", seen=now().timestamp())
    made = client.post("/admin/displays", data={"name": "Dock TV"}, headers={"X-CSRF-Token": "c"})
    text = made.get_data(as_text=True)
    assert made.status_code == 200 and "/reports/floor/fd_" in text
    url = text.split('id="display-url">')[1].split("<")[0]
    assert client.get(url.replace("http://localhost", "")).status_code == 200
    refused = client.post("/admin/displays", data={"name": ""}, headers={"X-CSRF-Token": "c"})
    assert refused.status_code == 400 and "Name the screen" in refused.get_data(as_text=True)
    db = connect(app.config["DATABASE"])
    token_id = db.execute("SELECT token_id FROM display_tokens").fetchone()[0]
    db.close()
    assert client.post(f"/admin/displays/{token_id}/revoke", headers={"X-CSRF-Token": "c"}).status_code == 200
    assert client.get(url.replace("http://localhost", "")).status_code == 404
