"""The bench camera: a generated video file of python-barcode images stands in for the camera."""
import hashlib
import time
from pathlib import Path

import cv2
import numpy as np
import pytest
from barcode import EAN13, Code128
from barcode.writer import ImageWriter

from hardware import registry
from hardware.camera import CameraReader, CameraState, Sightings
from station import auth, create_app
from station.devices import live
from station.db import connect
from tests.helpers import bench_client, post, wait_until
from tests.sample import CARTON, MUG_GTIN, fresh, load_sample

FPS = 10
RMA = "RMA-2024-00017"
BADGE, PIN = "BADGE-8", "8642"


def barcode_frame(*codes):
    """A 640x480 frame with each (python-barcode class, data) printed on white, one below the other."""
    frame = np.full((480, 640, 3), 255, np.uint8)
    y = 60
    for cls, data in codes:
        image = cls(data, writer=ImageWriter()).render(
            {"module_width": 0.25, "module_height": 10, "quiet_zone": 3, "font_size": 0, "dpi": 200})
        pixels = np.array(image.convert("RGB"))[:, :, ::-1]
        h, w = pixels.shape[:2]
        frame[y:y + h, (640 - w) // 2:(640 - w) // 2 + w] = pixels
        y += h + 60
    return frame


def write_video(path, script):
    """script: [(seconds, frame)]; an MJPEG .avi at FPS frames a second."""
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), FPS, (640, 480))
    assert writer.isOpened()
    for seconds, frame in script:
        for _ in range(round(seconds * FPS)):
            writer.write(frame)
    writer.release()
    return str(path)


@pytest.fixture(scope="module")
def clip(tmp_path_factory):
    """A parcel label held in view, a flicker, the mug, a long pause, the label again."""
    blank = np.full((480, 640, 3), 255, np.uint8)
    label, mug = barcode_frame((Code128, RMA)), barcode_frame((EAN13, MUG_GTIN[:12]))
    both = barcode_frame((Code128, RMA), (EAN13, MUG_GTIN[:12]))
    return write_video(tmp_path_factory.mktemp("video") / "bench.avi", [
        (0.5, blank),
        (1.5, label),
        (0.2, blank),   # the decoder lost it for two frames: still the same parcel
        (1.0, label),
        (0.5, blank),
        (1.0, mug),
        (3.0, blank),   # long out of view ...
        (1.0, label),   # ... so it scans again
        (1.0, both),    # the label still in view, the mug long gone: only the mug scans
    ])


def run_to_end(source, **kw):
    got = []
    reader = CameraReader(source, got.append, reconnect_interval=0.05, **kw)
    reader.start()
    try:
        assert reader.wait_for(CameraState.ENDED, timeout=60)
    finally:
        reader.stop()
    return reader, got


def test_a_video_of_barcodes_scans_each_code_once_while_it_stays_in_view(clip):
    reader, got = run_to_end(clip)
    assert got == [RMA, MUG_GTIN, RMA, MUG_GTIN]
    assert reader.frames == 97 and reader.codes == 4  # 9.7 s at 10 fps, every frame read


def test_a_code_comes_back_only_after_it_was_out_of_view_long_enough():
    seen = Sightings(repeat_s=2.0)
    assert seen.new(["A"], 0.0) == ["A"]
    assert seen.new(["A", "A"], 0.1) == []
    assert seen.new(["A", "B"], 1.9) == ["B"]
    assert seen.new([], 3.0) == []
    assert seen.new(["B"], 3.5) == []      # B was last seen at 1.9
    assert seen.new(["A"], 4.0) == ["A"]   # A last seen at 1.9: 2.1 s out of view


def test_a_camera_that_cannot_be_opened_is_offline_and_retried(tmp_path):
    reader = CameraReader(str(tmp_path / "no-such-camera.avi"), lambda code: None, bench="bench-1",
                          reconnect_interval=0.05)
    reader.start()
    try:
        assert reader.wait_for(CameraState.OFFLINE)
        status = reader.status()
        assert status["state"] == "offline" and "cannot open" in status["detail"]
    finally:
        reader.stop()


def test_a_photo_needs_a_picture_first(tmp_path):
    from hardware.camera import CameraError

    reader = CameraReader(str(tmp_path / "nothing.avi"), lambda code: None)
    with pytest.raises(CameraError):
        reader.snapshot()


# --- at the bench ---------------------------------------------------------------------------

@pytest.fixture
def app(tmp_path, clip):
    path = tmp_path / "station.db"
    db = fresh(path)
    load_sample(db)
    with db.conn:
        db.execute("UPDATE order_lines SET qty_allocated = qty WHERE order_no IN ('SO-W1', 'SO-W2')")
    auth.add_user(db, "Cam Operator", "operator", PIN, BADGE)
    db.close()
    app = create_app({"DATABASE": str(path), "SECRET_KEY": "camera-test", "TESTING": True,
                      "PHOTO_DIR": str(tmp_path / "photos"),
                      "BENCHES": {"bench-3": {"camera": clip, "camera_loop": False}}})
    live.start_devices(app)
    yield app
    live.stop_devices(app)


def sign_in(app, station="bench-3"):
    return bench_client(app, BADGE, PIN, station)


def camera_of(app):
    return live.device(app, "bench-3", "camera")


def test_the_bench_camera_sends_its_scans_to_its_bench_like_a_serial_scanner(app):
    assert camera_of(app).wait_for(CameraState.ENDED, timeout=60)
    events = live.hub(app).pending("bench-3", 0)
    assert [(e["code"], e["source"]) for e in events] == [
        (RMA, "camera"), (MUG_GTIN, "camera"), (RMA, "camera"), (MUG_GTIN, "camera")]
    status = [d for d in registry.snapshot(app) if d["kind"] == "camera"][0]
    assert (status["bench"], status["state"], status["detail"]) == ("bench-3", "offline", "the video file ended")


def test_a_photo_from_the_bench_camera_is_stored_with_its_checksum_and_linked_to_the_item(app, tmp_path):
    assert camera_of(app).wait_for(CameraState.RUNNING) and wait_until(lambda: camera_of(app).frames > 0)
    client = sign_in(app)
    post(client, "/bench/scan", code=CARTON)
    post(client, "/bench/scan", code=MUG_GTIN)
    page = post(client, "/bench/inspect", set_grade="D", set_reason="defective").get_data(True)
    assert "Photo from bench camera" in page
    item_id = connect(app.config["DATABASE"]).execute("SELECT item_id FROM return_items").fetchone()[0]

    response = post(client, f"/bench/items/{item_id}/camera-photo")
    assert response.status_code == 200 and "Photo saved from the bench camera" in response.get_data(True)
    db = connect(app.config["DATABASE"])
    (path, sha256, content_type, taken_by), = db.execute(
        "SELECT path, sha256, content_type, taken_by FROM photos WHERE item_id = ?", [item_id]).fetchall()
    stored = (Path(app.config["PHOTO_DIR"]) / path).read_bytes()
    assert hashlib.sha256(stored).hexdigest() == sha256 and content_type == "image/jpeg"
    assert taken_by == "Cam Operator"
    assert cv2.imdecode(np.frombuffer(stored, np.uint8), cv2.IMREAD_COLOR).shape == (480, 640, 3)


def test_a_camera_photo_at_a_bench_without_a_camera_is_refused_not_an_error(app):
    client = sign_in(app, station="bench-5")
    post(client, "/bench/scan", code=CARTON)
    post(client, "/bench/scan", code=MUG_GTIN)
    post(client, "/bench/inspect", set_grade="D", set_reason="defective")
    item_id = connect(app.config["DATABASE"]).execute("SELECT item_id FROM return_items").fetchone()[0]
    response = post(client, f"/bench/items/{item_id}/camera-photo")
    assert response.status_code == 409 and "no camera" in response.get_data(True)
    assert connect(app.config["DATABASE"]).execute("SELECT count(*) FROM photos").fetchone()[0] == 0


# --- a video file standing in for the bench camera -------------------------------------------

@pytest.fixture(scope="module")
def short_clip(tmp_path_factory):
    """1.5 s: blank, the parcel label, blank."""
    blank = np.full((480, 640, 3), 255, np.uint8)
    return write_video(tmp_path_factory.mktemp("short") / "short.avi",
                       [(0.5, blank), (0.5, barcode_frame((Code128, RMA))), (0.5, blank)])


def test_a_video_file_paced_and_looped_plays_at_its_frame_rate_and_scans_again_each_time_round(short_clip):
    got = []
    reader = CameraReader(short_clip, lambda code: got.append((time.monotonic(), code)), repeat_s=0.3,
                          pace=True, loop=True)
    started = time.monotonic()
    reader.start()
    try:
        time.sleep(3.7)  # two times round and the label of a third
        assert reader.state is CameraState.RUNNING
    finally:
        reader.stop()
    assert [code for _, code in got] == [RMA, RMA, RMA]
    first, gaps = got[0][0] - started, [b[0] - a[0] for a, b in zip(got, got[1:])]
    assert 0.4 < first < 1.0 and all(1.3 < gap < 1.7 for gap in gaps)  # in view from 0.5 s of each 1.5 s
    assert 30 <= reader.frames <= 40  # 10 frames a second, not as fast as they decode


def test_a_video_file_paced_but_not_looped_ends_after_its_own_length(short_clip):
    reader = CameraReader(short_clip, lambda code: None, pace=True)
    started = time.monotonic()
    reader.start()
    try:
        assert reader.wait_for(CameraState.ENDED, timeout=10)
    finally:
        reader.stop()
    assert time.monotonic() - started >= 1.3 and reader.frames == 15


def test_a_video_file_set_as_a_bench_camera_still_scans_on_a_page_opened_after_its_length(tmp_path, short_clip):
    # an integrator's bench: the file plays from start-up; the operator signs in later
    from tests.test_serial_scanner import Stream, scan_event

    path = tmp_path / "station.db"
    db = fresh(path)
    load_sample(db)
    auth.add_user(db, "Cam Operator", "operator", PIN, BADGE)
    db.close()
    app = create_app({"DATABASE": str(path), "SECRET_KEY": "camera-test", "TESTING": True, "CAMERA_REPEAT_MS": 300,
                      "LIVE_HEARTBEAT_S": 0.1, "BENCHES": {"bench-3": {"camera": short_clip}}})
    live.start_devices(app)
    try:
        time.sleep(2.0)  # longer than the clip
        assert camera_of(app).state is CameraState.RUNNING
        client = sign_in(app)
        seen = live.hub(app).last_seq
        stream = Stream(client, headers={"Last-Event-ID": str(seen)})  # nothing replayed from before
        try:
            seq, data = scan_event(stream)
        finally:
            stream.close()
        assert seq > seen and data == {"code": RMA, "source": "camera"}
    finally:
        live.stop_devices(app)


def test_a_camera_loop_setting_that_is_not_true_or_false_stops_start_up(tmp_path, short_clip):
    from station.config import ConfigError

    app = create_app({"DATABASE": str(tmp_path / "s.db"), "SECRET_KEY": "x",
                      "BENCHES": {"bench-3": {"camera": short_clip, "camera_loop": "no"}}})
    with pytest.raises(ConfigError, match="BENCHES.bench-3.camera_loop"):
        live.start_devices(app)
    assert live.device(app, "bench-3", "camera") is None


# --- a network camera (MJPEG over HTTP) ---------------------------------------------------------

class MjpegCamera:
    """An IP camera's MJPEG stream on 127.0.0.1 (multipart/x-mixed-replace over HTTP), 10 pictures a
    second of `frame`; stall() keeps the connection open and sends nothing more, as a camera that
    hangs does. `connections` counts the streams opened."""

    def __init__(self, frame):
        import threading
        from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

        jpeg = cv2.imencode(".jpg", frame)[1].tobytes()
        self.stalled = threading.Event()
        self.connections = 0
        camera = self

        class Stream(BaseHTTPRequestHandler):
            def do_GET(self):
                camera.connections += 1
                self.send_response(200)
                self.send_header("Content-Type", "multipart/x-mixed-replace; boundary=frame")
                self.end_headers()
                try:
                    while not camera.stalled.is_set():
                        self.wfile.write(b"--frame\r\nContent-Type: image/jpeg\r\nContent-Length: %d\r\n\r\n"
                                         % len(jpeg) + jpeg + b"\r\n")
                        time.sleep(0.1)
                    time.sleep(60)  # hung: the connection stays open, nothing comes
                except OSError:
                    pass

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Stream)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_port}/video.mjpg"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


def test_a_network_camera_that_hangs_shows_offline_within_seconds_and_is_opened_again():
    # FFmpeg's own read time-out is 30 s: the devices page said "ok" all that while
    camera = MjpegCamera(barcode_frame((Code128, RMA)))
    got = []
    reader = CameraReader(camera.url, got.append, bench="bench-3", reconnect_interval=0.2)
    reader.start()
    try:
        assert wait_until(lambda: got == [RMA]) and reader.status()["state"] == "ok"
        camera.stalled.set()
        hung = time.monotonic()
        assert wait_until(lambda: reader.status()["state"] == "offline", timeout=10)
        assert time.monotonic() - hung < 4 and "no picture" in reader.status()["detail"]
        assert wait_until(lambda: camera.connections >= 2, timeout=10)  # given up on, opened again
        assert time.monotonic() - hung < 8
    finally:
        reader.stop()
        camera.close()
