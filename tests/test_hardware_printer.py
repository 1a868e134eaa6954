"""ZplPrinter against a real TCP listener on 127.0.0.1 standing in for a Zebra printer."""

import socket
import threading

import pytest

from hardware.decode import decode_image
from hardware.printers import PrinterError, PrinterOffline, PrinterStatus, ZplPrinter, parse_host_status, zpl_label, zpl_text
from tests.fakeports import free_port


def hs_reply(paper_out=0, paused=0, formats=0, head_up=0, ribbon_out=0, remaining=0, over_temp=0):
    """The three <STX>...<ETX><CR><LF> strings a Zebra sends back for ~HS."""
    one = f"030,{paper_out},{paused},1218,{formats:03d},0,0,0,000,0,0,{over_temp}"
    two = f"001,0,{head_up},{ribbon_out},0,2,6,0,{remaining:08d},1,000"
    three = "1234,0"
    return b"".join(b"\x02" + s.encode() + b"\x03\r\n" for s in (one, two, three))


class FakeZebra:
    """Accepts connections on 127.0.0.1:<free port>; keeps what each one sent; answers ~HS
    with `status_reply` (None: stays silent, as a Zebra with its head open does)."""

    def __init__(self, status_reply=hs_reply()):
        self.status_reply = status_reply
        self.jobs = []
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self):
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            with conn:
                conn.settimeout(2)
                data = b""
                try:
                    while True:
                        chunk = conn.recv(65536)
                        if not chunk:
                            break
                        data += chunk
                        if data == b"~HS":
                            if self.status_reply is not None:
                                conn.sendall(self.status_reply)
                            break
                except OSError:
                    pass
                self.jobs.append(data)
                if data == b"~HS" and self.status_reply is None:
                    threading.Event().wait(1)  # silent, holding the connection open

    def close(self):
        self.sock.close()


@pytest.fixture
def zebra():
    z = FakeZebra()
    yield z
    z.close()


def wait_for_jobs(zebra, n):
    for _ in range(200):
        if len(zebra.jobs) >= n:
            return zebra.jobs
        threading.Event().wait(0.01)
    raise AssertionError(f"printer received {len(zebra.jobs)} jobs, expected {n}")


def test_it_sends_the_zpl_bytes_exactly_as_built(zebra):
    zpl = zpl_label("RI00001234", ["Bin A-12-03"], title="RESTOCK")
    ZplPrinter("127.0.0.1", zebra.port, timeout=2).print_label(zpl)
    assert wait_for_jobs(zebra, 1) == [zpl.encode("ascii")]


def test_each_label_is_its_own_connection(zebra):
    printer = ZplPrinter("127.0.0.1", zebra.port, timeout=2)
    printer.print_label(zpl_label("RI1"))
    printer.print_label(b"^XA^FO10,10^FDraw^FS^XZ")
    jobs = wait_for_jobs(zebra, 2)
    assert jobs[0].startswith(b"^XA") and b"^FDRI1^FS" in jobs[0]
    assert jobs[1] == b"^XA^FO10,10^FDraw^FS^XZ"


def test_the_label_is_one_utf8_format_with_a_code128_on_whole_dots():
    zpl = zpl_label("RI00001234", ["Bin A-12-03"], title="RESTOCK", size="4x6", dpi=203)
    lines = zpl.splitlines()
    assert lines[0] == "^XA" and lines[-1] == "^XZ"
    assert "^CI28" in lines and "^PW812" in lines and "^LL1218" in lines
    assert any(line.endswith("^BY3,3,203^BCN,203,N,N,N,A^FH^FDRI00001234^FS") for line in lines)
    assert zpl.isascii()


def test_text_is_escaped_so_it_cannot_inject_zpl_commands():
    zpl = zpl_label("RI1", ["Größe ^XZ~JA _x"])
    assert "^FDGr_C3_B6_C3_9Fe _5EXZ_7EJA _5Fx^FS" in zpl
    assert zpl.count("^XZ") == 1
    assert zpl_text("a>b") == "a>b"  # ">" only matters inside barcode data


def test_a_greater_than_sign_in_barcode_data_is_written_as_its_invocation_code():
    assert "^FDRI>0A^FS" in zpl_label("RI>A")


def test_copies_become_a_print_quantity():
    assert "^PQ3" in zpl_label("RI1", copies=3)
    with pytest.raises(PrinterError):
        zpl_label("RI1", copies=0)


def test_a_barcode_too_long_or_too_many_lines_is_refused():
    with pytest.raises(PrinterError, match="too long"):
        zpl_label("X" * 60, size="2x1")
    with pytest.raises(PrinterError, match="too many lines"):
        zpl_label("RI1", ["line"] * 5, title="T", size="2x1")
    with pytest.raises(PrinterError):
        zpl_label("café")  # not Code 128


@pytest.mark.parametrize("size,dpi", [("4x6", 203), ("4x6", 300), ("2x1", 203), ("2x1", 300)])
def test_the_label_rendered_offline_scans_back(size, dpi):
    zplkit = pytest.importorskip("zplkit")  # test-only dependency: the ZPL as a printer draws it
    zpl = zpl_label("RI-00001234>x", ["Bin A-12-03"], title="RESTOCK", size=size, dpi=dpi)
    scene = zplkit.render(zpl, zplkit.Options(dpi=dpi)).labels[0]
    assert (scene.width, scene.height) == (int(size[0]) * dpi, int(size[2]) * dpi)
    assert decode_image(scene.png()) == [{"symbology": "code128", "data": "RI-00001234>x"}]


@pytest.mark.parametrize("reply,status", [
    (hs_reply(), PrinterStatus.READY),
    (hs_reply(formats=2), PrinterStatus.PRINTING),
    (hs_reply(remaining=5), PrinterStatus.PRINTING),
    (hs_reply(paused=1), PrinterStatus.PAUSED),
    (hs_reply(paper_out=1, paused=1), PrinterStatus.PAPER_OUT),
    (hs_reply(ribbon_out=1), PrinterStatus.RIBBON_OUT),
    (hs_reply(head_up=1, paper_out=1), PrinterStatus.HEAD_OPEN),
    (hs_reply(over_temp=1), PrinterStatus.FAULT),
])
def test_status_polls_with_tilde_hs_and_reads_the_flags(reply, status):
    zebra = FakeZebra(reply)
    try:
        assert ZplPrinter("127.0.0.1", zebra.port, timeout=2).status() is status
        assert wait_for_jobs(zebra, 1) == [b"~HS"]
    finally:
        zebra.close()


def test_host_status_gives_the_numbers_too(zebra):
    zebra.status_reply = hs_reply(formats=4, remaining=12)
    hs = ZplPrinter("127.0.0.1", zebra.port, timeout=2).host_status()
    assert (hs.formats_in_buffer, hs.labels_remaining, hs.label_length_dots) == (4, 12, 1218)


def test_a_printer_that_stays_silent_is_a_fault_not_offline():
    zebra = FakeZebra(status_reply=None)
    try:
        printer = ZplPrinter("127.0.0.1", zebra.port, timeout=0.3)
        assert printer.status() is PrinterStatus.FAULT
        with pytest.raises(PrinterError, match="did not answer"):
            printer.host_status()
    finally:
        zebra.close()


def test_a_printer_nobody_answers_for_is_offline_and_printing_to_it_fails():
    printer = ZplPrinter("127.0.0.1", free_port(), timeout=0.5)
    assert printer.status() is PrinterStatus.OFFLINE
    with pytest.raises(PrinterOffline):
        printer.print_label(zpl_label("RI1"))
    assert issubclass(PrinterOffline, PrinterError)


def test_a_garbled_status_reply_is_a_printer_error():
    with pytest.raises(PrinterError):
        parse_host_status(b"HTTP/1.1 400 Bad Request\r\n\r\n")
    with pytest.raises(PrinterError):
        parse_host_status(b"\x02a,b,c\x03\r\n\x02d\x03\r\n")
