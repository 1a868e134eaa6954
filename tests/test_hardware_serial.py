"""SerialScanner against a real pseudo-terminal standing in for the scanner's serial port (the
`port` fixture, tests/conftest.py)."""

import os
import queue

import pytest

from hardware.scanners import ScannerError, ScannerStatus, SerialScanner
from tests.fakeports import FakeSerialPort


@pytest.fixture
def scans():
    return queue.Queue()


@pytest.fixture
def scanner(port, scans):
    statuses = []
    s = SerialScanner(port.path, scans.put, reconnect_interval=0.05, read_timeout=0.05,
                      on_status=statuses.append)
    s.statuses = statuses
    s.start()
    assert s.wait_for(ScannerStatus.CONNECTED)
    yield s
    s.stop()


def received(scans, n, timeout=3.0):
    return [scans.get(timeout=timeout) for _ in range(n)]


def test_it_delivers_each_scan_ended_by_cr_lf_or_crlf(port, scanner, scans):
    port.send(b"RMA-2024-00017\r\nRI00000002\r4006381333931\n")
    assert received(scans, 3) == ["RMA-2024-00017", "RI00000002", "4006381333931"]
    assert scanner.scans == 3


def test_a_scan_split_across_reads_arrives_whole(port, scanner, scans):
    port.send(b"RMA-20")
    port.send(b"24-00")
    assert scans.empty()
    port.send(b"017\r")
    port.send(b"\n")  # the LF of a CRLF arriving late makes no empty scan
    port.send(b"RI1\r\n")
    assert received(scans, 2) == ["RMA-2024-00017", "RI1"]


def test_the_gs1_group_separator_survives(port, scanner, scans):
    port.send(b"]C10109506000134352" + b"21SN42\x1d10LOT7\r\n")
    assert received(scans, 1) == ["]C1010950600013435221SN42\x1d10LOT7"]


def test_bytes_that_are_not_utf8_are_kept_not_dropped(port, scanner, scans):
    port.send(b"caf\xe9\r\n")
    assert received(scans, 1) == ["caf\xe9"]


def test_a_failing_consumer_does_not_stop_the_scanner(port, tmp_path):
    got = queue.Queue()

    def consumer(raw):
        if raw == "BAD":
            raise RuntimeError("parser crashed")
        got.put(raw)

    s = SerialScanner(port.path, consumer, reconnect_interval=0.05, read_timeout=0.05)
    s.start()
    try:
        assert s.wait_for(ScannerStatus.CONNECTED)
        port.send(b"BAD\r\nGOOD\r\n")
        assert received(got, 1) == ["GOOD"]
        assert s.status is ScannerStatus.CONNECTED
    finally:
        s.stop()


def test_it_reconnects_after_the_scanner_is_unplugged_and_plugged_back(port, scanner, scans):
    port.send(b"BEFORE\r\n")
    assert received(scans, 1) == ["BEFORE"]

    port.unplug()
    assert scanner.wait_for(ScannerStatus.DISCONNECTED)
    assert scanner.last_error

    port.plug()
    assert scanner.wait_for(ScannerStatus.CONNECTED)
    port.send(b"AFTER\r\n")
    assert received(scans, 1) == ["AFTER"]
    assert scanner.statuses == [ScannerStatus.CONNECTING, ScannerStatus.CONNECTED,
                                ScannerStatus.DISCONNECTED, ScannerStatus.CONNECTED]


def test_a_scanner_missing_at_start_connects_when_it_appears(tmp_path, scans):
    path = str(tmp_path / "ttyUSB0")
    s = SerialScanner(path, scans.put, reconnect_interval=0.05, read_timeout=0.05)
    s.start()
    try:
        assert s.wait_for(ScannerStatus.DISCONNECTED)
        fake = FakeSerialPort(path)
        try:
            assert s.wait_for(ScannerStatus.CONNECTED)
            fake.send(b"LATE\n")
            assert received(scans, 1) == ["LATE"]
        finally:
            s.stop()
            fake.close()
    finally:
        s.stop()
    assert s.status is ScannerStatus.STOPPED


def test_it_cannot_be_started_twice(scanner):
    with pytest.raises(ScannerError):
        scanner.start()


def test_stop_closes_the_port_so_another_program_can_open_it(port, scanner):
    import serial

    with pytest.raises(serial.SerialException):
        serial.Serial(port.path, exclusive=True)  # held by our reader thread
    scanner.stop()
    serial.Serial(port.path, exclusive=True).close()


def send_all(port, data: bytes):
    """Write everything, however long the reader takes (a pty takes a few kB at a time)."""
    view = memoryview(data)
    while view:
        view = view[os.write(port.master, view[:65536]):]


def test_megabytes_of_noise_without_a_line_end_are_dropped_and_the_next_scan_arrives_at_once(port, scanner, scans):
    # a scanner (or a scale on the wrong port) at the wrong baud rate sends junk without CR/LF;
    # the buffer used to grow without end and be copied again on every read: 4 MB took ~7 s
    import threading
    import time

    writer = threading.Thread(target=send_all, args=(port, b"\xfeB" * 2_000_000 + b"\r\nRMA-2024-00017\r\n"))
    started = time.monotonic()
    writer.start()
    assert received(scans, 1, timeout=10) == ["RMA-2024-00017"]  # the junk line itself never scans
    writer.join(10)
    assert time.monotonic() - started < 3
    assert scanner.dropped == 1 and scanner.scans == 1
    port.send(b"RI1\r\n")
    assert received(scans, 1) == ["RI1"]


def test_the_longest_line_a_scanner_may_send_still_scans(port, scanner, scans):
    from hardware.scanners import MAX_LINE_BYTES

    threading = __import__("threading")
    threading.Thread(target=send_all, args=(port, b"Q" * MAX_LINE_BYTES + b"\r\n" + b"Q" * (MAX_LINE_BYTES + 1)
                                            + b"\r\nNEXT\r\n")).start()
    assert received(scans, 2) == ["Q" * MAX_LINE_BYTES, "NEXT"]
    assert scanner.dropped == 1
