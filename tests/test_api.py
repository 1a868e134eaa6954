"""The JSON API as integrations use it (CONTRACT.md), through Flask's test client."""
import io
import json

import pytest

from tests.helpers import bench_session
from tests import sample


def call(client, token, method, url, body=None, **kw):
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    if body is not None and not isinstance(body, (str, bytes)):
        kw["json"] = body
    elif body is not None:
        kw["data"] = body
        headers["Content-Type"] = "application/json"
    return client.open(url, method=method, headers=headers, **kw)


def test_every_api_route_needs_a_valid_bearer_token(env):
    client, tokens, db = env
    for method, url in [("GET", "/api/lookup?code=SO-1"), ("POST", "/api/returns"), ("GET", "/api/events"),
                        ("GET", "/api/queues/refunds"), ("GET", "/api/stock?sku=MUG-01")]:
        for token in (None, "rs_wrong"):
            resp = call(client, token, method, url)
            assert resp.status_code == 401 and resp.json["error"]["code"] == "unauthorized"
    assert db["returns"].count == 0


def test_a_signed_in_browser_session_is_no_key_to_the_api(env):
    client, tokens, db = env
    with client.session_transaction() as s:
        s["user_id"], s["sid"] = 1, bench_session(client.application, 1)
    assert client.get("/api/lookup?code=SO-1").status_code == 401


def test_lookup_answers_the_contract_shape(env):
    client, tokens, _ = env
    resp = call(client, tokens["operator"], "GET", f"/api/lookup?code={sample.CARTON}")
    body = resp.json
    assert resp.status_code == 200 and body["match"] == "carton"
    assert set(body["order"]) >= {"order_no", "placed_at", "delivered_at", "channel", "currency", "status"}
    assert set(body["customer"]) >= {"customer_id", "name", "country", "orders_count", "returns_count", "flags"}
    assert body["expected"] == [{"sku": "MUG-01", "name": "Travel mug", "qty": 1, "unit_price": 19.99}]
    assert body["rma"]["rma_no"] == "RMA-1" and body["within_window"] is True


@pytest.mark.parametrize("code,status,error", [
    ("", 400, "bad_code"), ("A" * 129, 400, "bad_code"), ("A%07B", 400, "bad_code"), ("NOPE", 404, "not_found"),
])
def test_lookup_rejects_bad_codes_and_unknown_ones(env, code, status, error):
    client, tokens, _ = env
    resp = call(client, tokens["operator"], "GET", f"/api/lookup?code={code}")
    assert resp.status_code == status and resp.json["error"]["code"] == error


def test_a_parcel_goes_from_scan_to_refund_through_the_api(env):
    client, tokens, db = env
    op = tokens["operator"]
    opened = call(client, op, "POST", "/api/returns", {"code": sample.CARTON, "station": "bench-7"})
    assert opened.status_code == 201 and opened.json["status"] == "open"
    rid = opened.json["return_id"]
    again = call(client, op, "POST", "/api/returns", {"code": sample.CARTON, "station": "bench-7"})
    assert again.status_code == 200 and again.json["return_id"] == rid
    item = call(client, op, "POST", f"/api/returns/{rid}/items", {"code": sample.MUG_GTIN, "qty": 1, "grade": "A", "reason": "changed_mind"})
    assert item.status_code == 201 and item.json["recommendation"]["disposition"] == "crossdock"
    iid = item.json["item_id"]
    decided = call(client, op, "POST", f"/api/returns/{rid}/items/{iid}/decision", {"disposition": "crossdock"})
    assert decided.status_code == 200 and decided.json["target"] == "SO-W2"
    label = call(client, op, "GET", decided.json["label_url"])
    assert label.status_code == 200 and b"CROSS-DOCK" in label.data and b"SO-W2" in label.data
    assert call(client, None, "GET", decided.json["label_url"]).status_code == 401
    second = call(client, op, "POST", f"/api/returns/{rid}/items/{iid}/decision", {"disposition": "crossdock"})
    assert second.status_code == 409
    closed = call(client, op, "POST", f"/api/returns/{rid}/close", {})
    assert closed.status_code == 200 and closed.json["refund"]["status"] == "ready" and closed.json["refund"]["amount"] == "19.99"
    shown = call(client, op, "GET", f"/api/returns/{rid}").json
    assert shown["status"] == "closed" and shown["items"][0]["decision"] == {"disposition": "crossdock", "target": "SO-W2"}
    assert shown["refund"]["refund_id"] == closed.json["refund"]["refund_id"]
    order = call(client, op, "GET", "/api/orders/SO-W2").json
    assert order["status"] == "ready_to_ship" and order["lines"][0]["qty_allocated"] == 1
    feed = call(client, op, "GET", "/api/events?after=0&limit=1000").json
    assert [e["type"] for e in feed["events"]] == [
        "return.opened", "item.added", "allocation.made", "order.ready_to_ship", "decision.made", "refund.computed", "return.closed"]
    assert feed["next"] == feed["events"][-1]["seq"]
    page = call(client, op, "GET", f"/api/events?after={feed['events'][1]['seq']}&limit=2").json
    assert [e["seq"] for e in page["events"]] == [e["seq"] for e in feed["events"][2:4]]


@pytest.mark.parametrize("body", ["{not json", "[1,2]", '{"code": 5}', '{"code": ""}'])
def test_bad_bodies_get_a_400_and_open_nothing(env, body):
    client, tokens, db = env
    resp = call(client, tokens["operator"], "POST", "/api/returns", body)
    assert resp.status_code == 400 and "error" in resp.json
    assert db["returns"].count == 0


def test_restock_shows_in_stock(env):
    client, tokens, db = env
    op = tokens["operator"]
    rid = call(client, op, "POST", "/api/returns", {"code": "CTN-2"}).json["return_id"]
    iid = call(client, op, "POST", f"/api/returns/{rid}/items", {"sku": "SHOE-01", "qty": 1, "grade": "A", "reason": "defective"}).json["item_id"]
    call(client, op, "POST", f"/api/returns/{rid}/items/{iid}/decision", {"disposition": "restock"})
    assert call(client, op, "GET", "/api/stock?sku=SHOE-01").json == {
        "sku": "SHOE-01", "bins": [{"bin": "C-03-01", "condition": "new", "qty": 1}], "total": 1,
        "by_condition": {"new": 1, "open_box": 0, "refurbished": 0, "used": 0}}
    assert call(client, op, "GET", "/api/stock?sku=NOPE").status_code == 404


def held_refund(client, op):
    rid = call(client, op, "POST", "/api/returns", {"code": "CTN-2"}).json["return_id"]
    iid = call(client, op, "POST", f"/api/returns/{rid}/items", {"sku": "SHOE-01", "qty": 1, "grade": "A", "reason": "changed_mind"}).json["item_id"]
    call(client, op, "POST", f"/api/returns/{rid}/items/{iid}/decision", {"disposition": "restock"})
    return call(client, op, "POST", f"/api/returns/{rid}/close", {}).json["refund"]


def test_a_held_refund_waits_for_a_supervisor_and_is_paid_once(env):
    client, tokens, db = env
    op, sv = tokens["operator"], tokens["supervisor"]
    refund = held_refund(client, op)
    assert refund["status"] == "held"
    queue = call(client, op, "GET", "/api/queues/refunds").json["items"]
    assert [r["refund_id"] for r in queue] == [refund["refund_id"]]
    rid = refund["refund_id"]
    assert call(client, op, "POST", f"/api/refunds/{rid}/approve", {"note": "ok"}).status_code == 403
    assert call(client, op, "POST", f"/api/refunds/{rid}/paid", {"payment_ref": "P1"}).status_code == 409
    approved = call(client, sv, "POST", f"/api/refunds/{rid}/approve", {"note": "loyal customer"})
    assert approved.status_code == 200 and approved.json["status"] == "ready"
    assert call(client, sv, "POST", f"/api/refunds/{rid}/approve", {"note": "again"}).status_code == 409
    paid = call(client, op, "POST", f"/api/refunds/{rid}/paid", {"payment_ref": "P1"})
    assert paid.status_code == 200 and paid.json == {**paid.json, "refund_id": rid, "status": "paid", "payment_ref": "P1"}
    assert call(client, op, "POST", f"/api/refunds/{rid}/paid", {"payment_ref": "P1"}).json == paid.json
    assert call(client, op, "POST", f"/api/refunds/{rid}/paid", {"payment_ref": "P2"}).status_code == 409
    types = [e["type"] for e in call(client, op, "GET", "/api/events?limit=1000").json["events"]]
    assert types.count("refund.paid") == 1 and types.count("refund.approved") == 1


def test_a_supervisor_can_reject_a_held_refund(env):
    client, tokens, db = env
    refund = held_refund(client, tokens["operator"])
    resp = call(client, tokens["supervisor"], "POST", f"/api/refunds/{refund['refund_id']}/reject", {"note": "worn"})
    assert resp.status_code == 200 and resp.json["status"] == "rejected"
    assert db.execute("SELECT status FROM refunds").fetchone()[0] == "rejected"


def test_return_rates_count_cohorts_and_export_csv(env):
    client, tokens, db = env
    op = tokens["operator"]
    rid = call(client, op, "POST", "/api/returns", {"code": sample.CARTON}).json["return_id"]
    call(client, op, "POST", f"/api/returns/{rid}/items", {"sku": "MUG-01", "qty": 1, "grade": "A", "reason": "changed_mind"})
    call(client, op, "POST", f"/api/returns/{rid}/items", {"sku": "SHOE-01", "qty": 1, "grade": "A", "reason": "changed_mind"})
    rows = {r["key"]: r for r in call(client, op, "GET", "/api/reports/return-rates?group_by=sku").json["rows"]}
    assert rows["MUG-01"] == {"key": "MUG-01", "units_shipped": 2, "units_returned": 1, "rate": 0.5}
    assert rows["SHOE-01"]["units_returned"] == 0  # the shoe in SO-1's box is an item mismatch, not a return
    reason = call(client, op, "GET", "/api/reports/return-rates?group_by=reason").json["rows"]
    assert reason == [{"key": "changed_mind", "units_shipped": 4, "units_returned": 1, "rate": 0.25}]
    csv = call(client, op, "GET", "/api/reports/return-rates?group_by=country&format=csv")
    assert csv.mimetype == "text/csv" and csv.data.decode().splitlines()[0] == "key,units_shipped,units_returned,rate"
    assert call(client, op, "GET", "/api/reports/return-rates?group_by=colour").status_code == 400
    assert call(client, op, "GET", "/api/reports/return-rates?from=yesterday").status_code == 400
    empty = call(client, op, "GET", "/api/reports/return-rates?group_by=sku&from=2000-01-01&to=2000-01-31").json
    assert empty == {"rows": []}


def test_queues_and_unknown_queue(env):
    client, tokens, _ = env
    assert call(client, tokens["operator"], "GET", "/api/queues/quarantine").json == {"items": []}
    assert call(client, tokens["operator"], "GET", "/api/queues/nope").status_code == 404


@pytest.mark.parametrize("query", ["after=-1", "after=x", "limit=0", "limit=1001"])
def test_event_feed_rejects_bad_cursors(env, query):
    client, tokens, _ = env
    assert call(client, tokens["operator"], "GET", f"/api/events?{query}").status_code == 400


def test_decode_reads_a_barcode_image_and_rejects_what_is_not_one(env):
    client, tokens, _ = env
    import barcode
    from barcode.writer import ImageWriter

    png = io.BytesIO()
    barcode.get("code128", "RMA-1", writer=ImageWriter()).write(png)
    headers = {"Authorization": f"Bearer {tokens['operator']}"}
    resp = client.post("/api/decode", headers=headers, data={"image": (io.BytesIO(png.getvalue()), "a.png")})
    assert resp.status_code == 200 and {"symbology": "code128", "data": "RMA-1"} in resp.json["codes"]
    resp = client.post("/api/decode", headers=headers, data={"image": (io.BytesIO(b"hello"), "a.png")})
    assert resp.status_code == 400
    resp = client.post("/api/decode", headers=headers, data={"image": (io.BytesIO(b"\0" * (11 * 1024 * 1024)), "a.png")})
    assert resp.status_code == 413


HUGE_ID = "99999999999999999999999"  # beyond SQLite's 64-bit integers


def test_ids_beyond_sqlite_integers_or_not_digits_are_a_json_404_and_change_nothing(env):
    client, tokens, db = env
    op = tokens["operator"]
    rid = call(client, op, "POST", "/api/returns", {"code": sample.CARTON}).json["return_id"]
    iid = call(client, op, "POST", f"/api/returns/{rid}/items", {"sku": "MUG-01", "grade": "A", "reason": "changed_mind"}).json["item_id"]
    before = db.execute("SELECT count(*) FROM events").fetchone()[0]
    for bad_id in (HUGE_ID, str(2**63), "-1", "abc", "1e3", "1_0", "\u0663"):
        for method, url, body in [
            ("GET", f"/api/returns/{bad_id}", None),
            ("POST", f"/api/returns/{bad_id}/items", {"sku": "MUG-01", "grade": "A", "reason": "changed_mind"}),
            ("POST", f"/api/returns/{bad_id}/items/{iid}/decision", {"disposition": "crossdock"}),
            ("POST", f"/api/returns/{rid}/items/{bad_id}/decision", {"disposition": "crossdock"}),
            ("POST", f"/api/returns/{bad_id}/close", {}),
            ("GET", f"/api/items/{bad_id}/label", None),
            ("GET", f"/api/refunds/{bad_id}", None),
        ]:
            resp = call(client, op, method, url, body)
            assert resp.status_code == 404, (url, resp.status_code)
            assert resp.json["error"]["code"] == "not_found", url
    assert db.execute("SELECT count(*) FROM events").fetchone()[0] == before
    assert db.execute("SELECT count(*) FROM decisions").fetchone()[0] == 0
    assert db.execute("SELECT count(*) FROM return_items").fetchone()[0] == 1


def test_an_api_url_no_route_matches_answers_a_json_error_not_a_page(env):
    client, tokens, _ = env
    op = tokens["operator"]
    missing = call(client, op, "GET", "/api/no-such-route")
    assert missing.status_code == 404 and missing.json["error"]["code"] == "not_found"
    wrong_method = call(client, op, "DELETE", "/api/returns")
    assert wrong_method.status_code == 405 and wrong_method.json["error"]["code"] == "method_not_allowed"
    assert call(client, op, "GET", "/api/queues/").json["error"]["code"] == "not_found"
    page = client.get("/no-such-page")  # outside the API a missing page stays a page
    assert page.status_code == 404 and page.mimetype == "text/html"


@pytest.mark.parametrize("code", ["SO-1\u0085", "\u009bSO-1", "SO\u00801", "SO-1\x7f"])
def test_a_code_with_a_c1_control_character_is_a_bad_code_and_opens_nothing(env, code):
    client, tokens, db = env
    op = tokens["operator"]
    looked = call(client, op, "GET", "/api/lookup", query_string={"code": code})
    assert looked.status_code == 400 and looked.json["error"]["code"] == "bad_code"
    opened = call(client, op, "POST", "/api/returns", {"code": code})
    assert opened.status_code == 400 and opened.json["error"]["code"] == "bad_code"
    assert db["returns"].count == 0 and db["events"].count == 0


@pytest.mark.parametrize("station", [[], {}, 0, False, ["bench-1"], {"name": "b"}, 7, "b" * 65, "bench\n1"])
def test_a_station_of_the_wrong_type_is_a_400_naming_it_on_open_and_on_decision(env, station):
    client, tokens, db = env
    op = tokens["operator"]
    opened = call(client, op, "POST", "/api/returns", {"code": sample.CARTON, "station": station})
    assert opened.status_code == 400 and opened.json["error"]["field"] == "station"
    assert db["returns"].count == 0
    rid = call(client, op, "POST", "/api/returns", {"code": sample.CARTON, "station": "bench-1"}).json["return_id"]
    iid = call(client, op, "POST", f"/api/returns/{rid}/items", {"sku": "MUG-01", "grade": "A", "reason": "changed_mind"}).json["item_id"]
    decided = call(client, op, "POST", f"/api/returns/{rid}/items/{iid}/decision", {"disposition": "crossdock", "station": station})
    assert decided.status_code == 400 and decided.json["error"]["field"] == "station"
    assert db["decisions"].count == 0 and db["allocations"].count == 0
    assert db.execute("SELECT qty_allocated FROM order_lines WHERE order_no = 'SO-W2'").fetchone()[0] == 0


def test_stock_without_a_sku_is_a_400_naming_it(env):
    client, tokens, _ = env
    resp = call(client, tokens["operator"], "GET", "/api/stock")
    assert resp.status_code == 400 and resp.json["error"]["field"] == "sku"
    assert call(client, tokens["operator"], "GET", "/api/stock?sku=").json["error"]["field"] == "sku"


def test_the_label_url_is_absolute_and_answers_the_label_to_the_same_token(env):
    client, tokens, db = env
    op = tokens["operator"]
    rid = call(client, op, "POST", "/api/returns", {"code": "CTN-2"}).json["return_id"]
    iid = call(client, op, "POST", f"/api/returns/{rid}/items", {"sku": "SHOE-01", "grade": "A", "reason": "defective"}).json["item_id"]
    decided = call(client, op, "POST", f"/api/returns/{rid}/items/{iid}/decision", {"disposition": "restock"}).json
    assert decided["label_url"] == f"http://localhost/api/items/{iid}/label"
    label = call(client, op, "GET", decided["label_url"])
    assert label.status_code == 200 and label.mimetype == "image/svg+xml" and b"C-03-01" in label.data
    assert db.execute("SELECT disposition, target FROM decisions WHERE item_id = ?", [iid]).fetchone() == ("restock", "C-03-01")


@pytest.mark.parametrize("key", [[], {"a": 1}])
def test_a_sku_rule_with_a_list_or_object_key_answers_400_not_500(env, key):
    client, tokens, db = env
    resp = call(client, tokens["supervisor"], "POST", "/api/policy/sku/MUG-01", {"key": key, "enabled": True})
    assert resp.status_code == 400 and resp.json["error"]["field"] == "key"
    assert db["sku_policy"].count == 0 and db["policy_audit"].count == 0


@pytest.mark.parametrize("amount", ["12.125", "12,50", "1_000", "\u0663", "\uff11\uff12", "-0.0", "-1", "1e2", True, ""])
def test_an_approved_amount_must_be_a_plain_decimal_of_cents_and_a_bad_one_changes_nothing(env, amount):
    client, tokens, db = env
    refund = held_refund(client, tokens["operator"])
    before = db.execute("SELECT amount, status, updated_at FROM refund_lines").fetchall()
    resp = call(client, tokens["supervisor"], "POST", f"/api/refunds/{refund['refund_id']}/approve",
                {"note": "goodwill", "amount": amount})
    assert resp.status_code == 400 and resp.json["error"]["field"] == "amount"
    assert db.execute("SELECT amount, status, updated_at FROM refund_lines").fetchall() == before
    good = call(client, tokens["supervisor"], "POST", f"/api/refunds/{refund['refund_id']}/approve",
                {"note": "goodwill", "amount": "12.10"})
    assert good.status_code == 200 and (good.json["amount"], good.json["payable"], good.json["status"]) == (
        "12.10", "12.10", "ready")
    assert db.execute("SELECT amount, status FROM refunds").fetchone() == ("12.10", "ready")


@pytest.mark.parametrize("query,field", [("after=\u0663", "after"), ("limit=%EF%BC%91", "limit"), ("after=1_0", "after"),
                                         ("limit=%205", "limit"), ("after=1e3", "after"), ("limit=1.0", "limit")])
def test_event_cursors_other_than_ascii_digits_are_a_400_naming_the_field(env, query, field):
    client, tokens, db = env
    call(client, tokens["operator"], "POST", "/api/returns", {"code": sample.CARTON})
    resp = call(client, tokens["operator"], "GET", f"/api/events?{query}")
    assert resp.status_code == 400 and resp.json["error"]["field"] == field
    assert db["events"].count == 1  # the feed only reads
    assert call(client, tokens["operator"], "GET", "/api/events?after=0&limit=5").json["next"] == 1


def test_a_lone_utf16_surrogate_in_any_json_string_is_a_400_naming_the_field_and_stores_nothing(env):
    client, tokens, db = env
    op = tokens["operator"]
    assert call(client, op, "POST", "/api/returns", '{"code": "SO-1\\ud800"}').json["error"]["field"] == "code"
    assert call(client, op, "POST", "/api/returns", '{"code": "SO-1", "station": "\\udc00b"}').json["error"]["field"] == "station"
    assert db["returns"].count == 0 and db["events"].count == 0
    rid = call(client, op, "POST", "/api/returns", {"code": sample.CARTON}).json["return_id"]
    for field in ("sku", "code", "serial", "notes"):
        item = {"sku": "MUG-01", "grade": "A", "reason": "changed_mind", field: "x\\ud83d"}
        resp = call(client, op, "POST", f"/api/returns/{rid}/items", json.dumps(item).replace("\\\\ud83d", "\\ud83d"))
        assert resp.status_code == 400 and resp.json["error"]["field"] == field, field
    nested = call(client, op, "POST", f"/api/returns/{rid}/close", '{"extra": {"deep": ["\\udfff"]}}')
    assert nested.status_code == 400 and nested.json["error"]["field"] == "extra"
    assert db["return_items"].count == 0 and db["refunds"].count == 0
    assert db.execute("SELECT status FROM returns").fetchone()[0] == "open"


@pytest.mark.parametrize("body", ["[" * 100_000 + "]" * 100_000, '{"a":' * 100_000 + "1" + "}" * 100_000],
                         ids=["arrays", "objects"])
def test_a_body_nested_thousands_deep_is_a_400_bad_json_and_opens_nothing(env, body):
    client, tokens, db = env
    resp = call(client, tokens["operator"], "POST", "/api/returns", body)
    assert resp.status_code == 400 and resp.json["error"] == {**resp.json["error"], "code": "bad_json", "field": "body"}
    assert db["returns"].count == 0 and db["events"].count == 0


def test_decode_answers_413_for_an_image_of_too_many_pixels_however_small_its_file(env):
    from tests.test_hardware_decode import one_bit_png

    client, tokens, _ = env
    headers = {"Authorization": f"Bearer {tokens['operator']}"}
    small_file = one_bit_png(100_000, 100)  # a few kB on disk
    resp = client.post("/api/decode", headers=headers, data={"image": (io.BytesIO(small_file), "wide.png")})
    assert resp.status_code == 413 and resp.json["error"]["code"] == "too_large"
    assert "too large to decode" in resp.json["error"]["message"]


# --- one rule for the bench and the API: photos, default reasons, the scan log ------------------

def opened_item(client, token, item):
    ret = call(client, token, "POST", "/api/returns", {"code": sample.CARTON, "station": "api-1"}).json
    added = call(client, token, "POST", f"/api/returns/{ret['return_id']}/items", item)
    assert added.status_code == 201, added.json
    return ret["return_id"], added.json


def upload(client, token, url, data, name="photo.png"):
    return client.post(url, headers={"Authorization": f"Bearer {token}"},
                       data={"image": (io.BytesIO(data), name)}, content_type="multipart/form-data")


def test_a_grade_d_decision_through_the_api_needs_a_photo_as_at_the_bench(env, tmp_path):
    client, tokens, db = env
    op = tokens["operator"]
    rid, item = opened_item(client, op, {"sku": "MUG-01", "qty": 1, "grade": "D", "reason": "defective"})
    url = f"/api/returns/{rid}/items/{item['item_id']}"
    refused = call(client, op, "POST", f"{url}/decision", {"disposition": item["recommendation"]["disposition"]})
    assert refused.status_code == 409 and refused.json["error"]["code"] == "photo_required"
    assert db["decisions"].count == 0
    saved = upload(client, op, f"{url}/photos", sample.png_bytes())
    assert saved.status_code == 201 and isinstance(saved.json["photo_id"], int)
    stored = db.execute("SELECT item_id, content_type, path FROM photos").fetchall()
    assert [(r[0], r[1]) for r in stored] == [(item["item_id"], "image/png")]
    assert (tmp_path / "photos" / stored[0][2]).read_bytes() == sample.png_bytes()
    decided = call(client, op, "POST", f"{url}/decision", {"disposition": item["recommendation"]["disposition"]})
    assert decided.status_code == 200 and db["decisions"].count == 1


def _jpeg(size=(64, 48)):
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", size, "grey").save(out, "JPEG")
    return out.getvalue()


@pytest.mark.parametrize("data", [
    b"\x89PNG\r\n\x1a\n<html><script>alert(1)</script></html>",   # a page behind a PNG header
    _jpeg()[:300],                                                    # a JPEG cut off
    b"GIF89a" + b"\0" * 40,                                          # not a photo we keep
    b"",
], ids=["html-behind-png-header", "truncated-jpeg", "gif-header", "empty"])
def test_a_photo_that_is_not_a_whole_picture_is_a_400_and_keeps_nothing(env, tmp_path, data):
    client, tokens, db = env
    rid, item = opened_item(client, tokens["operator"], {"sku": "MUG-01", "qty": 1, "grade": "D", "reason": "defective"})
    resp = upload(client, tokens["operator"], f"/api/returns/{rid}/items/{item['item_id']}/photos", data)
    assert resp.status_code == 400 and resp.json["error"]["field"] == "image"
    assert db["photos"].count == 0 and not list((tmp_path / "photos").rglob("*.*"))


def test_a_photo_of_too_many_pixels_is_a_413_however_small_its_file(env):
    from PIL import Image

    client, tokens, db = env
    rid, item = opened_item(client, tokens["operator"], {"sku": "MUG-01", "qty": 1, "grade": "D", "reason": "defective"})
    bomb = io.BytesIO()
    Image.new("1", (7745, 7745)).save(bomb, "PNG")  # a few kB on disk, 60 million pixels
    resp = upload(client, tokens["operator"], f"/api/returns/{rid}/items/{item['item_id']}/photos", bomb.getvalue())
    assert resp.status_code == 413 and resp.json["error"]["code"] == "too_large"
    assert db["photos"].count == 0


def test_a_photo_for_an_item_of_another_return_or_without_its_field_is_refused(env):
    client, tokens, db = env
    op = tokens["operator"]
    rid, item = opened_item(client, op, {"sku": "MUG-01", "qty": 1, "grade": "D", "reason": "defective"})
    other = call(client, op, "POST", "/api/returns", {"code": "CTN-2"}).json["return_id"]
    assert upload(client, op, f"/api/returns/{other}/items/{item['item_id']}/photos", sample.png_bytes()).status_code == 404
    missing = client.post(f"/api/returns/{rid}/items/{item['item_id']}/photos", headers={"Authorization": f"Bearer {op}"},
                          data={"photo": (io.BytesIO(sample.png_bytes()), "p.png")}, content_type="multipart/form-data")
    assert missing.status_code == 400 and missing.json["error"]["field"] == "image"
    assert db["photos"].count == 0


def test_an_item_without_a_reason_takes_the_rmas_reason_else_grade_a_takes_no_longer_needed(env):
    client, tokens, db = env
    op = tokens["operator"]
    _, with_rma = opened_item(client, op, {"sku": "MUG-01", "qty": 1, "grade": "B"})  # RMA-1 says changed_mind
    other = call(client, op, "POST", "/api/returns", {"code": "CTN-2"}).json["return_id"]  # SO-2 has no RMA
    grade_a = call(client, op, "POST", f"/api/returns/{other}/items", {"sku": "SHOE-01", "qty": 1, "grade": "A"})
    grade_b = call(client, op, "POST", f"/api/returns/{other}/items", {"sku": "SHOE-01", "qty": 1, "grade": "B"})
    assert grade_a.status_code == 201 and grade_b.status_code == 400 and grade_b.json["error"]["field"] == "reason"
    reasons = db.execute("SELECT item_id, reason FROM return_items ORDER BY item_id").fetchall()
    assert reasons == [(with_rma["item_id"], "changed_mind"), (grade_a.json["item_id"], "no_longer_needed")]


def test_scans_through_the_api_reach_the_scan_log_once_each_good_or_bad(env):
    client, tokens, db = env
    op = tokens["operator"]
    opened = call(client, op, "POST", "/api/returns", {"code": sample.CARTON, "station": "api-1"})
    again = call(client, op, "POST", "/api/returns", {"code": sample.CARTON, "station": "api-1"})
    unknown = call(client, op, "POST", "/api/returns", {"code": "NOPE-1", "station": "api-1"})
    rid = opened.json["return_id"]
    item = call(client, op, "POST", f"/api/returns/{rid}/items", {"code": sample.MUG_GTIN, "qty": 1, "grade": "A"})
    by_sku = call(client, op, "POST", f"/api/returns/{rid}/items", {"sku": "MUG-01", "qty": 1, "grade": "A"})
    assert [r.status_code for r in (opened, again, unknown, item, by_sku)] == [201, 200, 404, 201, 201]
    logged = db.execute("SELECT source, station, user, raw, kind, ok FROM scans ORDER BY rowid").fetchall()
    assert logged == [("api", "api-1", "olga", sample.CARTON, "carton", 1),
                      ("api", "api-1", "olga", sample.CARTON, "carton", 1),
                      ("api", "api-1", "olga", "NOPE-1", "error", 0),
                      ("api", "bench", "olga", sample.MUG_GTIN, "product", 1)]  # a SKU typed by a program is no scan


@pytest.mark.parametrize("field, value", [("sku", "MUG-01\x00"), ("code", "590\x001234"), ("serial", "SN\x07"),
                                          ("sku", "MUG\x85"), ("notes", "lid\x00cracked")])
def test_a_control_character_in_a_code_or_a_nul_anywhere_is_a_400_naming_the_field_and_stores_nothing(env, field, value):
    client, tokens, db = env
    rid = call(client, tokens["operator"], "POST", "/api/returns", {"code": sample.CARTON}).json["return_id"]
    item = {"sku": "MUG-01", "qty": 1, "grade": "A", "reason": "changed_mind", field: value}
    if field == "code":
        item.pop("sku")
    resp = call(client, tokens["operator"], "POST", f"/api/returns/{rid}/items", item)
    assert resp.status_code == 400 and resp.json["error"]["field"] == field
    assert db["return_items"].count == 0


def test_a_write_the_busy_database_cannot_take_answers_503_busy_and_saves_nothing(env, monkeypatch):
    """Another program holds SQLite's write lock past the station's wait: the open is rolled back
    whole and answered 503 `busy` with Retry-After, not a 500; once the lock is free it goes through."""
    import sqlite3

    from station import db as db_module

    client, tokens, db = env
    monkeypatch.setattr(db_module, "BUSY_TIMEOUT_MS", 200)
    db_module._local.__dict__.pop("dbs", None)  # this thread's next request opens a connection with that wait
    other = sqlite3.connect(client.application.config["DATABASE"], isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    try:
        resp = call(client, tokens["operator"], "POST", "/api/returns", {"code": sample.CARTON, "station": "bench-7"})
    finally:
        other.execute("ROLLBACK")
        other.close()
    assert resp.status_code == 503 and resp.json["error"]["code"] == "busy"
    assert resp.headers["Retry-After"] == "1"
    assert db["returns"].count == 0 and db.execute("SELECT count(*) FROM events").fetchone()[0] == 0
    again = call(client, tokens["operator"], "POST", "/api/returns", {"code": sample.CARTON, "station": "bench-7"})
    assert again.status_code == 201 and db["returns"].count == 1


def test_a_bench_scan_the_busy_database_cannot_take_answers_503_with_words_for_the_page(env, monkeypatch):
    import sqlite3

    from station import db as db_module
    from tests.helpers import bench_client, post

    client, tokens, db = env
    bench = bench_client(client.application, "OP-1", "1234", "bench-7")
    monkeypatch.setattr(db_module, "BUSY_TIMEOUT_MS", 200)
    db_module._local.__dict__.pop("dbs", None)
    other = sqlite3.connect(client.application.config["DATABASE"], isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    try:
        resp = post(bench, "/bench/scan", code=sample.CARTON)
    finally:
        other.execute("ROLLBACK")
        other.close()
    assert resp.status_code == 503 and "nothing was saved" in resp.get_data(as_text=True)
    assert db["returns"].count == 0
