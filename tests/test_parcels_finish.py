"""Parcels finish: a decided parcel closes itself after a quiet time; the unfinished ones say what
they lack; a supervisor sees every open parcel and closes or moves it."""
from datetime import timedelta

from station.intake import finishing
from station.timeutil import now
from tests import sample


def call(client, token, method, url, json=None):
    return client.open(url, method=method, json=json, headers={"Authorization": f"Bearer {token}"})


def opened_with_a_mug(client, token, station="bench-7", decide=True):
    rid = call(client, token, "POST", "/api/returns", {"code": sample.CARTON, "station": station}).json["return_id"]
    item = call(client, token, "POST", f"/api/returns/{rid}/items", {"code": sample.MUG_GTIN, "qty": 1, "grade": "A",
                                                                   "reason": "changed_mind"})
    assert item.status_code == 201, item.json
    if decide:
        rec = item.json["recommendation"]
        assert call(client, token, "POST", f"/api/returns/{rid}/items/{item.json['item_id']}/decision",
                    {"disposition": rec["disposition"]}).status_code == 200
    return rid


def status(db, rid):
    return db.execute("SELECT status FROM returns WHERE return_id = ?", [rid]).fetchone()[0]


def test_a_decided_parcel_closes_itself_with_its_refund_after_the_quiet_time(env):
    client, tokens, db = env
    rid = opened_with_a_mug(client, tokens["operator"])
    assert finishing.close_finished(db, 120) == [] and status(db, rid) == "open"  # not quiet yet
    assert finishing.close_finished(db, 120, at=now() + timedelta(seconds=121)) == [rid]
    assert status(db, rid) == "closed"
    refund = db.execute("SELECT amount, status FROM refunds WHERE return_id = ?", [rid]).fetchone()
    assert refund == ("19.99", "ready")
    assert finishing.close_finished(db, 120, at=now() + timedelta(seconds=500)) == []  # once


def test_a_parcel_with_an_undecided_item_stays_open_and_says_what_it_lacks(env):
    client, tokens, db = env
    rid = opened_with_a_mug(client, tokens["operator"], decide=False)
    assert finishing.close_finished(db, 0, at=now() + timedelta(hours=3)) == []
    assert status(db, rid) == "open"
    assert finishing.missing(db, rid) == {"lines": [{"sku": "MUG-01", "name": "Travel mug", "qty": 1}],
                                          "undecided": 1, "items": 1}


def test_a_supervisor_lists_every_open_parcel_and_moves_one_to_another_bench(env):
    client, tokens, db = env
    rid = opened_with_a_mug(client, tokens["operator"], decide=False)
    listed = call(client, tokens["supervisor"], "GET", "/api/parcels/open")
    assert listed.status_code == 200
    parcel = next(p for p in listed.json["parcels"] if p["return_id"] == rid)
    assert parcel["station"] == "bench-7" and parcel["age_minutes"] == 0 and parcel["closable"] is False
    assert call(client, tokens["operator"], "GET", "/api/parcels/open").status_code == 403
    moved = call(client, tokens["supervisor"], "POST", f"/api/returns/{rid}/reassign", {"station": "bench-2"})
    assert moved.status_code == 200 and moved.json["station"] == "bench-2"
    assert db.execute("SELECT station FROM returns WHERE return_id = ?", [rid]).fetchone()[0] == "bench-2"
    for bad_station in ("", "   ", 7, "x" * 200, "bench\x00"):
        refused = call(client, tokens["supervisor"], "POST", f"/api/returns/{rid}/reassign", {"station": bad_station})
        assert refused.status_code == 400, bad_station
    assert db.execute("SELECT station FROM returns WHERE return_id = ?", [rid]).fetchone()[0] == "bench-2"
    assert call(client, tokens["supervisor"], "POST", "/api/returns/99999/reassign",
                {"station": "bench-2"}).status_code == 404


def test_the_open_parcels_screen_closes_a_decided_parcel_and_refuses_an_undecided_one(env):
    from station.timeutil import now as clock
    from tests.helpers import bench_session

    client, tokens, db = env
    decided = opened_with_a_mug(client, tokens["operator"], station="bench-1")
    user_id = db.execute("SELECT id FROM users WHERE name = 'sam'").fetchone()[0]
    screen = client.application.test_client()
    with screen.session_transaction() as session:
        session.update(user_id=user_id, sid=bench_session(client.application, user_id), csrf="t",
                       seen=clock().timestamp())
    page = screen.get("/parcels")
    assert page.status_code == 200 and f">{decided}<" in page.get_data(as_text=True)
    closed = screen.post(f"/parcels/{decided}/close", headers={"X-CSRF-Token": "t", "HX-Request": "true"})
    assert closed.status_code == 200 and "closed: refund 19.99 USD" in closed.get_data(as_text=True)
    assert status(db, decided) == "closed"
