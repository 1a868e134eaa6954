"""Zebra-compatible label printers: raw ZPL over TCP port 9100, status through ~HS; or a
CUPS queue that passes ZPL through (`lp -d QUEUE -o raw`). `printer_for(url)` makes the
driver for a bench's setting: "zpl://host[:port]" or "cups://queue".

    printer = ZplPrinter("10.0.0.31")
    printer.print_label(zpl_label("RI00001234", ["RESTOCK", "Bin A-12-03"], title="RESTOCK"))
    printer.status()  # PrinterStatus.READY

Port 9100 ("raw", "JetDirect") is one-way for print jobs: the printer answers nothing, so
print_label() succeeding means the printer took the bytes, not that a label came out. Ask
status() when that matters.
"""

import enum
import shutil
import socket
import subprocess
from dataclasses import dataclass
from typing import Sequence

from hardware.barcodes import LABEL_SIZES, LabelError, code128_modules, module_dots

__all__ = ["PrinterError", "PrinterOffline", "PrinterStatus", "HostStatus", "LabelPrinter",
           "ZplPrinter", "CupsPrinter", "printer_for", "parse_host_status", "zpl_label", "zpl_text"]


class PrinterError(Exception):
    """The one error type of the printer drivers."""


class PrinterOffline(PrinterError):
    """Nothing answers at the printer's address."""


class PrinterStatus(enum.Enum):
    READY = "ready"
    PRINTING = "printing"  # formats still in the buffer or labels left in the batch
    PAUSED = "paused"
    PAPER_OUT = "paper_out"
    RIBBON_OUT = "ribbon_out"
    HEAD_OPEN = "head_open"
    FAULT = "fault"  # temperature, lost configuration, or no answer to ~HS
    OFFLINE = "offline"


class LabelPrinter:
    """A printer takes a label in its own language and can say how it is."""

    def print_label(self, label: str | bytes) -> None:
        raise NotImplementedError

    def status(self) -> PrinterStatus:
        raise NotImplementedError


class ZplPrinter(LabelPrinter):
    """A ZPL printer reached over TCP (Zebra, and the many printers that emulate ZPL)."""

    def __init__(self, host: str, port: int = 9100, timeout: float = 5.0):
        self.host = host
        self.port = port
        self.timeout = timeout

    def __repr__(self):
        return f"<ZplPrinter {self.host}:{self.port}>"

    def print_label(self, label: str | bytes) -> None:
        """Send one or more ZPL formats; raise PrinterError if the printer does not take them."""
        data = label.encode("utf-8") if isinstance(label, str) else label
        with self._connect() as conn:
            try:
                conn.sendall(data)
                conn.shutdown(socket.SHUT_WR)  # tell the printer the job is complete
            except OSError as exc:
                raise PrinterError(f"{self.host}:{self.port}: sending failed: {exc}") from exc

    def host_status(self) -> "HostStatus":
        """Ask ~HS and parse the three status strings."""
        with self._connect() as conn:
            try:
                conn.sendall(b"~HS")
                reply = b""
                while reply.count(b"\x03") < 3:
                    chunk = conn.recv(1024)
                    if not chunk:
                        break
                    reply += chunk
            except socket.timeout:
                # Recent firmware stays silent while media or ribbon is out or the head is
                # open, so silence is a fault at the printer, not a network problem.
                raise PrinterError(f"{self.host}:{self.port} did not answer ~HS within "
                                   f"{self.timeout}s (media out, ribbon out, head open?)") from None
            except OSError as exc:
                raise PrinterError(f"{self.host}:{self.port}: {exc}") from exc
        return parse_host_status(reply)

    def status(self) -> PrinterStatus:
        """The printer's state for the devices page; never raises."""
        try:
            return self.host_status().status
        except PrinterOffline:
            return PrinterStatus.OFFLINE
        except PrinterError:
            return PrinterStatus.FAULT

    def _connect(self) -> socket.socket:
        try:
            return socket.create_connection((self.host, self.port), timeout=self.timeout)
        except OSError as exc:
            raise PrinterOffline(f"cannot reach printer {self.host}:{self.port}: {exc}") from exc


class CupsPrinter(LabelPrinter):
    """A CUPS queue that passes jobs through untouched (`lp -d QUEUE -o raw`): for a ZPL
    printer on USB, or one CUPS already knows. Status from `lpstat -p QUEUE` when it exists."""

    def __init__(self, queue: str, timeout: float = 5.0):
        self.queue = queue
        self.timeout = timeout

    def __repr__(self):
        return f"<CupsPrinter {self.queue}>"

    def print_label(self, label: str | bytes) -> None:
        data = label.encode("utf-8") if isinstance(label, str) else label
        lp = shutil.which("lp")
        if lp is None:
            raise PrinterOffline("no `lp` command on this machine (CUPS is not installed)")
        try:
            done = subprocess.run([lp, "-d", self.queue, "-o", "raw"], input=data, capture_output=True,
                                  timeout=self.timeout)
        except subprocess.TimeoutExpired:
            raise PrinterError(f"lp -d {self.queue} did not finish within {self.timeout}s") from None
        except OSError as exc:
            raise PrinterOffline(f"cannot run lp: {exc}") from exc
        if done.returncode != 0:
            reason = (done.stderr or done.stdout).decode("utf-8", "replace").strip()[:200]
            raise PrinterError(f"lp -d {self.queue} failed: {reason or f'exit {done.returncode}'}")

    def status(self) -> PrinterStatus:
        lpstat = shutil.which("lpstat")
        if shutil.which("lp") is None:
            return PrinterStatus.OFFLINE
        if lpstat is None:
            return PrinterStatus.READY  # lp is there; CUPS queues jobs for a printer that is off
        try:
            done = subprocess.run([lpstat, "-p", self.queue], capture_output=True, timeout=self.timeout)
        except (subprocess.TimeoutExpired, OSError):
            return PrinterStatus.FAULT
        text = done.stdout.decode("utf-8", "replace").lower()
        if done.returncode != 0 or not text:
            return PrinterStatus.OFFLINE
        if "disabled" in text:
            return PrinterStatus.PAUSED
        if "printing" in text:
            return PrinterStatus.PRINTING
        return PrinterStatus.READY


def printer_for(url: str, timeout: float = 5.0) -> LabelPrinter:
    """The driver for a bench's printer setting: zpl://host[:port] or cups://queue."""
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    if parts.scheme == "zpl" and parts.hostname:
        return ZplPrinter(parts.hostname, parts.port or 9100, timeout=timeout)
    if parts.scheme == "cups" and parts.netloc:
        return CupsPrinter(parts.netloc, timeout=timeout)
    raise PrinterError(f"not a printer address: {url!r} (zpl://host:9100 or cups://queue)")


# --- ~HS ----------------------------------------------------------------------------------

@dataclass(frozen=True)
class HostStatus:
    """The flags of a ~HS reply that matter on a bench (ZPL II Programming Guide, ~HS)."""

    paper_out: bool
    paused: bool
    label_length_dots: int
    formats_in_buffer: int
    buffer_full: bool
    corrupt_ram: bool
    under_temperature: bool
    over_temperature: bool
    head_up: bool
    ribbon_out: bool
    labels_remaining: int

    @property
    def status(self) -> PrinterStatus:
        # The most urgent condition wins: it is what the operator must fix first.
        if self.head_up:
            return PrinterStatus.HEAD_OPEN
        if self.paper_out:
            return PrinterStatus.PAPER_OUT
        if self.ribbon_out:
            return PrinterStatus.RIBBON_OUT
        if self.corrupt_ram or self.under_temperature or self.over_temperature:
            return PrinterStatus.FAULT
        if self.paused:
            return PrinterStatus.PAUSED
        if self.formats_in_buffer or self.labels_remaining:
            return PrinterStatus.PRINTING
        return PrinterStatus.READY


def parse_host_status(reply: bytes) -> HostStatus:
    """Parse ``<STX>string 1<ETX><CR><LF>`` ... three times, as ~HS answers."""
    strings = []
    for part in reply.split(b"\x02")[1:]:
        strings.append(part.split(b"\x03", 1)[0].decode("ascii", "replace").split(","))
    if len(strings) < 2 or len(strings[0]) < 12 or len(strings[1]) < 9:
        raise PrinterError(f"not a ~HS reply: {reply[:80]!r}")
    one, two = strings[0], strings[1]
    try:
        return HostStatus(
            paper_out=one[1] == "1", paused=one[2] == "1", label_length_dots=int(one[3]),
            formats_in_buffer=int(one[4]), buffer_full=one[5] == "1", corrupt_ram=one[9] == "1",
            under_temperature=one[10] == "1", over_temperature=one[11] == "1",
            head_up=two[2] == "1", ribbon_out=two[3] == "1", labels_remaining=int(two[8]),
        )
    except ValueError:
        raise PrinterError(f"not a ~HS reply: {reply[:80]!r}") from None


# --- building ZPL --------------------------------------------------------------------------

# Layout per label size, in inches: margin, title and line heights, bar height; module in mm.
_LAYOUT = {
    "4x6": {"margin": 0.2, "title": 0.45, "subtitle": 0.32, "line": 0.22, "bar": 1.0, "module_mm": 0.375},
    "2x1": {"margin": 0.06, "title": 0.14, "subtitle": 0.1, "line": 0.1, "bar": 0.4, "module_mm": 0.25},
}


def zpl_text(text: str) -> str:
    """Field data for ^FH: ZPL's own ^ ~ and the hex indicator _ as hex, and any byte
    outside printable ASCII as hex of its UTF-8 (the label selects UTF-8 with ^CI28)."""
    out = []
    for ch in text:
        if " " <= ch <= "}" and ch not in "^~_":
            out.append(ch)
        else:
            out.extend(f"_{b:02X}" for b in ch.encode("utf-8"))
    return "".join(out)


# Font 0 letters are narrowed down to this share of their height; text longer than fits then is cut.
_NARROWEST = 0.4


def _fitted(text: str, height: int, room: int, advance: float = 0.55) -> str:
    """^A0 and ^FD for one line of `text` `height` dots tall that stays within `room` dots.

    A printer clips what runs past the label's edge, so a marketplace order number took the
    cross-dock lane off the label. A character of font 0 advances about `advance` of the font
    width: a long line keeps its height and gets narrower letters (^A0N,h,w), down to
    _NARROWEST of the height; what is still too long is cut and ends in "..."."""
    width = height
    if text and advance * width * len(text) > room:
        width = max(round(height * _NARROWEST), int(room / (advance * len(text))), 1)
        fits = int(room / (advance * width))
        if len(text) > fits:
            text = text[:max(1, fits - 3)].rstrip() + "..."
    return f"^A0N,{height},{width}^FH^FD{zpl_text(text)}"


def _zpl_code128_data(data: str) -> str:
    # In ^BC field data ">" starts an invocation code; ">0" is the ">" character itself.
    return zpl_text(data).replace(">", ">0")


def zpl_label(barcode: str, lines: Sequence[str] = (), *, title: str | None = None,
              size: str = "4x6", dpi: int = 203, copies: int = 1, subtitle: str | None = None,
              matrix: str | None = None, matrix_kind: str = "datamatrix",
              ean13: str | None = None) -> str:
    """One ZPL format: optional title and subtitle, text lines, and a Code 128 of `barcode` at
    the foot with its text under it. On 4x6 stock a band above the Code 128 may carry a 2D
    code (`matrix`: Data Matrix, or QR with matrix_kind="qrcode") and an EAN-13 (`ean13`).
    Bars land on whole dots; a code too wide, or a label too full, is refused."""
    if size not in _LAYOUT:
        raise PrinterError(f"unknown label size {size!r}; known: {', '.join(_LAYOUT)}")
    if copies < 1:
        raise PrinterError("copies must be at least 1")
    if (matrix or ean13) and size != "4x6":
        raise PrinterError(f"a {size} label has room for its Code 128 only")
    lay = _LAYOUT[size]
    width, height = (round(v * dpi) for v in LABEL_SIZES[size])
    margin, line_h, bar_h = (round(lay[k] * dpi) for k in ("margin", "line", "bar"))
    printable = width - 2 * margin

    try:
        modules = code128_modules(barcode) + 20  # with its quiet zones
    except LabelError as exc:
        raise PrinterError(str(exc)) from None
    module = module_dots(dpi, lay["module_mm"])
    while module > 1 and modules * module > printable:
        module -= 1
    if modules * module > printable:
        raise PrinterError(f"{barcode!r} is too long for a {size} label at {dpi} dpi")

    out = ["^XA", "^CI28", f"^PW{width}", f"^LL{height}", "^LH0,0"]
    y = margin
    if title:
        title_h = round(lay["title"] * dpi)
        # ^A0 letters are about 0.6 of their height wide: a long title gets a smaller font
        title_h = max(line_h, min(title_h, int(printable / (0.6 * len(title)))))
        out.append(f"^FO{margin},{y}{_fitted(title, title_h, printable, 0.6)}^FS")
        y += round(title_h * 1.2)
    if subtitle:
        sub_h = round(lay.get("subtitle", lay["line"]) * dpi)
        sub_h = max(line_h, min(sub_h, int(printable / (0.55 * len(subtitle)))))
        out.append(f"^FO{margin},{y}{_fitted(subtitle, sub_h, printable)}^FS")
        y += round(sub_h * 1.25)
    bar_y = height - margin - line_h - bar_h - line_h // 3
    band_y = bar_y
    band = []
    if matrix or ean13:
        band_h = round(_BAND_IN * dpi)
        band_y = bar_y - band_h
        x = margin
        if matrix:
            band.append(_zpl_matrix(matrix, matrix_kind, x, band_y, dpi, band_h))
            x += band_h + round(0.15 * dpi)
        if ean13:
            band.append(_zpl_ean13(ean13, x, band_y, dpi, band_h, width - margin))
    for line in lines:
        if y + line_h > band_y:
            raise PrinterError(f"too many lines for a {size} label")
        out.append(f"^FO{margin},{y}{_fitted(line, line_h, printable)}^FS")
        y += round(line_h * 1.25)
    if y > band_y + line_h // 2:
        raise PrinterError(f"too many lines for a {size} label")
    out.extend(band)
    bar_x = margin + 10 * module  # quiet zone left of the bars
    out.append(f"^FO{bar_x},{bar_y}^BY{module},3,{bar_h}"
               f"^BCN,{bar_h},N,N,N,A^FH^FD{_zpl_code128_data(barcode)}^FS")
    out.append(f"^FO{bar_x},{height - margin - line_h}^A0N,{line_h},{line_h}"
               f"^FH^FD{zpl_text(barcode)}^FS")
    if copies > 1:
        out.append(f"^PQ{copies}")
    out.append("^XZ")
    return "\n".join(out) + "\n"


# Height of the band for a 2D code and an EAN-13 on a 4x6 label, in inches.
_BAND_IN = 1.3


def _zpl_matrix(data: str, kind: str, x: int, y: int, dpi: int, space: int) -> str:
    """A Data Matrix (^BX, ECC 200) or QR code (^BQ, model 2, level M) at (x, y), within a
    square of `space` dots; 2D codes in ZPL data are plain ASCII here (checked)."""
    if not data or not data.isascii() or not data.isprintable() or "~" in data or "_" in data:
        raise PrinterError(f"2D code data must be printable ASCII without ~ or _: {data!r}")
    module = module_dots(dpi, 1.0)
    if kind not in ("datamatrix", "qrcode"):
        raise PrinterError(f"unknown 2D code kind {kind!r}")
    import zxingcpp  # only to know the symbol's size in modules, for fitting it

    try:
        if kind == "datamatrix":
            symbol = zxingcpp.create_barcode(data, zxingcpp.BarcodeFormat.DataMatrix, force_square=True)
        else:
            symbol = zxingcpp.create_barcode(data, zxingcpp.BarcodeFormat.QRCode, ec_level="M")
    except (ValueError, RuntimeError) as exc:
        raise PrinterError(f"cannot encode {data!r} as {kind}: {exc}") from None
    n = symbol.to_image(scale=1, add_quiet_zones=False).shape[1] + (4 if kind == "datamatrix" else 8)
    while module > 1 and n * module > space:
        module -= 1
    if n * module > space:
        raise PrinterError(f"{data!r} is too long for a {kind} on this label")
    if kind == "datamatrix":
        return f"^FO{x},{y}^BXN,{module},200^FD{data}^FS"
    # ^BQ's origin includes a margin; its magnification is the module size (at most 10)
    return f"^FO{x},{y}^BQN,2,{min(module, 10)}^FDMA,{data}^FS"


def _zpl_ean13(gtin: str, x: int, y: int, dpi: int, height: int, right: int) -> str:
    """An EAN-13 (^BE) from 12 digits, or 13 with a correct check digit, quiet zones inside
    [x, right]; the printer adds the check digit and the digits under the bars."""
    from hardware.barcodes import _ean_check_digit

    gtin = str(gtin).strip()
    if not (gtin.isdigit() and len(gtin) in (12, 13)):
        raise PrinterError(f"an EAN-13 is 12 or 13 digits, not {gtin!r}")
    if len(gtin) == 13 and _ean_check_digit(gtin[:12]) != gtin[12]:
        raise PrinterError(f"{gtin} has a wrong check digit")
    module = module_dots(dpi, 0.33)
    while module > 1 and (95 + 22) * module > right - x:
        module -= 1
    bars_h = height - round(0.2 * dpi)  # room for the digits under the bars
    return f"^FO{x + 11 * module},{y}^BY{module}^BEN,{bars_h},Y,N^FD{gtin[:12]}^FS"
