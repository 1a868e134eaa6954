"""Every page and every API route checks the role: walked from app.url_map, so a new route without
a check (or missing from the table below) fails here.

Pages answer a stranger with the sign-in page and a wrong badge with the 403 page; /api answers
401 without a valid token and 403 for a token of the wrong role.
"""
import fnmatch

import pytest
from werkzeug.routing import IntegerConverter

from station import auth, create_app
from tests.helpers import bench_session
from station.web import nav
from station.roles import ADMINS, OPERATORS, ROLES, SUPERVISORS, TECHNICIANS
from station.timeutil import now
from tests.sample import fresh, load_sample

ANY = ROLES
PUBLIC = {"static", "healthz", "bench.sign_in", "bench.sign_in_badge", "bench.sign_in_pin", "bench.sign_in_language", "bench.sign_out",
          "bench.demo_barcodes", "reports.floor"}  # the floor display is opened by its display token

# endpoint (or a pattern for another area's blueprint) -> the roles that may use it; first match wins
TABLE = [
    # the bench
    ("bench.*", OPERATORS),
    # admin screens
    ("admin.policy*", SUPERVISORS),
    ("admin.user*", ADMINS),
    ("admin.integrations", ADMINS), ("admin.webhook_*", ADMINS), ("admin.export*", ADMINS), ("admin.feed_page", ADMINS),
    ("admin.currenc*", ADMINS), ("admin.display*", ADMINS), ("admin.platform_*", ADMINS),
    ("admin.import*", ADMINS), ("admin.reason*", SUPERVISORS),
    # the other areas' screens (their roles as station/nav.py offers them)
    ("reports.*", SUPERVISORS),
    ("downstream.refurbish*", TECHNICIANS), ("downstream.photo", TECHNICIANS),
    ("downstream.rtv*", SUPERVISORS), ("downstream.quarantine*", SUPERVISORS), ("downstream.refund*", SUPERVISORS),
    ("downstream.claims", SUPERVISORS), ("downstream.claims_pack", SUPERVISORS), ("downstream.claims_csv", SUPERVISORS),
    ("downstream.claims_file_group", SUPERVISORS), ("downstream.claim_file", SUPERVISORS),
    ("downstream.claim_settle", SUPERVISORS), ("downstream.claim_reject", SUPERVISORS),
    ("downstream.parcels", SUPERVISORS), ("downstream.parcel_close", SUPERVISORS), ("downstream.parcel_reassign", SUPERVISORS),
    ("devices.*", SUPERVISORS),
    ("devices_api.*", SUPERVISORS),
    # the JSON API. The contract's routes keep taking operator, supervisor and admin tokens (the
    # acceptance checks make them with `run.py user add`); the bench's own routes are not a technician's.
    ("api.lookup_code", OPERATORS), ("api.open_return", OPERATORS), ("api.add_item", OPERATORS), ("api.add_photo", OPERATORS),
    ("api.decide", OPERATORS), ("api.close_return", OPERATORS),
    ("api.get_return", ANY), ("api.item_label", ANY), ("api.queue", ANY), ("api.get_refund", ANY),
    ("api.refund_paid", ANY), ("api.event_feed", ANY), ("api.return_rates", ANY), ("api.decode", ANY),
    ("api.stock_of", ANY), ("api.order", ANY),
    ("api.approve_refund", SUPERVISORS), ("api.reject_refund", SUPERVISORS),
    ("api.report_*", SUPERVISORS),
    ("api.work_order", ANY), ("api.work_order_action", TECHNICIANS), ("api.work_order_finish", TECHNICIANS),
    ("api.rtv_batches", ANY), ("api.rtv_batch", ANY),
    ("api.rtv_close", SUPERVISORS), ("api.rtv_credit", SUPERVISORS), ("api.rtv_refuse", SUPERVISORS),
    ("api.quarantine_review", SUPERVISORS),
    ("api.claim", ANY), ("api.claim_file", SUPERVISORS), ("api.claim_settle", SUPERVISORS), ("api.claim_reject", SUPERVISORS),
    ("api.clear_customer_flag", SUPERVISORS),
    ("api.open_parcels", SUPERVISORS), ("api.reassign_parcel", SUPERVISORS), ("api.removal_discrepancies", SUPERVISORS),
    ("api.policy_get", ANY), ("api.policy_put", SUPERVISORS), ("api.policy_sku", SUPERVISORS),
    ("api.policy_audit", SUPERVISORS),
    ("api.webhook_list", ADMINS), ("api.webhook_add", ADMINS),
    ("api.import_file", ADMINS),
    ("api.export", ANY),
    ("api.platform_shopify_inventory", ANY), ("api.platform_amazon_price_quantity", ANY),
    ("api.platform_refunds", SUPERVISORS),
]
CSRF = "role-test-csrf"


def allowed_roles(endpoint):
    for pattern, roles in TABLE:
        if fnmatch.fnmatchcase(endpoint, pattern):
            return roles
    return None


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    """One app, one user and one token per role (read-only walks: a module-wide database is enough)."""
    path = tmp_path_factory.mktemp("roles") / "station.db"
    db = fresh(path)
    load_sample(db)
    users, tokens = {}, {}
    for n, role in enumerate(ROLES):
        users[role] = auth.add_user(db, f"{role} user", role, "1234", f"B-{n}")["id"]
        tokens[role] = auth.new_token(db, f"{role} user")
    db.close()
    app = create_app({"DATABASE": str(path), "SECRET_KEY": "roles", "TESTING": True, "PHOTO_DIR": str(path.parent / "p")})
    return {"app": app, "users": users, "tokens": tokens}


def routes(app):
    """(endpoint, method, url) of every guarded route, with ids that exist nowhere (nothing is changed)."""
    found = []
    with app.test_request_context():
        from flask import url_for

        for rule in app.url_map.iter_rules():
            if rule.endpoint in PUBLIC:
                continue
            values = {arg: 999999 if isinstance(rule._converters[arg], IntegerConverter) else "nope"
                      for arg in rule.arguments}
            method = sorted(rule.methods - {"HEAD", "OPTIONS"})[0]
            found.append((rule.endpoint, method, url_for(rule.endpoint, **values)))
    return sorted(found)


def client_as(app, user_id=None):
    client = app.test_client()
    with client.session_transaction() as session:
        session["csrf"] = CSRF
        session["seen"] = now().timestamp()
        if user_id is not None:
            session["user_id"] = user_id
            session["sid"] = bench_session(app, user_id)
    return client


def call(client, method, url, token=None):
    headers = {"X-CSRF-Token": CSRF}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    return client.open(url, method=method, headers=headers)


def test_every_route_is_in_the_role_table(world):
    missing = [endpoint for endpoint, _m, _u in routes(world["app"]) if allowed_roles(endpoint) is None]
    assert missing == [], f"add these endpoints to TABLE in tests/test_roles.py with their roles: {missing}"


def test_a_stranger_gets_the_sign_in_page_or_401_from_every_guarded_route(world):
    client = client_as(world["app"])
    wrong = []
    for endpoint, method, url in routes(world["app"]):
        response = call(client, method, url)
        if url.startswith("/api/"):
            ok = response.status_code == 401 and response.get_json()["error"]["code"] == "unauthorized"
        else:
            ok = response.status_code == 302 and response.location.endswith("/sign-in")
        if not ok:
            wrong.append(f"{method} {url} ({endpoint}): {response.status_code}")
    assert wrong == []


def test_a_revoked_or_made_up_token_is_refused_like_no_token(world):
    client = client_as(world["app"])
    for endpoint, method, url in routes(world["app"]):
        if url.startswith("/api/"):
            assert call(client, method, url, token="rs_made-up").status_code == 401, endpoint


@pytest.mark.parametrize("role", ROLES)
def test_each_badge_opens_exactly_the_screens_the_table_gives_its_role(world, role):
    client = client_as(world["app"], world["users"][role])
    wrong = []
    for endpoint, method, url in routes(world["app"]):
        if url.startswith("/api/"):
            continue
        response = call(client, method, url)
        status = response.status_code
        if role in allowed_roles(endpoint):
            ok = status < 500 and status not in (401, 403) and not (response.location or "").endswith("/sign-in")
        elif endpoint == "bench.index":  # `/` sends a role with a screen of its own there
            ok = status == 403 or (status == 302 and not response.location.endswith("/sign-in"))
        else:
            ok = status == 403 and "This screen is not for your badge" in response.get_data(as_text=True) \
                or (status == 403 and endpoint.startswith("reports."))
        if not ok:
            wrong.append(f"{method} {url} ({endpoint}): {status}")
    assert wrong == [], f"{role}: {wrong}"


@pytest.mark.parametrize("role", ROLES)
def test_each_token_reaches_exactly_the_api_routes_the_table_gives_its_role(world, role):
    client = client_as(world["app"])
    wrong = []
    for endpoint, method, url in routes(world["app"]):
        if not url.startswith("/api/"):
            continue
        response = call(client, method, url, token=world["tokens"][role])
        status = response.status_code
        if role in allowed_roles(endpoint):
            ok = status < 500 and status not in (401, 403)
        else:
            ok = status == 403 and response.get_json()["error"]["code"] == "forbidden"
        if not ok:
            wrong.append(f"{method} {url} ({endpoint}): {status}")
    assert wrong == [], f"{role}: {wrong}"


def test_the_screen_bar_offers_each_role_the_screens_the_table_gives_it(world):
    for endpoint, _label, roles in nav.SCREENS:
        if endpoint in world["app"].view_functions:
            assert set(roles) == set(allowed_roles(endpoint)), endpoint


def test_the_contract_routes_take_operator_supervisor_and_admin_tokens():
    """The acceptance checks' tokens come from `run.py user add --role operator|supervisor|admin`."""
    for endpoint in ("api.lookup_code", "api.open_return", "api.add_item", "api.add_photo", "api.decide", "api.close_return",
                     "api.get_return", "api.queue", "api.refund_paid", "api.event_feed", "api.return_rates",
                     "api.decode", "api.stock_of", "api.order", "api.item_label"):
        assert {"operator", "supervisor", "admin"} <= set(allowed_roles(endpoint)), endpoint
    for endpoint in ("api.approve_refund", "api.reject_refund"):
        assert {"supervisor", "admin"} <= set(allowed_roles(endpoint)), endpoint


def test_a_technician_badge_at_the_front_door_goes_to_its_own_screen_or_is_refused(world):
    response = call(client_as(world["app"], world["users"]["technician"]), "GET", "/")
    assert response.status_code in (302, 403)
    if response.status_code == 302:
        assert "/sign-in" not in response.location and response.location.rstrip("/") != ""


def test_a_technician_at_a_supervisor_screen_gets_a_way_back_to_refurbish(world):
    client = client_as(world["app"], world["users"]["technician"])
    response = client.get("/rtv")
    page = response.get_data(as_text=True)
    assert response.status_code == 403 and "This screen is not for your badge" in page
    assert 'href="/refurbish"' in page and "Back to Refurbish" in page
