"""Labels of every kind scan back; the print queue delivers to a real TCP printer, once.

The printer is a TCP listener on 127.0.0.1 (tests/test_hardware_printer.FakeZebra) that keeps
the bytes it received and answers ~HS; ZPL is drawn offline by zplkit, the way a Zebra would,
and read back with hardware/decode.py. A fake `lp` on PATH stands in for CUPS.
"""
import json
import os
import re
import socket
import stat
import threading
import time
import xml.etree.ElementTree as ET

import pytest

from station.devices import print_queue
from hardware.decode import decode_image
from hardware.printers import CupsPrinter, PrinterError, PrinterStatus, ZplPrinter, printer_for, zpl_label
from station import auth, config, create_app
from station.intake import label_content as labels
from station.db import connect, write
from station.timeutil import now_iso
from tests.fakeports import free_port
from tests.sample import CARTON, MUG_GTIN, fresh, load_sample
from tests.test_hardware_labels import rasterise
from tests.test_hardware_printer import FakeZebra, hs_reply, wait_for_jobs

zplkit = pytest.importorskip("zplkit")  # a test dependency in pyproject.toml: installed, never skipped

SIZES = [("4x6", 203), ("4x6", 300), ("2x1", 203), ("2x1", 300)]
# disposition, target, sku, the 2D code and EAN-13 the 4x6 label carries besides its Code 128
KINDS = {
    "restock": ("A-01-01", "MUG-01"),
    "crossdock": ("SO-W1", "MUG-01"),
    "refurbish": (None, "PHONE-01"),
    "rtv": ("SUP-RTV", "PHONE-01"),
    "quarantine": (None, "SHOE-01"),
    "scrap": (None, "SHOE-01"),
}


def zebra_on(port):
    """A FakeZebra on a given port: the printer that was off comes up at its address."""
    zebra = FakeZebra.__new__(FakeZebra)
    zebra.status_reply, zebra.jobs = hs_reply(), []
    zebra.sock, zebra.port = socket.create_server(("127.0.0.1", port)), port
    threading.Thread(target=zebra._serve, daemon=True).start()
    return zebra


@pytest.fixture
def db(tmp_path):
    db = fresh(tmp_path / "station.db")
    load_sample(db)
    yield db
    db.close()


def decided(db, disposition, target, sku):
    """An item of a return on SO-1, decided `disposition` to `target`; answers its item_id."""
    with write(db):
        return_id = db.execute("SELECT return_id FROM returns WHERE order_no = 'SO-1' AND status = 'open'").fetchone()
        if return_id is None:
            return_id = db["returns"].insert({"order_no": "SO-1", "code": CARTON, "match": "carton", "station": "b",
                                              "opened_at": now_iso()}).last_pk
        else:
            return_id = return_id[0]
        item_id = db["return_items"].insert({"return_id": return_id, "sku": sku, "qty": 1, "grade": "A",
                                             "reason": "changed_mind", "recommendation": "{}",
                                             "added_at": now_iso()}).last_pk
        db["decisions"].insert({"item_id": item_id, "disposition": disposition, "target": target,
                                "decided_at": now_iso()})
    return item_id


def read_zpl(zpl, dpi):
    scene = zplkit.render(zpl, zplkit.Options(dpi=dpi)).labels[0]
    return scene, decode_image(scene.png())


# --- every label kind, every stock, every resolution ---------------------------------------

@pytest.mark.parametrize("size,dpi", SIZES)
@pytest.mark.parametrize("kind", list(KINDS))
def test_every_label_kind_printed_as_zpl_scans_back_to_its_own_codes(db, kind, size, dpi):
    target, sku = KINDS[kind]
    data = labels.label_data(db, decided(db, kind, target, sku))
    scene, read = read_zpl(labels.label_zpl(data, size, dpi), dpi)
    assert (scene.width, scene.height) == (int(size[0]) * dpi, int(size[2]) * dpi)
    expected = labels.codes_on(data, size)
    assert sorted((r["symbology"], r["data"]) for r in read) == sorted(expected)
    assert ("code128", data["barcode"]) in expected


def test_the_4x6_labels_carry_the_2d_code_and_ean_where_they_help(db):
    restock = labels.label_data(db, decided(db, "restock", "A-01-01", "MUG-01"))
    crossdock = labels.label_data(db, decided(db, "crossdock", "SO-W1", "MUG-01"))
    rtv = labels.label_data(db, decided(db, "rtv", "SUP-RTV", "PHONE-01"))
    quarantine = labels.label_data(db, decided(db, "quarantine", None, "SHOE-01"))
    assert dict(labels.codes_on(restock, "4x6"))["ean13"] == MUG_GTIN
    lane = crossdock["lane"]
    assert dict(labels.codes_on(crossdock, "4x6"))["datamatrix"] == f"{crossdock['barcode']}/ORDER SO-W1/LANE {lane}"
    assert crossdock["destination"] == f"Order SO-W1 · lane {lane}"
    assert dict(labels.codes_on(rtv, "4x6"))["datamatrix"].endswith("/RTV SUP-RTV/SKU PHONE-01")
    assert "qrcode" in dict(labels.codes_on(quarantine, "4x6"))
    assert labels.codes_on(crossdock, "2x1") == [("code128", crossdock["barcode"])]


@pytest.mark.parametrize("size,dpi", SIZES)
@pytest.mark.parametrize("kind", list(KINDS))
def test_every_label_kind_drawn_for_the_browser_scans_back(db, kind, size, dpi):
    target, sku = KINDS[kind]
    data = labels.label_data(db, decided(db, kind, target, sku))
    svgs = labels.label_codes(data, size, dpi)
    assert set(svgs) == {symbology for symbology, _ in labels.codes_on(data, size)}
    for symbology, code in labels.codes_on(data, size):
        root = ET.fromstring(svgs[symbology])
        assert root.get("width").endswith("in")  # true size when the browser prints it
        assert decode_image(rasterise(svgs[symbology])) == [{"symbology": symbology, "data": code}]


@pytest.mark.parametrize("size,dpi", SIZES)
def test_the_label_svg_document_is_true_size_and_every_code_in_it_scans(db, size, dpi):
    item_id = decided(db, "crossdock", "SO-W1", "MUG-01")
    root = ET.fromstring(labels.label_svg(db, item_id, size, dpi))
    assert (root.get("width"), root.get("height")) == (f"{size[0]}in", f"{size[2]}in")
    nested = root.findall("{http://www.w3.org/2000/svg}svg")
    read = []
    for svg in nested:
        svg.attrib.pop("x"), svg.attrib.pop("y")
        read += decode_image(rasterise(ET.tostring(svg, encoding="unicode")))
    expected = labels.codes_on(labels.label_data(db, item_id), size)
    assert sorted((r["symbology"], r["data"]) for r in read) == sorted(expected)


MARKETPLACE_ORDER = "113-0295137-7990723"  # an Amazon order number: 19 characters


@pytest.mark.parametrize("size,dpi", SIZES)
def test_long_order_numbers_and_product_names_stay_on_the_zpl_label_and_every_code_still_scans(db, size, dpi):
    import io

    import numpy as np
    from PIL import Image

    with write(db):
        db.execute("UPDATE products SET name = ? WHERE sku = 'MUG-01'",
                   ["Stoneware coffee mug 350 ml, matte glaze, dishwasher and microwave safe, gift box " * 2])
    data = labels.label_data(db, decided(db, "crossdock", MARKETPLACE_ORDER, "MUG-01"))
    zpl = labels.label_zpl(data, size, dpi)
    scene, read = read_zpl(zpl, dpi)
    assert sorted((r["symbology"], r["data"]) for r in read) == sorted(labels.codes_on(data, size))
    ink = np.asarray(Image.open(io.BytesIO(scene.png())).convert("L")) < 128
    right = np.flatnonzero(ink.any(axis=0)).max()
    margin = round({"4x6": 0.2, "2x1": 0.06}[size] * dpi)
    assert right < scene.width - margin // 2  # nothing runs off the stock (the lane was cut off)
    # the destination is whole, in narrower letters; a name too long even for those ends in "..."
    assert f"Order {MARKETPLACE_ORDER} - lane {data['lane']}" in zpl
    if size == "4x6":
        assert "Stoneware coffee mug 350 ml" in zpl and "..." in zpl


def test_a_label_too_full_or_a_2d_code_on_small_stock_is_refused_not_misprinted():
    with pytest.raises(PrinterError, match="room for its Code 128 only"):
        zpl_label("RI-1", size="2x1", matrix="RI-1/X")
    with pytest.raises(PrinterError, match="printable ASCII"):
        zpl_label("RI-1", matrix="RI~1")
    with pytest.raises(PrinterError, match="check digit"):
        zpl_label("RI-1", ean13="5901234123458")


def test_a_gtin_that_is_not_an_ean13_gets_no_ean_on_the_label():
    assert labels.ean13_of("036000291452") == "0036000291452"  # a UPC-A as EAN-13
    assert labels.ean13_of("05901234123457") == MUG_GTIN
    assert labels.ean13_of("5901234123458") is None  # wrong check digit
    assert labels.ean13_of(None) is None and labels.ean13_of("ABC") is None


# --- the printer over TCP 9100, and its queue ----------------------------------------------

@pytest.fixture
def zebra():
    z = FakeZebra()
    yield z
    z.close()


def test_a_queued_label_reaches_the_printer_as_the_exact_zpl(db, zebra):
    url = f"zpl://127.0.0.1:{zebra.port}"
    data = labels.label_data(db, decided(db, "restock", "A-01-01", "MUG-01"))
    zpl = labels.label_zpl(data, "4x6", 203)
    job_id = print_queue.enqueue(db, bench="bench-1", printer=url, payload=zpl, description="RESTOCK", item_id=1)
    assert print_queue.deliver_due(db, timeout=2) == 1
    assert wait_for_jobs(zebra, 1) == [zpl.encode("ascii")]
    _, read = read_zpl(zebra.jobs[0].decode(), 203)
    assert {r["data"] for r in read} == {data["barcode"], MUG_GTIN}
    job = db.execute("SELECT status, attempts, sent_at FROM print_jobs WHERE job_id = ?", [job_id]).fetchone()
    assert job[0] == "sent" and job[1] == 1 and job[2]


def test_an_offline_printer_keeps_the_job_queued_and_it_is_delivered_exactly_once_when_it_comes_up(db):
    port = free_port()
    url = f"zpl://127.0.0.1:{port}"
    clock = [1000.0]
    job_id = print_queue.enqueue(db, bench="b", printer=url, payload="^XA^FDone^FS^XZ\n", description="one")
    print_queue.enqueue(db, bench="b", printer=url, payload="^XA^FDtwo^FS^XZ\n", description="two")
    db.execute("UPDATE print_jobs SET next_attempt_at = 0")

    assert print_queue.deliver_due(db, timeout=0.5, clock=lambda: clock[0]) == 0
    status, attempts, error, due = db.execute(
        "SELECT status, attempts, last_error, next_attempt_at FROM print_jobs WHERE job_id = ?", [job_id]).fetchone()
    assert (status, attempts) == ("queued", 1) and "cannot reach printer" in error and due == 1001.0
    assert print_queue.pending(db, url) == 2

    zebra = zebra_on(port)  # the printer comes up on the address the jobs wait for
    try:
        assert print_queue.deliver_due(db, timeout=2, clock=lambda: clock[0]) == 0  # backing off: not due yet
        clock[0] += 1.5
        assert print_queue.deliver_due(db, timeout=2, clock=lambda: clock[0]) == 2
        assert print_queue.deliver_due(db, timeout=2, clock=lambda: clock[0] + 999) == 0
        assert wait_for_jobs(zebra, 2) == [b"^XA^FDone^FS^XZ\n", b"^XA^FDtwo^FS^XZ\n"]  # in order, once each
        time.sleep(0.1)
        assert len(zebra.jobs) == 2
        assert [r[0] for r in db.execute("SELECT status FROM print_jobs ORDER BY job_id")] == ["sent", "sent"]
    finally:
        zebra.close()


def test_retries_back_off_1_2_4_seconds_up_to_the_configured_most():
    assert [print_queue.backoff(n, 60) for n in (1, 2, 3, 4, 7, 8, 20)] == [1, 2, 4, 8, 60, 60, 60]
    assert print_queue.backoff(5, 10) == 10


def test_the_worker_thread_delivers_a_job_queued_while_the_printer_was_off_once_it_listens(tmp_path):
    path = tmp_path / "w.db"
    db = fresh(path)
    port = free_port()
    url = f"zpl://127.0.0.1:{port}"
    stop = print_queue.start_worker(str(path), interval=0.05, timeout=0.5, retry_max_s=0.2)
    try:
        print_queue.enqueue(db, bench="b", printer=url, payload="^XA^FDlate^FS^XZ\n", description="late")
        deadline = time.time() + 5
        while db.execute("SELECT attempts FROM print_jobs").fetchone()[0] < 2 and time.time() < deadline:
            time.sleep(0.05)
        assert db.execute("SELECT status FROM print_jobs").fetchone()[0] == "queued"  # tried, kept
        zebra = zebra_on(port)
        try:
            assert wait_for_jobs(zebra, 1) == [b"^XA^FDlate^FS^XZ\n"]
            time.sleep(0.5)  # several more worker rounds
            assert len(zebra.jobs) == 1
            assert db.execute("SELECT status FROM print_jobs").fetchone()[0] == "sent"
        finally:
            zebra.close()
    finally:
        stop.set()
        db.close()


def test_a_job_left_sending_by_a_crash_is_queued_again_when_the_worker_starts(tmp_path):
    path = tmp_path / "c.db"
    db = fresh(path)
    print_queue.enqueue(db, bench="b", printer="zpl://127.0.0.1:1", payload="x", description="x")
    db.execute("UPDATE print_jobs SET status = 'sending', next_attempt_at = 9e12")
    stop = print_queue.start_worker(str(path), interval=0.05)
    stop.set()
    assert db.execute("SELECT status FROM print_jobs").fetchone()[0] == "queued"
    db.close()


def test_a_cancelled_job_is_never_sent(db, zebra):
    url = f"zpl://127.0.0.1:{zebra.port}"
    job_id = print_queue.enqueue(db, bench="b", printer=url, payload="^XA^XZ", description="x")
    assert print_queue.cancel(db, job_id) is True
    assert print_queue.cancel(db, job_id) is False
    assert print_queue.deliver_due(db, timeout=1) == 0
    time.sleep(0.1)
    assert zebra.jobs == []


@pytest.mark.parametrize("reply,state,detail", [
    (hs_reply(), "ok", "ready"),
    (hs_reply(paper_out=1), "error", "paper out"),
    (hs_reply(head_up=1), "error", "head open"),
    (hs_reply(paused=1), "error", "paused"),
    (None, "error", "fault"),  # a Zebra with its head open stays silent on recent firmware
])
def test_the_printer_device_reads_its_state_from_the_tilde_hs_reply(tmp_path, reply, state, detail):
    zebra = FakeZebra(reply)
    db = fresh(tmp_path / "s.db")
    try:
        device = print_queue.PrinterDevice("b", f"zpl://127.0.0.1:{zebra.port}", str(tmp_path / "s.db"), timeout=0.3)
        started = time.monotonic()
        status = device.status()
        assert time.monotonic() - started < 2  # the time-out holds
        assert status["state"] == state and status["detail"].startswith(detail)
        assert wait_for_jobs(zebra, 1)[0] == b"~HS"
        assert (status["last_seen"] is not None) is True
    finally:
        zebra.close()
        db.close()


def test_an_unreachable_printer_is_offline_with_its_queue_and_last_error(tmp_path):
    path = tmp_path / "o.db"
    db = fresh(path)
    url = f"zpl://127.0.0.1:{free_port()}"
    print_queue.enqueue(db, bench="b", printer=url, payload="^XA^XZ", description="x")
    print_queue.deliver_due(db, timeout=0.3)
    status = print_queue.PrinterDevice("b", url, str(path), timeout=0.3).status()
    assert status["state"] == "offline" and status["queue"] == 1 and "1 waiting" in status["detail"]
    assert "cannot reach printer" in status["last_error"] and status["last_seen"] is None
    db.close()


def test_printer_addresses_become_drivers_and_bad_ones_are_refused():
    zpl = printer_for("zpl://10.0.0.5", timeout=2)
    assert isinstance(zpl, ZplPrinter) and (zpl.host, zpl.port, zpl.timeout) == ("10.0.0.5", 9100, 2)
    assert printer_for("zpl://printer.local:6101").port == 6101
    assert printer_for("cups://Zebra_GK420").queue == "Zebra_GK420"
    with pytest.raises(PrinterError):
        printer_for("http://10.0.0.5")


# --- CUPS raw queue, through a fake lp ------------------------------------------------------

@pytest.fixture
def fake_lp(tmp_path, monkeypatch):
    """`lp` and `lpstat` scripts first on PATH: lp writes its arguments and stdin to files."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    out = tmp_path / "lp-out"
    lp = bin_dir / "lp"
    lp.write_text(f'#!/bin/sh\necho "$@" >> "{out}.args"\ncat >> "{out}"\necho "request id is Q-1 (1 file(s))"\n')
    lpstat = bin_dir / "lpstat"
    lpstat.write_text('#!/bin/sh\necho "printer $2 is idle.  enabled since Mon 01 Jan 2024"\n')
    for f in (lp, lpstat):
        f.chmod(f.stat().st_mode | stat.S_IEXEC)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    return out


def test_a_cups_queue_gets_the_zpl_raw_through_lp(db, fake_lp):
    job_id = print_queue.enqueue(db, bench="b", printer="cups://Zebra_1", payload="^XA^FDcups^FS^XZ\n",
                                 description="x")
    assert print_queue.deliver_due(db, timeout=5) == 1
    assert fake_lp.read_bytes() == b"^XA^FDcups^FS^XZ\n"
    assert fake_lp.with_suffix(".args").read_text().split() == ["-d", "Zebra_1", "-o", "raw"]
    assert db.execute("SELECT status FROM print_jobs WHERE job_id = ?", [job_id]).fetchone()[0] == "sent"
    assert CupsPrinter("Zebra_1").status() is PrinterStatus.READY


def test_an_lp_that_fails_keeps_the_job_queued_with_its_message(db, tmp_path, monkeypatch):
    bin_dir = tmp_path / "badbin"
    bin_dir.mkdir()
    lp = bin_dir / "lp"
    lp.write_text('#!/bin/sh\necho "lp: The printer or class does not exist." >&2\nexit 1\n')
    lp.chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    print_queue.enqueue(db, bench="b", printer="cups://Nope", payload="^XA^XZ", description="x")
    assert print_queue.deliver_due(db, timeout=5) == 0
    status, error = db.execute("SELECT status, last_error FROM print_jobs").fetchone()
    assert status == "queued" and "does not exist" in error


# --- per-bench configuration ------------------------------------------------------------------

def test_benches_are_filled_in_with_defaults_and_bad_values_stop_start_up_naming_them(tmp_path, monkeypatch):
    benches = config.benches({"bench-1": {"printer": "zpl://10.0.0.5:9100", "dpi": 300}})
    assert benches["bench-1"] == {"printer": "zpl://10.0.0.5:9100", "label_size": "4x6", "dpi": 300,
                                  "scanner_port": None, "scale_port": None, "camera": None}
    for bad, named in [({"b": {"printer": "http://x"}}, "BENCHES.b.printer"),
                       ({"b": {"dpi": 600}}, "BENCHES.b.dpi"),
                       ({"b": {"label_size": "A4"}}, "BENCHES.b.label_size"),
                       ({"b": {"camera": [1]}}, "BENCHES.b.camera"),
                       ({"b": "zpl://x"}, "BENCHES.b")]:
        with pytest.raises(SystemExit, match=re.escape(named)):
            config.benches(bad)
    monkeypatch.setenv("STATION_BENCHES", json.dumps({"dock-2": {"printer": "cups://Z", "label_size": "2x1"}}))
    loaded = config.load(str(tmp_path))
    assert loaded["BENCHES"]["dock-2"]["printer"] == "cups://Z" and loaded["BENCHES"]["dock-2"]["dpi"] == 203
    monkeypatch.setenv("STATION_BENCHES", "{not json")
    with pytest.raises(SystemExit, match="STATION_BENCHES"):
        config.load(str(tmp_path))


# --- at the bench: Confirm, the label page, Reprint ------------------------------------------

BADGE, PIN = "BADGE-7", "1357"


def bench_app(tmp_path, printer):
    path = tmp_path / "station.db"
    db = fresh(path)
    load_sample(db)
    with db.conn:  # nothing waits for a mug: grade A restocks
        db.execute("UPDATE order_lines SET qty_allocated = qty WHERE order_no IN ('SO-W1', 'SO-W2')")
    auth.add_user(db, "Sam Bench", "operator", PIN, BADGE)
    db.close()
    return create_app({"DATABASE": str(path), "SECRET_KEY": "print-test", "TESTING": True,
                       "PHOTO_DIR": str(tmp_path / "photos"),
                       "BENCHES": {"bench-3": {"printer": printer, "label_size": "4x6", "dpi": 203}}})


def csrf(response):
    return re.search(r'data-csrf="([^"]+)"', response.get_data(as_text=True)).group(1)


def signed_in(app):
    client = app.test_client()
    token = csrf(client.get("/sign-in?station=bench-3"))
    client.post("/sign-in/badge", data={"code": BADGE}, headers={"X-CSRF-Token": token, "HX-Request": "true"})
    assert client.post("/sign-in", data={"pin": PIN, "csrf_token": token}).status_code == 302
    return client, csrf(client.get("/"))


def confirm_a_mug(client, token):
    headers = {"X-CSRF-Token": token, "HX-Request": "true"}
    client.post("/bench/scan", data={"code": CARTON}, headers=headers)
    client.post("/bench/scan", data={"code": MUG_GTIN}, headers=headers)
    page = client.post("/bench/inspect", data={"qty": "1", "set_grade": "A"}, headers=headers).get_data(as_text=True)
    item_id = int(re.search(r"/bench/items/(\d+)/decide", page).group(1))
    answer = client.post(f"/bench/items/{item_id}/decide", data={"disposition": "restock"}, headers=headers)
    assert answer.status_code == 200
    # a printer bench's answer opens the label page of a Confirm in a hidden frame (a browser bench
    # prints the label page itself: no frame)
    frame = re.search(r'class="print-frame" src="([^"]+)"', answer.get_data(as_text=True))
    client.print_frame = frame and frame.group(1).replace("&amp;", "&")
    assert client.print_frame in (None, f"/bench/items/{item_id}/label?print=1&confirm=1")
    return item_id


def test_confirm_on_a_bench_with_a_zpl_printer_queues_the_label_and_the_printer_gets_it(tmp_path, zebra):
    app = bench_app(tmp_path, f"zpl://127.0.0.1:{zebra.port}")
    client, token = signed_in(app)
    item_id = confirm_a_mug(client, token)
    db = connect(app.config["DATABASE"])
    try:
        jobs = db.execute("SELECT bench, item_id, description, status FROM print_jobs").fetchall()
        assert jobs == [("bench-3", item_id, f"RESTOCK RI-{item_id} (4x6)", "queued")]
        # the hidden frame's label page says where the label went and does not open a print dialog
        frame = client.get(client.print_frame).get_data(as_text=True)
        assert f"Sent to zpl://127.0.0.1:{zebra.port}" in frame and "data-autoprint" not in frame
        assert "data-queue-reprint" not in frame  # nothing queued again by the page itself
        assert print_queue.deliver_due(db, timeout=2) == 1
    finally:
        db.close()
    _, read = read_zpl(wait_for_jobs(zebra, 1)[0].decode(), 203)
    assert sorted(r["data"] for r in read) == sorted([f"RI-{item_id}", MUG_GTIN])


def test_reprint_on_a_zpl_bench_queues_the_label_again(tmp_path, zebra):
    app = bench_app(tmp_path, f"zpl://127.0.0.1:{zebra.port}")
    client, token = signed_in(app)
    item_id = confirm_a_mug(client, token)
    # the bench's "Reprint label" opens the label page in the hidden frame: its script (a static file:
    # no inline script passes the pages' Content-Security-Policy) queues it at the URL the page names
    frame = client.get(client.print_frame).get_data(as_text=True)  # the Confirm's own: nothing to queue
    assert "data-queue-reprint" not in frame
    frame = client.get(f"/bench/items/{item_id}/label?print=1").get_data(as_text=True)
    assert f'data-queue-reprint="/bench/items/{item_id}/reprint"' in frame and "js/label.js" in frame
    assert "fetch(" in client.get("/static/js/label.js").get_data(as_text=True)
    answer = client.post(f"/bench/items/{item_id}/reprint", headers={"X-CSRF-Token": token, "Accept": "application/json"})
    assert answer.status_code == 200 and answer.get_json()["printer"] == f"zpl://127.0.0.1:{zebra.port}"
    page = client.post(f"/bench/items/{item_id}/reprint", data={"csrf_token": token})
    assert page.status_code == 302 and "sent=" in page.location
    db = connect(app.config["DATABASE"])
    try:
        assert [r[0] for r in db.execute("SELECT description FROM print_jobs ORDER BY job_id")] == [
            f"RESTOCK RI-{item_id} (4x6)", f"Reprint RESTOCK RI-{item_id} (4x6)", f"Reprint RESTOCK RI-{item_id} (4x6)"]
    finally:
        db.close()


def test_reprint_on_the_2x1_label_page_of_a_zpl_bench_sends_the_printer_a_2x1_label(tmp_path, zebra):
    # the label page's stock switch showed 2x1, its Reprint said "Sent", and the printer got a 4x6
    app = bench_app(tmp_path, f"zpl://127.0.0.1:{zebra.port}")
    client, token = signed_in(app)
    item_id = confirm_a_mug(client, token)
    page = client.get(f"/bench/items/{item_id}/label?size=2x1").get_data(as_text=True)
    action = re.search(r'<form method="post" action="([^"]+)"', page).group(1).replace("&amp;", "&")
    answer = client.post(action, data={"csrf_token": token})
    assert answer.status_code == 302 and "size=2x1" in answer.location
    db = connect(app.config["DATABASE"])
    try:
        assert print_queue.deliver_due(db, timeout=2) == 2
        assert db.execute("SELECT description FROM print_jobs ORDER BY job_id DESC LIMIT 1").fetchone() == (
            f"Reprint RESTOCK RI-{item_id} (2x1)",)
    finally:
        db.close()
    reprinted = wait_for_jobs(zebra, 2)[1].decode()
    scene, read = read_zpl(reprinted, 203)
    assert (scene.width, scene.height) == (406, 203)
    assert [(r["symbology"], r["data"]) for r in read] == [("code128", f"RI-{item_id}")]


def test_a_reprint_without_the_csrf_token_is_refused(tmp_path):
    app = bench_app(tmp_path, "zpl://127.0.0.1:9")
    client, token = signed_in(app)
    item_id = confirm_a_mug(client, token)
    assert client.post(f"/bench/items/{item_id}/reprint").status_code == 400


def test_a_browser_bench_prints_the_label_page_as_before_and_queues_nothing(tmp_path):
    app = bench_app(tmp_path, "browser")
    client, token = signed_in(app)
    item_id = confirm_a_mug(client, token)
    frame = client.get(f"/bench/items/{item_id}/label?print=1").get_data(as_text=True)
    assert "label.js" in frame and "data-autoprint" in frame and "@page { size: 4in 6in" in frame
    answer = client.post(f"/bench/items/{item_id}/reprint", data={"csrf_token": token})
    assert answer.status_code == 302 and "print=1" in answer.location
    db = connect(app.config["DATABASE"])
    try:
        assert db.execute("SELECT count(*) FROM print_jobs").fetchone()[0] == 0
    finally:
        db.close()


def test_the_label_page_switches_between_4x6_and_2x1_stock_with_the_page_size_to_match(tmp_path):
    app = bench_app(tmp_path, "browser")
    client, token = signed_in(app)
    item_id = confirm_a_mug(client, token)
    big = client.get(f"/bench/items/{item_id}/label").get_data(as_text=True)
    small = client.get(f"/bench/items/{item_id}/label?size=2x1").get_data(as_text=True)
    assert "@page { size: 4in 6in" in big and "size=2x1" in big and "code-ean13" in big
    assert "@page { size: 2in 1in" in small and "code-ean13" not in small and f"RI-{item_id}" in small
    assert 'aria-current="true">2×1 in' in small
    bad = client.get(f"/bench/items/{item_id}/label?size=A4")
    assert bad.status_code == 400 and "size" in bad.get_data(as_text=True)
    assert client.get("/bench/items/999999/label").status_code == 404
    assert client.get(f"/bench/items/{2**64}/label").status_code == 404  # beyond SQLite's integers
    assert client.post("/bench/items/999999/reprint", data={"csrf_token": token}).status_code == 404


def test_confirm_on_a_zpl_bench_leaves_the_session_alone_so_the_next_scan_is_not_undone(tmp_path, zebra):
    """The hidden frame's label page is asked for while the operator already scans the next item:
    an answer carrying the session from before that scan would make the bench forget the item."""
    app = bench_app(tmp_path, f"zpl://127.0.0.1:{zebra.port}")
    client, token = signed_in(app)
    item_id = confirm_a_mug(client, token)
    frame = client.get(client.print_frame)
    assert frame.status_code == 200 and "Set-Cookie" not in frame.headers
    assert f"Sent to zpl://127.0.0.1:{zebra.port}" in frame.get_data(as_text=True)
    db = connect(app.config["DATABASE"])
    try:
        assert db.execute("SELECT count(*) FROM print_jobs WHERE item_id = ?", [item_id]).fetchone()[0] == 1
    finally:
        db.close()
