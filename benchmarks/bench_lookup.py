"""Lookup latency and CSV import rate at scale.

    python benchmarks/bench_lookup.py [--orders 10000,1000000] [--requests 3000] [--update-readme]

Generates orders.csv / order_lines.csv (3 lines per order) / cartons.csv / customers.csv /
products.csv into benchmarks/out/, imports them with `run.py import` logic (timed: rows/s), then
serves the app with waitress in a subprocess (one server, like a site) and measures over one
keep-alive connection: a bare route (`/healthz`) and `GET /api/lookup?code=<carton>` for
random cartons, p50 and p99. Run at 10k and 1M orders to see that the lookup stays flat.
"""
import argparse
import csv
import http.client
import platform
import random
import socket
import sqlite3
import statistics
import subprocess
import sys
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from station import auth
from station.data import importer  # noqa: E402
from station import db as db_module  # noqa: E402
from station import migrations  # noqa: E402
from readme import load_average, machine, update_section  # noqa: E402


STAMP = "%Y-%m-%dT%H:%M:%SZ"
CURRENCIES = ["EUR", "USD", "GBP", "CNY", "PLN"]


def sscc(n):
    body = f"0{590123:06d}{n:010d}"[:17]
    total = sum(int(d) * (3 if i % 2 == 0 else 1) for i, d in enumerate(body))
    return body + str((10 - total % 10) % 10)


def generate(out, orders, seed=1):
    rnd = random.Random(seed)
    out.mkdir(parents=True, exist_ok=True)
    skus = [f"SKU-{i:05d}" for i in range(2000)]
    prices = [f"{rnd.uniform(5, 300):.2f}" for _ in skus]
    with open(out / "products.csv", "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["sku", "name", "price", "unit_cost", "bin"])
        for i, sku in enumerate(skus):
            w.writerow([sku, f"Product {i}", prices[i], f"{rnd.uniform(2, 100):.2f}", f"A-{i % 50:02d}-{i % 7:02d}"])
    customers = max(orders // 10, 100)
    with open(out / "customers.csv", "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["customer_id", "name", "country", "email"])
        for i in range(customers):
            w.writerow([f"C{i:07d}", f"Customer {i}", rnd.choice(["DE", "FR", "US", "CN", "SA", "RU"]), f"c{i}@example.com"])
    with open(out / "orders.csv", "w", newline="") as o, open(out / "order_lines.csv", "w", newline="") as ol, \
            open(out / "cartons.csv", "w", newline="") as c:
        wo, wl, wc = csv.writer(o), csv.writer(ol), csv.writer(c)
        wo.writerow(["order_no", "customer_id", "placed_at", "shipped_at", "delivered_at", "currency", "status", "channel"])
        wl.writerow(["order_no", "line_no", "sku", "qty", "unit_price"])
        wc.writerow(["carton_code", "order_no", "tracking_no", "carrier"])
        start = datetime(2026, 5, 1, tzinfo=timezone.utc)
        channels = ["aliexpress", "amazon", "ebay", "dhgate", "shop"]
        for n in range(orders):
            order_no = f"SO-{n:08d}"
            # six months of orders to the second, shipped a day or three later, delivered days after
            placed = start + timedelta(seconds=rnd.randrange(180 * 86400))
            shipped = placed + timedelta(seconds=rnd.randrange(86400, 3 * 86400))
            delivered = shipped + timedelta(seconds=rnd.randrange(2 * 86400, 10 * 86400))
            wo.writerow([order_no, f"C{rnd.randrange(customers):07d}", placed.strftime(STAMP), shipped.strftime(STAMP),
                         delivered.strftime(STAMP), rnd.choice(CURRENCIES), "delivered", rnd.choice(channels)])
            for line in (1, 2, 3):
                sku = rnd.randrange(len(skus))
                wl.writerow([order_no, line, skus[sku], rnd.choice((1, 1, 1, 2, 3)), prices[sku]])
            wc.writerow([sscc(n), order_no, f"1Z{n:016d}", "UPS"])
    return 2000 + customers + orders * 5


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _timed(conn, path, headers):
    start = time.perf_counter()
    conn.request("GET", path, headers=headers)
    response = conn.getresponse()
    response.read()
    return (time.perf_counter() - start) * 1000, response.status


def _percentiles(times):
    times = sorted(times)
    return statistics.median(times), times[max(0, int(len(times) * 0.99) - 1)]


def measure(conn, paths, headers, n):
    """n requests of each path on one keep-alive connection, taken in turn (bare, carton, bare,
    ...: a slower moment of a shared machine falls on both alike): {name: (p50, p99)} in ms.
    paths: {name: a path, or a callable answering one}."""
    times = {name: [] for name in paths}
    order = list(paths)
    for i in range(n):
        for name in order if i % 2 == 0 else reversed(order):
            path = paths[name]
            ms, status = _timed(conn, path() if callable(path) else path, headers)
            assert status == 200, status
            times[name].append(ms)
    return {name: _percentiles(found) for name, found in times.items()}


def measure_parallel(port, paths, headers, n, connections, rounds=4):
    """As measure, with `connections` keep-alive connections asking at once (a thread each), n
    requests of each path in all: {name: (p50, p99)} over every request. The paths take turns
    by rounds (bare, carton, carton, bare, ...), all connections asking for one at a time: a
    slower minute falls on both, and each is measured among its own kind, as many benches
    asking the same at once."""
    import threading

    times, lock, failures = {name: [] for name in paths}, threading.Lock(), []

    def client(path, count, seed):
        conn = http.client.HTTPConnection("127.0.0.1", port)
        mine = []
        try:
            for _ in range(count):
                ms, status = _timed(conn, path(seed) if callable(path) else path, headers)
                mine.append(ms)
                if status != 200:
                    failures.append(status)
        finally:
            conn.close()
        with lock:
            times[name].extend(mine)

    order = list(paths)
    count = max(1, n // connections // rounds)
    for i in range(rounds):
        for name in order if i % 2 == 0 else reversed(order):
            threads = [threading.Thread(target=client, args=(paths[name], count, random.Random(i * connections + k)))
                       for k in range(connections)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
    assert not failures, failures[:5]
    return {name: _percentiles(found) for name, found in times.items()}


def run(orders, requests, out_dir=None, connections=8):
    """Generate (once), import and serve `orders` orders; answers the figures of one size."""
    out = Path(out_dir or ROOT / "benchmarks" / "out") / f"orders-{orders}"
    dbfile = out / "station.db"
    if not (out / "orders.csv").exists():
        t = time.perf_counter()
        generate(out, orders)
        print(f"generated {orders} orders in {time.perf_counter() - t:.1f}s", flush=True)
    for suffix in ("", "-wal", "-shm"):
        Path(str(dbfile) + suffix).unlink(missing_ok=True)
    db = db_module.connect(dbfile)
    migrations.apply(db)
    t = time.perf_counter()
    counts = importer.import_dir(db, out)
    elapsed = time.perf_counter() - t
    rows = sum(counts.values())
    print(f"import: {rows} rows in {elapsed:.1f}s = {rows / elapsed:,.0f} rows/s", flush=True)
    auth.add_user(db, "bench", "operator", "1234", "B-1")
    token = auth.new_token(db, "bench")
    db.close()

    port = free_port()
    server = subprocess.Popen([sys.executable, str(ROOT / "run.py"), "serve", "--no-demo", "--db", str(dbfile),
                               "--port", str(port)], stderr=subprocess.DEVNULL)
    try:
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.1)
        conn = http.client.HTTPConnection("127.0.0.1", port)
        headers = {"Authorization": f"Bearer {token}"}
        rnd = random.Random(2)
        measure(conn, {"bare": "/healthz"}, headers, 200)  # warm up
        # a running station has its file in the OS page cache (run.py serve reads it once at
        # start-up); do the same here so the figures are the steady state, not the disk
        db_module.warm_cache(dbfile, background=False)
        warm = random.Random(9)
        measure(conn, {"carton": lambda: f"/api/lookup?code={sscc(warm.randrange(orders))}"}, headers, 500)
        one_conn = measure(conn, {"bare": "/healthz",
                                  "carton": lambda: f"/api/lookup?code={sscc(rnd.randrange(orders))}",
                                  "order": lambda: f"/api/lookup?code=SO-{rnd.randrange(orders):08d}"},
                           headers, requests)
        bare, carton, order = one_conn["bare"], one_conn["carton"], one_conn["order"]
        conn.close()
        # the same, `connections` benches asking at once (each its own keep-alive connection)
        many = measure_parallel(port, {"bare": "/healthz",
                                       "carton": lambda r: f"/api/lookup?code={sscc(r.randrange(orders))}"},
                                headers, requests, connections)
        bare_n, carton_n = many["bare"], many["carton"]
    finally:
        server.terminate()
        server.wait()
    print(f"orders {orders:,}: bare route p50 {bare[0]:.2f} ms p99 {bare[1]:.2f} ms; "
          f"carton lookup p50 {carton[0]:.2f} ms p99 {carton[1]:.2f} ms; ratio p99 {carton[1] / bare[1]:.2f}", flush=True)
    print(f"  with {connections} connections: bare p99 {bare_n[1]:.2f} ms, carton p99 {carton_n[1]:.2f} ms; "
          f"ratio p99 {carton_n[1] / bare_n[1]:.2f}", flush=True)
    return {"orders": orders, "rows": rows, "seconds": elapsed, "bare": bare, "carton": carton, "order": order,
            "connections": connections, "bare_n": bare_n, "carton_n": carton_n}


def readme_section(results, requests):
    lines = [
        "## Lookup and import", "",
        f"Measured {datetime.now(timezone.utc).date()} by `python benchmarks/bench_lookup.py --update-readme` on "
        f"{machine()}; Python {platform.python_version()}, SQLite {sqlite3.sqlite_version}. Load average when it "
        f"finished: {load_average()} (other work on the machine makes the milliseconds noisier).", "",
        "Data set generated by the script: per order 3 lines, 1 carton (SSCC-18) and 5 rows in all with the "
        "customers and 2,000 products. Import: `station.data.importer.import_dir` on a new database file "
        "(what `python run.py import DIR` runs: every row checked, then one transaction). Lookups: "
        "`python run.py serve` (waitress) in a subprocess, one keep-alive HTTP connection, "
        f"{requests:,} requests each after a warm-up, taken in turn (bare, carton, order, order, carton, bare, "
        "...: a busier moment of the machine falls on all three alike), milliseconds to the last byte; *bare* "
        "is `GET /healthz` on the same server, *carton* and *order* are `GET /api/lookup?code=` of a random "
        "carton's SSCC and order number (the whole answer: order, customer with counts and flags, expected "
        f"lines). *With {results[0]['connections'] if results else 8} connections*: the same bare and carton "
        "requests from that many keep-alive connections at once (a client thread each, as many benches asking "
        "together), bare and carton taking turns by rounds of a quarter each, p50 / p99 over all of them.", "",
        "| orders | rows imported | import s | **rows/s** | bare p50 / p99 ms | carton p50 / p99 ms "
        "| order p50 / p99 ms | **carton p99 / bare p99** | N conns: bare p50 / p99 | N conns: carton p50 / p99 "
        "| **N conns: carton p99 / bare p99** |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in results:
        lines.append(
            f"| {r['orders']:,} | {r['rows']:,} | {r['seconds']:.1f} | **{r['rows'] / r['seconds']:,.0f}** "
            f"| {r['bare'][0]:.2f} / {r['bare'][1]:.2f} | {r['carton'][0]:.2f} / {r['carton'][1]:.2f} "
            f"| {r['order'][0]:.2f} / {r['order'][1]:.2f} | **{r['carton'][1] / r['bare'][1]:.2f}** "
            f"| {r['bare_n'][0]:.2f} / {r['bare_n'][1]:.2f} | {r['carton_n'][0]:.2f} / {r['carton_n'][1]:.2f} "
            f"| **{r['carton_n'][1] / r['bare_n'][1]:.2f}** |")
    return "\n".join(lines) + "\n"


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--orders", default="10000,1000000", help="comma-separated sizes")
    parser.add_argument("--requests", type=int, default=3000)
    parser.add_argument("--connections", type=int, default=8, help="connections asking at once, the second measure")
    parser.add_argument("--update-readme", action="store_true")
    parser.add_argument("--out", help="where the generated data goes (default benchmarks/out)")
    args = parser.parse_args()
    results = [run(int(n), args.requests, args.out, args.connections) for n in args.orders.split(",")]
    section = readme_section(results, args.requests)
    print(section)
    if args.update_readme:
        update_section(section)


if __name__ == "__main__":
    main()
