"""The bench screens through Flask's test client: sign-in, scans, CSRF, escaping, the whole parcel."""
import re

import pytest

from station import auth, create_app
from station.db import connect
from tests.sample import CARTON, MUG_GTIN, SHOE_UPC, fresh, load_sample, png_bytes

BADGE, PIN = "BADGE-7", "1357"


@pytest.fixture
def app(tmp_path):
    path = tmp_path / "station.db"
    db = fresh(path)
    load_sample(db)
    with db.conn:  # nothing waits for a mug: grade A restocks
        db.execute("UPDATE order_lines SET qty_allocated = qty WHERE order_no IN ('SO-W1', 'SO-W2')")
    auth.add_user(db, "Sam Bench", "operator", PIN, BADGE)
    db.close()
    return create_app({"DATABASE": str(path), "SECRET_KEY": "views-test", "TESTING": True,
                       "PHOTO_DIR": str(tmp_path / "photos")})


def count(app, sql, params=()):
    db = connect(app.config["DATABASE"])
    try:
        return db.execute(sql, list(params)).fetchone()[0]
    finally:
        db.close()


def csrf(response):
    return re.search(r'data-csrf="([^"]+)"', response.get_data(as_text=True)).group(1)


class Bench:
    """A signed-in bench: posts as htmx does, with the page's CSRF token."""

    def __init__(self, client, token):
        self.client, self.token = client, token

    def post(self, url, **data):
        return self.client.post(url, data=data, headers={"X-CSRF-Token": self.token, "HX-Request": "true"})

    def scan(self, code):
        return self.post("/bench/scan", code=code)


@pytest.fixture
def bench(app):
    client = app.test_client()
    token = csrf(client.get("/sign-in?station=bench-3"))
    client.post("/sign-in/badge", data={"code": BADGE}, headers={"X-CSRF-Token": token, "HX-Request": "true"})
    response = client.post("/sign-in", data={"pin": PIN, "csrf_token": token})
    assert response.status_code == 302
    return Bench(client, csrf(client.get("/")))


def text(response):
    return response.get_data(as_text=True)


def test_a_stranger_is_sent_to_sign_in(app):
    response = app.test_client().get("/")
    assert response.status_code == 302
    assert response.location.endswith("/sign-in")


def test_the_station_name_is_remembered_by_the_browser(app):
    client = app.test_client()
    response = client.get("/sign-in?station=dock-2")
    assert "station=dock-2" in response.headers["Set-Cookie"]
    assert "dock-2" in text(client.get("/sign-in"))


def test_a_badge_then_the_pin_signs_in_and_it_lasts_across_requests(bench):
    page = text(bench.client.get("/"))
    assert "Scan a parcel" in page
    assert "Sam Bench" in page
    assert "bench-3" in page


def test_a_wrong_pin_is_shown_on_the_page(app):
    client = app.test_client()
    token = csrf(client.get("/sign-in"))
    client.post("/sign-in/badge", data={"code": BADGE}, headers={"X-CSRF-Token": token, "HX-Request": "true"})
    response = client.post("/sign-in", data={"pin": "0000", "csrf_token": token})
    assert response.status_code == 401
    assert "Wrong PIN" in text(response)
    assert client.get("/").status_code == 302


def test_an_unknown_badge_is_an_error(app):
    client = app.test_client()
    token = csrf(client.get("/sign-in"))
    response = client.post("/sign-in/badge", data={"code": "NOBODY"}, headers={"X-CSRF-Token": token, "HX-Request": "true"})
    assert response.status_code == 404
    assert "not registered" in text(response)
    assert 'id="signin"' in text(response)


def test_a_post_without_the_csrf_token_changes_nothing(bench):
    response = bench.client.post("/bench/scan", data={"code": CARTON}, headers={"HX-Request": "true"})
    assert response.status_code == 400
    assert count(bench.client.application, "SELECT count(*) FROM returns") == 0


def test_a_carton_scan_shows_the_customer_and_the_expected_items(bench):
    response = bench.scan(CARTON)
    assert response.status_code == 200
    assert "HX-Request" in response.headers["Vary"]
    page = text(response)
    assert 'id="bench"' in page and "<html" not in page  # the widget alone for htmx
    assert "王小明" in page and 'dir="auto"' in page
    assert "Travel mug" in page and "MUG-01" in page
    assert "Changed mind" in page
    assert count(bench.client.application, "SELECT count(*) FROM returns") == 1


def test_a_bad_scan_shows_an_error_and_creates_nothing(bench):
    response = bench.scan("NO-SUCH-CODE-42")
    assert response.status_code == 404
    assert "tone-error" in text(response) and "Unknown code" in text(response)
    assert count(bench.client.application, "SELECT count(*) FROM returns") == 0
    assert count(bench.client.application, "SELECT count(*) FROM scans WHERE ok = 0") == 1


def test_a_script_name_is_rendered_as_text(bench):
    page = text(bench.scan("CTN-2"))
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "<script>alert(1)</script>" not in page


def test_grade_a_without_an_rma_prefills_no_longer_needed(bench):
    bench.scan("CTN-2")  # SO-2 has no RMA
    bench.scan("036000291452")
    page = text(bench.post("/bench/inspect", qty="1", set_grade="A"))
    assert "Confirm" in page
    assert count(bench.client.application, "SELECT count(*) FROM return_items WHERE reason = 'no_longer_needed'") == 1


def test_other_grades_wait_for_a_reason_without_an_rma(bench):
    bench.scan("CTN-2")
    bench.scan("036000291452")
    page = text(bench.post("/bench/inspect", qty="1", set_grade="B"))
    assert "tap the reason" in page
    assert count(bench.client.application, "SELECT count(*) FROM return_items") == 0
    page = text(bench.post("/bench/inspect", qty="1", set_reason="size_fit"))
    assert "Confirm" in page
    assert count(bench.client.application, "SELECT count(*) FROM return_items WHERE grade = 'B'") == 1


def test_a_parcel_from_scan_to_refund(bench):
    app = bench.client.application
    bench.scan(CARTON)
    assert "tap its grade" in text(bench.scan(MUG_GTIN))
    page = text(bench.post("/bench/inspect", qty="1", set_grade="A"))
    assert "RESTOCK" in page and "Confirm restock" in page
    item_id = re.search(r"/bench/items/(\d+)/decide", page).group(1)
    page = text(bench.post(f"/bench/items/{item_id}/decide", disposition="restock"))
    assert f'data-autoprint="/bench/items/{item_id}/label"' in page and ">Close</button>" in page
    assert count(app, "SELECT qty FROM stock WHERE sku = 'MUG-01' AND bin = 'A-01-01'") == 6
    label = bench.client.get(f"/bench/items/{item_id}/label")
    assert label.status_code == 200 and "RESTOCK" in text(label) and "4in 6in" in text(
        bench.client.get("/static/css/label.css"))
    return_id = count(app, "SELECT return_id FROM returns")
    page = text(bench.post(f"/bench/returns/{return_id}/close"))
    assert "19.99 USD" in page
    assert count(app, "SELECT count(*) FROM refunds WHERE status = 'ready' AND amount = '19.99'") == 1


def test_an_override_needs_a_reason_chip_and_is_recorded(bench):
    app = bench.client.application
    bench.scan(CARTON)
    bench.scan(MUG_GTIN)
    item_id = re.search(r"/bench/items/(\d+)/decide", text(bench.post("/bench/inspect", set_grade="A"))).group(1)
    page = text(bench.post(f"/bench/items/{item_id}/decide", disposition="refurbish"))
    assert "give a reason" in page
    bench.post(f"/bench/items/{item_id}/decide", disposition="refurbish", override_reason="Packaging unsellable")
    assert count(app, "SELECT count(*) FROM decisions WHERE override_reason = 'Packaging unsellable'") == 1


def test_grade_d_needs_a_photo_before_confirming(bench):
    app = bench.client.application
    bench.scan(CARTON)
    bench.scan(MUG_GTIN)
    page = text(bench.post("/bench/inspect", set_grade="D", set_reason="defective"))
    assert "take a photo" in page
    item_id = re.search(r"/bench/items/(\d+)/photos", page).group(1)
    bench.post(f"/bench/items/{item_id}/decide", disposition="refurbish")
    assert count(app, "SELECT count(*) FROM decisions") == 0
    png = png_bytes()
    import io

    bench.client.post(f"/bench/items/{item_id}/photos", data={"photo": (io.BytesIO(png), "p.png", "image/png")},
                      headers={"X-CSRF-Token": bench.token, "HX-Request": "true"}, content_type="multipart/form-data")
    assert count(app, "SELECT count(*) FROM photos") == 1
    disposition = re.search(r'name="disposition" value="(\w+)"', text(bench.client.get("/bench", headers={"HX-Request": "true"}))).group(1)
    bench.post(f"/bench/items/{item_id}/decide", disposition=disposition)
    assert count(app, "SELECT count(*) FROM decisions") == 1


def test_a_product_scan_with_no_parcel_lists_the_candidate_orders(bench):
    page = text(bench.scan(MUG_GTIN))
    assert "tap its order" in page and "SO-1" in page
    page = text(bench.post("/bench/open", order_no="SO-1", with_product="1"))
    assert "王小明" in page and "Inspect the highlighted item" in page


def test_the_next_parcel_puts_the_first_aside(bench):
    app = bench.client.application
    bench.scan(CARTON)
    page = text(bench.scan("CTN-2"))
    assert "put aside" in page
    assert count(app, "SELECT count(*) FROM returns WHERE status = 'open'") == 2


def test_search_finds_an_order_by_email(bench):
    response = bench.client.get("/bench/search?q=xm@example", headers={"HX-Request": "true"})
    assert "SO-1" in text(response) and 'id="search-results"' in text(response)


def test_the_next_parcel_closes_a_fully_decided_one_with_its_refund(bench):
    app = bench.client.application
    bench.scan(CARTON)
    bench.scan(MUG_GTIN)
    item_id = re.search(r"/bench/items/(\d+)/decide", text(bench.post("/bench/inspect", set_grade="A"))).group(1)
    bench.post(f"/bench/items/{item_id}/decide", disposition="restock")
    page = text(bench.scan("CTN-2"))
    assert "closed, refund 19.99 USD ready" in page
    assert count(app, "SELECT count(*) FROM refunds") == 1
    assert count(app, "SELECT status FROM returns WHERE order_no = 'SO-1'") == "closed"


def test_sign_out_ends_the_bench_session(bench):
    response = bench.post("/sign-out")
    assert response.status_code == 302
    assert bench.client.get("/").status_code == 302


def test_put_aside_takes_the_parcel_off_the_screen_and_it_can_be_resumed(bench):
    bench.scan(CARTON)
    return_id = count(bench.client.application, "SELECT return_id FROM returns")
    page = text(bench.post("/bench/clear"))
    assert "Scan a parcel" in page and f"Return {return_id} ·" in page
    page = text(bench.post(f"/bench/returns/{return_id}/resume"))
    assert "王小明" in page


def test_a_parcel_put_aside_is_listed_by_its_customers_name_and_what_was_recorded(bench):
    bench.scan(CARTON)
    bench.scan(MUG_GTIN)
    bench.post("/bench/inspect", qty="1", set_grade="B")  # the RMA's reason: the item is recorded
    page = text(bench.scan("CTN-2"))
    aside = page[page.index('class="put-aside"'):]
    assert "王小明" in aside and "1 item recorded" in aside and "SO-1" in aside
    assert count(bench.client.application, "SELECT count(*) FROM returns WHERE status = 'open'") == 2


def test_a_chinese_family_name_of_one_character_or_a_given_name_finds_the_order(bench):
    for q in ("王", "小明", "王小明"):
        page = text(bench.client.get("/bench/search", query_string={"q": q}))
        assert "王小明" in page and "SO-1" in page, q
    page = text(bench.client.get("/bench/search", query_string={"q": "x"}))  # one Latin letter: too little
    assert 'class="result"' not in page and "No order matches" not in page
    page = text(bench.client.get("/bench/search", query_string={"q": "趙"}))
    assert "No order matches" in page


def test_a_scan_after_the_idle_time_out_leads_back_to_sign_in_and_says_why_creating_nothing(bench):
    with bench.client.session_transaction() as session:
        session["seen"] = 0  # the last request was long ago: SESSION_IDLE_MINUTES have passed
    answer = bench.scan(CARTON)  # the page's token is from the session that timed out
    assert answer.status_code == 401 and answer.headers["HX-Redirect"] == "/sign-in"  # was a 400 page in the bench
    assert count(bench.client.application, "SELECT count(*) FROM returns") == 0
    page = text(bench.client.get("/sign-in"))
    assert "Signed out after 480 minutes without use" in page and "Scan your badge" in page
    form = bench.client.post("/sign-out", data={"csrf_token": bench.token})  # a plain form post too
    assert form.status_code == 303 and form.location == "/sign-in"


def test_an_answer_that_changed_nothing_does_not_send_back_an_older_session_cookie(bench):
    """The session is a cookie: the answer that arrives last is the one the browser keeps. The
    label page's script, asked for while the operator scanned the next item, came back after the
    scan with the cookie from before it, and the item was forgotten ("Scan an item first")."""
    old_cookie = bench.client.get_cookie("session").value
    bench.scan(CARTON)
    scanned = bench.scan(MUG_GTIN)
    assert "Set-Cookie" in scanned.headers  # the item being inspected is in the session
    bench.client.set_cookie("session", old_cookie)  # a request the page sent before the scan's answer came
    static = bench.client.get("/static/js/label.js")
    assert static.status_code == 200 and "Set-Cookie" not in static.headers
    page = bench.client.get("/")  # a bench request within the minute: nothing to write either
    assert page.status_code == 200 and "Set-Cookie" not in page.headers


def test_the_last_request_is_written_to_the_session_at_most_once_a_minute_and_still_keeps_it_alive(bench):
    from station import timeutil

    with bench.client.session_transaction() as session:
        session["seen"] = timeutil.now().timestamp() - 120  # two minutes ago
    answer = bench.client.get("/")
    assert answer.status_code == 200 and "Set-Cookie" in answer.headers
    with bench.client.session_transaction() as session:
        assert timeutil.now().timestamp() - session["seen"] < 60
    assert "Set-Cookie" not in bench.client.get("/").headers


def test_a_bench_named_on_the_root_url_keeps_its_name_through_sign_in(app):
    client = app.test_client()
    answer = client.get("/?station=bench-7")
    assert answer.status_code == 302 and answer.location == "/sign-in?station=bench-7"  # the name was dropped
    token = csrf(client.get(answer.location))
    client.post("/sign-in/badge", data={"code": BADGE}, headers={"X-CSRF-Token": token, "HX-Request": "true"})
    assert client.post("/sign-in", data={"pin": PIN, "csrf_token": token}).status_code == 302
    assert '<span class="station" title="Station">bench-7</span>' in text(client.get("/"))


def test_the_same_confirm_twice_is_answered_as_confirmed_and_recorded_once(bench):
    app = bench.client.application
    bench.scan(CARTON)
    bench.scan(MUG_GTIN)
    page = text(bench.post("/bench/inspect", qty="1", set_grade="A"))
    item_id = re.search(r"/bench/items/(\d+)/decide", page).group(1)
    assert bench.post(f"/bench/items/{item_id}/decide", disposition="restock").status_code == 200
    again = bench.post(f"/bench/items/{item_id}/decide", disposition="restock")  # a retried request
    assert again.status_code == 200 and "RESTOCK A-01-01: confirmed already" in text(again)  # was a 409 error
    assert "tone-error" not in text(again) and "data-autoprint" not in text(again)  # no second label either
    other = bench.post(f"/bench/items/{item_id}/decide", disposition="scrap", override_reason="Supervisor instruction")
    assert other.status_code == 409  # a different decision is still refused
    assert count(app, "SELECT count(*) FROM decisions") == 1
    assert count(app, "SELECT qty FROM stock WHERE sku = 'MUG-01' AND bin = 'A-01-01'") == 6


def test_a_parcel_brought_back_by_its_carton_shows_its_recorded_item_ready_for_its_decision(bench):
    app = bench.client.application
    bench.scan(CARTON)
    bench.scan(MUG_GTIN)
    page = text(bench.post("/bench/inspect", set_grade="A"))
    item_id = re.search(r"/bench/items/(\d+)/decide", page).group(1)
    bench.scan("CTN-2")  # the next parcel: the mug's parcel goes aside, its item undecided

    page = text(bench.scan(CARTON))  # back again

    assert f"/bench/items/{item_id}/decide" in page and "Confirm" in page
    bench.post(f"/bench/items/{item_id}/decide", disposition="restock")
    assert count(app, "SELECT count(*) FROM decisions WHERE item_id = ?", [item_id]) == 1


def decided_shoe(bench, reason="defective"):
    """CTN-2 (order SO-2, EUR) with its shoe inspected A for `reason` and confirmed: (return_id, page)."""
    bench.scan("CTN-2")
    bench.scan(SHOE_UPC)
    page = text(bench.post("/bench/inspect", set_grade="A", set_reason=reason))
    item_id = re.search(r"/bench/items/(\d+)/decide", page).group(1)
    disposition = re.search(r'name="disposition" value="(\w+)"', page).group(1)
    page = text(bench.post(f"/bench/items/{item_id}/decide", disposition=disposition))
    return count(bench.client.application, "SELECT return_id FROM returns WHERE order_no = 'SO-2'"), page


def test_the_bench_records_the_customers_return_shipping_when_it_closes_a_seller_fault_return(bench):
    app = bench.client.application
    return_id, page = decided_shoe(bench)
    assert 'name="return_shipping"' in page and "(EUR)" in page
    refused = bench.post(f"/bench/returns/{return_id}/close", return_shipping="4,50")
    assert refused.status_code == 400 and "return_shipping" in text(refused)
    assert count(app, "SELECT count(*) FROM refunds") == 0
    assert count(app, "SELECT status FROM returns WHERE return_id = ?", [return_id]) == "open"
    closed = text(bench.post(f"/bench/returns/{return_id}/close", return_shipping="4.50"))
    assert "54.00 EUR" in closed  # 49.50 and the 4.50 the customer paid to send it back
    assert count(app, "SELECT amount FROM refunds") == "54.00"
    assert count(app, "SELECT return_shipping FROM returns WHERE return_id = ?", [return_id]) == 4.5


def test_the_bench_asks_for_return_shipping_only_when_a_seller_fault_return_would_refund_it(bench):
    _, page = decided_shoe(bench, reason="size_fit")
    assert ">Close</button>" in page and 'name="return_shipping"' not in page


def test_a_carton_scan_is_classified_resolved_logged_and_rendered_once(bench, monkeypatch):
    from station.intake import lookup, parcel, pipeline, returns
    from station.rules import classify as classify_module

    calls = {"classify": 0, "resolve": 0, "bench_view": 0}

    def counting(name, real):
        def wrapper(*args, **kwargs):
            calls[name] += 1
            return real(*args, **kwargs)
        return wrapper

    for module in (pipeline, returns):
        monkeypatch.setattr(module, "classify", counting("classify", classify_module.classify))
        monkeypatch.setattr(module, "resolve", counting("resolve", lookup.resolve))
    monkeypatch.setattr(parcel, "bench_view", counting("bench_view", parcel.bench_view))
    page = text(bench.scan(CARTON))
    assert "王小明" in page
    assert calls == {"classify": 1, "resolve": 1, "bench_view": 1}
    app = bench.client.application
    assert count(app, "SELECT count(*) FROM scans") == 1
    assert count(app, "SELECT count(*) FROM returns") == 1


def test_a_grade_d_confirm_at_the_bench_without_a_photo_is_refused_by_the_same_rule_as_the_api(bench):
    app = bench.client.application
    bench.scan(CARTON)
    bench.scan(MUG_GTIN)
    page = text(bench.post("/bench/inspect", set_grade="D", set_reason="defective"))
    item_id = re.search(r"/bench/items/(\d+)/photos", page).group(1)
    disposition = re.search(r'name="disposition" value="(\w+)"', page).group(1)
    refused = bench.post(f"/bench/items/{item_id}/decide", disposition=disposition)
    assert refused.status_code == 409 and "take a photo" in text(refused)
    assert count(app, "SELECT count(*) FROM decisions") == 0


def test_signing_out_closes_a_fully_decided_parcel_and_a_copied_cookie_is_no_key_afterwards(bench):
    app = bench.client.application
    bench.scan(CARTON)
    bench.scan(MUG_GTIN)
    page = text(bench.post("/bench/inspect", set_grade="A"))
    item_id = re.search(r"/bench/items/(\d+)/decide", page).group(1)
    disposition = re.search(r'name="disposition" value="(\w+)"', page).group(1)
    bench.post(f"/bench/items/{item_id}/decide", disposition=disposition)
    copied = bench.client.get_cookie("session").value
    out = bench.client.post("/sign-out", data={"csrf_token": bench.token})
    assert out.status_code == 302
    assert count(app, "SELECT status FROM returns") == "closed"  # the last parcel of the shift is not left open
    assert count(app, "SELECT count(*) FROM refunds") == 1
    assert count(app, "SELECT count(*) FROM bench_sessions WHERE ended_at IS NOT NULL") == 1
    thief = app.test_client()
    thief.set_cookie("session", copied)
    again = thief.get("/")
    assert again.status_code == 302 and again.location.endswith("/sign-in")


def test_the_session_cookie_is_samesite_lax(app):
    response = app.test_client().get("/sign-in?station=bench-3")
    assert "SameSite=Lax" in response.headers["Set-Cookie"]


def test_every_page_forbids_framing_by_other_sites_and_sniffing(app):
    response = app.test_client().get("/sign-in")
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "frame-ancestors 'self'" in response.headers["Content-Security-Policy"]
    assert "script-src 'self';" in response.headers["Content-Security-Policy"]


def test_no_template_holds_an_inline_script_or_a_handler_attribute_the_policy_would_block():
    from pathlib import Path

    offenders = []
    for template in (Path(__file__).resolve().parent.parent / "templates").rglob("*.html"):
        text = template.read_text(encoding="utf-8")
        if re.search(r"<script(?![^>]*\bsrc=)[^>]*>", text) or re.search(r"\son[a-z]+=", text) or "javascript:" in text:
            offenders.append(template.name)
    assert offenders == []


def test_a_couriers_own_label_scanned_with_a_parcel_open_is_not_taken_for_an_item(bench):
    from station.data.demo.codes import ups

    app = bench.client.application
    bench.scan(CARTON)
    label = ups("9X8Y7Z", 3, 7654321)  # a UPS label nobody imported: the box's own courier sticker
    page = text(bench.scan(label))
    assert f"{label} is a UPS label, not an item: nothing recorded" in page
    assert "Unknown product" not in page and 'name="set_grade"' not in page  # no item to grade
    assert count(app, "SELECT kind, ok FROM scans WHERE raw = ?", [label]) == "courier"
    assert count(app, "SELECT count(*) FROM return_items") == 0
    unknown = text(bench.scan("ZZ-NOT-OURS-1"))  # anything else unknown is still offered as a foreign item
    assert "not in the catalogue" in unknown or "Unknown product" in unknown
    for other in ("9400111899223100000001", "TBA123456789012", "00012345600000000017"):
        page = text(bench.scan(other))  # USPS, Amazon Logistics, another shipment's SSCC: said, not recorded
        assert "not an item: nothing recorded" in page, other
    assert count(app, "SELECT count(*) FROM return_items") == 0
