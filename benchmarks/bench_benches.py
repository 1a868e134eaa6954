"""Every bench of a site, as its browser talks to the server, without the browser: N benches on
`python run.py serve` (its default settings), each what a bench page asks for over HTTP.

    python benchmarks/bench_benches.py [--pages 300] [--interval 10] [--seconds 60] [--orders 20000]
                                       [--out DIR] [--update-readme]

bench_pages.py drives real Chromium pages, but on a 2-core box Chromium stops near 250 pages and
takes the cores from the server it measures. Here each bench is what its page does on the wire,
played by coroutines of one asyncio loop in this process (the other core):

- signed in at bench-<n> with a session made as the sign-in makes one (bench_pages.sessions());
- loads the bench (`GET /`, then every script and stylesheet the page names, once: the browser
  keeps them), on its own keep-alive connection, and keeps the cookie the server sends back;
- has a serial scanner (a pty, bench_pages.serial_scanners(): a page holds a live channel only
  where one pushes scans) and opens its live channel on a second connection as static/js/live.js
  does: the event stream
  (`data-live-url`), held open, or, when the server refuses it (503: `LIVE_MAX_STREAMS` are open),
  `GET data-live-poll-url?after=N` every second;
- every `interval` seconds (the first spread over one interval) scans a carton as scanner.js's
  keyboard-wedge road does: `POST data-scan-url` (code, source=wedge, the page's CSRF token, as
  htmx sends it); the answer must be 200 and not the error tone (the parcel opened, the one
  before put aside).

Milliseconds from the request's first byte sent to the answer's last byte read. An error is any
other answer, a dropped connection, or a stream that ends while the run lasts. Small mode for the
suite: `--pages 4 --interval 0.5 --seconds 2 --orders 300`.
"""
import asyncio
import platform
import random
import re
import sys
import time
from datetime import datetime, timezone
from html import unescape
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench_pages import arguments, serial_scanners, site  # noqa: E402
from bench_stations import Refused, free_port, p99, serve, stop, tree_cpu_seconds  # noqa: E402
from readme import load_average, machine, update_section  # noqa: E402

_ATTR = re.compile(r'data-(csrf|scan-url|live-url|live-poll-url)="([^"]*)"')
_ASSETS = re.compile(r'(?:src|href)="(/static/[^"]+\.(?:js|css)[^"]*)"')


class Browser:
    """One bench's cookie and one keep-alive connection of its browser to the server."""

    def __init__(self, port, cookie_name, cookie):
        self.port, self.cookies = port, {cookie_name: cookie}
        self.reader = self.writer = None

    async def open(self):
        self.reader, self.writer = await asyncio.open_connection("127.0.0.1", self.port)

    def close(self):
        if self.writer is not None:
            self.writer.close()

    def head(self, method, url, extra=""):
        cookie = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        return (f"{method} {url} HTTP/1.1\r\nHost: 127.0.0.1:{self.port}\r\nCookie: {cookie}\r\n{extra}").encode()

    async def answer_head(self):
        """The status and headers of the next answer; the browser keeps any cookie it sets."""
        status_line = await self.reader.readline()
        if not status_line:
            raise ConnectionResetError("the server closed the connection")
        status = int(status_line.split()[1])
        headers = {}
        while True:
            line = (await self.reader.readline()).decode("latin-1").rstrip("\r\n")
            if not line:
                break
            name, _, value = line.partition(":")
            name, value = name.strip().lower(), value.strip()
            if name == "set-cookie":
                pair = value.split(";", 1)[0]
                key, _, val = pair.partition("=")
                self.cookies[key.strip()] = val.strip()
            headers[name] = value
        return status, headers

    async def call(self, method, url, body=None, headers=""):
        """One request and its whole answer: (status, body text)."""
        data = b"" if body is None else body.encode()
        self.writer.write(self.head(method, url, headers + f"Content-Length: {len(data)}\r\n\r\n") + data)
        await self.writer.drain()
        status, answer = await self.answer_head()
        if answer.get("transfer-encoding", "").lower() == "chunked":
            payload = b""
            while True:
                size = int((await self.reader.readline()).strip() or b"0", 16)
                chunk = await self.reader.readexactly(size + 2)
                if size == 0:
                    break
                payload += chunk[:-2]
        else:
            payload = await self.reader.readexactly(int(answer.get("content-length", "0")))
        return status, payload.decode("utf-8", "replace")


def timed(sink):
    """Run a call and put its milliseconds in `sink`."""
    async def run(browser, *args, **kwargs):
        t = time.perf_counter()
        answer = await browser.call(*args, **kwargs)
        sink.append((time.perf_counter() - t) * 1000)
        return answer
    return run


async def bench(n, port, cookie_name, cookie, cartons, interval, clock, out):
    """One bench for the whole run: page load, live channel, then a scan every `interval` s from
    the moment every bench is listening (`clock`: a future of the run's (start, stop))."""
    loop = asyncio.get_running_loop()
    rnd = random.Random(n)
    page, live, listening = Browser(port, cookie_name, cookie), None, None
    try:
        await page.open()
        status, html = await timed(out["load"])(page, "GET", "/")
        if status != 200:
            raise Refused(f"GET / answered {status}")
        found = {k: unescape(v) for k, v in _ATTR.findall(html)}
        for asset in dict.fromkeys(_ASSETS.findall(html)):
            status, _ = await timed(out["load"])(page, "GET", unescape(asset))
            if status != 200:
                raise Refused(f"{asset} answered {status}")
        if found.get("live-url"):
            live = Browser(port, cookie_name, page.cookies[cookie_name])
            live.cookies = page.cookies  # one browser: one cookie jar
            await live.open()
            listening = loop.create_task(channel(live, found, clock, out, n))
        else:  # a keyboard-wedge bench: its page holds no live channel
            out["channels"]["none"] += 1
            out["ready"].add(n)
        start, stop_at = await clock
        next_at = start + rnd.uniform(0, interval)
        while next_at < stop_at:
            await asyncio.sleep(max(0.0, next_at - loop.time()))
            next_at += interval
            carton = next(cartons)
            body = urlencode({"code": carton, "source": "wedge"})
            status, answer = await timed(out["scan"])(
                page, "POST", found["scan-url"], body,
                "Content-Type: application/x-www-form-urlencoded\r\nHX-Request: true\r\n"
                f"X-CSRF-Token: {found['csrf']}\r\n")
            if status != 200 or "tone-error" in answer:
                out["errors"].append(f"bench-{n}: scan {carton} answered {status}"
                                     + (" with the error tone" if status == 200 else ""))
        if listening is not None:
            await listening
    except (Refused, OSError, asyncio.IncompleteReadError, ValueError, KeyError) as exc:
        out["errors"].append(f"bench-{n}: {type(exc).__name__}: {exc}"[:200])
        out["ready"].add(n)  # a bench that broke does not hold the others back
    finally:
        if listening is not None and not listening.done():
            listening.cancel()
        page.close()
        if live is not None:
            live.close()


async def channel(live, found, clock, out, n):
    """The page's live channel until the run ends: the stream, or polling once it is refused."""
    loop = asyncio.get_running_loop()
    live.writer.write(live.head("GET", found["live-url"], "Accept: text/event-stream\r\n\r\n"))
    await live.writer.drain()
    status, headers = await live.answer_head()
    out["ready"].add(n)
    if status == 200:
        out["channels"]["stream"] += 1
        _start, stop_at = await clock
        while loop.time() < stop_at:  # heartbeats and nothing else: this bench has no serial scanner
            try:
                line = await asyncio.wait_for(live.reader.readline(), max(0.1, stop_at - loop.time()))
            except asyncio.TimeoutError:
                return
            if not line:
                out["errors"].append(f"bench-{n}: its event stream ended")
                return
        return
    if status != 503:
        raise Refused(f"the live channel answered {status}")
    await live.reader.readexactly(int(headers.get("content-length", "0")))  # the refusal's body
    out["channels"]["polling"] += 1
    after = 0
    stop_at = float("inf")
    while loop.time() < stop_at:
        if clock.done():
            stop_at = clock.result()[1]
        sink = out["poll"] if clock.done() else []  # the polls of the run, not of the pages' opening
        status, body = await timed(sink)(live, "GET", f"{found['live-poll-url']}?after={after}", None,
                                         "Accept: application/json\r\n")
        if status != 200:
            out["errors"].append(f"bench-{n}: poll answered {status}")
        await asyncio.sleep(1.0)


async def anchor_loop(port, stop_at, sink):
    """GET /healthz on one more connection every 50 ms: the bare route in the same run."""
    browser = Browser(port, "none", "")
    await browser.open()
    loop = asyncio.get_running_loop()
    while loop.time() < stop_at:
        await timed(sink)(browser, "GET", "/healthz")
        await asyncio.sleep(0.05)
    browser.close()


def run(port, cookie_name, cookies, parcels, interval, seconds, on_start=lambda: None):
    """The benches, then the run's figures; `on_start` is called when the scans begin (every page open)."""
    out = {"load": [], "scan": [], "poll": [], "anchor": [], "errors": [], "ready": set(),
           "channels": {"stream": 0, "polling": 0, "none": 0}}
    cartons = (carton for carton, _ in parcels)

    async def main():
        # every page is loaded and listening before the scans begin, as bench_pages waits for them
        loop = asyncio.get_running_loop()
        clock = loop.create_future()
        benches = [loop.create_task(bench(n, port, cookie_name, c, cartons, interval, clock, out))
                   for n, c in enumerate(cookies)]
        deadline = loop.time() + 120
        while len(out["ready"]) < len(cookies) and loop.time() < deadline:
            await asyncio.sleep(0.1)
        out["opened"] = loop.time() - deadline + 120
        out["at_start"] = on_start()
        start = loop.time()
        clock.set_result((start, start + seconds))
        await asyncio.gather(anchor_loop(port, start + seconds, out["anchor"]), *benches)

    asyncio.run(main())
    return out


def main(argv=None):
    args = arguments(argv)
    _out_dir, path, parcels, cookie_name, cookies = site(args, "benches")
    port = free_port()
    scanners = serial_scanners(args.pages) if not args.wedge else []  # noqa: F841 - the ptys live while it runs
    procs = serve(path, port)
    try:
        mine = time.process_time()
        out = run(port, cookie_name, cookies, parcels, args.interval, args.seconds,
                  on_start=lambda: tree_cpu_seconds(procs[0].pid))
        cpu = tree_cpu_seconds(procs[0].pid) - out["at_start"]  # while the benches scanned
        print(f"  the benches' own CPU (this process): {time.process_time() - mine:.1f} s", flush=True)
    finally:
        stop(procs)

    def p50(v):
        return sorted(v)[len(v) // 2] if v else 0

    errors, ch = out["errors"], out["channels"]
    cells = {k: f"{p50(out[k]):.1f} / {p99(out[k]) or 0:.1f}" for k in ("load", "scan", "poll", "anchor")}
    print(f"benches: {args.pages} pages ({ch['stream']} with a stream, {ch['polling']} polling, {ch['none']} with "
          f"none, opened in "
          f"{out['opened']:.0f} s); {len(out['scan'])} "
          f"scans, {len(out['poll'])} polls, {len(errors)} errors; p50 / p99 ms: page load {cells['load']}, scan "
          f"{cells['scan']}, poll {cells['poll']}, anchor {cells['anchor']}; server CPU {cpu:.1f} s "
          f"({cpu / args.seconds:.0%} of a core)", flush=True)
    if errors:
        print("  first errors:", "; ".join(errors[:3]))
    if args.update_readme:
        update_section(
            f"## Bench pages over HTTP: run.py serve{', keyboard-wedge benches' if args.wedge else ''}\n\n"
            f"Measured {datetime.now(timezone.utc).date()} by `python benchmarks/bench_benches.py --pages {args.pages} "
            f"--interval {args.interval:g} --seconds {args.seconds:g}{' --wedge' if args.wedge else ''} --update-readme` on "
            f"{machine()}; Python "
            f"{platform.python_version()}. Load average when it finished: {load_average()}.\n\n"
            "`python run.py serve` with its default settings; each bench what its page asks for on the wire, without "
            "the browser (Chromium cannot hold 300 pages beside the server on 2 cores: \"Bench pages in Chromium\"): "
            "signed in, the bench page loaded with its scripts and stylesheets on a keep-alive connection, the live "
            "channel on a second one " + ("(none here: keyboard-wedge benches only, `--wedge`, whose pages hold no "
            "live channel)" if args.wedge else "(every bench with a serial scanner, a pty: a keyboard-wedge bench's "
            "page holds none; the event stream for the first `LIVE_MAX_STREAMS`, polling every second for the "
            "rest, as static/js/live.js does when refused)") + f", and a carton scan every {args.interval:g} s (the "
            "first spread over one interval) as the keyboard-wedge road sends it (`POST /bench/scan` with the page's "
            "CSRF token; the parcel opened, the one before put aside). Milliseconds from the request's first byte to "
            "the answer's last, p50 / p99; *page load* counts the page and each of its files (every page opening at "
            "once, as at a shift's start); the scans, polls and server CPU are counted from the moment every page "
            "is open and listening; *anchor* is `GET "
            "/healthz` every 50 ms on one more connection in the same run. An error is any answer the page would "
            "not take (not 200, the error tone), a dropped connection or a stream that ended. The benches are "
            "coroutines of one asyncio loop in the benchmark's process.\n\n"
            "| pages | with a stream / polling | scans | polls | errors | page load p50 / p99 | **scan p50 / p99** | "
            "poll p50 / p99 | anchor p50 / p99 | server CPU |\n"
            "|---|---|---|---|---|---|---|---|---|---|\n"
            f"| {args.pages} | {ch['stream']} / {ch['polling']} | {len(out['scan'])} | {len(out['poll'])} | "
            f"{len(errors)} | {cells['load']} | **{cells['scan']}** | {cells['poll']} | {cells['anchor']} | "
            f"{cpu:.0f} s in {args.seconds:g} s ({cpu / args.seconds:.0%} of a core) |\n")
    return 1 if errors and args.pages <= 10 else 0


if __name__ == "__main__":
    sys.exit(main())
