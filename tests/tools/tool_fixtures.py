"""Helpers for the tool tests: paths of the built tools, skip() (lan_fixtures' own), and a program driven through a
pseudo-terminal (what a person at a terminal sees)."""
import os
import pty
import select
import signal
import sys
import termios
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "interop"))
from lan_fixtures import SKIP, require_built, skip  # noqa: E402,F401

BUILD_DIR = os.path.abspath(os.environ.get("CPPVISA_BUILD_DIR", os.path.join(os.path.dirname(__file__), "..", "..", "build")))
SOURCE_DIR = os.environ.get("CPPVISA_SOURCE_DIR", os.path.join(os.path.dirname(__file__), "..", ".."))
TOOLS = os.path.join(BUILD_DIR, "tools")
VISA = os.path.join(TOOLS, "visa")
VISA_SHELL = os.path.join(TOOLS, "visa-shell")
VISA_SERVE = os.path.join(TOOLS, "visa-serve")
LIBVISA = os.path.join(BUILD_DIR, "src", "cabi", "libvisa.so")


class PtyProgram:
    """A program on a pseudo-terminal: send() types, expect() waits for text on the screen."""

    def __init__(self, argv, env=None):
        self.pid, self.fd = pty.fork()
        if self.pid == 0:
            os.execve(argv[0], argv, env if env is not None else os.environ)
        self.screen = ""
        self.seen = 0  # expect() searches after what it matched last

    def send(self, text, editor=True):
        """Types `text`; with `editor`, first waits until a line editor has the terminal (canonical
        mode off): keys typed before then are the terminal driver's (echoed, ^D an end of file)."""
        if editor:
            deadline = time.monotonic() + 10
            while termios.tcgetattr(self.fd)[3] & termios.ICANON:
                if time.monotonic() > deadline:
                    raise AssertionError(f"no line editor took the terminal; screen: {self.screen!r}")
                self._pump(0.01)
        os.write(self.fd, text.encode())

    def _pump(self, timeout):
        ready, _, _ = select.select([self.fd], [], [], timeout)
        if not ready:
            return False
        try:
            data = os.read(self.fd, 65536)
        except OSError:
            return False
        if not data:
            return False
        self.screen += data.decode(errors="replace")
        return True

    def expect(self, text, timeout=10):
        deadline = time.monotonic() + timeout
        while True:
            at = self.screen.find(text, self.seen)
            if at >= 0:
                self.seen = at + len(text)
                return
            left = deadline - time.monotonic()
            if left <= 0 or not self._pump(left):
                if text in self.screen[self.seen:]:
                    continue
                raise AssertionError(f"{text!r} not on the screen within {timeout} s; screen after the last "
                                     f"match:\n{self.screen[self.seen:]!r}")

    def wait(self, timeout=10):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self._pump(0.1)
            pid, status = os.waitpid(self.pid, os.WNOHANG)
            if pid == self.pid:
                return os.waitstatus_to_exitcode(status)
        raise TimeoutError(f"the program did not end within {timeout} s")

    def kill(self):
        try:
            os.kill(self.pid, signal.SIGKILL)
            os.waitpid(self.pid, 0)
        except (ProcessLookupError, ChildProcessError):
            pass
