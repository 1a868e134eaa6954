"""A pseudo-terminal standing in for a serial device (scanner, scale) at a fixed path."""
import os


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
