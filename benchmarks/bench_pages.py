"""Real bench pages on one server: N Chromium pages signed in at N benches, each scanning a carton
every few seconds while all of them hold their live channel.

    python benchmarks/bench_pages.py [--pages 300] [--interval 10] [--seconds 60] [--out DIR]
                                     [--update-readme]

`python run.py serve` with its default settings in a process of its own; Debian's Chromium
(headless, through Playwright's async API, never a downloaded browser) opens N pages, each in a
browser context of its own (its own cookies and keep-alive connections), signed in at bench-<n>
with a bench session made as the sign-in makes one; each bench has a serial scanner (a pty:
serial_scanners()), so that its page holds a live channel. Every page loads the bench, opens its live
channel (the first LIVE_MAX_STREAMS an event stream, the rest polling every second, as the page
does when its stream is refused) and then, every `interval` seconds (the first spread over one
interval), takes a carton scan through the page's own scan road (`benchScan`, as a keyboard-wedge
scan goes: POST /bench/scan, the parcel opened, the one before put aside). Each scan is timed in
the page, from the call to the end of htmx's swap (the operator sees the parcel); a scan whose
swap does not come within 30 s, or that shows an error, counts as an error. Small mode for the
suite: `--pages 3 --interval 1 --seconds 3 --orders 300`.
"""
import argparse
import asyncio
import json
import os
import platform
import random
import shutil
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench_stations import cpu_seconds, free_port, p99, rebuild, serve, stop  # noqa: E402
from readme import load_average, machine, update_section  # noqa: E402

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run", "--disable-renderer-backgrounding",
        "--disable-background-timer-throttling", "--disable-backgrounding-occluded-windows"]
SECRET = "bench-stations"  # what bench_stations.serve() gives the server

# the page's own scan road, timed to the end of the swap it causes
SCAN = """async (code) => {
    const t0 = performance.now();
    const settled = new Promise(resolve => {
        const done = () => { clearTimeout(timer); resolve([performance.now() - t0,
            !!document.querySelector('.message.tone-error')]); };
        const timer = setTimeout(() => { document.removeEventListener('htmx:afterSettle', done); resolve([null, true]); }, 30000);
        document.addEventListener('htmx:afterSettle', done, {once: true});
    });
    window.benchScan(code, 'wedge');
    return await settled;
}"""


def sessions(path, pages):
    """A signed session cookie per bench, made as the sign-in makes one (an operator each)."""
    from flask import session

    from station import auth, create_app
    from station.db import connect
    from station.web.security import sign_in_session

    db = connect(path)
    users = []
    for n in range(pages):
        auth.add_user(db, f"Operator {n}", "operator", "2468", f"BENCH-OP-{n:04d}")
        users.append(db.execute("SELECT * FROM users WHERE badge = ?", [f"BENCH-OP-{n:04d}"]).fetchone())
    db.close()
    app = create_app({"DATABASE": str(path), "SECRET_KEY": SECRET})
    signer = app.session_interface.get_signing_serializer(app)
    cookies = []
    for n in range(pages):
        with app.test_request_context(f"/?station=bench-{n}"):
            sign_in_session({"id": users[n][0]}, f"bench-{n}")
            cookies.append(signer.dumps(dict(session)))
    return app.config["SESSION_COOKIE_NAME"], cookies


async def run(url, cookie_name, cookies, parcels, interval, seconds):
    from playwright.async_api import async_playwright

    timings, errors, channels = [], [], {}
    queue = iter(parcels)
    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        pages = []
        started = time.monotonic()
        for n, value in enumerate(cookies):
            if mem_available_mb() < MIN_FREE_MB:  # the machine's memory, not the server, would be measured
                print(f"  stopped opening pages at {n}: {mem_available_mb():,.0f} MB of memory left", flush=True)
                break
            context = await browser.new_context(viewport={"width": 1024, "height": 768})
            await context.add_cookies([{"name": cookie_name, "value": value, "url": url}])
            page = await context.new_page()
            try:
                await page.goto(f"{url}/", wait_until="domcontentloaded", timeout=60_000)
            except Exception as exc:  # noqa: BLE001 - the browser (or the server) could not open one more
                print(f"  stopped opening pages at {n}: {type(exc).__name__}: {str(exc)[:120]}", flush=True)
                await context.close()
                break
            pages.append(page)
        for page in pages:  # every page has its live channel before the first scan
            # asked from here (wait_for_function would eval in the page, which its CSP forbids)
            live, deadline = None, time.monotonic() + 120
            while live not in ("open", "polling", "none") and time.monotonic() < deadline:
                # a page that names no live channel (a keyboard-wedge bench) holds none
                live = await page.evaluate("document.body.dataset.liveUrl ? document.body.dataset.live : 'none'")
                if live not in ("open", "polling", "none"):
                    await asyncio.sleep(0.2)
            channels[live or "none"] = channels.get(live or "none", 0) + 1
        opened = time.monotonic() - started
        rss = chromium_rss_mb()
        loop = asyncio.get_running_loop()
        stop_at = loop.time() + seconds

        async def bench(n, page):
            rnd = random.Random(n)
            next_at = loop.time() + rnd.uniform(0, interval)
            while next_at < stop_at:
                await asyncio.sleep(max(0.0, next_at - loop.time()))
                next_at += interval
                carton, _ = next(queue)
                try:
                    ms, failed = await page.evaluate(SCAN, carton)
                except Exception as exc:  # noqa: BLE001 - a page that broke is an error, whatever broke it
                    errors.append(f"{type(exc).__name__}: {exc}"[:200])
                    continue
                if ms is None or failed:
                    errors.append(f"bench-{n}: {carton} {'no answer in 30 s' if ms is None else 'shown as an error'}")
                if ms is not None:
                    timings.append(ms)

        await asyncio.gather(*(bench(n, page) for n, page in enumerate(pages)))
        await browser.close()
    return timings, errors, channels, opened, rss


MIN_FREE_MB = 2048


def mem_available_mb():
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemAvailable:"):
            return int(line.split()[1]) / 1024
    return float("inf")


def chromium_rss_mb():
    """The summed resident memory (MB) of the chromium processes this script started (its
    descendants; shared pages counted in each), read from /proc."""
    parents = {}
    for pid in (d for d in os.listdir("/proc") if d.isdigit()):
        try:
            parents[int(pid)] = int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            pass

    def mine(pid):
        while pid > 1:
            if pid == os.getpid():
                return True
            pid = parents.get(pid, 0)
        return False

    total = 0
    for pid in parents:
        try:
            if "chrom" not in Path(f"/proc/{pid}/comm").read_text() or not mine(pid):
                continue
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except OSError:
            pass
    return total / 1024


def arguments(argv):
    """The options bench_pages.py and bench_benches.py share."""
    p = argparse.ArgumentParser()
    p.add_argument("--pages", type=int, default=300)
    p.add_argument("--interval", type=float, default=10.0)
    p.add_argument("--seconds", type=float, default=60.0)
    p.add_argument("--orders", type=int, default=20000)
    p.add_argument("--out", default=None)
    p.add_argument("--update-readme", action="store_true")
    p.add_argument("--wedge", action="store_true",
                   help="keyboard-wedge benches only: no serial scanners, so the pages hold no live channel")
    return p.parse_args(argv)


def site(args, name):
    """The run's folder, `<name>.db` in it with a carton for every scan of the run, and a signed-in
    session cookie per page: (folder, database, parcels, cookie name, cookies)."""
    out = Path(args.out) if args.out else Path(tempfile.mkdtemp(prefix=f"bench-{name}-"))
    out.mkdir(parents=True, exist_ok=True)
    path = out / f"{name}.db"
    parcels = rebuild(path, max(args.orders, int(args.pages * args.seconds / args.interval) + args.pages + 10))
    cookie_name, cookies = sessions(path, args.pages)
    return out, path, parcels, cookie_name, cookies


def serial_scanners(pages):
    """A pty per bench standing in for its serial scanner (as the tests' pty does), named to the
    server in STATION_BENCHES: `run.py serve` starts a scanner thread for each, so every bench page
    holds a live channel, as at a site whose benches all have one (a keyboard-wedge bench's page
    holds none). Returns the master ends, to keep open while the server runs."""
    masters, benches = [], {}
    for n in range(pages):
        master, slave = os.openpty()
        benches[f"bench-{n}"] = {"scanner_port": os.ttyname(slave)}
        os.close(slave)
        masters.append(master)
    os.environ["STATION_BENCHES"] = json.dumps(benches)  # serve() passes it on
    return masters


def main(argv=None):
    args = arguments(argv)
    out, path, parcels, cookie_name, cookies = site(args, "pages")
    port = free_port()
    log = out / "server.log"
    log.unlink(missing_ok=True)
    os.environ.update(STATION_LOG_FORMAT="json", STATION_LOG_FILE=str(log))  # serve() passes it on
    scanners = serial_scanners(args.pages) if not args.wedge else []  # noqa: F841 - the ptys live while it runs
    procs = serve(path, port)
    try:
        before = cpu_seconds(procs[0].pid)
        timings, errors, channels, opened, rss = asyncio.run(
            run(f"http://127.0.0.1:{port}", cookie_name, cookies, parcels, args.interval, args.seconds))
        cpu = cpu_seconds(procs[0].pid) - before
    finally:
        stop(procs)
    served = [json.loads(x) for x in log.read_text("utf-8").splitlines() if x.startswith("{")]
    scans = [x["ms"] for x in served if x.get("path") == "/bench/scan"]
    polls = sum(1 for x in served if str(x.get("path", "")).startswith("/bench/events/poll"))
    faults = sum(1 for x in served if x.get("kind") == "request" and x.get("status", 0) >= 500
                 and x.get("path") != "/bench/events")  # a refused stream (503) is the page's cue to poll
    ordered = sorted(timings)
    p50 = ordered[len(ordered) // 2] if ordered else 0
    print(f"pages: {sum(channels.values())} pages ({channels.get('open', 0)} with a stream, {channels.get('polling', 0)} polling), "
          f"opened in {opened:.0f} s; {len(timings)} scans, {len(errors)} errors; scan to screen p50 {p50:.1f} ms "
          f"p99 {p99(timings) or 0:.1f} ms; in the server p50 {sorted(scans)[len(scans) // 2] if scans else 0:.1f} ms p99 "
          f"{p99(scans) or 0:.1f} ms; {polls} polls, {faults} answers 5xx; server CPU {cpu:.1f} s; Chromium {rss:,.0f} MB",
          flush=True)
    if errors:
        print("  first errors:", "; ".join(errors[:3]))
    if args.update_readme:
        update_section(
            "## Bench pages in Chromium\n\n"
            f"Measured {datetime.now(timezone.utc).date()} by `python benchmarks/bench_pages.py --pages {args.pages} "
            f"--interval {args.interval:g} --seconds {args.seconds:g} --update-readme` on {machine()}; Python "
            f"{platform.python_version()}. Load average when it finished: {load_average()}.\n\n"
            "`python run.py serve` with its default settings; Debian's Chromium (headless) with one page per bench, "
            "each in a browser context of its own, signed in, its bench with a serial scanner (a pty, so that its "
            "page holds a live channel, as at a site whose benches all have one), holding that channel (an event "
            "stream for the first "
            "`LIVE_MAX_STREAMS`, polling every second for the rest) and taking a carton scan every "
            f"{args.interval:g} s through the page's own scan road (`benchScan`, as a keyboard-wedge scan: the parcel "
            "opened, the one before put aside). Milliseconds from the scan to the end of the swap, measured in the "
            "page, and (*in the server*) from the station's own log line of each `POST /bench/scan`; *answers 5xx*: "
            "lines of the log with a 5xx status (a refused stream's 503, the page's cue to poll, left out). The "
            "browser shares the machine's 2 cores with the server.\n\n"
            "| pages | with a stream / polling | scans | errors | answers 5xx | scan to screen p50 / p99 ms | in the server p50 / p99 ms | polls | server CPU | Chromium RSS |\n"
            "|---|---|---|---|---|---|---|---|---|---|\n"
            f"| {sum(channels.values())} | {channels.get('open', 0)} / {channels.get('polling', 0)} | {len(timings)} | "
            f"{len(errors)} | {faults} | {p50:.1f} / **{p99(timings) or 0:.1f}** | "
            f"{sorted(scans)[len(scans) // 2] if scans else 0:.1f} / **{p99(scans) or 0:.1f}** | {polls} | "
            f"{cpu:.0f} s over the whole run (opening the pages included) | "
            f"{rss:,.0f} MB |\n")
    return 1 if errors and args.pages <= 10 else 0


if __name__ == "__main__":
    sys.exit(main())
