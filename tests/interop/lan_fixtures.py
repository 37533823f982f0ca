"""Helpers for the LAN interop tests: a scripted SCPI instrument on a raw socket, visa-serve as a
gateway (in front of that instrument or of simulated instruments), a private network namespace for
the tests that need port 111, and a small runner of named checks.

A script that cannot run here calls skip(reason): one line on stderr, exit code 77 (registered as
CTest's SKIP_RETURN_CODE), never 0."""
import os
import queue
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import traceback

BUILD_DIR = os.environ.get("CPPVISA_BUILD_DIR", os.path.join(os.path.dirname(__file__), "..", "..", "build"))
SOURCE_DIR = os.environ.get("CPPVISA_SOURCE_DIR", os.path.join(os.path.dirname(__file__), "..", ".."))
VISA_SERVE = os.environ.get("CPPVISA_VISA_SERVE") or os.path.join(BUILD_DIR, "tools", "visa-serve")
LIBVISA = os.path.join(BUILD_DIR, "src", "cabi", "libvisa.so")
SIM_DATA = os.path.join(SOURCE_DIR, "tests", "data", "sim")

SKIP = 77
IDN = "CPPVISA,INTEROP-FAKE,0,1.0"
# cppvisa's simulated oscilloscope (data/sim/oscilloscope.yaml, in the bundled default set).
SCOPE = "TCPIP0::sim-scope::inst0::INSTR"
SCOPE_IDN = "CPPVISA,SIMSCOPE-1000,SIM0001,1.0"


def skip(reason):
    """This script cannot run here: say why on one line of stderr and exit 77."""
    print(f"SKIP: {reason}", file=sys.stderr, flush=True)
    sys.exit(SKIP)


def require_built(*paths):
    for path in paths:
        if not os.path.exists(path):
            skip(f"{path} is not built (CPPVISA_BUILD_TOOLS / CPPVISA_BUILD_CABI off?)")


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


def endpoint_kind(name):
    """'socket', 'hislip' or 'vxi11' for a resource name visa-serve printed."""
    upper = name.upper()
    if upper.endswith("::SOCKET"):
        return "socket"
    if "::HISLIP" in upper:
        return "hislip"
    return "vxi11"


class VisaServe:
    """visa-serve serving `resources` (a name or a list) with `args` (--socket/--vxi11/--hislip/
    --portmapper ...), opened with `backend` (default the simulated instruments: --sim). Waits for
    one printed line per resource and endpoint ("<name a client opens> serves <resource>", VXI-11
    adding a gpibB,P alias per GPIB resource). `prefix` runs it under another command (unshare).
    Usable as a context manager; stop() checks it exits 0 on SIGTERM."""

    def __init__(self, resources, *args, backend=("--sim",), prefix=(), startup_timeout=20):
        require_built(VISA_SERVE)
        self.resources = [resources] if isinstance(resources, str) else list(resources)
        self.stderr = tempfile.TemporaryFile(mode="w+")
        cmd = [*prefix, VISA_SERVE, *backend]
        for r in self.resources:
            cmd += ["--resource", r]
        cmd += list(args)
        self.process = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=self.stderr, text=True)
        expected = 0
        for a in args:
            if a in ("--socket", "--vxi11", "--hislip"):
                expected += len(self.resources)
            if a == "--vxi11":
                expected += sum(1 for r in self.resources if r.upper().startswith("GPIB"))
        self.lines = []
        lines = queue.Queue()
        threading.Thread(target=self._pump, args=(lines,), daemon=True).start()
        deadline = time.monotonic() + startup_timeout
        while len(self.lines) < expected:
            try:
                line = lines.get(timeout=max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                self.process.kill()
                self.process.wait()
                raise RuntimeError(f"visa-serve printed {self.lines} in {startup_timeout} s, expected {expected} "
                                   f"lines: {self.errors()}")
            if line is None:
                self.process.wait()
                raise RuntimeError(f"visa-serve {' '.join(cmd[len(prefix):])} exited with {self.process.returncode} "
                                   f"after {self.lines}: {self.errors()}")
            self.lines.append(line.strip())

    def _pump(self, lines):
        for line in self.process.stdout:
            lines.put(line)
        lines.put(None)

    def errors(self):
        self.stderr.seek(0)
        return self.stderr.read()

    def names(self, kind):
        """The names of one kind ('socket', 'vxi11', 'hislip'), in the order printed."""
        return [line.split()[0] for line in self.lines if endpoint_kind(line.split()[0]) == kind]

    def name(self, suffix_or_kind):
        if suffix_or_kind in ("socket", "vxi11", "hislip"):
            names = self.names(suffix_or_kind)
            if names:
                return names[0]
        for line in self.lines:
            if line.split()[0].endswith(suffix_or_kind):
                return line.split()[0]
        raise KeyError(f"{suffix_or_kind} not in {self.lines}")

    def socket_port(self):
        return int(self.name("socket").split("::")[2])

    def stop(self):
        if self.process.poll() is None:
            self.process.terminate()
        try:
            code = self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
            raise RuntimeError("visa-serve did not stop within 20 s of SIGTERM")
        if code != 0:
            raise RuntimeError(f"visa-serve exited with {code}: {self.errors()}")

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()


class Port111Lock:
    """Serialises the tests that bind 127.0.0.1:111 of the host (ctest -j runs them in parallel);
    not needed inside a private network namespace."""

    def __enter__(self):
        import fcntl
        self.file = None
        if os.environ.get("CPPVISA_INTEROP_NETNS") != "1":
            self.file = open(os.path.join("/tmp", "cppvisa-interop-port111.lock"), "w")
            fcntl.flock(self.file, fcntl.LOCK_EX)
        return self

    def __exit__(self, *exc):
        if self.file:
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


def unshare_flags():
    """unshare(1) options for a new network namespace (as root; else in a new user namespace)."""
    return ["-n"] if os.geteuid() == 0 else ["-r", "-n"]


def netns_available():
    unshare, ip = shutil.which("unshare"), shutil.which("ip")
    if not unshare or not ip:
        return False
    probe = subprocess.run([unshare, *unshare_flags(), ip, "link", "set", "lo", "up"], capture_output=True, timeout=20)
    return probe.returncode == 0


def in_private_netns():
    return os.environ.get("CPPVISA_INTEROP_NETNS") == "1"


def need_port_111():
    """For the tests whose clients always ask the portmapper on 127.0.0.1:111 (liblxi, Debian's
    PyVISA-py): re-executes this script in a private network namespace (loopback only, up), where
    port 111 is ours and parallel tests never meet; without one (no unshare/ip, or not allowed),
    runs on the host if 127.0.0.1:111 can be bound, else skips (77). Returns only when port 111 may
    be used (callers still hold Port111Lock for the host case)."""
    if in_private_netns():
        print("(in a private network namespace)", flush=True)
        return
    if netns_available():
        sys.stdout.flush()
        sys.stderr.flush()
        env = dict(os.environ, CPPVISA_INTEROP_NETNS="1")
        script = os.path.abspath(sys.argv[0])
        os.execvpe("unshare", ["unshare", *unshare_flags(), "sh", "-c", 'ip link set lo up && exec "$@"', "sh",
                               sys.executable, script, *sys.argv[1:]], env)
    if not port_111_free():
        skip("no private network namespace (unshare -n / ip) and 127.0.0.1:111 cannot be bound "
             "(not root, or a portmapper runs there): this client always asks the portmapper on port 111")


def run_checks(checks):
    """Runs each (name, function) and reports PASS/FAIL per check (a failing check does not hide
    the next ones); returns the exit code: 0 when all passed, 1 otherwise."""
    failed = []
    for name, check in checks:
        start = time.monotonic()
        try:
            check()
            print(f"PASS: {name} ({time.monotonic() - start:.1f} s)", flush=True)
        except Exception as e:  # noqa: BLE001 - report every failure, then go on
            failed.append(name)
            print(f"FAIL: {name} ({time.monotonic() - start:.1f} s): {type(e).__name__}: {e}", flush=True)
            if not isinstance(e, AssertionError):
                traceback.print_exc(file=sys.stdout)
    if failed:
        print(f"{len(failed)} of {len(checks)} checks failed: {', '.join(failed)}", flush=True)
        return 1
    print(f"all {len(checks)} checks passed", flush=True)
    return 0


def expect_equal(actual, expected, what):
    if actual != expected:
        raise AssertionError(f"{what}: got {actual!r}, expected {expected!r}")


def import_pyvisa(with_pyvisa_py=False):
    """Debian's PyVISA (and PyVISA-py), or skip (77) when they are not installed."""
    try:
        import pyvisa
        if with_pyvisa_py:
            import pyvisa_py  # noqa: F401
    except ImportError as e:
        skip(f"Debian's python3-pyvisa{' / python3-pyvisa-py' if with_pyvisa_py else ''} is not importable: {e}")
    return pyvisa
