"""Benchmarks that cannot rot: each script runs in a small mode here, so a schema or API change that
breaks one fails the suite (the figures themselves are measured by hand: benchmarks/README.md)."""
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT.parent / "shared" / "barcode-samples"


def run(script, *args):
    done = subprocess.run([sys.executable, str(ROOT / "benchmarks" / script), *args], capture_output=True, text=True,
                          timeout=600, cwd=ROOT)
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout


def test_the_reports_benchmark_runs_on_a_small_data_set(tmp_path):
    out = run("bench_reports.py", "--db", str(tmp_path / "reports.db"), "--lines", "3000", "--returns", "600",
              "--runs", "1")
    assert "contract return-rates" in out


def test_the_lookup_benchmark_runs_on_a_small_data_set(tmp_path):
    out = run("bench_lookup.py", "--orders", "300", "--requests", "30", "--out", str(tmp_path))
    assert "carton" in out and "bare" in out


def test_the_search_benchmark_runs_on_a_small_data_set_and_finds_every_tracking_number(tmp_path):
    out = run("bench_search.py", "--orders", "2000", "--queries", "10", "--out", str(tmp_path))
    assert "anchor" in out and "name with a typo" in out
    assert next(line for line in out.splitlines() if line.startswith("tracking number:")).endswith("found 100%")


def test_the_stations_benchmark_takes_parcels_through_every_call_with_and_without_the_writer_lock(tmp_path):
    out = run("bench_stations.py", "--stations", "4", "--interval", "0.3", "--seconds", "2", "--orders", "300",
              "--out", str(tmp_path))
    lines = out.splitlines()
    for label in ("in-process lock", "busy handler only"):
        line = next(x for x in lines if x.startswith(label + ":"))
        assert " 0 errors" in line and "close" in line and ", 0 parcels" not in line


@pytest.mark.parametrize("server", ["serve", "gunicorn:2:4"])
def test_the_stations_benchmark_over_http_takes_parcels_through_the_api_of_a_real_server(tmp_path, server):
    if server.startswith("gunicorn"):
        pytest.importorskip("gunicorn")
    out = run("bench_stations.py", "--http", "--server", server, "--stations", "4", "--interval", "0.3",
              "--seconds", "2", "--orders", "300", "--out", str(tmp_path))
    line = next(x for x in out.splitlines() if x.startswith("http:"))
    assert " 0 errors" in line and ", 0 parcels" not in line and "close" in line


@pytest.mark.skipif(not SAMPLES.is_dir(), reason="the shared barcode samples are not beside this checkout")
def test_the_decode_benchmark_runs_on_two_photos_of_each_shared_sample_set(tmp_path):
    import shutil

    for set_dir in (p for p in SAMPLES.iterdir() if (p / "set.json").exists()):
        small = tmp_path / set_dir.name
        small.mkdir()
        shutil.copy(set_dir / "set.json", small)
        for png in sorted(set_dir.glob("*.png"))[:2]:  # a temporary copy for this run, never kept
            shutil.copy(png, small)
            shutil.copy(png.with_suffix(".txt"), small)
    out = run("bench_decode.py", str(tmp_path), "--quick")
    assert "Barcode decoding" in out


def test_the_pages_benchmark_scans_from_real_chromium_pages_that_hold_their_live_channel(tmp_path):
    from tests.browser import CHROMIUM

    if not Path(CHROMIUM).exists():
        pytest.skip("Debian's chromium is not installed")
    out = run("bench_pages.py", "--pages", "3", "--interval", "1", "--seconds", "3", "--orders", "300",
              "--out", str(tmp_path))
    line = next(x for x in out.splitlines() if x.startswith("pages:"))
    assert "(3 with a stream, 0 polling)" in line and " 0 errors" in line and " 0 scans" not in line


def test_the_benches_benchmark_plays_pages_on_the_wire_with_streams_and_polling_and_their_scans_open_parcels(
        tmp_path, monkeypatch):
    import sqlite3

    monkeypatch.setenv("STATION_LIVE_MAX_STREAMS", "2")  # the server it starts refuses the third stream
    out = run("bench_benches.py", "--pages", "4", "--interval", "0.5", "--seconds", "2", "--orders", "300",
              "--out", str(tmp_path))
    line = next(x for x in out.splitlines() if x.startswith("benches:"))
    assert "(2 with a stream, 2 polling, 0 with none, " in line and " 0 errors" in line and " 0 scans" not in line
    assert " 0 polls" not in line
    db = sqlite3.connect(tmp_path / "benches.db")
    try:  # each scan opened its carton's parcel at its own bench
        benches = db.execute("SELECT count(DISTINCT station) FROM returns WHERE match = 'carton'").fetchone()[0]
        scans = db.execute("SELECT count(*) FROM scans WHERE source = 'wedge' AND ok = 1").fetchone()[0]
    finally:
        db.close()
    assert benches == 4 and scans >= 4


def test_the_benches_benchmark_with_keyboard_wedge_benches_holds_no_live_channel_and_still_scans(tmp_path):
    out = run("bench_benches.py", "--pages", "3", "--interval", "0.5", "--seconds", "2", "--orders", "300",
              "--wedge", "--out", str(tmp_path))
    line = next(x for x in out.splitlines() if x.startswith("benches:"))
    assert "(0 with a stream, 0 polling, 3 with none, " in line and " 0 errors" in line and " 0 scans" not in line
