"""The downstream screens in real headless Chromium against a real HTTP server and SQLite file.

Debian's /usr/bin/chromium through Playwright's Python API (never a downloaded browser; the set-up
is in tests/browser.py and tests/conftest.py). Badges are scanned as a keyboard-wedge scanner
types them, the PIN is tapped, and every screen is driven by taps and scans. Screenshots land in
tests/screenshots/.
"""
import io
import json
import re
import threading
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from station import auth
from station.intake import closing, decisions, photos, returns
from station.db import connect
from tests.browser import expect, needs_chromium, new_page, scan, serve, sign_in_as, station_app
from tests.browser import shot as screenshot
from tests.helpers import query
from tests.sample import CARTON, days_ago, fresh, load_sample

USERS = {
    "technician": ("Tess Technician", "TECH-0007", "1111"),
    "supervisor": ("Sam Supervisor", "SUPV-0001", "2222"),
    "supervisor2": ("سارة المشرفة", "SUPV-0002", "3333"),
    "operator": ("Olly Operator", "OPER-0003", "4444"),
}

pytestmark = needs_chromium


def photo_png(text):
    """A small real photo-like PNG, so thumbnails show something."""
    from PIL import Image, ImageDraw

    img = Image.new("RGB", (320, 240), (196, 160, 112))
    draw = ImageDraw.Draw(img)
    draw.rectangle([40, 40, 280, 200], outline=(90, 60, 30), width=6)
    draw.text((60, 110), text, fill=(0, 0, 0))
    out = io.BytesIO()
    img.save(out, "PNG")
    return out.getvalue()


def decide(db, code, item, disposition=None, close=False, photo=None, photo_dir=None):
    ret, _ = returns.open_return(db, code, "bench-1")
    added = returns.add_item(db, ret["return_id"], item)
    if photo:
        photos.add_photo(db, added["item_id"], photo_png(photo), photo_dir=photo_dir)
    decisions.decide(db, ret["return_id"], added["item_id"], {"disposition": disposition or added["recommendation"]["disposition"]})
    refund = closing.close_return(db, ret["return_id"])["refund"] if close else None
    return added["item_id"], refund


def add_rows(db, photo_dir):
    """Work in every queue: a mug to refurbish, a phone to return to its supplier, a brick in
    quarantine (held refund) and an out-of-window shoe (held refund)."""
    with db.conn:
        db["orders"].insert({"order_no": "SO-AR", "customer_id": "C3", "placed_at": days_ago(70), "channel": "shop",
                             "shipped_at": days_ago(66), "delivered_at": days_ago(63), "currency": "SAR",
                             "status": "delivered", "priority": 0})
        db["order_lines"].insert({"order_no": "SO-AR", "line_no": 1, "sku": "SHOE-01", "qty": 1, "unit_price": 180})
        db["cartons"].insert({"carton_code": "CTN-AR", "order_no": "SO-AR", "tracking_no": None, "carrier": "Aramex"})
    ids = {}
    ids["mug"], _ = decide(db, CARTON, {"sku": "MUG-01", "qty": 1, "grade": "B", "reason": "size_fit"})
    # the mug's work order has waited three days: the queue shows it red
    db.execute("UPDATE work_orders SET created_at = ? WHERE item_id = ?", [days_ago(3.2), ids["mug"]])
    ids["phone"], _ = decide(db, "SO-1", {"sku": "PHONE-01", "serial": "SN1", "qty": 1, "grade": "D", "reason": "defective",
                                          "notes": "screen dead"}, photo="dead screen", photo_dir=photo_dir)
    ids["brick"], ids["brick_refund"] = decide(db, "CTN-2", {"sku": "SHOE-01", "qty": 1, "grade": "X", "reason": "other",
                                                             "notes": "a brick in the box"},
                                               close=True, photo="brick", photo_dir=photo_dir)
    ids["late"], ids["late_refund"] = decide(db, "CTN-AR", {"sku": "SHOE-01", "qty": 1, "grade": "A",
                                                            "reason": "changed_mind"}, close=True)
    return ids


@pytest.fixture
def server(tmp_path):
    """The app on a real HTTP server over a temp SQLite file, work in every queue."""
    path = tmp_path / "station.db"
    photo_dir = str(tmp_path / "photos")
    db = fresh(path)
    load_sample(db)
    for key, (name, badge, pin) in USERS.items():
        auth.add_user(db, name, key.rstrip("2"), pin, badge)
    ids = add_rows(db, photo_dir)
    token = auth.new_token(db, "Sam Supervisor")
    db.close()
    with serve(station_app(path, PHOTO_DIR=photo_dir)) as server:
        yield {**server, "ids": ids, "token": token}


def shot(page, name, full_page=False):
    page.evaluate("() => { const f = document.getElementById('flash'); if (f) f.className = ''; }")  # the scan flash
    screenshot(page, f"downstream-{name}", full_page=full_page)


def sign_in(page, server, who):
    sign_in_as(page, server, USERS[who], station="back-room")


def assert_every_button_tappable(page, least=48):
    """Every visible button or button-like link is at least 48x48 CSS px (gloves)."""
    small = page.evaluate("""(least) => [...document.querySelectorAll('button, .btn, .chip, .tab, .qrow, [role=button]')]
        .filter(el => el.offsetParent !== null)
        .map(el => [el.textContent.trim(), el.getBoundingClientRect()])
        .filter(([, r]) => r.width < least || r.height < least)
        .map(([text, r]) => `${text} ${r.width}x${r.height}`)""", least)
    assert small == []


# -- refurbish --------------------------------------------------------------------------------

def test_a_technician_scans_a_tote_taps_actions_and_cost_and_restocks_it_as_refurbished(page, server):
    mug = server["ids"]["mug"]
    sign_in(page, server, "technician")
    expect(page).to_have_url(re.compile(r"/refurbish$"))
    expect(page.get_by_role("heading", name="Scan a tote")).to_be_visible()
    expect(page.locator(".queue .age-late")).to_have_text(re.compile(r"^3 d \d+ h$"))
    shot(page, "01-refurbish-queue")

    scan(page, f"RI-{mug}")
    expect(page.locator(".wo-tote")).to_have_text(f"RI-{mug}")
    expect(page.locator(".wo-name")).to_have_text("Travel mug")
    assert_every_button_tappable(page)

    page.get_by_role("button", name="10", exact=True).click()
    page.get_by_role("button", name="Cleaned", exact=True).click()
    expect(page.locator("#message")).to_have_text("Recorded cleaned, 10 min")

    page.get_by_role("button", name="Part replaced…").click()
    page.locator("label.chip", has_text="Lid").click()
    page.get_by_label("Part cost").click()
    for key in "1.20":
        page.locator(f"[data-numkey='{key}']").click()
    expect(page.get_by_label("Part cost")).to_have_value("1.20")
    page.get_by_role("button", name="5", exact=True).first.click()
    page.get_by_role("button", name="Record part").click()
    expect(page.locator("#message")).to_have_text("Recorded part replaced: Lid (1.20), 5 min")
    expect(page.locator(".totals")).to_contain_text("15 min · parts 1.20")
    shot(page, "02-refurbish-work-order")

    page.locator("label.grade-chip", has_text="B").click()
    page.get_by_role("button", name="Restock as refurbished").click()
    expect(page.locator("#message")).to_contain_text("Restocked as refurbished stock in bin REFURB")
    expect(page.locator(".wo-done")).to_contain_text("Refurbished stock · REFURB · grade B")
    expect(page.locator(".queue")).to_have_count(0)
    shot(page, "03-refurbish-finished")

    assert query(server, "SELECT status, outcome, outcome_grade, minutes, parts_cost, closed_by FROM work_orders") == [
        ("done", "restock", "B", 15, 1.2, "Tess Technician")]
    assert query(server, "SELECT sku, bin, qty FROM stock WHERE condition = 'refurbished'") == [("MUG-01", "REFURB", 1)]
    assert query(server, "SELECT qty FROM stock WHERE sku = 'MUG-01' AND condition = 'new'") == [(5,)]  # new stock untouched

    label = page.context.new_page()
    label.goto(f"{server['url']}/refurbish/{query(server, 'SELECT wo_id FROM work_orders')[0][0]}/label")
    expect(label.locator(".dest")).to_have_text("REFURBISHED")
    expect(label.locator(".target")).to_have_text("Bin REFURB · refurbished stock")
    shot(label, "04-refurbish-label")


def test_letters_in_the_cost_are_refused_on_the_page_and_record_nothing(page, server):
    mug = server["ids"]["mug"]
    sign_in(page, server, "technician")
    page.locator(".qrow", has_text=f"RI-{mug}").click()  # a tap on the queue row opens it too
    expect(page.locator(".wo-tote")).to_have_text(f"RI-{mug}")
    page.get_by_role("button", name="Part replaced…").click()
    page.get_by_label("Part cost").evaluate("el => el.value = 'abc'")  # what a broken keypad might send
    page.get_by_placeholder("Other part").fill("Hinge")
    page.get_by_role("button", name="Record part").click()
    expect(page.locator("#message")).to_have_text("cost: must be a decimal amount")
    expect(page.locator("#part-panel")).to_be_visible()  # still open to correct the cost
    expect(page.locator("body")).to_have_attribute("data-last-feedback", "error")
    assert query(server, "SELECT actions FROM work_orders") == [("[]",)]


# -- RTV --------------------------------------------------------------------------------------

def test_a_supervisor_closes_an_rtv_batch_prints_its_papers_and_records_the_credit(page, server):
    phone = server["ids"]["phone"]
    sign_in(page, server, "supervisor")
    page.get_by_role("link", name="RTV", exact=True).click()
    card = page.locator(".card-link", has_text="Shenzhen Parts")
    expect(card).to_contain_text("1 item · 200.00")
    shot(page, "05-rtv-batches")
    card.click()
    expect(page.get_by_role("heading", name=re.compile("Shenzhen Parts · batch"))).to_be_visible()
    page.get_by_role("button", name="Close batch…").click()
    page.get_by_role("button", name=re.compile(r"^Close batch \d+$")).click()
    expect(page.locator("#message")).to_contain_text("closed: credit expected 200.00")
    assert_every_button_tappable(page)
    shot(page, "06-rtv-batch-closed")

    evidence = page.context.new_page()
    batch_id = query(server, "SELECT batch_id FROM rtv_batches")[0][0]
    evidence.goto(f"{server['url']}/rtv/{batch_id}/evidence")
    expect(evidence.locator(".evidence")).to_contain_text("SN1")
    expect(evidence.locator(".evidence")).to_contain_text("defective")
    assert evidence.locator(".evidence-photo").evaluate("img => img.complete && img.naturalWidth") == 320
    evidence.emulate_media(media="print")
    expect(evidence.locator(".topbar")).to_be_hidden()
    shot(evidence, "07-rtv-evidence-print", full_page=True)
    evidence.goto(f"{server['url']}/rtv/{batch_id}/packing-list")
    expect(evidence.locator(".print-table tbody tr")).to_have_count(1)
    shot(evidence, "08-rtv-packing-list-print", full_page=True)
    with evidence.expect_download() as download:
        evidence.emulate_media(media="screen")
        evidence.get_by_role("link", name="CSV").click()
    csv_text = Path(download.value.path()).read_text()
    assert csv_text.splitlines()[1].startswith(f"{phone},PHONE-01,Phone X,1,SN1")

    for key in "180":
        page.locator(f"[data-numkey='{key}']").click()
    page.get_by_role("button", name="Record credit").click()
    expect(page.locator("#message")).to_have_text("Credit 180.00 recorded against 200.00 expected")
    expect(page.locator(".money .short")).to_have_text("180.00 USD")  # every amount names its currency
    shot(page, "09-rtv-settled")
    assert query(server, "SELECT status, credit_expected, credit_received FROM rtv_batches") == [("settled", "200.00", "180.00")]


def test_an_item_the_supplier_refuses_comes_back_to_quarantine_review(page, server):
    phone = server["ids"]["phone"]
    sign_in(page, server, "supervisor")
    batch_id = query(server, "SELECT batch_id FROM rtv_batches")[0][0]
    page.goto(f"{server['url']}/rtv/{batch_id}")
    page.get_by_role("button", name="Close batch…").click()
    page.get_by_role("button", name=re.compile(r"^Close batch \d+$")).click()
    page.get_by_role("button", name="Refused…").click()
    page.locator("label.chip", has_text="Customer damage").click()
    page.get_by_role("button", name="Refused: back to review").click()
    expect(page.locator("#message")).to_have_text(f"Item {phone} refused by the supplier: back in quarantine review")
    assert query(server, "SELECT status, refused_reason FROM rtv_items") == [("refused", "Customer damage")]
    page.get_by_role("link", name="Quarantine", exact=True).click()
    expect(page.locator(f"#q-{phone}")).to_contain_text("refused by supplier: Customer damage")


# -- quarantine -------------------------------------------------------------------------------

def test_long_typed_text_a_part_notes_or_a_refusal_never_widens_a_downstream_screen(page, server):
    from station.downstream import refurbish, rtv

    ids = server["ids"]
    db = connect(server["db"])
    try:
        refurbish.record_action(db, f"RI-{ids['mug']}", {"action": "part_replaced", "part": "P" * 200, "cost": "1", "minutes": 5})
        with db.conn:  # what an inspector may type at the bench, without a space
            db.execute("UPDATE return_items SET notes = ? WHERE item_id IN (?, ?, ?)",
                       ["N" * 1500, ids["brick"], ids["late"], ids["phone"]])
        batch_id = db.execute("SELECT batch_id FROM rtv_items WHERE item_id = ?", [ids["phone"]]).fetchone()[0]
        rtv.close_batch(db, batch_id)
        rtv.refuse_item(db, ids["phone"], {"reason": "R" * 500})
    finally:
        db.close()
    sign_in(page, server, "supervisor")
    widths = {}
    for path in ("/refunds", "/quarantine", f"/rtv/{batch_id}", f"/rtv/{batch_id}/evidence", f"/rtv/{batch_id}/packing-list"):
        page.goto(server["url"] + path)
        widths[path] = page.evaluate("() => document.documentElement.scrollWidth")
    page.goto(f"{server['url']}/refurbish")
    scan(page, f"RI-{ids['mug']}")
    page.get_by_role("button", name="Part replaced…").click()
    expect(page.locator(".part-panel .chip", has_text="PPPP")).to_be_visible()
    widths["/refurbish"] = page.evaluate("() => document.documentElement.scrollWidth")
    shot(page, "15-long-part", full_page=True)
    assert widths == dict.fromkeys(widths, 1280)
    assert query(server, "SELECT status FROM rtv_items") == [("refused",)]


def test_a_supervisor_looks_at_the_photo_and_confirms_fraud_which_rejects_the_held_refund(page, server):
    brick, refund = server["ids"]["brick"], server["ids"]["brick_refund"]
    sign_in(page, server, "supervisor")
    page.get_by_role("link", name="Quarantine", exact=True).click()
    card = page.locator(f"#q-{brick}")
    expect(card).to_contain_text("a brick in the box")
    expect(card.locator(".flag-grade")).to_have_text("grade X")
    expect(card.locator(".thumb img")).to_have_js_property("naturalWidth", 320)
    shot(page, "10-quarantine-queue")
    card.locator(".thumb").click()
    expect(card.locator(".photo-large")).to_be_visible()
    shot(page, "11-quarantine-photo")
    card.get_by_role("button", name="Close photo").click()
    expect(card.locator(".photo-large")).to_be_hidden()

    card.get_by_role("button", name="Confirm fraud").click()  # no reason tapped yet
    expect(page.locator("#message")).to_have_text("Tap a reason (or write a note) before deciding")
    card = page.locator(f"#q-{brick}")
    card.locator("label.chip", has_text="Not our item").click()
    card.get_by_role("button", name="Confirm fraud").click()
    expect(page.locator("#message")).to_have_text(
        f"Item {brick}: fraud confirmed, the customer is marked. Its refund line: 0.00 EUR rejected; "
        f"refund {refund['refund_id']} is rejected (0.00 EUR to pay).")
    expect(page.locator(f"#q-{brick}")).to_have_count(0)
    shot(page, "12-quarantine-decided")
    assert query(server, "SELECT fraud FROM customers WHERE customer_id = 'C2'") == [(1,)]
    assert query(server, "SELECT status, decided_by FROM refunds WHERE refund_id = ?", [refund["refund_id"]]) == [
        ("rejected", "Sam Supervisor")]
    assert query(server, "SELECT outcome, reviewed_by FROM quarantine_reviews") == [("fraud", "Sam Supervisor")]


# -- refunds ----------------------------------------------------------------------------------

def test_a_supervisor_approves_a_held_refund_with_a_reason_chip_and_sees_it_ready(page, server):
    refund = server["ids"]["late_refund"]
    sign_in(page, server, "supervisor")
    page.get_by_role("link", name="Refunds", exact=True).click()
    card = page.locator(f"#refund-{refund['refund_id']}")
    expect(card.locator(".hold-out_of_window")).to_have_text("Outside window")
    expect(card.locator("h2")).to_have_text("فاطمة الزهراء")
    assert card.locator("h2 bdi").evaluate("el => getComputedStyle(el).direction") == "rtl"
    shot(page, "13-refunds-held")
    item_id = refund["lines"][0]["item_id"]
    expect(card.locator(f"#line-{item_id}")).to_contain_text(f"{refund['amount']} SAR")
    card.get_by_role("button", name="Approve…").click()
    form = card.locator(f"#approve-{refund['refund_id']}-{item_id}")
    form.locator("label.chip", has_text="Goodwill").click()
    form.get_by_label(f"Approve note for item {item_id}").fill("long-time customer")
    expect(form.get_by_label("Amount to pay (SAR)")).to_have_value(refund["amount"])  # proposed, can be changed
    form.get_by_label("Amount to pay (SAR)").fill("150,00")  # a comma: refused, nothing changes
    assert_every_button_tappable(page)
    shot(page, "14-refunds-approve-panel")
    form.get_by_role("button", name=f"Approve item {item_id}").click()
    expect(page.locator("#message")).to_contain_text("amount: must be an ASCII decimal amount like 12.50")
    assert query(server, "SELECT status FROM refund_lines WHERE item_id = ?", [item_id]) == [("held",)]
    card = page.locator(f"#refund-{refund['refund_id']}")
    card.get_by_role("button", name="Approve…").click()
    form = card.locator(f"#approve-{refund['refund_id']}-{item_id}")
    form.locator("label.chip", has_text="Goodwill").click()
    form.get_by_label(f"Approve note for item {item_id}").fill("long-time customer")
    form.get_by_label("Amount to pay (SAR)").fill("150.00")
    form.get_by_role("button", name=f"Approve item {item_id}").click()
    expect(page.locator("#message")).to_have_text(
        f"Item {item_id} of refund {refund['refund_id']} approved, ready for payment: 150.00 SAR ready; "
        "150.00 SAR payable now")
    page.get_by_role("link", name=re.compile("^Ready, awaiting payment")).click()
    expect(page).to_have_url(re.compile(r"status=ready"))
    expect(page.locator(".ds-table")).to_contain_text("Goodwill — long-time customer")
    shot(page, "15-refunds-ready")
    assert query(server, "SELECT status, note, decided_by FROM refunds WHERE refund_id = ?", [refund["refund_id"]]) == [
        ("ready", "Goodwill — long-time customer", "Sam Supervisor")]
    assert query(server, "SELECT amount, status, decided_by FROM refund_lines WHERE item_id = ?", [item_id]) == [
        ("150.00", "ready", "Sam Supervisor")]


def test_two_supervisors_approving_at_once_approve_once_and_the_second_reads_who_did(browser, server):
    refund_id = server["ids"]["late_refund"]["refund_id"]
    pages = [new_page(browser), new_page(browser)]
    try:
        for page, who in zip(pages, ("supervisor", "supervisor2")):
            sign_in(page, server, who)
            page.goto(f"{server['url']}/refunds")
            card = page.locator(f"#refund-{refund_id}")
            card.get_by_role("button", name="Approve…").click()
            card.locator("label.chip", has_text="Inspection OK").click()
        buttons = [p.locator(f"#refund-{refund_id}").get_by_role("button", name=re.compile("^Approve item \\d")) for p in pages]
        # both taps go out before either answer is read: the two requests race on the server
        for button in buttons:
            button.dispatch_event("click")
        messages = []
        for page in pages:
            expect(page.locator("#message")).to_be_visible()
            messages.append(page.locator("#message").inner_text())
        winners = [m for m in messages if re.match(rf"Item \d+ of refund {refund_id} approved", m)]
        losers = [m for m in messages if re.fullmatch(rf"Item \d+ of refund {refund_id} was already approved by .+: nothing changed", m)]
        assert len(winners) == 1 and len(losers) == 1, messages
        loser = pages[[m in losers for m in messages].index(True)]
        expect(loser.locator("#message")).to_have_attribute("class", re.compile("tone-error"))
        shot(loser, "16-refunds-race-loser")
        decided_by = query(server, "SELECT status, decided_by FROM refunds WHERE refund_id = ?", [refund_id])
        assert decided_by[0][0] == "ready" and losers[0].endswith(f"by {decided_by[0][1]}: nothing changed")
        approvals = query(server, "SELECT data FROM events WHERE type = 'refund.approved'")
        assert [json.loads(d)["refund_id"] for (d,) in approvals] == [refund_id]
        assert all(p.dialogs == [] for p in pages)
    finally:
        for page in pages:
            page.context.close()


def api(server, method, path, body=None, token=None):
    request = urllib.request.Request(f"{server['url']}{path}", method=method,
                                     data=json.dumps(body).encode() if body is not None else None,
                                     headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def test_a_payment_confirmation_sent_twice_at_once_pays_the_refund_once(server):
    refund_id = server["ids"]["late_refund"]["refund_id"]
    token = server["token"]
    assert api(server, "POST", f"/api/refunds/{refund_id}/paid", {"payment_ref": "PAY-1"}, token)[0] == 409  # still held
    assert api(server, "POST", f"/api/refunds/{refund_id}/approve", {"note": "ok"}, token)[0] == 200
    answers, barrier = [], threading.Barrier(2)

    def confirm():
        barrier.wait()
        answers.append(api(server, "POST", f"/api/refunds/{refund_id}/paid", {"payment_ref": "PAY-1"}, token))

    threads = [threading.Thread(target=confirm) for _ in range(2)]
    [t.start() for t in threads]
    [t.join() for t in threads]
    assert [status for status, _ in answers] == [200, 200]
    assert answers[0][1] == answers[1][1] and answers[0][1]["status"] == "paid" and answers[0][1]["payment_ref"] == "PAY-1"
    status, other = api(server, "POST", f"/api/refunds/{refund_id}/paid", {"payment_ref": "PAY-2"}, token)
    assert status == 409 and other["error"]["code"] == "nothing_payable"  # a new reference while nothing is ready
    assert query(server, "SELECT status, payment_ref FROM refunds WHERE refund_id = ?", [refund_id]) == [("paid", "PAY-1")]
    assert query(server, "SELECT payment_ref FROM refund_payments WHERE refund_id = ?", [refund_id]) == [("PAY-1",)]
    assert query(server, "SELECT count(*) FROM events WHERE type = 'refund.paid'") == [(1,)]


# -- roles ------------------------------------------------------------------------------------

def test_an_operator_opening_refunds_gets_the_403_page_naming_the_role(page, server):
    sign_in(page, server, "operator")
    response = page.goto(f"{server['url']}/refunds")
    assert response.status == 403
    expect(page.get_by_role("heading", name="This screen is not for your badge")).to_be_visible()
    expect(page.locator(".forbidden")).to_contain_text("supervisor or admin")
    expect(page.get_by_role("link", name="Refunds")).to_have_count(0)
    shot(page, "17-operator-forbidden")
    assert query(server, "SELECT status FROM refunds WHERE refund_id = ?", [server["ids"]["late_refund"]["refund_id"]]) == [("held",)]
