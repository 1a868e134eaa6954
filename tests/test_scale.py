"""The bench scale: its protocols, a pty standing in for it, and the weight check at inspection."""
import json
import time

import pytest

from hardware import registry
from hardware.scale import ScaleState, SerialScale, parse_line
from station import auth, create_app
from station.data import importer
from station.data.importer.reading import ImportFailed
from station.devices import live
from station.db import connect
from tests.helpers import bench_client, post
from tests.sample import CARTON, MUG_GTIN, fresh, load_sample

BADGE, PIN = "BADGE-6", "9753"


@pytest.mark.parametrize("line, grams, stable", [
    ("S S     123.4 g", 123.4, True),           # Mettler Toledo SICS, stable
    ("S D     123.9 g", 123.9, False),          # SICS, still moving
    ("S S      0.352 kg", 352.0, True),
    ("ST,GS,+  1.234kg", 1234.0, True),         # CAS / A&D
    ("US,GS,+  1.230kg", 1230.0, False),
    ("ST,NT,-  0.005kg", -5.0, True),           # net, below the tare
    ("  0.456 kg", 456.0, True),                # plain
    ("+0012.5 g", 12.5, True),
    ("   0.456 kg ?", 456.0, False),            # plain, marked moving
    ("  1.000 lb", 453.592, True),
    ("  2.00 oz", 56.699, True),
])
def test_each_protocol_line_reads_as_grams_and_stability(line, grams, stable):
    reading = parse_line(line)
    assert (reading.grams, reading.stable) == (grams, stable)


@pytest.mark.parametrize("line", ["S I", "S +", "S -", "OL,GS,+  9.999kg", "", "hello", "12.3 parsecs", "S S abc g"])
def test_a_line_with_no_weight_in_it_reads_as_nothing(line):
    assert parse_line(line) is None


# --- the driver on a pty ----------------------------------------------------------------------

@pytest.fixture
def port(serial_port):
    return serial_port("ttyUSB0")


@pytest.fixture
def scale(port):
    s = SerialScale(port.path, bench="bench-3", reconnect_interval=0.05, read_timeout=0.05)
    s.start()
    assert s.wait_for(ScaleState.CONNECTED)
    yield s
    s.stop()


def test_the_scale_keeps_its_latest_reading_and_weighs_only_a_steady_one(port, scale):
    port.send(b"S D     120.0 g\r\n")
    deadline = time.monotonic() + 5
    while scale.reading() is None:
        assert time.monotonic() < deadline
        time.sleep(0.01)
    assert scale.reading().grams == 120.0 and not scale.reading().stable
    assert scale.weigh() is None                # moving: no weight yet
    port.send(b"S S     352.0 g\r\n")
    assert scale.weigh(timeout=5) == 352.0
    assert scale.status()["state"] == "ok" and scale.status()["detail"] == "352 g"


def test_a_stale_reading_is_not_the_item_on_the_plate(port, scale):
    scale.max_age = 0.2
    port.send(b"ST,GS,+  0.352kg\r\n")
    assert scale.weigh(timeout=5) == 352.0
    time.sleep(0.3)
    assert scale.weigh() is None


def test_an_unplugged_scale_is_offline_and_reads_again_when_plugged_back(port, scale):
    port.unplug()
    assert scale.wait_for(ScaleState.DISCONNECTED)
    assert scale.status()["state"] == "offline"
    port.plug()
    assert scale.wait_for(ScaleState.CONNECTED)
    port.send(b"  0.456 kg\r\n")
    assert scale.weigh(timeout=5) == 456.0


def test_line_noise_that_still_looks_like_a_weight_does_not_replace_the_reading(port, scale):
    # a garbled line matching the pattern read as 1e+35 g: shown on the panel, stored on the item
    port.send(b"S S     352.0 g\r\n")
    assert scale.weigh(timeout=5) == 352.0
    lines = scale._lines.scans
    port.send(b"ST,GS,+ 99999999999999999999999999999999kg\r\nS S 123456789.0 g\r\n\x00\xff\x13\r\nS S 12.3.4 g\r\n")
    deadline = time.monotonic() + 5
    while scale._lines.scans < lines + 4:  # the reader has taken all four lines
        assert time.monotonic() < deadline
        time.sleep(0.01)
    assert scale.weigh() == 352.0 and scale.status()["detail"] == "352 g"


@pytest.mark.parametrize("line", ["ST,GS,+ 99999999999999999999kg", "S S 1000001 g", "  2205 lb"])
def test_a_weight_no_bench_scale_can_show_reads_as_nothing(line):
    assert parse_line(line) is None


# --- products.csv weight_g ------------------------------------------------------------------

PRODUCTS = "sku,name,price{extra_head}\nW-1,Kettle,30{extra}\n"


def test_products_csv_takes_an_optional_weight_and_old_files_stay_valid(tmp_path):
    db = fresh(tmp_path / "station.db")
    folder = tmp_path / "csv"
    folder.mkdir()
    (folder / "products.csv").write_text(PRODUCTS.format(extra_head=",weight_g", extra=",1250.5"))
    importer.import_dir(db, folder)
    assert db.execute("SELECT weight_g FROM products WHERE sku = 'W-1'").fetchall() == [(1250.5,)]
    # a file from before the column: valid, and it leaves the weight alone
    (folder / "products.csv").write_text(PRODUCTS.format(extra_head="", extra=""))
    importer.import_dir(db, folder)
    assert db.execute("SELECT weight_g FROM products WHERE sku = 'W-1'").fetchall() == [(1250.5,)]


@pytest.mark.parametrize("weight", ["-3", "0", "heavy", "nan", "1e9"])
def test_a_bad_weight_is_reported_with_its_line_and_nothing_is_imported(tmp_path, weight):
    db = fresh(tmp_path / "station.db")
    folder = tmp_path / "csv"
    folder.mkdir()
    (folder / "products.csv").write_text(PRODUCTS.format(extra_head=",weight_g", extra=f",{weight}"))
    with pytest.raises(ImportFailed) as failed:
        importer.import_dir(db, folder)
    assert failed.value.errors[0].startswith("products.csv:2: weight_g")
    assert db.execute("SELECT count(*) FROM products").fetchone()[0] == 0


# --- at the bench ---------------------------------------------------------------------------

@pytest.fixture
def app(tmp_path, port):
    path = tmp_path / "station.db"
    db = fresh(path)
    load_sample(db)
    with db.conn:
        db.execute("UPDATE order_lines SET qty_allocated = qty WHERE order_no IN ('SO-W1', 'SO-W2')")
        db.execute("UPDATE products SET weight_g = 350 WHERE sku = 'MUG-01'")
    auth.add_user(db, "Lee Scale", "operator", PIN, BADGE)
    db.close()
    app = create_app({"DATABASE": str(path), "SECRET_KEY": "scale-test", "TESTING": True,
                      "PHOTO_DIR": str(tmp_path / "photos"), "BENCHES": {"bench-3": {"scale_port": port.path}}})
    live.start_devices(app)
    assert live.device(app, "bench-3", "scale").wait_for(ScaleState.CONNECTED)
    yield app
    live.stop_devices(app)


def sign_in(app):
    return bench_client(app, BADGE, PIN, "bench-3")


def put_on_scale(app, port, line):
    scale = live.device(app, "bench-3", "scale")
    port.send(line)
    deadline = time.monotonic() + 5
    while scale.reading() is None or scale.reading() != scale.latest or not scale.latest.stable:
        assert time.monotonic() < deadline
        time.sleep(0.01)


def item(app):
    db = connect(app.config["DATABASE"])
    try:
        row = db.execute("SELECT flags, measured_weight_g FROM return_items").fetchone()
        return json.loads(row[0]), row[1]
    finally:
        db.close()


def inspect_mug(app, port, line):
    client = sign_in(app)
    post(client, "/bench/scan", code=CARTON)
    put_on_scale(app, port, line)
    scanned = post(client, "/bench/scan", code=MUG_GTIN).get_data(True)
    return client, scanned, post(client, "/bench/inspect", set_grade="A").get_data(True)


def test_an_item_far_lighter_than_its_catalogue_weight_is_flagged_on_the_panel_and_the_item(app, port):
    client, scanned, page = inspect_mug(app, port, b"S S      12.0 g\r\n")
    assert "Scale: 12 g · expected 350 g" in scanned
    assert "weight mismatch" in page and "Weighed 12 g, expected 350 g: empty box or another item?" in page
    assert item(app) == (["weight_mismatch"], 12.0)


def test_an_item_within_the_tolerance_is_not_flagged(app, port):
    _client, _scanned, page = inspect_mug(app, port, b"ST,GS,+  0.340kg\r\n")  # 350 g -10 g: within 10 %
    assert "weight mismatch" not in page and "Weighed 340 g, expected 350 g" in page
    assert item(app) == ([], 340.0)


def test_a_weight_mismatch_alone_does_not_hold_the_refund(app, port):
    client, _scanned, _page = inspect_mug(app, port, b"S S      12.0 g\r\n")
    db = connect(app.config["DATABASE"])
    item_id = db.execute("SELECT item_id FROM return_items").fetchone()[0]
    rec = json.loads(db.execute("SELECT recommendation FROM return_items").fetchone()[0])
    db.close()
    assert rec["disposition"] == "restock"
    post(client, f"/bench/items/{item_id}/decide", disposition="restock")
    return_id = connect(app.config["DATABASE"]).execute("SELECT return_id FROM returns").fetchone()[0]
    post(client, f"/bench/returns/{return_id}/close")
    assert connect(app.config["DATABASE"]).execute("SELECT status FROM refunds").fetchall() == [("ready",)]


def test_without_a_steady_reading_the_item_is_recorded_unweighed(app, port):
    client = sign_in(app)
    post(client, "/bench/scan", code=CARTON)
    port.send(b"S D     200.0 g\r\n")  # never settles
    post(client, "/bench/scan", code=MUG_GTIN)
    post(client, "/bench/inspect", set_grade="A")
    assert item(app) == ([], None)


def test_the_scale_is_in_the_device_registry_for_its_bench(app, port):
    put_on_scale(app, port, b"  0.352 kg\r\n")
    (row,) = [d for d in registry.snapshot(app) if d["kind"] == "scale"]
    assert (row["bench"], row["name"], row["state"], row["detail"]) == ("bench-3", port.path, "ok", "352 g")
