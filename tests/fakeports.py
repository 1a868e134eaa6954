"""Ports for tests: a pseudo-terminal standing in for a serial device (scanner, scale) at a fixed
path, and TCP ports on 127.0.0.1."""
import os
import socket
import time


class FakeSerialPort:
    """The pty's slave end is reachable at `path`, like /dev/ttyACM0.

    unplug() closes the pty and removes the path, as the kernel does when a USB-CDC device is
    pulled; plug() makes a new pty at the same path; send() is the device talking.
    """

    def __init__(self, path):
        self.path = str(path)
        self.master = None
        self.plug()

    def plug(self):
        self.master, self._slave = os.openpty()  # the slave stays open until unplug
        os.symlink(os.ttyname(self._slave), self.path)

    def unplug(self):
        os.unlink(self.path)
        os.close(self.master)
        os.close(self._slave)
        self.master = None

    def send(self, data: bytes):
        os.write(self.master, data)

    def close(self):
        if self.master is not None:
            self.unplug()


def free_port():
    """A TCP port of 127.0.0.1 that nothing listens on (closed on return)."""
    with socket.create_server(("127.0.0.1", 0)) as s:
        return s.getsockname()[1]


def wait_for_port(port, tries=200):
    """Waits until something accepts connections on 127.0.0.1:`port` (a server starting up)."""
    for _ in range(tries):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            time.sleep(0.05)
    raise AssertionError("the server did not start")
