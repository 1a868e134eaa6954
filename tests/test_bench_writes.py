"""One write per user action at the bench (issue 13): a scan, an item, a decision and a close are
each one write transaction, and a carton scan reads what it shows in a few statements.

The statements are counted on the request's own connection (sqlite3's trace callback, installed by
the SQL_TRACE test hook in station/db.py get_db), on a real database file through the real app.
"""
import re

import pytest

from station.db import connect
from tests import test_bench_views as views
from tests.sample import CARTON, MUG_GTIN

app, bench = views.app, views.bench  # its fixtures: the sample's database, an operator signed in at bench-3
count, text = views.count, views.text

CARTON_SCAN_STATEMENTS = 15  # issue 13: "statements per carton scan at the bench <= 15" (it was 31)


class Trace:
    """The SQL statements the app's requests run, one list per action."""

    def __init__(self, app):
        self.ran = []
        app.config["SQL_TRACE"] = self.ran.append

    def __call__(self, action):
        """(the response to `action()`, the top-level statements it ran)."""
        self.ran.clear()
        response = action()
        return response, self.statements()

    def statements(self):
        # Python's trace callback reports each statement a trigger runs as the statement that fired
        # it, repeated (newer versions as a "-- TRIGGER" comment): one statement with its triggers
        # is one statement here
        found = []
        for sql in self.ran:
            if sql.startswith("--") or (found and found[-1] == sql):
                continue
            found.append(sql)
        return found


def write_transactions(statements):
    """The number of BEGIN IMMEDIATE ... COMMIT transactions, checking nothing else began or ended one."""
    begins = [s for s in statements if s.upper().startswith("BEGIN")]
    assert all(s.upper() == "BEGIN IMMEDIATE" for s in begins), begins
    assert len([s for s in statements if s.upper() in ("COMMIT", "END")]) == len(begins), statements
    assert not [s for s in statements if s.upper().startswith("ROLLBACK")], statements
    return len(begins)


@pytest.fixture
def trace(app):
    return Trace(app)


def test_a_carton_scan_opens_the_parcel_in_one_write_and_at_most_15_statements(bench, trace):
    response, statements = trace(lambda: bench.scan(CARTON))

    assert response.status_code == 200 and "王小明" in text(response) and "Parcel open: return 1." in text(response)
    assert write_transactions(statements) == 1
    assert len(statements) <= CARTON_SCAN_STATEMENTS, "\n".join(statements)
    app = bench.client.application
    assert count(app, "SELECT count(*) FROM returns WHERE status = 'open'") == 1
    assert count(app, "SELECT count(*) FROM scans WHERE kind = 'carton' AND ok = 1") == 1
    assert count(app, "SELECT count(*) FROM events WHERE type = 'return.opened'") == 1


def test_a_carton_scan_that_puts_the_parcel_on_screen_aside_is_still_one_write(bench, trace):
    bench.scan("CTN-2")
    response, statements = trace(lambda: bench.scan(CARTON))

    assert "put aside" in text(response) and "王小明" in text(response)
    assert write_transactions(statements) == 1
    # what the parcel on screen adds: its items counted in the transaction that puts it aside
    assert len(statements) <= CARTON_SCAN_STATEMENTS + 1, "\n".join(statements)
    assert count(bench.client.application, "SELECT count(*) FROM returns WHERE status = 'open'") == 2


def test_a_product_scan_an_item_a_decision_and_a_close_are_each_one_write(bench, trace):
    app = bench.client.application
    bench.scan(CARTON)

    response, statements = trace(lambda: bench.scan(MUG_GTIN))
    assert "tap its grade" in text(response) and write_transactions(statements) == 1  # its line in the scan log

    response, statements = trace(lambda: bench.post("/bench/inspect", qty="1", set_grade="A"))
    assert "Confirm" in text(response) and write_transactions(statements) == 1
    item_id = re.search(r"/bench/items/(\d+)/decide", text(response)).group(1)
    assert count(app, "SELECT count(*) FROM return_items") == 1

    response, statements = trace(lambda: bench.post(f"/bench/items/{item_id}/decide", disposition="restock"))
    assert "label printing" in text(response) and write_transactions(statements) == 1
    assert count(app, "SELECT count(*) FROM decisions") == 1

    response, statements = trace(lambda: bench.post("/bench/returns/1/close"))
    assert "Closed. Refund 19.99 USD" in text(response) and write_transactions(statements) == 1
    assert count(app, "SELECT status FROM returns WHERE return_id = 1") == "closed"
    assert count(app, "SELECT count(*) FROM refunds") == 1


def put_aside_parcels(app, n):
    """`n` more delivered orders of the sample's customer, each with a carton CTN-P<i> and a mug line."""
    db = connect(app.config["DATABASE"])
    try:
        with db.conn:
            for i in range(1, n + 1):
                db.execute("INSERT INTO orders (order_no, customer_id, placed_at, shipped_at, delivered_at, currency, "
                           "status, priority, channel) SELECT ?, customer_id, placed_at, shipped_at, delivered_at, "
                           "currency, status, priority, channel FROM orders WHERE order_no = 'SO-1'", [f"SO-P{i}"])
                db.execute("INSERT INTO order_lines (order_no, line_no, sku, qty, unit_price) "
                           "VALUES (?, 1, 'MUG-01', 2, 19.99)", [f"SO-P{i}"])
                db.execute("INSERT INTO cartons (carton_code, order_no) VALUES (?, ?)", [f"CTN-P{i}", f"SO-P{i}"])
    finally:
        db.close()


def test_the_put_aside_list_costs_the_same_statements_for_one_parcel_as_for_eight(bench, trace):
    app = bench.client.application
    put_aside_parcels(app, 8)
    bench.scan("CTN-P1")
    bench.post("/bench/clear")
    _, one_aside = trace(lambda: bench.client.get("/bench", headers={"HX-Request": "true"}))
    for i in range(2, 9):
        bench.scan(f"CTN-P{i}")
    bench.post("/bench/clear")
    response, eight_aside = trace(lambda: bench.client.get("/bench", headers={"HX-Request": "true"}))

    assert text(response).count("missing 2 × MUG-01") == 8
    assert len(eight_aside) == len(one_aside), "\n".join(eight_aside)


def test_the_put_aside_list_says_what_each_parcel_lacks_and_leaves_out_a_finished_one(bench):
    from station.intake import decisions, returns

    app = bench.client.application
    put_aside_parcels(app, 2)
    bench.scan("CTN-2")
    bench.post("/bench/clear")  # opened, nothing recorded: set aside
    bench.scan("CTN-P1")  # two mugs expected: one decided, one recorded and undecided
    bench.scan(MUG_GTIN)
    page = text(bench.post("/bench/inspect", set_grade="B", set_reason="size_fit"))
    item_id = re.search(r"/bench/items/(\d+)/decide", page).group(1)
    disposition = re.search(r'name="disposition" value="(\w+)"', page).group(1)
    bench.post(f"/bench/items/{item_id}/decide", disposition=disposition)
    bench.post("/bench/scan", code=MUG_GTIN, source="typed")  # typed: the same code again is meant
    bench.post("/bench/inspect", set_grade="B", set_reason="size_fit")
    bench.scan("CTN-P2")  # one mug recorded, undecided
    bench.scan(MUG_GTIN)
    bench.post("/bench/inspect", set_grade="B", set_reason="size_fit")
    page = text(bench.post("/bench/clear"))
    aside = page[page.index('class="put-aside"'):]
    p1, p2, so2 = (count(app, "SELECT return_id FROM returns WHERE order_no = ?", [order])
                   for order in ("SO-P1", "SO-P2", "SO-2"))
    assert f"Return {p1} · SO-P1 · 2 items recorded · missing 1 × MUG-01 · 1 undecided</span>" in aside
    assert f"Return {p2} · SO-P2 · 1 item recorded · missing 2 × MUG-01 · 1 undecided</span>" in aside
    assert f"Return {so2} · SO-2 · 0 items recorded · missing 1 × SHOE-01</span>" in aside

    db = connect(app.config["DATABASE"])  # SO-2's shoe decided elsewhere (the API): finished, still open
    try:
        added = returns.add_item(db, so2, {"sku": "SHOE-01", "qty": 1, "grade": "A", "reason": "size_fit"})
        rec = added["recommendation"]
        decisions.decide(db, so2, added["item_id"], {"disposition": rec["disposition"], "target": rec["target"]})
    finally:
        db.close()
    aside = text(bench.client.get("/bench", headers={"HX-Request": "true"}))
    assert "SO-P1 ·" in aside and "SO-P2 ·" in aside and "SO-2 ·" not in aside
    assert count(app, "SELECT status FROM returns WHERE return_id = ?", [so2]) == "open"
