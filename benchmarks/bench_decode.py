"""Barcode decoding benchmark: read rate on the shared sample sets, and ms per camera frame.

    python benchmarks/bench_decode.py [SAMPLES_DIR] [--update-readme] [--reps N]

SAMPLES_DIR defaults to ../shared/barcode-samples beside the project root. Compares pyzbar
alone and zxing-cpp alone (each with its library defaults, as in the samples' README) with our
pipeline (hardware.decode). Prints a Markdown section; --update-readme also writes it into
benchmarks/README.md under "## Barcode decoding", leaving the other sections alone.
"""

import argparse
import datetime
import json
import os
import platform
import re
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import cv2
import numpy as np
import zxingcpp
from pyzbar import pyzbar

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from hardware.decode import decode_frame, decode_gray  # noqa: E402
from readme import machine, update_section  # noqa: E402

SECTION = "## Barcode decoding"
RESOLUTIONS = [(640, 480), (1280, 720), (1920, 1080)]


# --- comparing a reading with the expected text (as zxing-cpp's own test runner does) -------

_AIM = re.compile(r"^\][A-Za-z][0-9A-Za-z]")
_BRACKETED_AI = re.compile(r"\((\d{2,4})\)")


def canonical(text: str) -> str:
    """Ignore \\r, our AIM prefix, GS1 raw vs bracketed, and UPC-A's leading EAN-13 zero."""
    text = _AIM.sub("", text.replace("\r", ""))
    if text.startswith("(") and _BRACKETED_AI.match(text):
        text = _BRACKETED_AI.sub(r"\1", text)
    text = text.replace("\x1d", "")
    if len(text) == 12 and text.isdigit():
        text = "0" + text
    return text


def pyzbar_alone(gray):
    return [_text(r.data) for r in pyzbar.decode(gray)]


def zxing_alone(gray):
    return [r.text for r in zxingcpp.read_barcodes(gray)]


def pipeline_still(gray):
    return [c["data"] for c in decode_gray(gray, thorough=True)]


def _text(raw: bytes) -> str:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw.decode("latin-1")


# --- read rate on the sample sets ------------------------------------------------------------

def read_rates(samples: Path):
    readers = {"pyzbar": pyzbar_alone, "zxing-cpp": zxing_alone, "pipeline": pipeline_still}
    rows = []
    for set_dir in sorted(p for p in samples.iterdir() if (p / "set.json").exists()):
        meta = json.loads((set_dir / "set.json").read_text())
        hits = {name: set() for name in readers}
        wrong = {name: 0 for name in readers}
        ms = {name: 0.0 for name in readers}
        images = sorted(set_dir.glob("*.png"))
        for png in images:
            expected = canonical(png.with_suffix(".txt").read_text(encoding="utf-8"))
            gray = cv2.imread(str(png), cv2.IMREAD_GRAYSCALE)
            for name, read in readers.items():
                t0 = time.perf_counter()
                texts = read(gray)
                ms[name] += (time.perf_counter() - t0) * 1000
                got = {canonical(t) for t in texts}
                if expected in got:
                    hits[name].add(png.name)
                if got - {expected}:
                    wrong[name] += 1
        either = hits["pyzbar"] | hits["zxing-cpp"]
        rows.append({
            "set": set_dir.name, "images": len(images),
            "fast": meta["zxing_cpp_must_pass_fast"],
            "harder": meta["zxing_cpp_must_pass_try_harder"],
            **{name: len(h) for name, h in hits.items()},
            "either": len(either),
            "missed_by_pipeline": sorted(either - hits["pipeline"]),
            "wrong": wrong,
            "ms": {name: ms[name] / max(1, len(images)) for name in readers},
        })
    return rows


# --- camera frames --------------------------------------------------------------------------

def make_frame(width, height, rng, data=None, hard=False):
    """A parcel-ish greyscale frame: blotchy background, clutter, a white label with Code 128,
    sensor noise and a JPEG round trip (webcams send MJPEG). `data=None`: no label.
    `hard`: 2-px modules, faded print, up to 20° tilt, more blur and noise, harsher JPEG."""
    low = rng.normal(128, 45, (height // 40 + 2, width // 40 + 2)).astype(np.float32)
    frame = cv2.resize(low, (width, height), interpolation=cv2.INTER_CUBIC)
    for _ in range(12):  # tape, box edges, shadows
        x, y = int(rng.integers(0, width)), int(rng.integers(0, height))
        w, h = int(rng.integers(20, width // 3)), int(rng.integers(5, height // 4))
        cv2.rectangle(frame, (x, y), (x + w, y + h), float(rng.integers(0, 255)), -1)
    frame = np.clip(frame, 0, 255).astype(np.uint8)  # putText draws on 8-bit images only
    for _ in range(6):  # printed text on the box
        x, y = int(rng.integers(0, width - 100)), int(rng.integers(20, height))
        cv2.putText(frame, "FRAGILE 0123 THIS SIDE UP", (x, y), cv2.FONT_HERSHEY_SIMPLEX,
                    height / 900, int(rng.integers(0, 90)), 2)
    frame = frame.astype(np.float32)
    if data is not None:
        module = 2 if hard else max(2, height // 240)
        code = np.asarray(zxingcpp.create_barcode(data, zxingcpp.BarcodeFormat.Code128)
                          .to_image(scale=module, add_quiet_zones=True), dtype=np.float32)
        ch, cw = code.shape[0] // 2, code.shape[1]
        paper, ink = (220, 55) if hard else (250, 20)
        label = np.full((ch + 40 * module, cw + 20 * module), paper, np.uint8)
        label[10 * module:10 * module + ch, 10 * module:10 * module + cw] = (
            ink + code[:ch] / 255 * (paper - ink))
        cv2.putText(label, data, (10 * module, ch + 30 * module), cv2.FONT_HERSHEY_SIMPLEX,
                    module / 3, 30, max(1, module // 2))
        label = label.astype(np.float32)
        angle = float(rng.uniform(-20, 20) if hard else rng.uniform(-8, 8))
        m = cv2.getRotationMatrix2D((label.shape[1] / 2, label.shape[0] / 2), angle, 1.0)
        x0 = int(rng.integers(0, width - label.shape[1] - 40))
        y0 = int(rng.integers(0, height - label.shape[0] - 40))
        m[0, 2] += x0
        m[1, 2] += y0
        mask = cv2.warpAffine(np.ones_like(label), m, (width, height))
        warped = cv2.warpAffine(label, m, (width, height))
        frame = frame * (1 - mask) + warped * mask
        frame = cv2.GaussianBlur(frame, (0, 0), float(rng.uniform(0.5, 1.1)) if hard else 0.7)
    frame = frame + rng.normal(0, 7 if hard else 5, frame.shape)
    frame = np.clip(frame, 0, 255).astype(np.uint8)
    ok, jpg = cv2.imencode(".jpg", frame, [cv2.IMWRITE_JPEG_QUALITY, 70 if hard else 85])
    return cv2.imdecode(jpg, cv2.IMREAD_GRAYSCALE)


def frame_timings(reps):
    readers = {
        "pyzbar": lambda f: [_text(r.data) for r in pyzbar.decode(f)],
        "zxing-cpp": lambda f: [r.text for r in zxingcpp.read_barcodes(f)],
        "pipeline": lambda f: [c["data"] for c in decode_frame(f)],
    }
    rows = []
    for width, height in RESOLUTIONS:
        rng = np.random.default_rng(width)
        frames = []
        for i in range(8):
            data = f"RT-{rng.integers(10**6, 10**7)}-{i}"
            frames.append((data, make_frame(width, height, rng, data)))
        empty = make_frame(width, height, rng, None)
        row = {"res": f"{width}×{height}", "reps": reps}
        for name, read in readers.items():
            read(frames[0][1])  # warm up
            times, hits = [], 0
            for data, frame in frames:
                best, got = _best_of(read, frame, reps)
                times.append(best)
                hits += data in got
            row[name] = {"ms": float(np.median(times)), "read": hits, "of": len(frames),
                         "empty_ms": _best_of(read, empty, reps)[0]}
        rows.append(row)
    return rows


def _best_of(read, frame, reps):
    """Fastest of `reps` decodes in ms, and what was read. The machine is shared: other
    work only ever adds time, so the fastest run is the closest to the decoder's own cost."""
    best = float("inf")
    for _ in range(reps):
        t0 = time.perf_counter()
        got = read(frame)
        best = min(best, (time.perf_counter() - t0) * 1000)
    return best, got


def hard_frame_reads(n=40):
    """Read counts on `n` distorted 1280x720 frames (make_frame(hard=True))."""
    rng = np.random.default_rng(2024)
    frames = []
    for i in range(n):
        data = f"RT-{rng.integers(10**6, 10**7)}-{i}"
        frames.append((data, make_frame(1280, 720, rng, data, hard=True)))
    readers = {
        "pyzbar": lambda f: [_text(r.data) for r in pyzbar.decode(f)],
        "zxing-cpp": lambda f: [r.text for r in zxingcpp.read_barcodes(f)],
        "decode_frame": lambda f: [c["data"] for c in decode_frame(f)],
        # The label stays under the camera: four consecutive frames, each with its own tilt.
        "4 frames": lambda f: [c["data"] for _ in range(4) for c in decode_frame(f)],
        "decode_frame(thorough=True)": lambda f: [c["data"] for c in decode_frame(f, thorough=True)],
    }
    reads = {name: sum(data in read(frame) for data, frame in frames) for name, read in readers.items()}
    either = sum(data in readers["pyzbar"](f) or data in readers["zxing-cpp"](f) for data, f in frames)
    return n, reads, either


def pool_throughput(n_frames=32, rounds=5):
    """decode_frame frames/s on 1280x720, one thread vs a pool of two; best of `rounds`
    (the best round is the one least disturbed by whatever else runs on the machine)."""
    rng = np.random.default_rng(7)
    frames = [make_frame(1280, 720, rng, f"RT-{i:06d}") for i in range(8)]
    work = [frames[i % len(frames)] for i in range(n_frames)]
    one = two = 0.0
    with ThreadPoolExecutor(max_workers=2) as pool:
        list(pool.map(decode_frame, work[:4]))
        for _ in range(rounds):
            t0 = time.perf_counter()
            for f in work:
                decode_frame(f)
            one = max(one, n_frames / (time.perf_counter() - t0))
            t0 = time.perf_counter()
            list(pool.map(decode_frame, work))
            two = max(two, n_frames / (time.perf_counter() - t0))
    return one, two, os.getloadavg()[0]


# --- report ---------------------------------------------------------------------------------

def versions():
    from importlib.metadata import version
    return ", ".join(f"{p} {version(p)}" for p in
                     ("zxing-cpp", "pyzbar", "opencv-python-headless", "numpy"))


def report(rates, frames, hard, pool, samples):
    out = [SECTION, ""]
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    out.append(f"Measured {datetime.date.today().isoformat()} by `python benchmarks/bench_decode.py "
               f"--update-readme` on {machine()}; Python {platform.python_version()}, "
               f"{versions()}. Load average when it finished: {load} (other work on the "
               "machine makes the milliseconds noisier, not the read counts).")
    out += ["", "### Read rate on the shared sample sets", "",
            f"Sets from `{samples.name}/` (zxing-cpp's own test images). *zxing-cpp bars* are "
            "the counts in each `set.json` (zxing-cpp's must-pass, fast / try-harder). "
            "pyzbar and zxing-cpp run alone with library defaults on the image as OpenCV reads "
            "it in greyscale; *pipeline* is `hardware.decode` with retries, as "
            "`decode_image` runs. A reading counts when it matches the `.txt` compared as the "
            "samples' README says; *wrong* counts images where a decoder also returned "
            "something else.", "",
            "| set | images | zxing-cpp bars | pyzbar | zxing-cpp | either | **pipeline** "
            "| wrong (pyzbar / zxing / pipeline) | pipeline ms per image |",
            "|---|---|---|---|---|---|---|---|---|"]
    total = {k: 0 for k in ("images", "pyzbar", "zxing-cpp", "either", "pipeline")}
    for r in rates:
        for k in total:
            total[k] += r[k]
        w = r["wrong"]
        out.append(f"| {r['set']} | {r['images']} | {r['fast']} / {r['harder']} | {r['pyzbar']} "
                   f"| {r['zxing-cpp']} | {r['either']} | **{r['pipeline']}** "
                   f"| {w['pyzbar']} / {w['zxing-cpp']} / {w['pipeline']} "
                   f"| {r['ms']['pipeline']:.1f} |")
    out.append(f"| all | {total['images']} | | {total['pyzbar']} | {total['zxing-cpp']} "
               f"| {total['either']} | **{total['pipeline']}** | | |")
    missed = [f"{r['set']}: {', '.join(r['missed_by_pipeline'])}" for r in rates
              if r["missed_by_pipeline"]]
    out += ["", "Images either decoder read that the pipeline missed: "
            + ("; ".join(missed) if missed else "none") + "."]
    out += ["", "### Milliseconds per camera frame", "",
            "Greyscale frames generated by the script: a blotchy background with boxes and "
            "printed text, one white label with a Code 128 (module 2–4 px, tilted up to 8°), "
            "lens blur, sensor noise (σ 5) and a JPEG round trip. For each frame the fastest of "
            f"{frames[0]['reps']} decodes (other work on the shared machine only adds time), "
            "then the median over 8 frames per size; *read* is how many of the 8 gave the "
            "label's data; *no code* is a frame without a label (what the camera loop pays "
            "while nothing is in view). The "
            "pipeline is `decode_frame`: zxing-cpp limited to the warehouse formats, and on a "
            "frame where that finds nothing one linear-only pass at a tilt (a different tilt "
            "each frame); pyzbar and the retries are left to still images, since on frames "
            "pyzbar would triple the cost of every empty frame.", "",
            "| frame | pyzbar ms (read) | zxing-cpp ms (read) | **pipeline ms** (read) "
            "| no code: pyzbar / zxing-cpp / pipeline ms |", "|---|---|---|---|---|"]
    for r in frames:
        cells = [f"{r[n]['ms']:.1f} ({r[n]['read']}/{r[n]['of']})" for n in
                 ("pyzbar", "zxing-cpp")]
        p = r["pipeline"]
        out.append(f"| {r['res']} | {cells[0]} | {cells[1]} | **{p['ms']:.1f}** "
                   f"({p['read']}/{p['of']}) | {r['pyzbar']['empty_ms']:.1f} / "
                   f"{r['zxing-cpp']['empty_ms']:.1f} / {p['empty_ms']:.1f} |")
    n, reads, either = hard
    out += ["", f"Distorted frames ({n} at 1280×720: 2-px modules, faded print on grey paper, "
            "tilted up to 20°, blur σ 0.5–1.1, noise σ 7, JPEG quality 70), labels read. "
            "*4 frames*: `decode_frame` called on four consecutive frames of the same label "
            "(133 ms of video), each trying its own tilt when the straight pass finds nothing; "
            "*thorough*: with pyzbar and the still-image retries (too slow for every frame, "
            "shown for comparison).", "",
            "| pyzbar | zxing-cpp | either | decode_frame, 1 frame | **decode_frame, 4 frames** "
            "| thorough |", "|---|---|---|---|---|---|",
            f"| {reads['pyzbar']} | {reads['zxing-cpp']} | {either} | {reads['decode_frame']} "
            f"| **{reads['4 frames']}** | {reads['decode_frame(thorough=True)']} |"]
    one, two, load = pool
    out += ["", f"Throughput of `decode_frame` on 1280×720 frames (best of 5 rounds of 32): "
            f"{one:.0f} frames/s on one thread, {two:.0f} frames/s with a pool of two threads "
            f"(×{two / one:.2f}, load average {load:.2f} at the time; zxing-cpp releases the GIL "
            "while it decodes, so two threads use both cores when the other core is free)."]
    return "\n".join(out) + "\n"


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("samples", nargs="?", default=str(ROOT.parent / "shared" / "barcode-samples"))
    ap.add_argument("--update-readme", action="store_true")
    ap.add_argument("--reps", type=int, default=5, help="decodes per frame for the timings")
    ap.add_argument("--quick", action="store_true", help="a few frames only: the test suite's check that it runs")
    args = ap.parse_args(argv)
    samples = Path(args.samples)
    if not samples.is_dir():
        sys.exit(f"no sample sets at {samples}")
    if args.quick:
        section = report(read_rates(samples), frame_timings(1), hard_frame_reads(n=2),
                         pool_throughput(n_frames=2, rounds=1), samples)
    else:
        section = report(read_rates(samples), frame_timings(args.reps), hard_frame_reads(),
                         pool_throughput(), samples)
    print(section)
    if args.update_readme:
        update_section(section)


if __name__ == "__main__":
    main()
