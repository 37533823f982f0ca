"""Helpers for the LAN interop tests: a scripted SCPI instrument on a raw socket, and visa-serve
as a gateway in front of it (so the tests need no simulated-instrument backend)."""
import os
import socket
import subprocess
import sys
import threading

BUILD_DIR = os.environ.get("CPPVISA_BUILD_DIR", os.path.join(os.path.dirname(__file__), "..", "..", "build"))
VISA_SERVE = os.path.join(BUILD_DIR, "tools", "visa-serve")

IDN = "CPPVISA,INTEROP-FAKE,0,1.0"


class FakeInstrument:
    """A tiny SCPI instrument on 127.0.0.1:<free port>: *IDN?, ECHO? <text>, BLOCK? <n>, *STB?."""

    def __init__(self):
        self.listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(8)
        self.port = self.listener.getsockname()[1]
        self.thread = threading.Thread(target=self._accept, daemon=True)
        self.thread.start()

    def _accept(self):
        while True:
            try:
                conn, _ = self.listener.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn):
        buffer = b""
        with conn:
            while True:
                try:
                    data = conn.recv(65536)
                except OSError:
                    return
                if not data:
                    return
                buffer += data
                while b"\n" in buffer:
                    line, buffer = buffer.split(b"\n", 1)
                    reply = self._answer(line.strip())
                    if reply is not None:
                        conn.sendall(reply)

    @staticmethod
    def _answer(command):
        if command == b"*IDN?":
            return (IDN + "\n").encode()
        if command.startswith(b"ECHO? "):
            return command[6:] + b"\n"
        if command.startswith(b"BLOCK? "):
            n = int(command[7:])
            digits = str(n).encode()
            return b"#" + str(len(digits)).encode() + digits + bytes(i & 0xFF for i in range(n)) + b"\n"
        if command == b"*STB?":
            return b"0\n"
        return None

    def close(self):
        self.listener.close()


class VisaServe:
    """visa-serve in front of `resource` (opened with the native backend, or with `backend` args
    such as ["--sim"]); `lines` are the endpoints it printed."""

    def __init__(self, resource, *args, backend=("--backend", "@native")):
        if not os.path.exists(VISA_SERVE):
            print(f"SKIP: {VISA_SERVE} is not built", file=sys.stderr)
            sys.exit(0)
        self.process = subprocess.Popen(
            [VISA_SERVE, *backend, "--resource", resource, *args],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self.lines = []
        expected = sum(1 for a in args if a in ("--socket", "--vxi11"))
        while len(self.lines) < expected:
            line = self.process.stdout.readline()
            if not line:
                raise RuntimeError("visa-serve exited: " + self.process.stderr.read())
            self.lines.append(line.strip())

    def name(self, suffix):
        for line in self.lines:
            if line.split()[0].endswith(suffix):
                return line.split()[0]
        raise KeyError(suffix)

    def stop(self):
        self.process.terminate()
        code = self.process.wait(timeout=20)
        if code != 0:
            raise RuntimeError(f"visa-serve exited with {code}: {self.process.stderr.read()}")


class Port111Lock:
    """Serialises the tests that bind 127.0.0.1:111 (ctest -j runs them in parallel)."""

    def __enter__(self):
        import fcntl
        self.file = open(os.path.join("/tmp", "cppvisa-interop-port111.lock"), "w")
        fcntl.flock(self.file, fcntl.LOCK_EX)
        return self

    def __exit__(self, *exc):
        self.file.close()


def port_111_free():
    """Whether this process may bind 127.0.0.1:111 (TCP and UDP): root and nothing else there."""
    try:
        for kind in (socket.SOCK_STREAM, socket.SOCK_DGRAM):
            s = socket.socket(socket.AF_INET, kind)
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            s.bind(("127.0.0.1", 111))
            s.close()
        return True
    except OSError:
        return False
