#!/usr/bin/python3
"""compare.py BUILD_DIR: cppvisa side by side with a plain TCP client and its peers, in one run
(issue #18). `make bench` runs it; bench/README.md describes the rows, the ratios and the targets.

Servers (loopback): plain_block_server (a minimal plain-C SCPI server: "*IDN?" gets one line,
":WAV:POIN N" + "CURV?" an N-byte IEEE 488.2 block prepared once in memory) and visa-serve serving
the simulated oscilloscope over raw socket, VXI-11 and HiSLIP ("CURV?": a block of N int8 points
generated while it is sent), and a second visa-serve serving it over HiSLIP with TLS required
(--tls-required; a self-signed certificate made at start by the `openssl` command in a temporary
folder; the clients trust it through a resource options file, CPPVISA_RESOURCE_OPTIONS, that also
says tls_required = on: neither side accepts a plain-text session, so those rows are encrypted). Clients, one process per measurement: compare_c_client (plain POSIX
sockets: the limit; the VISA C API of our libvisa.so; Debian's liblxi), compare_client (cppvisa's
C++ API, also in-process on @sim), compare_pyvisa.py (Debian's PyVISA on PyVISA-py, on our
libvisa.so; PyVISA-sim when installed). Every row is measured once per round, rounds alternate the
rows (in a rotated order) so that load from other processes falls on all; the figures are the
medians over rounds.

Options: --out FILE (default bench/RESULTS.md, with bench/RESULTS.svg beside it), --readme FILE
(a README whose "<!-- compare:begin -->...<!-- compare:end -->" section gets the latest table;
default README.md of the source tree when writing bench/RESULTS.md), --rounds N (3), --no-gb (skip
the 1 GB case), --budget S (no new round after S seconds; default 420), --smoke (one round of few
queries and 1 MB blocks, written under the build tree; exit 1 unless every row has a number or an
explicit skip reason: the CTest smoke run, no timing assertions).
Runs itself in a private network namespace when it can (liblxi and PyVISA-py always ask the
portmapper on port 111); without one, the VXI-11 rows of those two are skipped unless 127.0.0.1:111
can be bound. Exit status: 0; 1 when a row failed (or, in --smoke, lacks a number and a reason)."""
import argparse
import glob
import os
import platform
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
SOURCE = os.path.dirname(HERE)
SCOPE = "TCPIP::sim-scope::INSTR"
GB = 999_999_999  # "1 GB": the largest IEEE 488.2 definite-length block (9 length digits, §8.7.9)
SIZES = {"1 MB": 1_000_000, "100 MB": 100_000_000, "1 GB": GB}


def can_bind_111():
    try:
        for kind in (socket.SOCK_STREAM, socket.SOCK_DGRAM):
            s = socket.socket(socket.AF_INET, kind)
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            s.bind(("127.0.0.1", 111))
            s.close()
        return True
    except OSError:
        return False


def reexec_in_netns():
    """A private network namespace (loopback up): port 111 is ours, nothing else meets us."""
    if os.environ.get("CPPVISA_BENCH_NETNS") == "1" or not shutil.which("unshare") or not shutil.which("ip"):
        return
    flags = ["-n"] if os.geteuid() == 0 else ["-r", "-n"]
    probe = subprocess.run(["unshare", *flags, "ip", "link", "set", "lo", "up"], capture_output=True, timeout=20)
    if probe.returncode != 0:
        return
    sys.stdout.flush()
    env = dict(os.environ, CPPVISA_BENCH_NETNS="1")
    os.execvpe("unshare", ["unshare", *flags, "sh", "-c", 'ip link set lo up && exec "$@"', "sh", sys.executable,
                           os.path.abspath(sys.argv[0]), *sys.argv[1:]], env)


def find(build, *patterns):
    for p in patterns:
        hits = [h for h in glob.glob(os.path.join(build, p)) if os.path.isfile(h) and os.access(h, os.X_OK)]
        if hits:
            return hits[0]
    return None


class Server:
    """A server process printing "<resource> serves <what>" lines; kept until stop()."""

    def __init__(self, cmd, expected, log):
        self.log = open(log, "w+")
        self.process = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=self.log, text=True)
        self.lines = []
        deadline = time.monotonic() + 30
        while len(self.lines) < expected:
            line = self.process.stdout.readline()
            if not line or time.monotonic() > deadline:
                self.stop()
                self.log.seek(0)
                raise RuntimeError(f"{cmd[0]} printed {self.lines}: {self.log.read()[-500:]}")
            if " serves " in line:
                self.lines.append(line.split()[0])

    def name(self, pattern):
        return next((n for n in self.lines if re.search(pattern, n)), None)

    def stop(self):
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def port_of(name):
    return name.split("::")[2]


class Row:
    def __init__(self, key, client, path, server, cmd, sizes=None, queries=True, reason=None, base=None, slow=False,
                 env=None):
        self.key, self.client, self.path, self.server, self.cmd = key, client, path, server, cmd
        self.env = env  # the client's environment (None: this one's)
        self.slow = slow  # tens of MB/s: one timed read of the larger blocks per round
        self.sizes = sizes  # the block sizes it reads (None: all)
        self.queries = queries
        self.reason = reason  # skipped before running: why
        self.base = base  # the key of its plain-client reference row
        self.query = []  # (median us, p99 us) per round
        self.block = {}  # size -> [(median MB/s, best, peak MB)]
        self.failure = None


def run_one(row, args, timeout):
    """Runs one measurement; returns the parsed output lines, or None (row.reason/failure set)."""
    cmd = [*row.cmd, *args]
    try:
        r = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, env=row.env)
    except subprocess.TimeoutExpired:
        row.failure = f"timed out after {timeout} s: {' '.join(args)}"
        return None
    if r.returncode == 77:
        row.reason = (r.stdout.strip().removeprefix("SKIP ") or "skipped").splitlines()[-1]
        return None
    if r.returncode != 0:
        err = (r.stderr.strip() or r.stdout.strip()).splitlines()
        row.failure = f"exit {r.returncode}: {err[-1] if err else ''}"[:200]
        return None
    out = {}
    for line in r.stdout.splitlines():
        f = line.split()
        if f:
            out[f[0]] = [float(x) for x in f[1:] if re.fullmatch(r"[-0-9.e+]+", x)]
    return out


def canonical(name):
    """The canonical form of a TCPIP resource name (board number written out), as the resource
    options file's sections are titled (docs/resource-options.md)."""
    return re.sub(r"^TCPIP::", "TCPIP0::", name, flags=re.I)


def start_tls_server(serve, folder, log):
    """visa-serve serving the scope over HiSLIP with TLS required, its certificate self-signed by the
    `openssl` command, and a resource options file (mode 600) whose section for the served resource
    trusts that certificate. Returns (server, resource, client environment, None) or
    (None, None, None, why it cannot run here)."""
    if not shutil.which("openssl"):
        return None, None, None, "no `openssl` command to make the certificate"
    cert, key = os.path.join(folder, "bench.crt"), os.path.join(folder, "bench.key")
    r = subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
                        "-nodes", "-days", "1", "-subj", "/CN=cppvisa-bench", "-addext", "subjectAltName=IP:127.0.0.1",
                        "-keyout", key, "-out", cert], capture_output=True, text=True, timeout=60)
    if r.returncode != 0:
        err = r.stderr.strip().splitlines()
        return None, None, None, f"openssl could not make a certificate: {err[-1] if err else r.returncode}"
    try:
        server = Server([serve, "--sim", "--resource", SCOPE, "--hislip", "127.0.0.1:0", "--tls-cert", cert,
                         "--tls-key", key, "--tls-required"], 1, log)
    except RuntimeError as e:
        # A build without OpenSSL says so ("TLS: this build of cppvisa has no OpenSSL ...").
        lines = [line for line in str(e).splitlines() if line.strip()]
        return None, None, None, f"visa-serve with TLS did not start: {lines[-1] if lines else e}"[:200]
    resource = server.name(r"hislip")
    options = os.path.join(folder, "resources.ini")
    fd = os.open(options, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(f"[{canonical(resource)}]\ntls_ca_file = {cert}\ntls_required = on\n")
    return server, resource, dict(os.environ, CPPVISA_RESOURCE_OPTIONS=options), None


def machine():
    cpu = "?"
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next((line.split(":", 1)[1].strip() for line in f if line.startswith("model name")), "?")
    except OSError:
        pass
    mem = "?"
    try:
        with open("/proc/meminfo") as f:
            mem = f"{int(f.readline().split()[1]) / 1e6:.0f} GB"
    except OSError:
        pass
    distro = "?"
    try:
        with open("/etc/os-release") as f:
            distro = next((line.split("=", 1)[1].strip().strip('"') for line in f if line.startswith("PRETTY_NAME")), "?")
    except OSError:
        pass
    return f"{cpu}, {os.cpu_count()} CPUs, {mem} RAM, {distro}, Linux {platform.release()}"


def loadavg():
    with open("/proc/loadavg") as f:
        return float(f.read().split()[0])


def med(values):
    return statistics.median(values) if values else None


def fmt(x, digits=0):
    return "-" if x is None else f"{x:.{digits}f}"


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("build")
    p.add_argument("--out")
    p.add_argument("--readme")
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--no-gb", action="store_true")
    p.add_argument("--budget", type=float, default=420)
    p.add_argument("--smoke", action="store_true")
    a = p.parse_args()
    build = os.path.abspath(a.build)
    reexec_in_netns()
    started = time.monotonic()
    in_netns = os.environ.get("CPPVISA_BENCH_NETNS") == "1"
    port111 = in_netns or can_bind_111()

    c_client = find(build, "bench/compare_c_client")
    cpp_client = find(build, "bench/compare_client")
    plain_server = find(build, "bench/plain_block_server")
    serve = find(build, "tools/visa-serve", "tools/visa-serve/visa-serve")
    libvisa = next(iter(sorted(glob.glob(os.path.join(build, "src/cabi/libvisa.so*")))), None)
    missing = [n for n, x in [("compare_c_client", c_client), ("compare_client", cpp_client),
                              ("plain_block_server", plain_server), ("visa-serve", serve)] if not x]
    if missing:
        print(f"compare.py: {', '.join(missing)} not built in {build}", file=sys.stderr)
        return 77 if a.smoke else 2
    pyvisa_client = [sys.executable, os.path.join(HERE, "compare_pyvisa.py")]

    if a.smoke:
        a.rounds, sizes, queries, reads = 1, ["1 MB"], 20, {"1 MB": 2}
        out = a.out or os.path.join(build, "bench", "RESULTS-smoke.md")
    else:
        sizes = ["1 MB", "100 MB"] + ([] if a.no_gb else ["1 GB"])
        queries, reads = 1000, {"1 MB": 20, "100 MB": 3, "1 GB": 1}
        out = a.out or os.path.join(HERE, "RESULTS.md")
    readme = a.readme or (os.path.join(SOURCE, "README.md") if not a.smoke and not a.out else None)
    logdir = os.path.join(build, "bench", "compare-logs")
    os.makedirs(logdir, exist_ok=True)

    os.environ["CPPVISA_DISCOVERY"] = "off"
    load = [loadavg()]
    plain = Server([plain_server, str(max(SIZES[s] for s in sizes)), "127.0.0.1", "0"], 1,
                   os.path.join(logdir, "plain_block_server.log"))
    serve_args = [serve, "--sim", "--resource", SCOPE, "--socket", "127.0.0.1:0", "--vxi11", "127.0.0.1:0",
                  "--hislip", "127.0.0.1:0"]
    if port111:
        serve_args += ["--portmapper", "127.0.0.1:111"]
    served = Server(serve_args, 3, os.path.join(logdir, "visa-serve.log"))
    tls_folder = tempfile.mkdtemp(prefix="cppvisa-bench-tls-")
    tls_served, HT, tls_env, no_tls = start_tls_server(serve, tls_folder, os.path.join(logdir, "visa-serve-tls.log"))
    try:
        P = f"TCPIP::127.0.0.1::{port_of(plain.lines[0])}::SOCKET"
        S = served.name(r"::SOCKET$")
        V = served.name(r"::inst0::INSTR$")
        H = served.name(r"hislip")
        vxi11_std = "TCPIP::127.0.0.1::inst0::INSTR"  # through the portmapper on 111 (liblxi, PyVISA-py)
        no111 = None if port111 else ("no private network namespace and 127.0.0.1:111 is taken: "
                                      "this client always asks the portmapper on port 111")
        no_sim = ("PyVISA-sim not installed on this machine (not packaged by Debian); "
                  "cppvisa's @sim row stands alone")
        big = ["1 MB", "100 MB", "1 GB"]
        rows = [
            Row("plain-P", "plain C client (the limit)", "raw TCP", "plain-C", [c_client, "plain", f"127.0.0.1:{port_of(P)}"], big),
            Row("cpp-P", "cppvisa C++ API", "SOCKET", "plain-C", [cpp_client, "cpp", P], big, base="plain-P"),
            Row("cppv-P", "cppvisa C++ query_binary_values", "SOCKET", "plain-C", [cpp_client, "cpp-values", P],
                queries=False, base="plain-P", slow=True),
            Row("cppi-P", "cppvisa C++ query_binary_values_into", "SOCKET", "plain-C", [cpp_client, "cpp-into", P], big,
                queries=False, base="plain-P"),
            Row("c-P", "cppvisa C API (libvisa.so)", "SOCKET", "plain-C", [c_client, "visa", P], big, base="plain-P"),
            Row("lxi-P", "liblxi 1.18", "raw", "plain-C", [c_client, "lxi-raw", f"127.0.0.1:{port_of(P)}"], base="plain-P"),
            Row("pypy-P", "PyVISA-py 0.5.1", "SOCKET", "plain-C", [*pyvisa_client, "@py", P], base="plain-P", slow=True),
            Row("pyours-P", "PyVISA 1.11 on our libvisa.so", "SOCKET", "plain-C", [*pyvisa_client, libvisa or "-", P],
                reason=None if libvisa else "libvisa.so not built (-DCPPVISA_BUILD_CABI=OFF)", base="plain-P", slow=True),
            Row("plain-S", "plain C client", "raw TCP", "visa-serve", [c_client, "plain", f"127.0.0.1:{port_of(S)}"], big,
                base="plain-P"),
            Row("cpp-S", "cppvisa C++ API", "SOCKET", "visa-serve", [cpp_client, "cpp", S], base="plain-S"),
            Row("cpp-V", "cppvisa C++ API", "VXI-11", "visa-serve", [cpp_client, "cpp", V], base="plain-S"),
            Row("cpp-H", "cppvisa C++ API", "HiSLIP", "visa-serve", [cpp_client, "cpp", H], big, base="plain-S"),
            Row("c-S", "cppvisa C API (libvisa.so)", "SOCKET", "visa-serve", [c_client, "visa", S], base="plain-S"),
            Row("c-V", "cppvisa C API (libvisa.so)", "VXI-11", "visa-serve", [c_client, "visa", V], base="plain-S"),
            Row("c-H", "cppvisa C API (libvisa.so)", "HiSLIP", "visa-serve", [c_client, "visa", H], base="plain-S"),
            Row("cpp-HT", "cppvisa C++ API", "HiSLIP + TLS", "visa-serve", [cpp_client, "cpp", HT or "-"], big,
                reason=no_tls, base="plain-S", env=tls_env),
            Row("c-HT", "cppvisa C API (libvisa.so)", "HiSLIP + TLS", "visa-serve", [c_client, "visa", HT or "-"],
                reason=no_tls, base="plain-S", env=tls_env),
            Row("lxi-V", "liblxi 1.18", "VXI-11", "visa-serve", [c_client, "lxi-vxi11", "127.0.0.1:inst0"], reason=no111,
                base="plain-S"),
            Row("pypy-S", "PyVISA-py 0.5.1", "SOCKET", "visa-serve", [*pyvisa_client, "@py", S], base="plain-S", slow=True),
            Row("pypy-V", "PyVISA-py 0.5.1", "VXI-11", "visa-serve", [*pyvisa_client, "@py", vxi11_std], reason=no111,
                base="plain-S", slow=True),
            Row("pyours-V", "PyVISA 1.11 on our libvisa.so", "VXI-11", "visa-serve",
                [*pyvisa_client, libvisa or "-", V], reason=None if libvisa else "libvisa.so not built", base="plain-S",
                slow=True),
            Row("cpp-sim", "cppvisa C++ API, @sim", "in-process", "simulated scope",
                [cpp_client, "cpp", SCOPE, "--backend", "@sim"], big, base="plain-P"),
            Row("pysim", "PyVISA-sim", "in-process", "its default instrument",
                [*pyvisa_client, "@sim", "TCPIP0::localhost::inst0::INSTR"], [], base="plain-P"),
        ]
        by_key = {r.key: r for r in rows}
        # PyVISA-sim's default instrument has no block: queries only; its absence is a note.
        try:
            import pyvisa_sim  # noqa: F401
        except ImportError:
            by_key["pysim"].reason = no_sim

        def measure(row, case, timeout):
            if row.reason or row.failure:
                return
            if case == "query":
                if not row.queries:
                    return
                res = run_one(row, ["--queries", str(queries)], timeout)
                if res and "QUERY" in res:
                    row.query.append(tuple(res["QUERY"][:2]))
                elif res is not None:
                    row.failure = "no QUERY line"
                return
            if row.sizes is not None and case not in row.sizes:
                return
            n = 1 if row.slow and SIZES[case] >= 100_000_000 else reads[case]
            res = run_one(row, ["--block", str(SIZES[case]), "--reads", str(n)], timeout)
            if res and "BLOCK" in res:
                row.block.setdefault(case, []).append((res["BLOCK"][0], res["BLOCK"][1], res.get("PEAK", [None])[0]))
            elif res is not None:
                row.failure = "no BLOCK line"

        rounds_done = 0
        for rnd in range(a.rounds):
            if rnd > 0 and time.monotonic() - started > a.budget:
                break
            order = rows[rnd % len(rows):] + rows[:rnd % len(rows)]
            for case in ["query", *[s for s in sizes if s != "1 GB"]]:
                for row in order:
                    measure(row, case, 60 if a.smoke else 180)
            rounds_done += 1
            load.append(loadavg())
            print(f"round {rounds_done}: {time.monotonic() - started:.0f} s, load {load[-1]:.2f}", flush=True)
        # The 1 GB case once, for the rows that carry it (a few seconds each).
        if "1 GB" in sizes:
            for row in rows:
                if row.sizes and "1 GB" in row.sizes:
                    measure(row, "1 GB", 240)
            load.append(loadavg())
            print(f"1 GB: {time.monotonic() - started:.0f} s, load {load[-1]:.2f}", flush=True)

        # open + list_resources, float32 decode
        extra = {}
        for backend, resource in (("@sim", SCOPE), ("@native", P)):
            r = subprocess.run([cpp_client, "open-list", backend, resource, "--count", "5" if a.smoke else "200"],
                               capture_output=True, text=True, timeout=120)
            extra[backend] = {line.split()[0]: [float(x) for x in line.split()[1:]] for line in r.stdout.splitlines()} \
                if r.returncode == 0 else {"failure": r.stderr.strip()[-200:]}
        points = 1_000_000 if a.smoke else 25_000_000
        r = subprocess.run([cpp_client, "decode", "--points", str(points), "--count", "2" if a.smoke else "7"],
                           capture_output=True, text=True, timeout=300)
        extra["decode"] = [float(x) for x in r.stdout.split()[1:]] if r.returncode == 0 else None
        load.append(loadavg())
    finally:
        plain.stop()
        served.stop()
        if tls_served:
            tls_served.stop()
        shutil.rmtree(tls_folder, ignore_errors=True)

    elapsed = time.monotonic() - started
    text, status = report(rows, by_key, sizes, extra, rounds_done, a, load, elapsed, in_netns, points, reads, queries)
    os.makedirs(os.path.dirname(os.path.abspath(out)), exist_ok=True)
    svg_path = os.path.splitext(out)[0] + ".svg"
    with open(svg_path, "w") as f:
        f.write(svg(rows, by_key))
    with open(out, "w") as f:
        f.write(text.replace("RESULTS.svg", os.path.basename(svg_path)))
    print(text)
    print(f"written: {out}, {svg_path}")
    if readme and os.path.exists(readme):
        update_readme(readme, text)
    if a.smoke:
        lacking = [r.key for r in rows if not r.reason and not r.failure and not (r.query or r.block)]
        failed = [f"{r.key}: {r.failure}" for r in rows if r.failure]
        if lacking or failed:
            print(f"compare.py --smoke: rows without a number or a skip reason: {lacking + failed}", file=sys.stderr)
            return 1
        if extra["decode"] is None or any("failure" in extra[b] for b in ("@sim", "@native")):
            print(f"compare.py --smoke: decode / open-list failed: {extra}", file=sys.stderr)
            return 1
    return status


def row_figures(row, by_key):
    """Medians over rounds: query median, p99, and per size (MB/s median, peak MB)."""
    q = (med([x[0] for x in row.query]), med([x[1] for x in row.query])) if row.query else (None, None)
    b = {s: (med([x[0] for x in v]), max((x[2] for x in v if x[2] is not None), default=None))
         for s, v in row.block.items()}
    return q, b


def ratio_q(row, by_key):
    base = by_key.get(row.base) if row.base else None
    q, _ = row_figures(row, by_key)
    if not base or q[0] is None:
        return None
    bq, _ = row_figures(base, by_key)
    return q[0] / bq[0] if bq[0] else None


def ratio_b(row, by_key, size):
    base = by_key.get(row.base) if row.base else None
    _, b = row_figures(row, by_key)
    if not base or size not in b:
        return None
    _, bb = row_figures(base, by_key)
    return b[size][0] / bb[size][0] if size in bb and bb[size][0] else None


def report(rows, by_key, sizes, extra, rounds_done, a, load, elapsed, in_netns, points, reads, queries):
    status = 0
    L = []
    L.append("# cppvisa side by side: bench/compare.py" + (" (smoke run)" if a.smoke else ""))
    L.append("")
    L.append(f"Run {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())} on {machine()}; "
             f"{'a private network namespace, ' if in_netns else ''}loopback. "
             f"{rounds_done} round(s) of {queries} `*IDN?` queries and "
             + ", ".join(f"{reads[s]} read(s) of {s}" for s in sizes if s != "1 GB")
             + (" per row, rows in a rotated order each round; 1 GB once per row that carries it (after one "
                "untimed read)" if "1 GB" in sizes else " per row, rows in a rotated order each round")
             + f"; {elapsed:.0f} s in all. Load average (1 min) over the run: "
             + ", ".join(f"{x:.1f}" for x in load)
             + (" (other work shared the machine: figures move by tens of percent from run to run; the ratios "
                "within one run are the point)." if max(load) >= 2 else
                " (a quiet machine; still, compare the ratios within one run)."))
    L.append("")
    L.append("Query: `*IDN?` write + read of the one-line reply, median and 99th percentile in µs (median over "
             "rounds of each round's figure). Blocks: `:WAV:POIN N` once, then `CURV?` and the whole "
             "IEEE 488.2 block (N bytes + header + NL) in MB/s (10^6 bytes/s), median over reads and rounds. "
             "**×** and **%**: the row's figure over its reference plain client's — the plain client against "
             "the same server (rows on visa-serve: the plain client against visa-serve's raw socket; that row "
             "itself, and the in-process rows, against the plain client on the plain-C server). Peak: the most "
             "resident memory during the largest block read beyond what the process held with the session "
             "open (MB; the caller's buffer is part of it). HiSLIP + TLS: a second visa-serve that requires "
             "encryption (`--tls-required`, a self-signed P-256 certificate), the client trusting it through "
             "its resource options (`tls_ca_file`, `tls_required = on`): TLS at open, both channels encrypted.")
    L.append("")
    head = "| client | path | server | query µs (p99) | × plain |"
    sep = "|---|---|---|---|---|"
    for s in sizes:
        head += f" {s} MB/s | % plain |"
        sep += "---|---|"
    head += " peak MB |"
    sep += "---|"
    L += [head, sep]
    for row in rows:
        q, b = row_figures(row, by_key)
        line = f"| {row.client} | {row.path} | {row.server} |"
        if row.reason or row.failure:
            why = row.reason or f"**failed**: {row.failure}"
            if row.failure:
                status = 1
            if not (row.query or row.block):
                L.append(line + f" {'skipped: ' if row.reason else ''}{why} |" + " |" * (1 + 2 * len(sizes) + 1))
                continue
        rq = ratio_q(row, by_key)
        line += f" {fmt(q[0], 1)} ({fmt(q[1], 0)}) | {fmt(rq, 2)}{'' if rq is None else '×'} |" if q[0] is not None \
            else " - | - |"
        for s in sizes:
            rb = ratio_b(row, by_key, s)
            line += f" {fmt(b[s][0], 0)} | {fmt(None if rb is None else 100 * rb, 0)}{'' if rb is None else ' %'} |" \
                if s in b else " - | - |"
        peaks = [b[s][1] for s in sizes if s in b and b[s][1] is not None]
        line += f" {fmt(peaks[-1], 0)} |" if peaks else " - |"
        L.append(line)
    L.append("")
    L.append("![ratios](RESULTS.svg)")
    L.append("")
    L.append("How each client reads a block: the plain client, `read_into` (C++) and `viRead` (C) read the whole "
             "message into a buffer allocated and touched once; `query_binary_values_into` into a vector reserved "
             "once; `query_binary_values` returns a new vector each time (it grows as the data arrive: fresh pages "
             "every read, and on a virtual machine a page fault costs microseconds); liblxi reads raw sockets in "
             "64 KiB calls (liblxi 1.18 returned the full count of a 1 MB call with the message's last bytes "
             "missing); PyVISA rows `read_bytes()` of the whole message with the termination character off, "
             "default 20 KiB chunks (`query_binary_values` with `read_termination='\\n'` stops every read at a "
             "0x0A data byte: tens of MB/s). Rows reading at tens of MB/s read the 100 MB block once per round.")
    L.append("")

    # Targets (issue #18 point 2) and visa-serve's own cost (point 3).
    T = []

    def target(what, value, ok, note=""):
        verdict = ok if isinstance(ok, str) else "met" if ok else "**missed**" if ok is False else "not measured"
        T.append(f"| {what} | {value} | {verdict} | {note} |")

    def qratio(key, ref, factor=1.0):
        r, b = by_key[key], by_key[ref]
        q, _ = row_figures(r, by_key)
        bq, _ = row_figures(b, by_key)
        if q[0] is None or bq[0] is None:
            return None
        return q[0] / (factor * bq[0])

    def bratio(key, ref, size):
        _, b = row_figures(by_key[key], by_key)
        _, bb = row_figures(by_key[ref], by_key)
        if size not in b or size not in bb:
            return None
        return b[size][0] / bb[size][0]

    big = "100 MB" if "100 MB" in sizes else sizes[0]
    for key, ref, factor, limit, what in [
            ("cpp-P", "plain-P", 1, 1.10, "query, C++ SOCKET ≤ 1.10× plain"),
            ("c-P", "plain-P", 1, 1.10, "query, C API SOCKET ≤ 1.10× plain"),
            ("cpp-H", "plain-S", 1, 1.10, "query, C++ HiSLIP ≤ 1.10× plain (same server)"),
            ("c-H", "plain-S", 1, 1.10, "query, C API HiSLIP ≤ 1.10× plain (same server)"),
            ("cpp-V", "plain-S", 2, 1.10, "query, C++ VXI-11 ≤ 1.10× two plain round trips"),
            ("c-V", "plain-S", 2, 1.10, "query, C API VXI-11 ≤ 1.10× two plain round trips")]:
        r = qratio(key, ref, factor)
        target(what, fmt(r, 2) + ("×" if r is not None else ""), None if r is None else r <= limit)
    for key, ref, limit, what in [
            ("cpp-P", "plain-P", 0.90, "C++ SOCKET ≥ 90 % of plain"),
            ("c-P", "plain-P", 0.90, "C API SOCKET ≥ 90 % of plain"),
            ("cpp-H", "plain-S", 0.90, "C++ HiSLIP ≥ 90 % of plain (same server)"),
            ("c-H", "plain-S", 0.90, "C API HiSLIP ≥ 90 % of plain (same server)"),
            ("cpp-V", "plain-S", 0.75, "C++ VXI-11 ≥ 75 % of plain (same server)"),
            ("c-V", "plain-S", 0.75, "C API VXI-11 ≥ 75 % of plain (same server)"),
            ("plain-S", "served", 0.90, "visa-serve raw socket ≥ 90 % of the served instrument (plain client)"),
            ("cpp-S", "served", 0.90, "visa-serve SOCKET ≥ 90 % of the served instrument (C++ client)"),
            ("cpp-H", "served", 0.90, "visa-serve HiSLIP ≥ 90 % of the served instrument (C++ client)"),
            ("cpp-V", "served", 0.75, "visa-serve VXI-11 ≥ 75 % of the served instrument (C++ client)")]:
        note = ""
        if ref == "served":
            # The in-process read of the simulated instrument, but never above what TCP loopback
            # carries (the plain-C server's rate to the plain client): the gateway cannot beat it.
            r_sim, r_tcp = bratio(key, "cpp-sim", big), bratio(key, "plain-P", big)
            r = None
            if r_sim is not None and r_tcp is not None:
                r = max(r_sim, r_tcp)  # against the slower of the two references
                note = (f"{100 * r_sim:.0f} % of the in-process read, {100 * r_tcp:.0f} % of the plain-C server "
                        "over TCP (the faster of the two is not reachable through a socket)")
        else:
            r = bratio(key, ref, big)
        target(f"{big} block, {what}", fmt(None if r is None else 100 * r, 0) + (" %" if r is not None else ""),
               None if r is None else r >= limit, note)
    # What encryption costs (issue #19; informative: no target): TLS beside plain HiSLIP, same client.
    for key, ref, what in [("cpp-HT", "cpp-H", "C++"), ("c-HT", "c-H", "C API")]:
        r = bratio(key, ref, big)
        target(f"{big} block, {what} HiSLIP + TLS beside plain HiSLIP",
               "-" if r is None else f"{100 * r:.0f} %", "(no target)",
               by_key[key].reason or "the cost of encryption over loopback")
    for key, what in [("cppi-P", "query_binary_values_into the caller's vector"), ("cpp-P", "read_into the caller's buffer"),
                      ("cppv-P", "query_binary_values<int8_t> (returned vector: informative)")]:
        size = "1 GB" if "1 GB" in by_key[key].block else big
        _, b = row_figures(by_key[key], by_key)
        peak = b.get(size, (None, None))[1]
        over = None if peak is None else peak - SIZES[size] / 1e6
        verdict = None if over is None else over <= 16 + 0.5
        if key == "cppv-P" and over is not None:
            verdict = "(no target)"
        target(f"{size} block, {what}: peak ≤ block + 16 MB", "-" if over is None else f"block + {over:.0f} MB", verdict)
    d = extra.get("decode")
    if d:
        target(f"float32 decode ({points * 4 / 1e6:.0f} MB) ≥ 80 % of memcpy", f"{100 * d[1] / d[0]:.0f} % "
               f"({d[1]:.0f} / {d[0]:.0f} MB/s)", d[1] >= 0.8 * d[0], "best of the runs; memcpy into a new vector")
        target("float32 decode, byte-swapped ≥ 50 % of memcpy", f"{100 * d[2] / d[0]:.0f} % ({d[2]:.0f} MB/s)",
               d[2] >= 0.5 * d[0])
    else:
        target("float32 decode", "-", None, "failed")
        status = 1
    for backend in ("@sim", "@native"):
        e = extra.get(backend, {})
        if "OPEN" in e and "LIST" in e:
            target(f"{backend}: open a session (open_resource) < 1 ms",
                   f"{e['OPEN'][0] / 1e3:.3f} ms (p99 {e['OPEN'][1] / 1e3:.3f})", e["OPEN"][0] < 1000,
                   f"a new ResourceManager: {e['RM'][0] / 1e3:.3f} ms (p99 {e['RM'][1] / 1e3:.3f})")
            target(f"{backend}: list_resources (no discovery) < 1 ms",
                   f"{e['LIST'][0] / 1e3:.3f} ms (p99 {e['LIST'][1] / 1e3:.3f}), {e['LIST'][2]:.0f} found",
                   e["LIST"][0] < 1000)
        else:
            target(f"{backend}: open + list_resources", "-", None, e.get("failure", "failed"))
            status = 1
    L.append("## Targets (issue #18)")
    L.append("")
    L.append("Block targets compare medians at " + big + ". Query and block rows on VXI-11 and HiSLIP "
             "are compared with the plain client against the same server (visa-serve's raw socket): "
             "only visa-serve speaks them here.")
    L.append("")
    L.append("| target | measured | verdict | note |")
    L.append("|---|---|---|---|")
    L += T
    L.append("")

    # visa-serve's own cost (point 3).
    L.append("## visa-serve itself")
    L.append("")
    ps, pp, sim = by_key["plain-S"], by_key["plain-P"], by_key["cpp-sim"]
    qs, bs = row_figures(ps, by_key)
    qp, bp = row_figures(pp, by_key)
    qm, bm = row_figures(sim, by_key)
    if qs[0] is not None and qp[0] is not None:
        L.append(f"- per query: {qs[0]:.1f} µs for a plain client's `*IDN?` against visa-serve's raw socket, "
                 f"{qp[0]:.1f} µs against the plain-C server: visa-serve adds {qs[0] - qp[0]:.1f} µs per query"
                 + (f" (the simulated instrument's own query costs {qm[0]:.1f} µs in-process through the C++ API)"
                    if qm[0] is not None else "") + ".")
    for s in sizes:
        if s in bs and s in bp:
            L.append(f"- streaming {s}: {bs[s][0]:.0f} MB/s to a plain client (the plain-C server: {bp[s][0]:.0f} MB/s"
                     + (f"; the same instrument read in-process: {bm[s][0]:.0f} MB/s" if s in bm else "") + ").")
    L.append("")
    return "\n".join(L) + "\n", status


def svg(rows, by_key):
    """Two bar charts: query time and 100 MB (else 1 MB) throughput as ratios to the plain client."""
    items = []
    for row in rows:
        rq = ratio_q(row, by_key)
        size = "100 MB" if "100 MB" in row.block else "1 MB"
        rb = ratio_b(row, by_key, size)
        if rq is not None or rb is not None:
            items.append((f"{row.client}, {row.path} ({row.server})", rq, rb))
    h = 40 + 22 * len(items)
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="980" height="{h}" font-family="sans-serif" font-size="11">',
           '<rect width="100%" height="100%" fill="white"/>',
           '<text x="420" y="16" font-weight="bold">query time × plain (shorter is better)</text>',
           '<text x="700" y="16" font-weight="bold">block MB/s % of plain (longer is better)</text>']
    for i, (label, rq, rb) in enumerate(items):
        y = 30 + 22 * i
        out.append(f'<text x="410" y="{y + 12}" text-anchor="end">{label.replace("&", "&amp;").replace("<", "&lt;")}</text>')
        if rq is not None:
            w = min(rq, 10) / 10 * 260
            out.append(f'<rect x="420" y="{y}" width="{w:.1f}" height="15" fill="#4a7fb5"/>')
            out.append(f'<text x="{424 + w:.1f}" y="{y + 12}">{rq:.2f}×</text>')
        if rb is not None:
            w = min(rb, 1.5) / 1.5 * 220
            out.append(f'<rect x="700" y="{y}" width="{w:.1f}" height="15" fill="#5aa05a"/>')
            out.append(f'<text x="{704 + w:.1f}" y="{y + 12}">{100 * rb:.0f} %</text>')
    out.append(f'<line x1="{420 + 26:.0f}" y1="24" x2="{420 + 26:.0f}" y2="{h}" stroke="#888" stroke-dasharray="3"/>')
    out.append(f'<line x1="{700 + 220 / 1.5:.0f}" y1="24" x2="{700 + 220 / 1.5:.0f}" y2="{h}" stroke="#888" '
               'stroke-dasharray="3"/>')
    out.append("</svg>")
    return "\n".join(out) + "\n"


def update_readme(path, text):
    """Replaces the section between the compare markers with the results table."""
    with open(path) as f:
        content = f.read()
    begin, end = "<!-- compare:begin -->", "<!-- compare:end -->"
    if begin not in content or end not in content:
        return
    table = text.split("\n## Targets")[0].split("\n", 2)[2].strip()
    table = table.replace("](RESULTS.svg)", "](bench/RESULTS.svg)")
    head, rest = content.split(begin, 1)
    _, tail = rest.split(end, 1)
    with open(path, "w") as f:
        f.write(f"{head}{begin}\n{table}\n\nFull results and targets: [bench/RESULTS.md](bench/RESULTS.md).\n{end}{tail}")


if __name__ == "__main__":
    sys.exit(main())
