"""Report pages at scale: 5,000,000 shipped order lines and 1,000,000 returns, every page timed.

    python benchmarks/bench_reports.py                  # generate benchmarks/out/reports.db once, then measure
    python benchmarks/bench_reports.py --update-readme  # ... and write the "## Reports" section of benchmarks/README.md
    python benchmarks/bench_reports.py --measure-only   # reuse the generated database

The data set is generated straight into SQLite (seeded, so every run builds the same one) with
the report triggers paused, then the aggregates are rebuilt once (station.reporting.aggregates)
and checked against a straight SQL count. Each report page and API table is then fetched over
a real HTTP server (werkzeug, its own thread) with a supervisor's session or token: one
first fetch, then the best and the worst of the next runs.
"""
import argparse
import json
import math
import os
import random
import re
import statistics
import sys
import threading
import time
import urllib.request
from datetime import datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from station import auth, create_app, migrations  # noqa: E402
from station.db import connect  # noqa: E402
from station.reporting import aggregates, forecast, rates  # noqa: E402
from station.web.security import start_bench_session  # noqa: E402
from readme import update_section  # noqa: E402

OUT = ROOT / "benchmarks" / "out"
COUNTRIES = [("US", 22), ("DE", 10), ("GB", 9), ("FR", 8), ("CN", 6), ("ES", 5), ("IT", 5), ("PL", 4), ("NL", 4),
             ("SA", 3), ("AE", 3), ("RU", 3), ("BR", 3), ("MX", 2), ("JP", 2), ("KR", 2), ("AU", 2), ("CA", 2),
             ("SE", 1), ("CH", 1), ("AT", 1), ("BE", 1), ("CZ", 1), ("TR", 1), ("IN", 1)]
CHANNELS = [("amazon", 35), ("aliexpress", 20), ("ebay", 20), ("shop", 15), ("dhgate", 10)]
REASONS = ["defective", "damaged_in_transit", "wrong_item_sent", "not_as_described", "arrived_late", "size_fit",
           "no_longer_needed", "changed_mind", "ordered_by_mistake", "other"]
SKUS, SUPPLIERS, STATIONS, OPERATORS = 2000, 80, 12, 40
BATCH = 50_000


def iso(dt):
    return dt.strftime("%Y-%m-%dT%H:%M:%SZ")


class Picker:
    """A weighted choice with the cumulative weights worked out once (rng.choices redoes them per call)."""

    def __init__(self, values, weights):
        self.values, self.cum = list(values), list(__import__("itertools").accumulate(weights))

    def __call__(self, rng):
        return self.values[__import__("bisect").bisect(self.cum, rng.random() * self.cum[-1])]


def generate(path, lines_target, returns_target, seed=42):
    """Write the data set; returns its counts."""
    started = time.perf_counter()
    rng = random.Random(seed)
    now = datetime.now(timezone.utc).replace(microsecond=0)
    first_day = (now - timedelta(days=730)).replace(hour=0, minute=0, second=0)
    for p in path.parent.glob(path.name + "*"):
        p.unlink()
    db = connect(path)
    migrations.apply(db)
    db.close()
    db = connect(path)
    conn = db.conn
    conn.execute("PRAGMA foreign_keys=OFF")  # tables are written in batches, not in reference order
    conn.execute("PRAGMA synchronous=OFF")
    conn.execute("PRAGMA cache_size=-800000")
    aggregates.pause(db)
    conn.execute("BEGIN")

    # catalogue
    suppliers = [(f"SUP-{i:03d}", f"Supplier {i}", rng.choice(COUNTRIES)[0], int(rng.random() < 0.6),
                  rng.choice([60, 90, 180, None])) for i in range(SUPPLIERS)]
    # named columns: the schema grows (rtv_cost, weight_g ...) and positional inserts rot
    conn.executemany("INSERT INTO suppliers (supplier_id, name, country, accepts_rtv, rtv_window_days) "
                     "VALUES (?, ?, ?, ?, ?)", suppliers)
    products, sku_rate, sku_reasons = [], [], []
    for i in range(SKUS):
        price = round(math.exp(rng.uniform(math.log(5), math.log(400))), 2)
        products.append((f"SKU-{i:05d}", f"Product {i}", None, None, f"SUP-{rng.randrange(SUPPLIERS):03d}",
                         round(price * rng.uniform(0.3, 0.6), 2), price, int(rng.random() < 0.5),
                         round(price * 0.1, 2), f"B-{i // 50:02d}-{i % 50:02d}", 0))
        sku_rate.append(min(0.9, max(0.03, rng.lognormvariate(math.log(0.2), 0.5))))
        sku_reasons.append(rng.choices(REASONS, [rng.random() ** 2 for _ in REASONS], k=1)[0])
    conn.executemany("INSERT INTO products (sku, name, gtin, gtin14, supplier_id, unit_cost, price, refurbishable, "
                     "refurb_cost, bin, has_serial) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", products)
    popular = Picker(range(SKUS), [1 / (i + 10) ** 0.8 for i in range(SKUS)])
    country, channel_of = Picker(*zip(*COUNTRIES)), Picker(*zip(*CHANNELS))
    line_count, quantity = Picker((1, 2, 3, 4), (50, 30, 15, 5)), Picker((1, 2, 3), (85, 12, 3))
    grade_of = Picker("ABCDX", (35, 25, 20, 17, 3))
    jumped = set(rng.sample(range(SKUS), 40))  # their rate doubles over the last 60 days
    # the chance a shipped order comes back is min(1, base x its first SKU's rate / 0.2); find the base that
    # makes about `returns_target` of the ~lines_target / 1.75 orders come back (2.5% would fall after today)
    sample = [sku_rate[popular(rng)] / 0.2 for _ in range(50_000)]
    wanted, low, high = returns_target / (lines_target / 1.75 * 0.975), 0.0, 10.0
    for _ in range(40):
        base = (low + high) / 2
        low, high = (base, high) if statistics.mean(min(1.0, base * r) for r in sample) < wanted else (low, base)

    n_customers = 400_000
    conn.executemany(
        "INSERT INTO customers (customer_id, name, email, phone, country) VALUES (?, ?, ?, ?, ?)",
        ((f"CU-{i:07d}", f"Customer {i}", f"c{i}@example.com", None, country(rng)) for i in range(n_customers)),
    )

    # orders and lines; returns drawn as we go (one per returned order)
    order_rows, line_rows, ret_rows, item_rows, dec_rows, refund_rows, event_rows, alloc_rows = [], [], [], [], [], [], [], []
    n_lines = n_orders = n_returns = item_id = 0
    waiting_no = 0

    def flush(final=False):
        for table, rows, marks in (("orders", order_rows, 9), ("order_lines", line_rows, 7), ("returns", ret_rows, 11),
                                   ("return_items", item_rows, 13), ("decisions", dec_rows, 9),
                                   ("refunds", refund_rows, 11), ("events", event_rows, 3),
                                   ("allocations", alloc_rows, 5)):
            if rows and (final or len(rows) >= BATCH):
                columns = {"events": "(type, at, data)",
                           "allocations": "(order_no, line_no, item_id, qty, at)",
                           "order_lines": "(order_no, line_no, sku, qty, unit_price, serials, qty_allocated)"}.get(table)
                if columns is None:  # the rows hold the table's first columns; later migrations append more
                    names = [r[1] for r in conn.execute(f"PRAGMA table_info({table})")][:marks]
                    columns = f"({', '.join(names)})"
                conn.executemany(f"INSERT INTO {table} {columns} VALUES ({', '.join('?' * marks)})", rows)
                rows.clear()

    while n_lines < lines_target:
        n_orders += 1
        order_no = f"SO-{n_orders:08d}"
        customer = f"CU-{int(n_customers * rng.random() ** 1.6):07d}"  # some customers order far more
        day = first_day + timedelta(seconds=rng.randrange(730 * 86400))
        status_roll = rng.random()
        channel = channel_of(rng)
        if status_roll < 0.01:
            status, shipped, delivered = "cancelled", None, None
        else:
            shipped = day + timedelta(hours=rng.randrange(6, 48))
            if shipped > now:
                shipped = None
                status, delivered = "awaiting_stock", None
            else:
                delivered = shipped + timedelta(days=rng.randrange(3, 12))
                status = "delivered" if delivered < now else "shipped"
                delivered = delivered if delivered < now else None
        order_rows.append((order_no, customer, iso(day), channel, iso(shipped) if shipped else None,
                           iso(delivered) if delivered else None, "USD", status, 0))
        k = line_count(rng)
        lines = []
        for line_no in range(1, k + 1):
            sku_i = popular(rng) if line_no == 1 or rng.random() < 0.5 else rng.randrange(SKUS)
            qty = quantity(rng)
            price = products[sku_i][6]
            line_rows.append((order_no, line_no, products[sku_i][0], qty, price, None, 0))
            lines.append((sku_i, qty, price))
        n_lines += k if shipped else 0  # the target counts lines of shipped orders
        if shipped is None or n_returns >= returns_target:
            flush()
            continue
        rate = sku_rate[lines[0][0]] * (2 if lines[0][0] in jumped and shipped > now - timedelta(days=60) else 1)
        if rng.random() >= base * rate / 0.2:
            flush()
            continue
        opened = shipped + timedelta(days=rng.lognormvariate(math.log(16), 0.5))
        opened = opened.replace(hour=rng.randrange(6, 18), minute=rng.randrange(60), second=rng.randrange(60))
        if opened >= now:
            flush()
            continue
        n_returns += 1
        station = f"bench-{rng.randrange(1, STATIONS + 1)}"
        operator = f"op-{(int(station[6:]) * 3 + opened.day % 3) % OPERATORS:02d}"
        is_open = opened > now - timedelta(hours=6) and rng.random() < 0.5
        t = opened
        last_decision = opened
        for sku_i, qty, price in lines:
            if sku_i != lines[0][0] and rng.random() < 0.7:  # the first line always comes back, others now and then
                continue
            item_id += 1
            t += timedelta(seconds=rng.randrange(20, 120))
            reason = sku_reasons[sku_i] if rng.random() < 0.6 else rng.choice(REASONS)
            grade = grade_of(rng)
            flags = '["item_mismatch"]' if rng.random() < 0.01 else "[]"
            disposition = ("quarantine" if grade == "X" or flags != "[]" else "restock" if grade == "A"
                           else "refurbish" if grade == "B" and products[sku_i][7]
                           else "restock" if grade == "B" else rng.choice(("refurbish", "rtv", "scrap")))
            value = {"restock": price if grade == "A" else price * 0.8, "refurbish": price * 0.7 - price * 0.1,
                     "rtv": products[sku_i][5], "scrap": price * 0.05, "quarantine": 0}[disposition] * qty
            crossdock = disposition == "restock" and grade == "A" and rng.random() < 0.02
            if crossdock:
                disposition = "crossdock"
            rec = {"disposition": disposition, "target": None, "why": "bench data",
                   "options": [{"disposition": disposition, "value": f"{value:.2f}"}]}
            recommended = disposition if rng.random() > 0.08 else "scrap" if disposition != "scrap" else "refurbish"
            item_rows.append((item_id, n_returns, products[sku_i][0], None, qty, grade, reason, None,
                              "empty box" if reason == "other" else None, flags, json.dumps(rec), operator, iso(t)))
            if is_open and rng.random() < 0.5:
                continue
            decided = t + timedelta(seconds=rng.randrange(15, 400))
            last_decision = max(last_decision, decided)
            target = None
            if crossdock:
                waiting_no += 1
                target = f"WO-{waiting_no:07d}"
                placed = decided - timedelta(days=rng.uniform(0.5, 25))
                order_rows.append((target, customer, iso(placed), "shop", None, None, "USD", "ready_to_ship", 1))
                line_rows.append((target, 1, products[sku_i][0], qty, price, None, qty))
                alloc_rows.append((target, 1, item_id, qty, iso(decided)))
            dec_rows.append((item_id, disposition, target, recommended, target, "bench data" if recommended != disposition
                             else None, operator, station, iso(decided)))
        closed = None if is_open else last_decision + timedelta(seconds=rng.randrange(5, 60))
        ret_rows.append((n_returns, order_no, None, order_no, "order", station, operator, "open" if is_open else "closed",
                         iso(opened), iso(closed) if closed else None, None))
        if closed:
            roll = rng.random()
            status = "ready" if roll < 0.80 else "held" if roll < 0.90 else "exchange" if roll < 0.96 else "rejected"
            amount = f"{sum(p * q for _, q, p in lines):.2f}"
            updated = closed
            if status == "held" and rng.random() < 0.7 and closed + timedelta(hours=30) < now:
                status, updated = "ready", closed + timedelta(hours=rng.uniform(1, 48))
                event_rows.append(("refund.approved", iso(updated), json.dumps({"refund_id": n_returns})))
            if status == "ready" and rng.random() < 0.6 and updated + timedelta(days=2) < now:
                status, updated = "paid", updated + timedelta(days=rng.uniform(0.2, 2))
            refund_rows.append((n_returns, n_returns, amount if status != "exchange" else "0.00", "USD", status, "[]", None,
                                None, None, iso(closed), iso(updated)))
        flush()
    flush(final=True)
    conn.execute("COMMIT")
    generated = time.perf_counter() - started
    started = time.perf_counter()
    aggregates.rebuild(db)
    rebuilt = time.perf_counter() - started
    conn.execute("PRAGMA synchronous=FULL")
    conn.execute("ANALYZE")
    counts = {t: conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0]
              for t in ("orders", "order_lines", "returns", "return_items", "decisions", "refunds", "allocations")}
    shipped_lines = conn.execute("SELECT count(*) FROM order_lines ol JOIN orders o ON o.order_no = ol.order_no "
                                 "WHERE o.status IN ('shipped', 'delivered')").fetchone()[0]
    db.close()
    return {"counts": counts, "shipped_lines": shipped_lines, "generate_s": round(generated), "rebuild_s": round(rebuilt)}


def check_totals(path):
    """All-time totals from the aggregates against a straight SQL count over the whole set."""
    db = connect(path)
    try:
        started = time.perf_counter()
        direct = rates.return_rates_direct(db, "supplier")["rows"]
        straight = (sum(r["units_shipped"] for r in direct), sum(r["units_returned"] for r in direct))
        direct_s = time.perf_counter() - started
        totals = rates.totals(db, None, None)
        same = rates.return_rates(db, "supplier") == {"rows": direct}
        return {"aggregate": (totals["units_shipped"], totals["units_returned"]), "straight": straight,
                "supplier_rows_equal": same, "straight_s": round(direct_s, 1)}
    finally:
        db.close()


def backtest(path, back_days=(45, 90), days=30):
    """The purchasing forecast made `back` days ago against the units that then came back."""
    db = connect(path)
    try:
        out = []
        now = datetime.now(timezone.utc)
        for back in back_days:
            at = now - timedelta(days=back)
            result = forecast.expected_returns(db, days=days, at=at)
            start, end = (at.date() + timedelta(days=1)).isoformat(), (at.date() + timedelta(days=days + 1)).isoformat()
            actual = db.execute(
                "SELECT sum(i.qty) FROM return_items i JOIN returns r ON r.return_id = i.return_id "
                "WHERE r.opened_at >= ? AND r.opened_at < ? AND i.flags NOT LIKE '%item_mismatch%'", [start, end]
            ).fetchone()[0]
            out.append({"as_of": at.date().isoformat(), "shipped": result["total_expected"],
                        "with_new_sales": result["total_with_new_sales"], "actual": actual})
        return out
    finally:
        db.close()


PAGES = [
    ("overview, 90 days", "/reports/"),
    ("overview, all time", "/reports/?period=all"),
    ("return rates by SKU, 90 days", "/reports/return-rates"),
    ("return rates by SKU, all time", "/reports/return-rates?period=all"),
    ("return rates by SKU, 2 years less a day", "/reports/return-rates?from={d730}&to={d2}"),
    ("return rates by supplier, 365 days", "/reports/return-rates?group_by=supplier&period=365d"),
    ("return rates by reason, all time", "/reports/return-rates?group_by=reason&period=all"),
    ("return rates by country, 30 days", "/reports/return-rates?group_by=country&period=30d"),
    ("return rates by channel, all time", "/reports/return-rates?group_by=channel&period=all"),
    ("bench, 7 days", "/reports/bench"),
    ("bench, all time", "/reports/bench?period=all"),
    ("queues and cross-dock, 30 days", "/reports/queues"),
    ("queues and cross-dock, all time", "/reports/queues?period=all"),
    ("value, 30 days", "/reports/value"),
    ("value, all time", "/reports/value?period=all"),
    ("frequent returners", "/reports/customers"),
    ("one customer's history", "/reports/customers/{customer}"),
    ("purchasing, 30 days", "/reports/purchasing"),
    ("wall-board", "/reports/board"),
]
API = [
    ("contract return-rates, all time", "/api/reports/return-rates?group_by=sku"),
    ("contract return-rates CSV, 90 days", "/api/reports/return-rates?group_by=sku&from={d90}&to={d0}&format=csv"),
    ("top reasons per supplier, all time", "/api/reports/top-reasons?by=supplier&limit=80"),
    ("rate jumps, 30 days", "/api/reports/rate-jumps"),
    ("bench per operator, all time", "/api/reports/bench?by=operator"),
    ("cross-dock fills CSV, all time", "/api/reports/crossdock?format=csv"),
    ("write-offs CSV, all time", "/api/reports/write-offs?format=csv"),
    ("frequent returners CSV, 1000", "/api/reports/frequent-returners?limit=1000&format=csv"),
    ("forecast CSV", "/api/reports/forecast?format=csv"),
]


def measure(path, runs):
    """Serve the database over HTTP and time every page and API table."""
    import logging

    from werkzeug.serving import make_server

    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    db = connect(path)
    if not db.execute("SELECT 1 FROM users WHERE name = 'bench-supervisor'").fetchone():
        auth.add_user(db, "bench-supervisor", "supervisor", "4321", "SV-BENCH")
    token = auth.new_token(db, "bench-supervisor")
    user_id = db.execute("SELECT id FROM users WHERE name = 'bench-supervisor'").fetchone()[0]
    customer = db.execute("SELECT customer_id FROM report_customers ORDER BY returns DESC LIMIT 1").fetchone()[0]
    db.close()
    app = create_app({"DATABASE": str(path), "SECRET_KEY": "bench-reports"})
    client = app.test_client()
    with client.session_transaction() as s:
        s["user_id"], s["seen"], s["station"] = user_id, time.time(), "bench"
        s["sid"] = start_bench_session(connect(path), user_id, "bench")
    cookie = client.get_cookie("session").value
    http = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=http.serve_forever, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{http.server_port}"
    today = datetime.now(timezone.utc).date()
    fill = {"customer": customer, "d0": today.isoformat(), "d2": (today - timedelta(days=2)).isoformat(),
            "d90": (today - timedelta(days=89)).isoformat(), "d730": (today - timedelta(days=730)).isoformat()}
    results = []
    try:
        for kind, items, headers in (("page", PAGES, {"Cookie": f"session={cookie}"}),
                                     ("api", API, {"Authorization": f"Bearer {token}"})):
            for name, url in items:
                url = url.format(**fill)
                times, size = [], 0
                for _ in range(runs + 1):
                    request = urllib.request.Request(base + url, headers=headers)
                    started = time.perf_counter()
                    with urllib.request.urlopen(request) as resp:
                        body = resp.read()
                        assert resp.status == 200, (url, resp.status)
                    times.append((time.perf_counter() - started) * 1000)
                    size = len(body)
                if kind == "page":
                    assert b"Sign in" not in body[:3000] or b"Sign out" in body, url
                results.append({"kind": kind, "name": name, "url": url, "first_ms": round(times[0], 1),
                                "best_ms": round(min(times[1:]), 1), "median_ms": round(statistics.median(times[1:]), 1),
                                "worst_ms": round(max(times[1:]), 1), "bytes": size})
                print(f"{kind:4} {name:45} first {times[0]:7.1f}  best {min(times[1:]):7.1f}  "
                      f"median {statistics.median(times[1:]):7.1f}  worst {max(times[1:]):7.1f} ms", flush=True)
    finally:
        http.shutdown()
        thread.join(5)
    return results


def readme_section(info, check, results, runs, tests):
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    c = info["counts"]
    over = [r for r in results if r["worst_ms"] > 300]
    lines = [
        "## Reports",
        "",
        f"Measured {datetime.now(timezone.utc).date()} by `python benchmarks/bench_reports.py --update-readme` on "
        f"{os.cpu_count()} cores; Python {sys.version.split()[0]}, SQLite {__import__('sqlite3').sqlite_version}. "
        f"Load average when it finished: {load} (other work on the machine makes the milliseconds noisier).",
        "",
        f"Data set (generated by the script, seed 42, two years ending today): {c['order_lines']:,} order lines "
        f"({info['shipped_lines']:,} of shipped orders) on {c['orders']:,} orders, {c['returns']:,} returns with "
        f"{c['return_items']:,} items, {c['decisions']:,} decisions, {c['refunds']:,} refunds, {c['allocations']:,} "
        f"cross-dock fills; 2,000 SKUs, 80 suppliers, 400,000 customers, 12 stations. Loaded with the report triggers "
        f"paused in {info['generate_s']} s, aggregates rebuilt in {info['rebuild_s']} s "
        f"(`station.reporting.aggregates.rebuild`).",
        "",
        f"Totals: the aggregates give {check['aggregate'][0]:,} units shipped and {check['aggregate'][1]:,} returned "
        f"over all time; a straight SQL count over the order lines and return items gives {check['straight'][0]:,} and "
        f"{check['straight'][1]:,} (it takes {check['straight_s']} s); every supplier's row equal: "
        f"{'yes' if check['supplier_rows_equal'] else 'NO'}.",
        "",
        f"Each URL over HTTP (werkzeug in a thread, this process) with a supervisor's session (pages) or token (API): "
        f"the first fetch, then {runs} more; milliseconds to the last byte.",
        "",
        "| report | first | best | median | worst | KB |",
        "|---|---|---|---|---|---|",
    ]
    for r in results:
        lines.append(f"| {r['kind']}: {r['name']} (`{re.sub(r'[?].*', '', r['url'])}`) | {r['first_ms']} | "
                     f"{r['best_ms']} | {r['median_ms']} | **{r['worst_ms']}** | {r['bytes'] // 1024} |")
    cold = [f"{r['name']} ({r['first_ms']} ms)" for r in results if r["first_ms"] > 300]
    lines += ["", "Over 300 ms (worst of the repeated fetches): " + (", ".join(r["name"] for r in over) or "none") + ". "
              "First fetches over 300 ms (the first read of those aggregate pages since the server started): "
              + (", ".join(cold) or "none") + "."]
    lines += ["", "Purchasing forecast against what came back (the forecast made that day for the next 30 days; the "
              "data set's later returns are in the rates it uses, so this checks the arithmetic, not foresight):", "",
              "| as of | from units shipped | with new sales | units that came back |", "|---|---|---|---|"]
    lines += [f"| {t['as_of']} | {t['shipped']:,.0f} | {t['with_new_sales']:,.0f} | {t['actual']:,} |" for t in tests]
    return "\n".join(lines) + "\n"


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", default=str(OUT / "reports.db"))
    parser.add_argument("--lines", type=int, default=5_000_000)
    parser.add_argument("--returns", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--measure-only", action="store_true")
    parser.add_argument("--update-readme", action="store_true")
    args = parser.parse_args(argv)
    path = Path(args.db)
    path.parent.mkdir(parents=True, exist_ok=True)
    info_path = path.with_suffix(".json")
    if args.measure_only and info_path.exists():
        info = json.loads(info_path.read_text())
    else:
        info = generate(path, args.lines, args.returns)
        info_path.write_text(json.dumps(info))
    print(json.dumps(info), flush=True)
    check = check_totals(path)
    print(json.dumps(check), flush=True)
    tests = backtest(path)
    print(json.dumps(tests), flush=True)
    results = measure(path, args.runs)
    if args.update_readme:
        update_section(readme_section(info, check, results, args.runs, tests))


if __name__ == "__main__":
    main()
