"""Many stations at once on one database: each with its own connection, a parcel every few seconds.

    python benchmarks/bench_stations.py [--stations 1000] [--interval 10] [--seconds 60] [--orders 20000]
                                        [--out DIR] [--update-readme]

Each station is a thread with its own SQLite connection (as each bench's server thread has) that,
every `interval` seconds (the first start spread over one interval), takes a parcel through the
services the bench and the API call: lookup of its carton, open, one item, its decision, close.
Every call is timed; an exception is an error. The run is made twice in one process — writers
taking turns on the station's in-process lock (station/db.py write()), then with that lock
replaced by a no-op, so writers meet only SQLite's busy handler — and the anchor, a bare
`SELECT 1` on an idle connection, is measured in the same run. Small mode for the suite:
`--stations 4 --interval 0.3 --seconds 2 --orders 300`.
"""
import argparse
import contextlib
import platform
import random
import sys
import tempfile
import threading
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from station import db as db_module  # noqa: E402
from station.data import importer  # noqa: E402
from station.intake import closing, decisions, returns  # noqa: E402
from station.intake.lookup import lookup  # noqa: E402
from readme import load_average, machine, update_section  # noqa: E402

CALLS = ("lookup", "open", "item", "decide", "close")


def build(path, orders, seed=3):
    """A station database with `orders` delivered orders of one line each, a carton each."""
    rnd = random.Random(seed)
    db = db_module.connect(path)
    db.conn.execute("PRAGMA journal_mode=WAL")
    from station import migrations
    migrations.apply(db)
    day = datetime.now(timezone.utc) - timedelta(days=5)
    stamp = day.strftime("%Y-%m-%dT%H:%M:%SZ")
    skus = [f"SKU-{i:04d}" for i in range(200)]
    tables = {
        "products": [{"sku": s, "name": f"Product {i}", "price": "20.00", "bin": f"A-{i % 50:02d}-01"}
                     for i, s in enumerate(skus)],
        "customers": [{"customer_id": f"C{i:06d}", "name": f"Customer {i}", "country": "DE"} for i in range(orders)],
        "orders": [{"order_no": f"O{i:07d}", "customer_id": f"C{i:06d}", "placed_at": stamp, "shipped_at": stamp,
                    "delivered_at": stamp, "currency": "USD", "status": "delivered"} for i in range(orders)],
        "order_lines": [{"order_no": f"O{i:07d}", "line_no": 1, "sku": rnd.choice(skus), "qty": 1, "unit_price": "20.00"}
                        for i in range(orders)],
        "cartons": [{"carton_code": f"CT{i:08d}", "order_no": f"O{i:07d}"} for i in range(orders)],
    }
    importer.import_rows(db, tables)
    db.close()
    return [(f"CT{i:08d}", row["sku"]) for i, row in enumerate(tables["order_lines"])]


def run(path, parcels, stations, interval, seconds):
    """Every station's parcels for `seconds`: {call: [ms, ...]}, errors, parcels done."""
    timings = {c: [] for c in CALLS}
    errors, done = [], [0]
    guard = threading.Lock()
    stop = time.monotonic() + seconds
    queue = iter(parcels)

    def station(n):
        db = db_module.connect(path)
        rnd = random.Random(n)
        next_at = time.monotonic() + rnd.uniform(0, interval)
        try:
            while True:
                wait = next_at - time.monotonic()
                if next_at >= stop:
                    return
                if wait > 0:
                    time.sleep(wait)
                next_at += interval
                with guard:
                    carton, sku = next(queue)
                took = {}
                try:
                    t = time.perf_counter()
                    lookup(db, carton)
                    took["lookup"] = time.perf_counter() - t
                    t = time.perf_counter()
                    opened, _ = returns.open_return(db, carton, f"bench-{n}")
                    took["open"] = time.perf_counter() - t
                    t = time.perf_counter()
                    item = returns.add_item(db, opened["return_id"], {"sku": sku, "qty": 1, "grade": "A"})
                    took["item"] = time.perf_counter() - t
                    t = time.perf_counter()
                    rec = item["recommendation"]
                    decisions.decide(db, opened["return_id"], item["item_id"],
                                     {"disposition": rec["disposition"], "target": rec["target"]})
                    took["decide"] = time.perf_counter() - t
                    t = time.perf_counter()
                    closing.close_return(db, opened["return_id"])
                    took["close"] = time.perf_counter() - t
                except Exception as exc:  # noqa: BLE001 - every failure is counted, whatever it is
                    with guard:
                        errors.append(f"{type(exc).__name__}: {exc}")
                with guard:
                    for call, secs in took.items():
                        timings[call].append(secs * 1000)
                    done[0] += len(took) == len(CALLS)
        finally:
            db.close()

    threads = [threading.Thread(target=station, args=(n,), daemon=True) for n in range(stations)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return timings, errors, done[0]


def anchor_ms(path, n=2000):
    db = db_module.connect(path)
    samples = []
    for _ in range(n):
        t = time.perf_counter()
        db.execute("SELECT 1").fetchone()
        samples.append((time.perf_counter() - t) * 1000)
    db.close()
    return p99(samples)


def p99(samples):
    if not samples:
        return None
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]


@contextlib.contextmanager
def without_writer_lock():
    """The writers meet only SQLite's busy handler (as before the in-process lock)."""
    saved = db_module._writer_lock

    class Free:
        def acquire(self, timeout=-1):
            return True

        def release(self):
            pass

    db_module._writer_lock = lambda db: Free()
    try:
        yield
    finally:
        db_module._writer_lock = saved


def main(argv=None):
    p = argparse.ArgumentParser()
    p.add_argument("--stations", default="1000", help="station counts, comma-separated: 200,1000")
    p.add_argument("--interval", type=float, default=10.0)
    p.add_argument("--seconds", type=float, default=60.0)
    p.add_argument("--orders", type=int, default=20000)
    p.add_argument("--out", default=None)
    p.add_argument("--update-readme", action="store_true")
    args = p.parse_args(argv)
    out = Path(args.out) if args.out else Path(tempfile.mkdtemp(prefix="bench-stations-"))
    out.mkdir(parents=True, exist_ok=True)
    counts = [int(n) for n in str(args.stations).split(",")]
    rows, results = [], {}
    for stations in counts:
        per_run = int(stations * args.seconds / args.interval) + stations + 10
        for label, lock in (("in-process lock", contextlib.nullcontext), ("busy handler only", without_writer_lock)):
            path = out / f"stations-{'lock' if lock is contextlib.nullcontext else 'busy'}.db"
            for suffix in ("", "-wal", "-shm"):
                Path(str(path) + suffix).unlink(missing_ok=True)
            parcels = build(path, max(args.orders, per_run))
            with lock():
                timings, errors, done = run(path, parcels, stations, args.interval, args.seconds)
            results[(stations, label)] = (timings, errors, done)
            anchor = anchor_ms(path)
            worst = max((p99(v) or 0) for v in timings.values())
            rows.append(f"| {stations} | {label} | {done} | {len(errors)} | " + " | ".join(
                f"{p99(timings[c]):.1f}" if timings[c] else "—" for c in CALLS) + f" | {worst:.1f} | {anchor:.3f} |")
            print(f"{label}: {stations} stations, {done} parcels, {len(errors)} errors, p99 ms " + ", ".join(
                f"{c} {p99(timings[c]):.1f}" for c in CALLS if timings[c]) + f"; anchor SELECT 1 p99 {anchor:.3f} ms")
            if errors:
                print("  first errors:", "; ".join(sorted(set(errors))[:3]))
    if args.update_readme:
        section = (
            "## Stations in parallel\n\n"
            f"Measured {datetime.now(timezone.utc).date()} by `python benchmarks/bench_stations.py --stations "
            f"{args.stations} --interval {args.interval:g} --seconds {args.seconds:g} --update-readme` on {machine()}; "
            "Python "
            f"{platform.python_version()}, SQLite {__import__('sqlite3').sqlite_version}. Load average when it finished: "
            f"{load_average()}.\n\n"
            "Stations, each a thread with its own connection, each taking a parcel every "
            f"{args.interval:g} s (lookup of its carton, open, one grade-A item, its decision, close: the services the "
            "bench and the API call, in process, no HTTP) for "
            f"{args.seconds:g} s. Milliseconds, p99 of each call; *anchor* is `SELECT 1` on an idle connection "
            "measured in the same run. The same run is made with the writers taking turns on the in-process lock "
            "(as the station runs) and with that lock replaced by a no-op (SQLite's busy handler only).\n\n"
            "| stations | writers | parcels | errors | " + " | ".join(f"{c} p99" for c in CALLS)
            + " | worst p99 | anchor p99 |\n"
            "|---|---|---|---|" + "---|" * len(CALLS) + "---|---|\n" + "\n".join(rows) + "\n")
        update_section(section)
    total_errors = sum(len(r[1]) for r in results.values())
    return 1 if total_errors and max(counts) <= 10 else 0  # the small mode fails the suite on any error


if __name__ == "__main__":
    sys.exit(main())
