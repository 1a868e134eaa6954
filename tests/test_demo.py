"""The demo data set keeps its promises: size, variety, valid codes, documented examples."""
import re
from datetime import timedelta

import pytest
from stdnum import ean

from station import migrations
from station.db import connect
from station.data.demo import load_demo
from station.data.demo.tables import DEMO_EXAMPLES, DEMO_USERS
from station.timeutil import iso, now

SCRIPTS = {  # country: the script its customers' names are written in
    "CN": r"[\u4e00-\u9fff]+", "SA": r"[\u0600-\u06ff ]+", "AE": r"[\u0600-\u06ff ]+", "RU": r"[\u0400-\u04ff ]+",
    "UA": r"[\u0400-\u04ff ]+", "JP": r"[\u3040-\u30ff\u4e00-\u9fff ]+", "KR": r"[\uac00-\ud7af]+",
    "GR": r"[\u0370-\u03ff\u1f00-\u1fff ]+",
}
ACCENTED = r"[À-ÿĀ-žİıŞşĞğ]"


def new_db(path):
    db = connect(path)
    migrations.apply(db)
    return db


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    """Loading the full demo takes seconds, so the tests of this module share one load."""
    db = new_db(tmp_path_factory.mktemp("demo") / "demo.db")
    summary = load_demo(db)
    yield db, summary
    db.close()


def scalar(db, sql, params=()):
    return db.execute(sql, params).fetchone()[0]


def test_the_demo_meets_its_size_promises(demo):
    # how fast it loads is a benchmark's question, not a test's (a busy machine is no failure)
    db, summary = demo

    assert summary["customers"] == db["customers"].count >= 2000
    assert summary["countries"] == scalar(db, "SELECT count(DISTINCT country) FROM customers") >= 15
    assert summary["orders"] == db["orders"].count >= 20000
    assert {r[0] for r in db.execute("SELECT DISTINCT channel FROM orders")} == {
        "aliexpress", "amazon", "ebay", "dhgate", "shop"}
    assert 50 <= db["products"].count <= 70
    assert summary["returns"] == db["returns"].count > 0


def test_customers_have_names_in_their_own_scripts_and_contact_details(demo):
    db, _ = demo
    names = {}
    for name, country in db.execute("SELECT name, country FROM customers"):
        names.setdefault(country, []).append(name)

    for country, pattern in SCRIPTS.items():
        assert len(names[country]) >= 20 and all(re.fullmatch(pattern, n) for n in names[country]), country
    for country in ("DE", "FR", "ES", "PL", "PT", "BR", "TR"):
        assert sum(bool(re.search(ACCENTED, n)) for n in names[country]) >= 10, country
    assert len(names["US"]) >= 100 and len(names["GB"]) >= 50
    assert scalar(db, "SELECT count(*) FROM customers WHERE email NOT LIKE '%_@example.___'") == 0
    assert scalar(db, "SELECT count(DISTINCT email) FROM customers") == db["customers"].count
    assert scalar(db, "SELECT count(*) FROM customers WHERE phone NOT GLOB '+[1-9]*'") == 0


def test_orders_fall_in_the_six_months_before_now_in_fitting_currencies(demo):
    db, _ = demo
    six_months_ago = iso(now() - timedelta(days=184))

    assert scalar(db, "SELECT min(placed_at) FROM orders") >= six_months_ago
    assert scalar(db, "SELECT max(max(placed_at), max(delivered_at)) FROM orders") <= iso(now())
    assert scalar(db, "SELECT count(*) FROM orders WHERE shipped_at < placed_at OR delivered_at < shipped_at") == 0
    assert scalar(db, "SELECT count(*) FROM orders WHERE status = 'delivered' AND delivered_at IS NULL") == 0
    assert {r[0] for r in db.execute("SELECT DISTINCT currency FROM orders WHERE channel = 'dhgate'")} == {"USD"}
    assert {r[0] for r in db.execute(
        "SELECT DISTINCT o.currency FROM orders o JOIN customers c USING (customer_id) "
        "WHERE c.country = 'JP' AND o.channel IN ('amazon', 'shop')")} == {"JPY"}


def test_products_carry_valid_gtin13s_bins_and_suppliers_with_and_without_rtv(demo):
    db, _ = demo
    products = list(db["products"].rows)

    assert all(len(p["gtin"]) == 13 and ean.is_valid(p["gtin"]) for p in products)
    assert all(p["gtin14"] == "0" + p["gtin"] for p in products)
    assert all(re.fullmatch(r"[A-Z]-\d\d-\d\d", p["bin"]) for p in products)
    assert any(p["refurbishable"] and p["refurb_cost"] > 0 for p in products)
    assert any(p["has_serial"] for p in products)
    windows = [s["rtv_window_days"] for s in db["suppliers"].rows if s["accepts_rtv"]]
    assert windows and all(30 <= w <= 180 for w in windows)
    assert scalar(db, "SELECT count(*) FROM suppliers WHERE accepts_rtv = 0") > 0
    assert scalar(db, "SELECT count(*) FROM stock WHERE qty > 0") >= 50


def test_shipped_serials_and_cartons_carry_valid_codes(demo):
    db, _ = demo
    cartons = list(db["cartons"].rows)

    assert all(len(c["carton_code"]) == 18 and ean.calc_check_digit(c["carton_code"][:17]) == c["carton_code"][17]
               for c in cartons)
    assert len({c["tracking_no"] for c in cartons}) == len(cartons)
    assert scalar(db, "SELECT count(*) FROM order_serials") >= 1000
    assert scalar(db, "SELECT count(*) FROM order_lines l JOIN products p USING (sku) "
                      "JOIN orders o USING (order_no) WHERE p.has_serial AND o.status = 'delivered' "
                      "AND (l.serials IS NULL OR length(l.serials) - length(replace(l.serials, ';', '')) + 1 != l.qty)") == 0


def ups_valid(code):
    body = code[2:17]
    total = sum((int(c) if c.isdigit() else (ord(c) - 63) % 10) * (2 if i % 2 else 1) for i, c in enumerate(body))
    return re.fullmatch(r"1Z[0-9A-Z]{16}", code) and str((10 - total % 10) % 10) == code[17]


def s10_valid(code):
    if not re.fullmatch(r"[A-Z]{2}\d{9}[A-Z]{2}", code):
        return False
    digits = code[2:10]
    check = 11 - sum(int(d) * w for d, w in zip(digits, (8, 6, 4, 2, 3, 5, 9, 7))) % 11
    return str({10: 0, 11: 5}.get(check, check)) == code[10]


def returned_share(db, families):
    """Units returned at the bench over units shipped, for SKUs of these families (RUN-40: RUN)."""
    like = " OR ".join("sku LIKE ?" for _ in families)
    params = [f"{f}-%" for f in families]
    shipped = scalar(db, f"SELECT sum(l.qty) FROM order_lines l JOIN orders o USING (order_no) "
                         f"WHERE o.status IN ('shipped', 'delivered') AND ({like})", params)
    returned = scalar(db, f"SELECT sum(qty) FROM return_items WHERE {like}", params)
    return returned / shipped


def test_return_rates_look_like_a_cross_border_shop_and_the_rmas_arrive(demo):
    db, _ = demo
    assert 0.15 <= returned_share(db, ("RUN", "HOOD")) <= 0.30  # apparel and shoes: size and fit
    assert 0.05 <= returned_share(db, ("EB", "SPK", "SW", "PB", "KB", "MS", "CAM", "DRN", "HDR", "TB", "CHG")) <= 0.10
    # an RMA older than four days has come back and was closed at bench-1, with its refund
    old_open = scalar(db, "SELECT count(*) FROM rmas m WHERE m.created_at < ? AND NOT EXISTS "
                          "(SELECT 1 FROM returns r WHERE r.rma_no = m.rma_no) AND m.rma_no NOT IN (?, ?)",
                      [iso(now() - timedelta(days=4, hours=1)), DEMO_EXAMPLES["rma_no"], DEMO_EXAMPLES["ups_rma_no"]])
    assert old_open == 0
    assert {r[0] for r in db.execute("SELECT DISTINCT station FROM returns")} == {"bench-1"}


def test_rmas_follow_some_delivered_orders_with_valid_return_tracking(demo):
    db, _ = demo
    delivered = scalar(db, "SELECT count(*) FROM orders WHERE status = 'delivered'")
    rmas = list(db["rmas"].rows)
    tracking = [r["return_tracking_no"] for r in rmas if r["return_tracking_no"]]

    assert 0.08 <= len(rmas) / delivered <= 0.20
    assert all(ups_valid(t) or s10_valid(t) for t in tracking)
    assert sum(t.startswith("1Z") for t in tracking) >= 100 and sum(bool(s10_valid(t)) for t in tracking) >= 100
    assert {r["resolution"] for r in rmas} == {"refund", "exchange"}
    assert sum(r["resolution"] == "refund" for r in rmas) > 0.7 * len(rmas)
    assert scalar(db, "SELECT count(*) FROM rmas r LEFT JOIN rma_lines l USING (rma_no) WHERE l.rma_no IS NULL") == 0


def test_some_orders_wait_for_products_out_of_stock_and_a_few_are_cancelled(demo):
    db, _ = demo
    waiting = scalar(db, "SELECT count(*) FROM orders WHERE status = 'awaiting_stock'")

    assert waiting >= 100
    assert scalar(db, "SELECT count(*) FROM orders WHERE status = 'awaiting_stock' AND priority > 0") > 0
    assert 0 < scalar(db, "SELECT count(*) FROM orders WHERE status = 'cancelled'") < waiting
    assert scalar(db, "SELECT count(*) FROM order_lines l JOIN orders o USING (order_no) "
                      "JOIN stock s ON s.sku = l.sku WHERE o.status = 'awaiting_stock' AND s.qty > 0") == 0


def test_frequent_returners_have_three_closed_returns_in_the_last_90_days(demo):
    db, summary = demo
    since = iso(now() - timedelta(days=90))
    frequent = db.execute(
        "SELECT o.customer_id, count(*) FROM returns r JOIN orders o USING (order_no) "
        "WHERE r.opened_at >= ? AND r.status = 'closed' GROUP BY o.customer_id HAVING count(*) >= 3", [since]).fetchall()

    assert len(frequent) == summary["frequent_returners"] >= 5
    assert DEMO_EXAMPLES["frequent_returner_customer_id"] in {c for c, _ in frequent}
    # every closed return has its items decided and its refund paid or ready
    assert scalar(db, "SELECT count(DISTINCT r.return_id) FROM returns r JOIN return_items i USING (return_id) "
                      "JOIN decisions d USING (item_id) JOIN refunds f USING (return_id) "
                      "WHERE f.status IN ('paid', 'ready') AND r.closed_at >= r.opened_at") == db["returns"].count
    assert scalar(db, "SELECT count(*) FROM return_items i LEFT JOIN decisions d USING (item_id) "
                      "WHERE d.item_id IS NULL") == 0
    assert scalar(db, "SELECT count(*) FROM refunds WHERE status = 'paid' AND payment_ref IS NULL") == 0


def test_the_documented_examples_are_in_the_data(demo):
    db, _ = demo
    ex = DEMO_EXAMPLES
    order = db["orders"].get(ex["order_no"])
    customer = db["customers"].get(order["customer_id"])
    waiting = db["orders"].get(ex["awaiting_order_no"])

    assert db["cartons"].get(ex["carton_code"])["order_no"] == ex["order_no"]
    assert order["status"] == "delivered" and order["delivered_at"] >= iso(now() - timedelta(days=30))
    assert customer["name"] == ex["customer_name"] and re.fullmatch(SCRIPTS["CN"], customer["name"])
    assert db["rmas"].get(ex["rma_no"])["return_tracking_no"] == ex["return_tracking_no"]
    assert s10_valid(ex["return_tracking_no"]) and ups_valid(ex["ups_return_tracking_no"])
    assert db["products"].get(ex["sku"])["gtin"] == ex["gtin"]
    assert db["order_lines"].get((ex["order_no"], 1))["sku"] == ex["sku"]
    assert db["order_serials"].get((ex["order_no"], 2, ex["serial"]))["sku"] == ex["serial_sku"]
    assert waiting["status"] == "awaiting_stock"
    assert waiting["priority"] == scalar(db, "SELECT max(o.priority) FROM orders o JOIN order_lines l USING (order_no) "
                                             "WHERE o.status = 'awaiting_stock' AND l.sku = ?", [ex["sku"]])
    assert scalar(db, "SELECT sum(qty) FROM stock WHERE sku = ?", [ex["sku"]]) == 0
    assert db["orders"].get(ex["out_of_window_order_no"])["delivered_at"] < iso(now() - timedelta(days=30))
    assert db["cartons"].get(ex["out_of_window_carton_code"])["order_no"] == ex["out_of_window_order_no"]
    assert db["cartons"].get(ex["frequent_returner_carton_code"])["order_no"] == ex["frequent_returner_order_no"]


def test_demo_users_cover_the_three_roles_and_both_languages():
    assert [(u["role"], u["badge"], u["pin"], u.get("language", "en")) for u in DEMO_USERS] == [
        ("operator", "OP-1001", "1234", "en"), ("supervisor", "SV-2001", "4321", "en"),
        ("admin", "AD-3001", "9999", "en"), ("operator", "OP-1002", "1234", "zh_Hans")]


def test_the_same_seed_gives_the_same_data_apart_from_dates(tmp_path):
    dbs = [new_db(tmp_path / f"{n}.db") for n in range(3)]
    for db, seed in zip(dbs, (3, 3, 4)):
        load_demo(db, seed=seed, customers=300, orders=1500)

    def content(db):
        return (list(db.execute("SELECT * FROM customers ORDER BY customer_id")),
                list(db.execute("SELECT order_no, line_no, sku, qty, unit_price, serials FROM order_lines ORDER BY 1, 2")))

    assert content(dbs[0]) == content(dbs[1]) != content(dbs[2])
    assert dbs[0]["orders"].count >= 1500


def test_loading_the_demo_twice_adds_no_second_history(tmp_path):
    db = new_db(tmp_path / "t.db")
    first = load_demo(db, seed=5, customers=200, orders=700)

    second = load_demo(db, seed=5, customers=200, orders=700)

    assert first["returns"] > 0 and second["returns"] == 0
    assert db["returns"].count == first["returns"]
    assert db["orders"].count == first["orders"] >= 700


def _cli(*args):
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    return subprocess.run([sys.executable, str(root / "run.py"), *args], capture_output=True, text=True, cwd=root,
                          timeout=120)


def _dump(db):
    return {t: sorted(map(repr, db.execute(f"SELECT * FROM [{t}]")))
            for (t,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}


def test_run_py_demo_on_a_database_that_has_the_demo_already_changes_nothing(demo, tmp_path):
    db, _ = demo
    copy = connect(tmp_path / "again.db")
    db.conn.backup(copy.conn)
    before = _dump(copy)

    result = _cli("demo", "--db", str(tmp_path / "again.db"))

    assert result.returncode == 0, result.stderr
    assert "already loaded" in result.stderr and "nothing changed" in result.stderr and result.stdout == ""
    assert _dump(copy) == before  # not even the dates moved
    copy.close()


def test_run_py_demo_refuses_a_database_with_other_orders_and_adds_nothing(tmp_path):
    from tests.sample import fresh, load_sample

    db = fresh(str(tmp_path / "real.db"))
    load_sample(db)
    before = _dump(db)

    result = _cli("demo", "--db", str(tmp_path / "real.db"))

    assert result.returncode == 1
    assert result.stderr.startswith("error: ") and "loads only into a database without orders" in result.stderr
    assert "Traceback" not in result.stderr
    assert _dump(db) == before
    db.close()


def test_the_demo_barcode_sheet_holds_codes_that_open_parcels_and_badges_that_sign_in(demo, tmp_path):
    import re

    from hardware.decode import decode_image
    from station.auth import add_user, sign_in
    from station.data.demo.sheet import sheet
    from station.data.demo.tables import DEMO_USERS
    from station.intake.lookup import lookup

    db, _summary = demo
    for user in DEMO_USERS:
        if not db.execute("SELECT 1 FROM users WHERE badge = ?", [user["badge"]]).fetchone():
            add_user(db, user["name"], user["role"], user["pin"], user["badge"])
    found = sheet(db)
    assert found["demo"] and {b["code"] for b in found["badges"]} == {u["badge"] for u in DEMO_USERS}
    for badge in found["badges"]:
        assert sign_in(db, badge["code"], badge["pin"])["badge"] == badge["code"]
    assert len(found["parcels"]) >= 4 and len({p["country"] for p in found["parcels"]}) >= 3
    for parcel in found["parcels"]:
        answer = lookup(db, parcel["code"])
        assert answer["order"]["order_no"] == parcel["order_no"] and answer["rma"] is not None
        assert parcel["svg"].startswith("<svg") and re.search(r"<rect|<path", parcel["svg"])
        # the same symbol rendered to PNG by the same drawer reads back as the code
        from hardware.barcodes import code128_png
        assert parcel["code"] in [c["data"] for c in decode_image(code128_png(parcel["code"]))]
    assert found["products"] and all(lookup(db, p["code"])["match"] == "product" for p in found["products"])


def test_the_barcode_sheet_of_a_station_without_the_demo_shows_nothing(tmp_path):
    from station.data.demo.sheet import sheet
    from tests import sample

    db = sample.fresh(tmp_path / "s.db")
    sample.load_sample(db)
    assert sheet(db) == {"demo": False, "badges": [], "parcels": [], "products": [], "labels": []}
    db.close()
