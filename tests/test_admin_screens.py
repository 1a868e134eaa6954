"""The admin screens through Flask's test client: policy editor, users and roles, integrations.

Each test asserts what the page answered and what landed in the database.
"""
import json
import re
from datetime import timedelta

import pytest

from station import auth, create_app
from station.intake import closing, decisions, returns
from station.data import webhooks
from station.db import connect
from station.timeutil import now
from tests.helpers import screen_as
from tests.sample import CARTON, MUG_GTIN, fresh, load_sample

CSRF = "admin-screens-csrf"
BADGES = {"admin": ("AD-1", "9999"), "supervisor": ("SV-1", "4321"), "operator": ("OP-1", "1234")}
NAMES = {"admin": "Ada Admin", "supervisor": "Sam Supervisor", "operator": "Olga Operator"}


@pytest.fixture
def app(tmp_path):
    path = tmp_path / "station.db"
    db = fresh(path)
    load_sample(db)
    with db.conn:  # nothing waits for a mug: a grade A mug restocks
        db.execute("UPDATE order_lines SET qty_allocated = qty WHERE order_no IN ('SO-W1', 'SO-W2')")
    for role, (badge, pin) in BADGES.items():
        auth.add_user(db, NAMES[role], role, pin, badge)
    db.close()
    return create_app({"DATABASE": str(path), "SECRET_KEY": "admin-test", "TESTING": True,
                       "PHOTO_DIR": str(tmp_path / "photos")})


@pytest.fixture
def db(app):
    handle = connect(app.config["DATABASE"])
    yield handle
    handle.close()


def signed_in(app, role):
    return screen_as(app, NAMES[role], CSRF)


@pytest.fixture
def admin(app):
    return signed_in(app, "admin")


@pytest.fixture
def supervisor(app):
    return signed_in(app, "supervisor")


def text(response):
    return response.get_data(as_text=True)


def field_error(response, key):
    found = re.search(rf'id="{key}-error"[^>]*>([^<]*)<', text(response))
    return found.group(1) if found else None


def decide(db, return_id, item):
    """The operator confirms the recommendation."""
    return decisions.decide(db, return_id, item["item_id"], {"disposition": item["recommendation"]["disposition"]},
                            user="Olga Operator")


def sign_in_at_bench(app, badge, pin):
    """The bench sign-in, badge then PIN, as the keypad posts it: (status, page text)."""
    client = app.test_client()
    token = re.search(r'data-csrf="([^"]+)"', text(client.get("/sign-in"))).group(1)
    client.post("/sign-in/badge", data={"code": badge}, headers={"X-CSRF-Token": token, "HX-Request": "true"})
    response = client.post("/sign-in", data={"pin": pin, "csrf_token": token})
    return response.status_code, text(response), client


# --- policy -------------------------------------------------------------------------------

def test_a_supervisor_saves_policy_values_and_the_history_names_who_changed_what_from_what_to_what(supervisor, db):
    response = supervisor.post("/admin/policy", return_window_days="45", restocking_fee="0.20", liquidation_rate="0.05")
    assert response.status_code == 200
    assert "Saved for new decisions: Return window, Restocking fee" in text(response)
    assert 'id="policy-audit" class="panel" hx-swap-oob="true"' in text(response)  # the history refreshes too
    stored = dict(db.execute("SELECT key, value FROM policy").fetchall())
    assert stored == {"return_window_days": "45", "restocking_fee": '"0.20"'}
    audit = db.execute("SELECT key, old_value, new_value, changed_by FROM policy_audit ORDER BY audit_id").fetchall()
    assert audit == [("return_window_days", "30", "45", "Sam Supervisor"), ("restocking_fee", "0.15", "0.20", "Sam Supervisor")]
    page = text(supervisor.get("/admin/policy"))
    history = page[page.index('id="policy-audit"'):]
    assert re.search(r"Sam Supervisor</bdi></td>\s*<td>Return window</td>\s*<td>30</td><td>45</td>", history)


@pytest.mark.parametrize("key, value, message", [
    ("return_window_days", "thirty", "must be a whole number"),
    ("return_window_days", "9" * 40, "must be from 0 to 3650"),
    ("return_window_days", "9" * 5000, "must be a whole number"),
    ("return_window_days", "-1", "must be from 0 to 3650"),
    ("restocking_fee", "1e999999", "must be a decimal number"),  # written out, not in exponent form
    ("restocking_fee", "NaN", "must be a decimal number"),
    ("liquidation_rate", "0.000001", "has more than 4 decimal places"),
    ("frequent_returns_count", "", "must be a whole number"),
    ("high_value_threshold", "<script>alert(1)</script>", "must be a decimal number"),
])
def test_a_bad_value_is_named_next_to_its_field_and_nothing_is_saved(supervisor, db, key, value, message):
    response = supervisor.post("/admin/policy", **{"candidate_days": "60", key: value})
    assert response.status_code == 400
    assert field_error(response, key) == message
    assert "Nothing saved" in text(response)
    assert "<script>alert(1)" not in text(response)
    assert db.execute("SELECT count(*) FROM policy").fetchone()[0] == 0
    assert db.execute("SELECT count(*) FROM policy_audit").fetchone()[0] == 0


def test_saving_the_same_values_changes_nothing_and_records_nothing(supervisor, db):
    response = supervisor.post("/admin/policy", restocking_fee="0.150", return_window_days="30")
    assert "Nothing changed" in text(response)
    assert db.execute("SELECT count(*) FROM policy_audit").fetchone()[0] == 0


def test_a_policy_change_applies_to_new_decisions_only(supervisor, db):
    # before the change: a grade C mug (customer changed mind) is weighed, decided and refunded
    opened, _ = returns.open_return(db, CARTON, station="bench-1", user="Olga Operator")
    old = returns.add_item(db, opened["return_id"], {"sku": "MUG-01", "qty": 1, "grade": "C", "reason": "changed_mind"})
    old_refurbish = {o["disposition"]: o["value"] for o in old["recommendation"]["options"]}["refurbish"]
    assert old_refurbish == "12.00"  # 20 x 0.70 - 2
    decide(db, opened["return_id"], old)
    old_refund = closing.close_return(db, opened["return_id"])["refund"]
    assert old_refund["amount"] == "16.99"  # 19.99 minus the 15% restocking fee

    response = supervisor.post("/admin/policy", refurbished_factor="0.50", restocking_fee="0.30")
    assert response.status_code == 200

    # the item recommended before keeps its recorded recommendation and refund
    stored = json.loads(db.execute("SELECT recommendation FROM return_items WHERE item_id = ?", [old["item_id"]]).fetchone()[0])
    assert {o["disposition"]: o["value"] for o in stored["options"]}["refurbish"] == "12.00"
    assert returns.get_return(db, opened["return_id"])["refund"]["amount"] == "16.99"
    # a new one is weighed and refunded with the new values
    again, _ = returns.open_return(db, CARTON, station="bench-1", user="Olga Operator")
    new = returns.add_item(db, again["return_id"], {"sku": "MUG-01", "qty": 1, "grade": "C", "reason": "changed_mind"})
    assert {o["disposition"]: o["value"] for o in new["recommendation"]["options"]}["refurbish"] == "8.00"  # 20 x 0.50 - 2
    decide(db, again["return_id"], new)
    assert closing.close_return(db, again["return_id"])["refund"]["amount"] == "13.99"  # 19.99 x 0.70


def test_a_scanned_product_barcode_picks_the_product_and_its_rule_is_saved_and_audited(supervisor, db):
    picked = supervisor.post("/admin/policy/scan", code=MUG_GTIN)
    assert picked.status_code == 200
    assert "Travel mug" in text(picked) and "Never restock: off" in text(picked)
    response = supervisor.post("/admin/policy/sku", sku="MUG-01", key="never_restock", enabled="1")
    assert response.status_code == 200
    assert "Never restock: on for MUG-01" in text(response)
    assert 'id="sku-overrides" class="panel" hx-swap-oob="true"' in text(response)
    assert db.execute("SELECT sku, key FROM sku_policy").fetchall() == [("MUG-01", "never_restock")]
    assert db.execute("SELECT key, sku, old_value, new_value, changed_by FROM policy_audit").fetchall() == [
        ("never_restock", "MUG-01", "0", "1", "Sam Supervisor")]
    # the next grade A mug is not restocked
    opened, _ = returns.open_return(db, CARTON, station="bench-1")
    item = returns.add_item(db, opened["return_id"], {"sku": "MUG-01", "qty": 1, "grade": "A", "reason": "changed_mind"})
    assert item["recommendation"]["disposition"] != "restock"


def test_products_are_found_by_name_sku_or_gtin_and_wildcards_are_plain_text(supervisor):
    assert "MUG-01" in text(supervisor.get("/admin/policy/products?q=travel", headers={"HX-Request": "true"}))
    assert "PHONE-01" in text(supervisor.get("/admin/policy/products?q=4006381", headers={"HX-Request": "true"}))
    nothing = text(supervisor.get("/admin/policy/products?q=%25", headers={"HX-Request": "true"}))
    assert "No product matches" in nothing and "MUG-01" not in nothing


@pytest.mark.parametrize("data, status", [
    ({"sku": "NOPE-99", "key": "never_restock", "enabled": "1"}, 404),
    ({"sku": "MUG-01", "key": "drop_table", "enabled": "1"}, 400),
    ({"sku": "", "key": "", "enabled": ""}, 400),
])
def test_an_unknown_sku_or_rule_is_refused_and_nothing_changes(supervisor, db, data, status):
    response = supervisor.post("/admin/policy/sku", **data)
    assert response.status_code == status
    assert "tone-error" in text(response)
    assert db.execute("SELECT count(*) FROM sku_policy").fetchone()[0] == 0
    assert db.execute("SELECT count(*) FROM policy_audit").fetchone()[0] == 0


def test_an_unknown_product_scan_says_so(supervisor):
    response = supervisor.post("/admin/policy/scan", code="0000000000000")
    assert response.status_code == 404
    assert "No product has the code" in text(response)


def test_a_post_without_the_forms_csrf_token_saves_nothing(app, db):
    client = signed_in(app, "supervisor").client
    response = client.post("/admin/policy", data={"return_window_days": "60"})
    assert response.status_code == 400
    assert db.execute("SELECT count(*) FROM policy").fetchone()[0] == 0


def test_an_operator_gets_the_403_page_at_the_policy_editor(app, db):
    operator = signed_in(app, "operator")
    assert operator.get("/admin/policy").status_code == 403
    assert operator.post("/admin/policy", return_window_days="60").status_code == 403
    assert db.execute("SELECT count(*) FROM policy").fetchone()[0] == 0


# --- users --------------------------------------------------------------------------------

def test_an_admin_adds_a_user_who_then_signs_in_with_badge_and_pin(app, admin, db):
    response = admin.post("/admin/users", name="Иван Петров", role="technician", badge="TE-77", pin="2468")
    assert response.status_code == 200
    assert "Added Иван Петров (technician), badge TE-77" in text(response)
    assert 'id="users" class="panel" hx-swap-oob="true"' in text(response)
    row = db.execute("SELECT role, badge, active, pin_hash FROM users WHERE name = 'Иван Петров'").fetchone()
    assert row[:3] == ("technician", "TE-77", 1) and "2468" not in row[3]
    status, _page, _client = sign_in_at_bench(app, "TE-77", "2468")
    assert status == 302


@pytest.mark.parametrize("data, field, message", [
    ({"name": "New One", "role": "operator", "badge": "NB-1", "pin": ""}, "pin", "a PIN is 4 to 8 digits"),
    ({"name": "New One", "role": "operator", "badge": "NB-1", "pin": "12ab"}, "pin", "a PIN is 4 to 8 digits"),
    ({"name": "New One", "role": "operator", "badge": "NB-1", "pin": "1" * 400}, "pin", "a PIN is 4 to 8 digits"),
    ({"name": "New One", "role": "operator", "badge": "OP-1", "pin": "1234"}, "badge", "badge OP-1 is already in use"),
    ({"name": "Olga Operator", "role": "operator", "badge": "NB-1", "pin": "1234"}, "name", "user Olga Operator already exists"),
    ({"name": "New One", "role": "root", "badge": "NB-1", "pin": "1234"}, "role", "must be one of operator, technician, supervisor, admin"),
    ({"name": "", "role": "operator", "badge": "NB-1", "pin": "1234"}, "name", "a name of 1 to 100 characters is required"),
    ({"name": "x" * 5000, "role": "operator", "badge": "NB-1", "pin": "1234"}, "name", "a name of 1 to 100 characters is required"),
    ({"name": "New One", "role": "operator", "badge": "", "pin": "1234"}, "badge", "a badge code of 1 to 64 characters is required"),
])
def test_a_bad_new_user_is_named_at_its_field_and_nobody_is_added(admin, db, data, field, message):
    response = admin.post("/admin/users", **data)
    assert response.status_code in (400, 409)
    assert field_error(response, field) == message
    assert 'name="pin" type="password"' in text(response) and 'value="1234"' not in text(response)
    assert db.execute("SELECT count(*) FROM users").fetchone()[0] == 3


def test_a_script_in_a_name_is_shown_as_text(admin):
    admin.post("/admin/users", name="<script>alert(1)</script>", role="operator", badge="XS-1", pin="1234")
    page = text(admin.get("/admin/users"))
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_the_users_list_shows_role_badge_and_a_lockout_from_wrong_pins(app, admin):
    for _ in range(5):
        status, _page, _c = sign_in_at_bench(app, "OP-1", "0000")
    page = text(admin.get("/admin/users"))
    row = re.search(r"<tr class=\"locked\">.*?</tr>", page, re.S).group(0)
    assert "Olga Operator" in row and "operator" in row and "OP-1" in row and "Locked" in row
    status, body, _c = sign_in_at_bench(app, "OP-1", "1234")
    assert status == 423 and "Too many wrong PINs" in body


def test_unlock_lets_a_locked_user_sign_in_again(app, admin, db):
    for _ in range(5):
        sign_in_at_bench(app, "OP-1", "0000")
    user_id = db.execute("SELECT id FROM users WHERE badge = 'OP-1'").fetchone()[0]
    response = admin.post(f"/admin/users/{user_id}/unlock")
    assert response.status_code == 200 and "Olga Operator can sign in again" in text(response)
    assert db.execute("SELECT failed_pins, locked_until FROM users WHERE id = ?", [user_id]).fetchone() == (0, None)
    assert sign_in_at_bench(app, "OP-1", "1234")[0] == 302


def test_a_reset_pin_replaces_the_old_one(app, admin, db):
    user_id = db.execute("SELECT id FROM users WHERE badge = 'OP-1'").fetchone()[0]
    assert admin.post(f"/admin/users/{user_id}/pin", pin="12").status_code == 400
    # a line break after the digits is no PIN anyone can type at the keypad
    assert admin.post(f"/admin/users/{user_id}/pin", pin="8642\n").status_code == 400
    assert sign_in_at_bench(app, "OP-1", "1234")[0] == 302
    response = admin.post(f"/admin/users/{user_id}/pin", pin="86420")
    assert response.status_code == 200 and "New PIN set for Olga Operator" in text(response)
    assert sign_in_at_bench(app, "OP-1", "1234")[0] == 401
    assert sign_in_at_bench(app, "OP-1", "86420")[0] == 302


def test_a_deactivated_user_is_refused_at_sign_in_on_their_open_session_and_with_their_token(app, admin, db):
    user_id = db.execute("SELECT id FROM users WHERE badge = 'OP-1'").fetchone()[0]
    token = auth.new_token(db, "Olga Operator")
    _status, _page, bench = sign_in_at_bench(app, "OP-1", "1234")
    assert bench.get("/bench").status_code == 200
    response = admin.post(f"/admin/users/{user_id}/active", active="0")
    assert response.status_code == 200 and "deactivated" in text(response)
    assert db.execute("SELECT active FROM users WHERE id = ?", [user_id]).fetchone()[0] == 0
    assert bench.get("/bench").location.endswith("/sign-in")
    client = app.test_client()
    token_page = text(client.get("/sign-in"))
    csrf = re.search(r'data-csrf="([^"]+)"', token_page).group(1)
    badge = client.post("/sign-in/badge", data={"code": "OP-1"}, headers={"X-CSRF-Token": csrf, "HX-Request": "true"})
    assert badge.status_code == 403 and "This badge is deactivated" in text(badge)
    assert sign_in_at_bench(app, "OP-1", "1234")[0] != 302
    api = app.test_client().get("/api/events", headers={"Authorization": f"Bearer {token}"})
    assert api.status_code == 401
    admin.post(f"/admin/users/{user_id}/active", active="1")
    assert app.test_client().get("/api/events", headers={"Authorization": f"Bearer {token}"}).status_code == 200


def test_an_admin_cannot_deactivate_their_own_badge_or_the_last_admin(admin, db):
    me = db.execute("SELECT id FROM users WHERE role = 'admin'").fetchone()[0]
    response = admin.post(f"/admin/users/{me}/active", active="0")
    assert response.status_code == 409 and "your own badge" in text(response)
    assert db.execute("SELECT active FROM users WHERE id = ?", [me]).fetchone()[0] == 1
    assert admin.post("/admin/users/999999/active", active="0").status_code == 404


def test_an_api_token_is_shown_once_works_and_stops_working_when_revoked(app, admin, db):
    user_id = db.execute("SELECT id FROM users WHERE badge = 'SV-1'").fetchone()[0]
    response = admin.post(f"/admin/users/{user_id}/tokens")
    token = re.search(r'id="new-token" class="field token" value="(rs_[^"]+)"', text(response)).group(1)
    assert db.execute("SELECT count(*) FROM api_tokens WHERE token_hash = ?", [token]).fetchone()[0] == 0  # only a hash
    assert db.execute("SELECT hint, created_by FROM api_tokens").fetchone() == (token[:8] + "…", "Ada Admin")
    api = app.test_client()
    assert api.get("/api/policy/audit", headers={"Authorization": f"Bearer {token}"}).status_code == 200
    panel = text(admin.get(f"/admin/users/{user_id}", headers={"HX-Request": "true"}))
    assert token not in panel  # shown once
    token_id = re.search(r"/tokens/([0-9a-f]{12})/revoke", panel).group(1)
    assert admin.post(f"/admin/users/{user_id}/tokens/{token_id}/revoke").status_code == 200
    assert db.execute("SELECT revoked, revoked_by FROM api_tokens").fetchone() == (1, "Ada Admin")
    assert api.get("/api/policy/audit", headers={"Authorization": f"Bearer {token}"}).status_code == 401
    assert admin.post(f"/admin/users/{user_id}/tokens/{token_id}/revoke").status_code == 404
    assert admin.post(f"/admin/users/{user_id}/tokens/zz%3Cscript%3E/revoke").status_code == 404


def test_an_admin_taps_a_users_language_and_their_next_sign_in_speaks_it(app, admin, db):
    user_id = db.execute("SELECT id FROM users WHERE badge = 'OP-1'").fetchone()[0]
    panel = re.sub(r"\s+", " ", text(admin.get(f"/admin/users/{user_id}", htmx=True)))
    assert re.search(r'value="en"[^>]*aria-pressed="true">English</button>', panel)  # one button per language
    assert re.search(r'value="zh_Hans"[^>]*aria-pressed="false">简体中文</button>', panel)
    response = admin.post(f"/admin/users/{user_id}/language", language="zh_Hans")
    page = re.sub(r"\s+", " ", text(response))
    assert response.status_code == 200 and "The screens speak 简体中文 to Olga Operator" in page
    assert re.search(r'value="zh_Hans"[^>]*aria-pressed="true">简体中文</button>', page)
    assert 'id="users" class="panel" hx-swap-oob="true"' in page and 'data-language="zh_Hans"' in page  # the list follows
    assert "HX-Refresh" not in response.headers  # someone else's language: the admin's page stays as it is
    assert db.execute("SELECT language FROM users WHERE id = ?", [user_id]).fetchone()[0] == "zh_Hans"
    _status, _page, bench = sign_in_at_bench(app, "OP-1", "1234")
    assert "退出登录" in text(bench.get("/"))


@pytest.mark.parametrize("value", ["fr", "", "<b>zh</b>"])
def test_a_language_the_station_does_not_speak_is_refused_on_the_users_screen_and_changes_nothing(admin, db, value):
    user_id = db.execute("SELECT id FROM users WHERE badge = 'OP-1'").fetchone()[0]
    response = admin.post(f"/admin/users/{user_id}/language", language=value)
    assert response.status_code == 400 and "Choose one of the languages shown" in text(response)
    assert "<b>zh" not in text(response)
    assert db.execute("SELECT language FROM users WHERE id = ?", [user_id]).fetchone()[0] == "en"
    assert admin.post("/admin/users/999999/language", language="zh_Hans").status_code == 404


def test_an_admin_who_taps_their_own_language_gets_the_whole_page_in_it(admin, db):
    me = db.execute("SELECT id FROM users WHERE badge = 'AD-1'").fetchone()[0]
    response = admin.post(f"/admin/users/{me}/language", language="zh_Hans")
    assert response.status_code == 200 and response.headers.get("HX-Refresh") == "true"
    assert "界面语言已设为" in text(response)
    page = text(admin.get("/admin/users"))
    assert '<html lang="zh-Hans">' in page and "用户与角色" in page
    assert db.execute("SELECT language FROM users WHERE id = ?", [me]).fetchone()[0] == "zh_Hans"


def test_a_badge_scanned_on_the_users_page_fills_the_badge_field_or_names_its_owner(admin):
    response = admin.post("/admin/users/badge", code="NB-55")
    assert response.status_code == 200 and 'value="NB-55"' in text(response)
    taken = admin.post("/admin/users/badge", code="SV-1")
    assert taken.status_code == 409 and field_error(taken, "badge") == "already the badge of Sam Supervisor"


def test_a_supervisor_gets_the_403_page_at_users_and_integrations(app):
    supervisor = signed_in(app, "supervisor")
    assert supervisor.get("/admin/users").status_code == 403
    assert supervisor.get("/admin/integrations").status_code == 403
    assert supervisor.post("/admin/users", name="x", role="admin", badge="Y", pin="1234").status_code == 403


# --- integrations -------------------------------------------------------------------------

def test_an_admin_adds_a_webhook_and_its_secret_is_shown_once(admin, db):
    response = admin.post("/admin/integrations/webhooks", name="ERP", url="https://erp.example/hook", secret="")
    assert response.status_code == 200
    secret = re.search(r'id="new-secret" class="field token" value="([0-9a-f]{64})"', text(response)).group(1)
    assert db.execute("SELECT name, url, secret, active FROM webhooks").fetchall() == [("ERP", "https://erp.example/hook", secret, 1)]
    assert secret not in text(admin.get("/admin/integrations"))


@pytest.mark.parametrize("data, field", [
    ({"name": "ERP", "url": "ftp://erp.example/x", "secret": ""}, "url"),
    ({"name": "ERP", "url": "javascript:alert(1)", "secret": ""}, "url"),
    ({"name": "", "url": "https://erp.example/x", "secret": ""}, "name"),
    ({"name": "ERP", "url": "https://erp.example/x", "secret": "short"}, "secret"),
])
def test_a_bad_webhook_is_named_at_its_field_and_not_added(admin, db, data, field):
    response = admin.post("/admin/integrations/webhooks", **data)
    assert response.status_code == 400
    assert field_error(response, field)
    assert db.execute("SELECT count(*) FROM webhooks").fetchone()[0] == 0


def test_a_failed_delivery_shows_on_the_page_and_disable_enable_and_retry_work(admin, db):
    hook = webhooks.add(db, "Down", "http://127.0.0.1:9/never", "s" * 16)
    returns.open_return(db, CARTON, station="bench-1")
    assert webhooks.deliver(db, webhooks.status(db)[0] | {"secret": "s" * 16}) == -1
    page = text(admin.get("/admin/integrations"))
    row = re.search(r'<tr class="failing" data-webhook="Down">.*?</tr>', page, re.S).group(0)
    assert "1 in a row" in row and "URLError" in row and "Retry now" in row
    wid = hook["webhook_id"]
    assert admin.post(f"/admin/integrations/webhooks/{wid}/retry").status_code == 200
    assert db.execute("SELECT next_attempt_at FROM webhooks").fetchone()[0] is None
    assert "Enable" in text(admin.post(f"/admin/integrations/webhooks/{wid}/active", active="0"))
    assert db.execute("SELECT active FROM webhooks").fetchone()[0] == 0
    admin.post(f"/admin/integrations/webhooks/{wid}/active", active="1")
    assert db.execute("SELECT active FROM webhooks").fetchone()[0] == 1
    assert admin.post("/admin/integrations/webhooks/999/active", active="1").status_code == 404


def _decide_a_mug(db):
    opened, _ = returns.open_return(db, CARTON, station="bench-1")
    item = returns.add_item(db, opened["return_id"], {"sku": "MUG-01", "qty": 1, "grade": "A", "reason": "changed_mind"})
    decide(db, opened["return_id"], item)
    closing.close_return(db, opened["return_id"])
    return item["item_id"]


def test_a_csv_export_for_a_range_holds_that_range(admin, db):
    item_id = _decide_a_mug(db)
    today, yesterday = now().date(), now().date() - timedelta(days=1)
    response = admin.get(f"/admin/integrations/export.csv?kind=decisions&from={today}&to={today}")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert f'filename="decisions_{today}_{today}.csv"' in response.headers["Content-Disposition"]
    lines = text(response).splitlines()
    assert lines[0].startswith("item_id,return_id,order_no,sku") and lines[1].startswith(f"{item_id},")
    refunds = text(admin.get(f"/admin/integrations/export.csv?kind=refunds&from={today}&to={today}")).splitlines()
    assert len(refunds) == 2 and "19.99" in refunds[1]
    stock = text(admin.get(f"/admin/integrations/export.csv?kind=stock-changes&from={today}&to={today}")).splitlines()
    assert len(stock) == 2 and "MUG-01,A-01-01,1" in stock[1]
    empty = text(admin.get(f"/admin/integrations/export.csv?kind=decisions&from={yesterday}&to={yesterday}")).splitlines()
    assert len(empty) == 1


def test_a_preset_fills_the_range_and_counts_what_each_file_would_hold(admin, db):
    _decide_a_mug(db)
    yesterday = now().date() - timedelta(days=1)
    panel = text(admin.get("/admin/integrations/exports?preset=yesterday", headers={"HX-Request": "true"}))
    assert f'value="{yesterday}"' in panel and "Download decisions (0)" in panel
    week = text(admin.get("/admin/integrations/exports?preset=last-7-days", headers={"HX-Request": "true"}))
    assert "Download decisions (1)" in week and "Download refunds (1)" in week


@pytest.mark.parametrize("query, field, message", [
    ("kind=decisions&from=2024-03-10&to=2024-03-01", "to", "the end day is before the start day"),
    ("kind=decisions&from=2024-02-30&to=2024-03-01", "from", "must be a date YYYY-MM-DD"),
    ("kind=decisions&from=yesterday&to=", "from", "must be a date YYYY-MM-DD"),
    ("kind=decisions&from=2024-01-01&to=9999-12-31", "to", "must be a date before 9999-12-31"),
    ("kind=decisions&from=2024-01-01T00:00&to=", "from", "must be a date YYYY-MM-DD"),
])
def test_a_bad_range_is_the_page_with_a_clear_message_not_a_file(admin, query, field, message):
    response = admin.get(f"/admin/integrations/export.csv?{query}")
    assert response.status_code == 400 and response.mimetype == "text/html"
    assert message in field_error(response, field)


def test_an_unknown_export_kind_is_refused_on_the_page(admin):
    response = admin.get("/admin/integrations/export.csv?kind=passwords&from=&to=")
    assert response.status_code == 400 and "choose decisions, stock changes or refunds" in text(response)


def test_the_feed_page_lists_the_events_in_order_with_a_link_from_integrations(admin, db):
    _decide_a_mug(db)
    assert "/admin/integrations/feed" in text(admin.get("/admin/integrations"))
    page = text(admin.get("/admin/integrations/feed"))
    seqs = [int(s) for s in re.findall(r"<tr><td>(\d+)</td>", page)]
    assert seqs == sorted(seqs) and len(seqs) == db.execute("SELECT count(*) FROM events").fetchone()[0]
    assert admin.get("/admin/integrations/feed?after=abc").status_code == 200


@pytest.mark.parametrize("url", [
    "/admin/integrations/webhooks/99999999999999999999/active", "/admin/integrations/webhooks/99999999999999999999/retry",
    "/admin/users/99999999999999999999/active", "/admin/users/99999999999999999999/pin",
    "/admin/users/99999999999999999999/unlock", "/admin/users/99999999999999999999/tokens",
    "/admin/users/99999999999999999999/tokens/0123456789ab/revoke",
])
def test_ids_beyond_sqlites_integers_are_a_404_page_not_a_500(admin, url):
    assert admin.post(url, active="1", pin="1234").status_code == 404
    assert admin.get("/admin/users/99999999999999999999").status_code == 404


def test_the_screen_bar_marks_only_the_screen_on_show_as_current(admin):
    page = text(admin.client.get("/admin/users"))
    current = re.findall(r'<a class="btn btn-quiet" href="([^"]+)" aria-current="page">([^<]+)</a>', page)
    assert current == [("/admin/users", "Users")]  # not every admin tab at once
