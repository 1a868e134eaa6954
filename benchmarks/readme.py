"""Shared by the benchmark scripts: the machine's description and writing one section of benchmarks/README.md."""
import os
import re
import subprocess
from pathlib import Path

README = Path(__file__).resolve().parent / "README.md"


def machine():
    """Cores and CPU model, as the figures' heading names them."""
    model = "unknown"
    try:
        for line in subprocess.run(["lscpu"], capture_output=True, text=True).stdout.splitlines():
            if line.startswith("Model name"):
                model = line.split(":", 1)[1].strip()
    except OSError:
        pass
    return f"{os.cpu_count()} cores (`nproc`: {len(os.sched_getaffinity(0))}), {model}"


def load_average():
    return ", ".join(f"{x:.2f}" for x in os.getloadavg())


def update_section(section, path=README):
    """Put `section` (starting with its `## Title` line) in place of the section of that title, or append it."""
    title = section.splitlines()[0]
    text = path.read_text("utf-8") if path.exists() else "# Benchmarks\n"
    pattern = re.compile(rf"^{re.escape(title)}\n.*?(?=^## |\Z)", re.S | re.M)
    if pattern.search(text):
        text = pattern.sub(lambda m: section.rstrip("\n") + "\n\n", text).rstrip("\n") + "\n"
    else:
        text = text.rstrip("\n") + "\n\n" + section.rstrip("\n") + "\n"
    path.write_text(text, "utf-8")
