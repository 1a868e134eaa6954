"""Report routes over HTTP (Flask's test client): who may read them, CSV for every table, bad parameters.

The JSON API takes a supervisor's bearer token; the pages take a supervisor's bench session.
No parameter value, however odd, gives a 500: a bad one is a 400 naming it.
"""
import csv
import io

import pytest

from station import auth, create_app
from tests.helpers import bench_session
from station.db import connect
from station import migrations
from station.reporting import tables
from tests.test_reports import Clock, build

ROUTES = {  # API table -> the query that exercises it on the small set
    "return-rates": "group_by=sku", "top-reasons": "by=supplier", "rate-jumps": "from=2025-02-01&to=2025-02-28&min_units=2",
    "rate-trend": "group_by=sku&key=MUG", "bench": "by=operator", "durations": "", "bench-hours": "", "bench-days": "",
    "queues": "", "crossdock": "lead_days=10", "value": "", "write-offs": "", "frequent-returners": "limit=10",
    "forecast": "days=30",
}
BAD = {  # parameter -> values that must be refused with a 400 naming it
    "from": ["yesterday", "2025-02-30", "0000-01-01", "99999-01-01", "2025-1-1", "\x00", "' OR 1=1 --"],
    "to": ["2025-13-01", "tomorrow", "9999-12-31"],
    "group_by": ["colour", "SKU", "", "<script>"],
    "by": ["day", "1"],
    "limit": ["0", "-1", "x", "5001", "1e3", "9" * 40],  # 1001 is too many returners too
    "top": ["0", "11", "two"],
    "min_units": ["-5", "many"],
    "min_increase": ["2", "nan", "-0.1", "inf"],
    "lead_days": ["-1", "366", "two weeks"],
    "days": ["0", "91", "thirty"],
    "format": ["xml", "CSV", "pdf"],
}


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    with pytest.MonkeyPatch.context() as mp:
        from station import timeutil

        clock = Clock()
        mp.setattr(timeutil, "now", clock)
        path = tmp_path_factory.mktemp("web") / "station.db"
        db = connect(path)
        migrations.apply(db)
        build(db, clock)
        auth.add_user(db, "sam", "supervisor", "4321", "SV-1")
        auth.add_user(db, "ada", "admin", "9999", "AD-1")
        auth.add_user(db, "olga", "operator", "1234", "OP-1")
        tokens = {name: auth.new_token(db, name) for name in ("sam", "ada", "olga")}
        ids = {name: auth.get_user_by_name(db, name)["id"] for name in ("sam", "olga")}
        db.close()
        app = create_app({"DATABASE": str(path), "TESTING": True, "SECRET_KEY": "web"})
        app.tokens, app.ids = tokens, ids
        yield app


def api(app, url, who="sam"):
    headers = {"Authorization": f"Bearer {app.tokens[who]}"} if who else {}
    return app.test_client().get(url, headers=headers)


def session_client(app, who="sam"):
    import time

    client = app.test_client()
    with client.session_transaction() as s:
        s["user_id"], s["seen"] = app.ids[who], time.time()
        s["sid"] = bench_session(app, app.ids[who])
    return client


@pytest.mark.parametrize("name", list(ROUTES))
def test_every_report_table_answers_json_and_csv_to_a_supervisor(app, name):
    url = f"/api/reports/{name}?{ROUTES[name]}"
    resp = api(app, url)
    assert resp.status_code == 200, resp.json
    assert isinstance(resp.json["rows"], list)
    as_csv = api(app, url + "&format=csv")
    assert as_csv.status_code == 200 and as_csv.mimetype == "text/csv"
    read = list(csv.reader(io.StringIO(as_csv.data.decode("utf-8"))))
    assert read[0] == list(tables.table(name).columns)
    assert len(read) - 1 == len(resp.json["rows"])
    assert api(app, url, "ada").status_code == 200  # admins read reports too


@pytest.mark.parametrize("name", [n for n in ROUTES if n != "return-rates"] + ["customers/C2"])
def test_report_tables_need_a_supervisors_token(app, name):
    assert api(app, f"/api/reports/{name}", None).status_code == 401
    assert api(app, f"/api/reports/{name}", "olga").status_code == 403


def test_the_api_answers_the_same_figures_as_the_service(app):
    assert api(app, "/api/reports/rate-jumps?from=2025-02-01&to=2025-02-28&min_units=2").json["rows"][0]["sku"] == "SHOE"
    assert api(app, "/api/reports/value").json["total"]["recovered_value"] == "283.50"
    assert api(app, "/api/reports/queues").json["rows"][0] == {
        "queue": "refurbish", "label": "Refurbish", "items": 2, "oldest_since": "2025-02-20T10:12:00Z",
        "oldest_age_days": 40.1, "under_1d": 0, "d1_to_3": 0, "d3_to_7": 1, "over_7d": 1}
    assert api(app, "/api/reports/crossdock").json["summary"]["days_saved"] == 6.6
    assert [r["sku"] for r in api(app, "/api/reports/forecast").json["rows"]] == ["MUG", "SHOE", "PHONE"]
    history = api(app, "/api/reports/customers/C2")
    assert history.json["customer"]["name"] == "<script>alert(1)</script>" and len(history.json["returns"]) == 3
    rows = list(csv.DictReader(io.StringIO(api(app, "/api/reports/customers/C2?format=csv").data.decode())))
    assert [r["sku"] for r in rows] == ["MUG", "PHONE", "SHOE", "MUG"]
    assert api(app, "/api/reports/customers/NOBODY").status_code == 404


def test_the_contract_route_still_answers_any_token(app):
    resp = api(app, "/api/reports/return-rates?group_by=channel", "olga")
    assert resp.status_code == 200 and resp.json["rows"][0] == {
        "key": "ebay", "units_shipped": 6, "units_returned": 4, "rate": 0.6667}


@pytest.mark.parametrize("value", ["xml", "CSV", "pdf", "html"])
def test_the_contract_route_refuses_a_format_other_than_json_or_csv_naming_format(app, value):
    resp = api(app, f"/api/reports/return-rates?group_by=sku&format={value}", "olga")
    assert resp.status_code == 400 and resp.json["error"]["field"] == "format"


def test_the_contract_routes_csv_is_its_json_row_for_row_under_the_four_contract_names(app):
    for group_by in ("sku", "supplier", "reason", "country", "channel"):
        url = f"/api/reports/return-rates?group_by={group_by}&from=2025-01-01&to=2025-03-31"
        as_json = api(app, url, "olga").json["rows"]
        resp = api(app, url + "&format=csv", "olga")
        assert resp.mimetype == "text/csv"
        lines = resp.data.decode().splitlines()
        assert lines[0] == "key,units_shipped,units_returned,rate"
        assert list(csv.DictReader(io.StringIO(resp.data.decode()))) == [
            {"key": "" if r["key"] is None else r["key"], "units_shipped": str(r["units_shipped"]),
             "units_returned": str(r["units_returned"]), "rate": str(r["rate"])} for r in as_json]


@pytest.mark.parametrize("field,value", [(f, v) for f, values in BAD.items() for v in values])
def test_a_bad_parameter_is_a_400_naming_it_on_every_route_and_page(app, field, value):
    client = session_client(app)
    for name in ROUTES:
        resp = app.test_client().get(f"/api/reports/{name}", query_string={field: value},
                                     headers={"Authorization": f"Bearer {app.tokens['sam']}"})
        assert resp.status_code < 500, (name, field, value)
        if resp.status_code == 400:
            assert resp.json["error"]["field"] == field, (name, resp.json)
    for page in ("/reports/", "/reports/return-rates", "/reports/bench", "/reports/queues", "/reports/value",
                 "/reports/customers", "/reports/purchasing", "/reports/board", "/reports/export/value.csv"):
        resp = client.get(page, query_string={field: value})
        assert resp.status_code < 500, (page, field, value)
        if resp.status_code == 400:
            assert f"<code>{field}</code>" in resp.data.decode() or field in resp.data.decode()


@pytest.mark.parametrize("url,field", [
    ("/api/reports/return-rates?group_by=colour", "group_by"), ("/api/reports/top-reasons?by=day", "by"),
    ("/api/reports/crossdock?lead_days=-1", "lead_days"), ("/api/reports/forecast?days=0", "days"),
    ("/api/reports/frequent-returners?limit=0", "limit"), ("/api/reports/frequent-returners?limit=1001", "limit"),
    ("/api/reports/value?format=xml", "format"),
    ("/api/reports/rate-trend?group_by=reason", "group_by"), ("/api/reports/bench?from=2025-03-01&to=2025-02-01", "to"),
])
def test_each_route_refuses_its_own_bad_parameters(app, url, field):
    resp = api(app, url)
    assert resp.status_code == 400 and resp.json["error"]["field"] == field


def test_pages_need_a_supervisors_session(app):
    assert app.test_client().get("/reports/").status_code == 302  # to sign-in
    operator = session_client(app, "olga")
    assert operator.get("/reports/").status_code == 403
    assert operator.get("/reports/export/value.csv").status_code == 403
    assert app.test_client().get("/reports/", headers={"Authorization": f"Bearer {app.tokens['sam']}"}).status_code == 302


def test_page_csv_exports_equal_the_api_and_user_text_is_escaped(app):
    client = session_client(app)
    for name, query in ROUTES.items():
        page = client.get(f"/reports/export/{name}.csv?{query}")
        assert page.status_code == 200 and page.data == api(app, f"/api/reports/{name}?{query}&format=csv").data, name
    assert client.get("/reports/export/nothing.csv").status_code == 404
    assert client.get("/reports/export/customers/C2.csv").data == api(app, "/api/reports/customers/C2?format=csv").data
    html = client.get("/reports/customers").data.decode()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html and "<script>alert(1)" not in html
    html = client.get("/reports/value?period=all").data.decode()
    assert "Runner &lt;shoe&gt;" in html and "<shoe>" not in html


def test_csv_cells_cannot_become_spreadsheet_formulas():
    text = tables.to_csv([{"key": "=HYPERLINK(1)", "n": "-5.00"}, {"key": "@SUM", "n": -2}], ["key", "n"])
    assert text.splitlines() == ["key,n", "'=HYPERLINK(1),-5.00", "'@SUM,-2"]


def test_the_board_answers_its_fragment_to_htmx(app):
    client = session_client(app)
    page = client.get("/reports/board")
    fragment = client.get("/reports/board", headers={"HX-Request": "true"})
    assert page.status_code == fragment.status_code == 200
    assert b"<html" in page.data and b"<html" not in fragment.data
    assert b'id="board"' in fragment.data
    assert b'hx-trigger="every 30s"' in fragment.data and "HX-Request" in page.headers["Vary"]


def test_the_rates_page_by_reason_shows_each_reasons_share_of_returns_not_excess_over_the_overall_rate(app):
    import re

    html = session_client(app).get("/reports/return-rates?group_by=reason&period=all&sort=excess").data.decode()
    # 10 units returned of 31 shipped: changed mind 2 of them (20.0% of returns, 6.5% of units shipped)
    assert "Share of returns" in html and "Excess returns" not in html and "avg 32.3%" not in html
    row = re.search(r"<tr><td>changed_mind .*?</tr>", html, re.S).group(0)
    assert "Changed mind" in row and re.findall(r'<td class="n">([^<]*)</td>', row) == ["31", "2", "6.5%", "20.0%"]
    assert [m for m in re.findall(r"<tr><td>([a-z_]+) ", html)][:3] == ["changed_mind", "no_longer_needed", "size_fit"]


def test_an_unknown_export_is_the_reports_404_page_listing_the_tables_not_a_bare_404(app):
    resp = session_client(app).get("/reports/export/<b>nothing.csv")
    html = resp.data.decode()
    assert resp.status_code == 404 and 'class="report-nav"' in html and "return-rates, top-reasons" in html
    assert "&lt;b&gt;nothing" in html and "<b>nothing" not in html
