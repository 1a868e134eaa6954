"""Many stations at once on one database: each with its own connection, a parcel every few seconds.

    python benchmarks/bench_stations.py [--stations 1000] [--interval 10] [--seconds 60] [--orders 20000]
                                        [--http] [--out DIR] [--update-readme]

With --http the stations are what a site runs: `python run.py serve` (its default settings) in a
process of its own (the stations come once it has started: settle()), and each station one
keep-alive HTTP connection to it, taking its parcel through the JSON API (GET /api/lookup,
POST /api/returns, .../items, .../decision, .../close),
every call timed from the request's first byte sent to the answer's last byte read. The stations
are coroutines of one asyncio loop in this process (a thread each would measure this process's
own interpreter lock, not the server's); the anchor is `GET /healthz` from one more connection
in the same run. Small mode for the suite: `--http --stations 4 --interval 0.3 --seconds 2
--orders 300`.

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
import asyncio
import contextlib
import json
import os
import socket
import subprocess
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


def rebuild(path, orders):
    """build() on a new file at `path` (any earlier one, its WAL and shared memory removed first)."""
    for suffix in ("", "-wal", "-shm"):
        Path(str(path) + suffix).unlink(missing_ok=True)
    return build(path, orders)


def gunicorn_spec(server):
    """`gunicorn:N[:T]` -> (N, T) as text, T 16 when not given."""
    return tuple((server.split(":") + ["16"])[1:3])


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


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Refused(Exception):
    """An answer other than the one the contract gives for the call."""


async def http_call(reader, writer, head, method, path, body=None):
    """One request on a keep-alive connection: (status, parsed JSON body)."""
    data = json.dumps(body).encode() if body is not None else b""
    writer.write(f"{method} {path} HTTP/1.1\r\n{head}Content-Length: {len(data)}\r\n\r\n".encode() + data)
    header = await reader.readuntil(b"\r\n\r\n")
    lines = header.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    length = 0
    for line in lines[1:]:
        name, _, value = line.partition(":")
        if name.strip().lower() == "content-length":
            length = int(value)
    payload = await reader.readexactly(length)
    return status, (json.loads(payload) if payload[:1] in (b"{", b"[") else None)


def serve(path, port, server="serve"):
    """The station's web server on `path`, answering on `port`: a list of processes, the web server first.

    `serve`: `python run.py serve` with its default settings (one process). `gunicorn:N[:T]`: the
    multi-process deployment of README "Deployment": gunicorn with N processes of T threads (16)
    (gthread, keep-alive connections held) on station.wsgi:app, and `run.py worker` beside it."""
    env = dict(os.environ, STATION_DATABASE=str(path), STATION_SECRET_KEY="bench-stations")
    quiet = {"stdin": subprocess.DEVNULL, "stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL, "env": env,
             "cwd": str(ROOT)}
    if server == "serve":
        procs = [subprocess.Popen([sys.executable, str(ROOT / "run.py"), "serve", "--no-demo", "--db", str(path),
                                   "--port", str(port)], **quiet)]
    else:
        workers, threads = gunicorn_spec(server)
        procs = [subprocess.Popen([sys.executable, "-m", "gunicorn", "-w", workers, "-k", "gthread",
                                   "--threads", threads, "--worker-connections", "2000", "--keep-alive", "75",
                                   "-b", f"127.0.0.1:{port}", "station.wsgi:app"], **quiet),
                 subprocess.Popen([sys.executable, str(ROOT / "run.py"), "worker", "--db", str(path)], **quiet)]
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if any(proc.poll() is not None for proc in procs):
            stop(procs)
            raise SystemExit(f"the server ended with {[proc.returncode for proc in procs]}")
        try:  # the port is bound before the demo check and the background start: wait for an answer
            conn = socket.create_connection(("127.0.0.1", port), timeout=5)
            conn.sendall(b"GET /healthz HTTP/1.0\r\n\r\n")
            answer = conn.recv(64)
            conn.close()
            if answer.split(b" ")[1:2] == [b"200"]:
                settle(procs)
                return procs
        except OSError:
            pass
        time.sleep(0.1)
    stop(procs)
    raise SystemExit("the server did not answer within 60 s")


def settle(procs, seconds=30):
    """Wait until the site has started: its processes (the worker, gunicorn's other processes, the
    cache warm-up's readers) have used under a tenth of a core for half a second. The stations come
    to a site that is up, as benches come to one started before the shift; the first interval's
    column then counts what a server's first requests cost, not its start-up beside them."""
    deadline = time.monotonic() + seconds
    before = sum(tree_cpu_seconds(proc.pid) for proc in procs)
    while time.monotonic() < deadline:
        time.sleep(0.5)
        now = sum(tree_cpu_seconds(proc.pid) for proc in procs)
        if now - before < 0.05:
            return
        before = now


def stop(procs):
    for proc in procs:
        proc.terminate()
    for proc in procs:
        proc.wait()


def tree_cpu_seconds(pid):
    """CPU seconds of a process and its children (gunicorn's workers), living ones read from /proc."""
    total = cpu_seconds(pid)
    for child in Path(f"/proc/{pid}/task/{pid}/children").read_text().split():
        try:
            total += tree_cpu_seconds(int(child))
        except (FileNotFoundError, ProcessLookupError):
            pass
    return total


def run_http(path, parcels, stations, interval, seconds, server="serve"):
    """As run(), each station a keep-alive connection to `run.py serve`: timings, errors, parcels done,
    and the anchor's timings (GET /healthz on its own connection, every 50 ms meanwhile)."""
    from station import auth

    db = db_module.connect(path)
    auth.add_user(db, "bench", "operator", "1234", "BENCH-1")
    token = auth.new_token(db, "bench")
    db.close()
    port = free_port()
    procs = serve(path, port, server)
    head = f"Host: 127.0.0.1:{port}\r\nAuthorization: Bearer {token}\r\nContent-Type: application/json\r\n"
    timings = {c: [] for c in CALLS}
    steady = {c: [] for c in CALLS}  # the calls begun after the first interval (every station connected)
    anchor, errors, done = [], [], [0]
    queue = iter(parcels)
    began = []

    async def station(n, stop):
        rnd = random.Random(n)
        loop = asyncio.get_running_loop()
        next_at = loop.time() + rnd.uniform(0, interval)
        if next_at >= stop:
            return
        # connected when its first parcel comes (a bench's page opens, then asks at once), kept open after
        await asyncio.sleep(max(0.0, next_at - loop.time()))
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        try:
            while next_at < stop:
                await asyncio.sleep(max(0.0, next_at - loop.time()))
                next_at += interval
                carton, sku = next(queue)
                took, late, ok = {}, {}, False
                try:
                    async def timed(call, expect, method, url, body=None):
                        t = time.perf_counter()
                        status, answer = await http_call(reader, writer, head, method, url, body)
                        took[call] = (time.perf_counter() - t) * 1000
                        late[call] = t - began[0] >= interval
                        if status not in expect:
                            raise Refused(f"{call}: {status} {answer}")
                        return answer

                    await timed("lookup", (200,), "GET", f"/api/lookup?code={carton}")
                    opened = await timed("open", (201,), "POST", "/api/returns", {"code": carton, "station": f"bench-{n}"})
                    rid = opened["return_id"]
                    item = await timed("item", (201,), "POST", f"/api/returns/{rid}/items",
                                       {"sku": sku, "qty": 1, "grade": "A", "reason": "changed_mind"})
                    rec = item["recommendation"]
                    await timed("decide", (200,), "POST", f"/api/returns/{rid}/items/{item['item_id']}/decision",
                                {"disposition": rec["disposition"], "target": rec["target"]})
                    await timed("close", (200,), "POST", f"/api/returns/{rid}/close", {})
                    ok = True
                except (Refused, OSError, asyncio.IncompleteReadError, ValueError) as exc:
                    errors.append(f"{type(exc).__name__}: {exc}")
                    writer.close()
                    reader, writer = await asyncio.open_connection("127.0.0.1", port)
                for call, ms in took.items():
                    timings[call].append(ms)
                    if late[call]:
                        steady[call].append(ms)
                done[0] += ok
        finally:
            writer.close()

    async def anchor_loop(stop):
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        loop = asyncio.get_running_loop()
        while loop.time() < stop:
            t = time.perf_counter()
            status, _ = await http_call(reader, writer, head, "GET", "/healthz")
            anchor.append((time.perf_counter() - t) * 1000)
            await asyncio.sleep(0.05)
        writer.close()

    async def main():
        stop = asyncio.get_running_loop().time() + seconds
        began.append(time.perf_counter())
        await asyncio.gather(anchor_loop(stop), *(station(n, stop) for n in range(stations)))

    try:
        before, mine = sum(tree_cpu_seconds(proc.pid) for proc in procs), time.process_time()
        asyncio.run(main())
        cpu = sum(tree_cpu_seconds(proc.pid) for proc in procs) - before
        print(f"  the stations' own CPU (this process): {time.process_time() - mine:.1f} s", flush=True)
    finally:
        stop(procs)
    return timings, errors, done[0], anchor, cpu, steady


def cpu_seconds(pid):
    """User + system CPU seconds a process has used so far (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


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
        """No turn to take, and so no group commit (its members need the lock): each write its own."""

        depth = 1
        group = None

        def acquire(self, timeout=-1):
            return True

        def release(self):
            pass

        def can_group(self):
            return False

        def flush(self, trace=None):
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
    p.add_argument("--http", action="store_true", help="the stations as keep-alive HTTP connections to the server")
    p.add_argument("--server", default="serve", help="with --http: serve (run.py serve) or gunicorn:N (N processes)")
    p.add_argument("--out", default=None)
    p.add_argument("--update-readme", action="store_true")
    args = p.parse_args(argv)
    out = Path(args.out) if args.out else Path(tempfile.mkdtemp(prefix="bench-stations-"))
    out.mkdir(parents=True, exist_ok=True)
    counts = [int(n) for n in str(args.stations).split(",")]
    if args.http:
        return main_http(args, out, counts)
    rows, results = [], {}
    for stations in counts:
        per_run = int(stations * args.seconds / args.interval) + stations + 10
        for label, lock in (("in-process lock", contextlib.nullcontext), ("busy handler only", without_writer_lock)):
            path = out / f"stations-{'lock' if lock is contextlib.nullcontext else 'busy'}.db"
            parcels = rebuild(path, max(args.orders, per_run))
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


def main_http(args, out, counts):
    rows, total_errors = [], 0
    for stations in counts:
        per_run = int(stations * args.seconds / args.interval) + stations + 10
        path = out / "stations-http.db"
        parcels = rebuild(path, max(args.orders, per_run))
        timings, errors, done, anchor, cpu, steady = run_http(path, parcels, stations, args.interval, args.seconds,
                                                                 args.server)
        total_errors += len(errors)
        every = [ms for v in timings.values() for ms in v]
        worst = max((p99(v) or 0) for v in timings.values())
        worst_steady = max((p99(v) or 0) for v in steady.values())
        p50 = {c: sorted(v)[len(v) // 2] if v else None for c, v in timings.items()}
        rows.append(f"| {stations} | {done} | {len(errors)} | " + " | ".join(
            f"{p50[c]:.1f} / {p99(timings[c]):.1f}" if timings[c] else "—" for c in CALLS)
            + f" | **{worst:.1f}** | {worst_steady:.1f} | {p99(every) or 0:.1f} | {p99(anchor) or 0:.1f} |")
        print(f"http: {stations} stations, {done} parcels, {len(errors)} errors, p99 ms " + ", ".join(
            f"{c} {p99(timings[c]):.1f}" for c in CALLS if timings[c])
            + f"; worst p99 after the first interval {worst_steady:.1f}"
            + f"; anchor GET /healthz p99 {p99(anchor) or 0:.1f} ms; server CPU {cpu:.1f} s "
            f"({cpu / max(done, 1) * 1000:.1f} ms a parcel, {cpu / args.seconds:.0%} of a core)", flush=True)
        if errors:
            print("  first errors:", "; ".join(sorted(set(errors))[:3]))
    if args.update_readme:
        if args.server == "serve":
            label, how = "run.py serve", "`python run.py serve` with its default settings in a process of its own"
        else:
            workers, threads = gunicorn_spec(args.server)
            label = f"gunicorn, {workers} processes"
            how = (f"gunicorn with {workers} processes of {threads} threads (`-k gthread`, README \"Deployment\") on "
                   "`station.wsgi:app`, and `python run.py worker` beside it")
        section = (
            f"## Stations over HTTP: {label}\n\n"
            f"Measured {datetime.now(timezone.utc).date()} by `python benchmarks/bench_stations.py --http --server "
            f"{args.server} --stations {args.stations} --interval {args.interval:g} --seconds {args.seconds:g} --update-readme` on {machine()}; "
            f"Python {platform.python_version()}, SQLite {__import__('sqlite3').sqlite_version}. Load average when it "
            f"finished: {load_average()}.\n\n"
            f"{how}; the stations come once the site has started (its processes idle for half a second: "
            "the worker and every server process booted, the cache warmed), as benches come to a server "
            "started before the shift. Each station one keep-alive "
            f"HTTP connection to it (as a bench's browser holds), taking a parcel every {args.interval:g} s (the first "
            "spread over one interval) through the JSON API: lookup of its carton, open, one grade-A item, its "
            f"decision, close; for {args.seconds:g} s. The stations are coroutines of one asyncio loop in the "
            "benchmark's process (the other core); milliseconds from the request's first byte to the answer's "
            "last, p50 / p99 of each call; *anchor* is `GET /healthz` on one more connection every 50 ms in the "
            "same run. An error is any answer but the contract's (or a dropped connection). *After the first "
            "interval*: the worst p99 of the calls begun once every station had connected and taken its first "
            "parcel (the server's threads past their first request): the steady state of a site that runs all "
            "day, beside the whole run's, which counts a thousand benches connecting within one interval "
            "and each server thread's first request (its database connection opened).\n\n"
            "| stations | parcels | errors | " + " | ".join(f"{c} p50 / p99" for c in CALLS)
            + " | **worst p99** | worst p99 after the first interval | all calls p99 | anchor p99 |\n"
            "|---|---|---|" + "---|" * len(CALLS) + "---|---|---|---|\n" + "\n".join(rows) + "\n")
        update_section(section)
    return 1 if total_errors and max(counts) <= 10 else 0


if __name__ == "__main__":
    sys.exit(main())
