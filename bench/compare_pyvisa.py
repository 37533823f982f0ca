#!/usr/bin/python3
"""compare_pyvisa: the PyVISA clients of bench/compare.py, one measurement per run (the command
line and output lines of compare_c_client.c).

    compare_pyvisa.py BACKEND RESOURCE (--queries N | --block BYTES --reads R) [--timeout MS]

BACKEND is what pyvisa.ResourceManager() gets: "@py" (Debian's PyVISA-py), the path of a
libvisa.so (PyVISA on that VISA library: cppvisa's), or "@sim" (PyVISA-sim, with its own default
instruments: queries only). Queries: query("*IDN?") with NL terminations. Blocks: ":WAV:POIN BYTES"
once, then write("CURV?") and read_bytes() of the whole message (header + data + NL) with the
termination character off, default chunk size (20 KiB): the transport's cost, as compare_client's
read_into. (query_binary_values with read_termination "\n" is the usual call, but PyVISA 1.11 keeps
the termination character on while it reads the data, so every read stops at a 0x0A data byte:
one read per ~256 bytes of these blocks, tens of MB/s at best.)
Prints QUERY <median us> <p99 us> <N>, or BLOCK <median MB/s> <best MB/s> <R> and PEAK <MB> (the
most resident memory during the reads beyond what the process held once the session was open).
Exit status 0; 1 on an error; 2 on bad arguments; 77 ("SKIP <reason>") when the backend is missing."""
import argparse
import os
import resource
import sys
import time


def rss_bytes():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def reset_peak():
    """VmHWM restarts from the current RSS (Linux: "5" into /proc/self/clear_refs)."""
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
    except OSError:
        pass


def peak_bytes():
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def skip(reason):
    print(f"SKIP {reason}", flush=True)
    sys.exit(77)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("backend")
    p.add_argument("resource")
    p.add_argument("--queries", type=int, default=0)
    p.add_argument("--block", type=int, default=0)
    p.add_argument("--reads", type=int, default=0)
    p.add_argument("--timeout", type=int, default=30000)
    a = p.parse_args()
    if (a.queries > 0) == (a.block > 0) or (a.block and a.reads <= 0):
        p.error("give --queries N, or --block BYTES with --reads R")
    try:
        import pyvisa
    except ImportError:
        skip("PyVISA not installed (Debian's python3-pyvisa)")
    if a.backend == "@py":
        try:
            import pyvisa_py  # noqa: F401
        except ImportError:
            skip("PyVISA-py not installed (Debian's python3-pyvisa-py)")
    if a.backend == "@sim":
        try:
            import pyvisa_sim  # noqa: F401
        except ImportError:
            skip("PyVISA-sim not installed on this machine (not packaged by Debian)")
    rm = pyvisa.ResourceManager(a.backend)
    r = rm.open_resource(a.resource, read_termination="\n", write_termination="\n", timeout=a.timeout)
    reset_peak()
    base = rss_bytes()
    if a.queries:
        times = []
        for i in range(-10, a.queries):
            t0 = time.perf_counter()
            reply = r.query("*IDN?")
            t = time.perf_counter() - t0
            if not reply:
                raise SystemExit("compare_pyvisa: empty *IDN? reply")
            if i >= 0:
                times.append(t)
        times.sort()
        p99 = min(len(times) - 1, int(len(times) * 0.99))
        print(f"QUERY {times[len(times) // 2] * 1e6:.2f} {times[p99] * 1e6:.2f} {a.queries}")
    else:
        r.write(f":WAV:POIN {a.block}")
        r.read_termination = None  # binary data: the termination character off
        message = 2 + len(str(a.block)) + a.block + 1
        head = f"#{len(str(a.block))}{a.block}".encode()
        rates = []
        for i in range(-1, a.reads):
            t0 = time.perf_counter()
            r.write("CURV?")
            data = r.read_bytes(message)
            t = time.perf_counter() - t0
            if len(data) != message or not data.startswith(head) or not data.endswith(b"\n"):
                raise SystemExit(f"compare_pyvisa: got {len(data)} bytes, not a {a.block}-byte block + NL")
            del data
            if i >= 0:
                rates.append(a.block / 1e6 / t)
        rates.sort()
        peak = peak_bytes() - base
        print(f"BLOCK {rates[len(rates) // 2]:.1f} {rates[-1]:.1f} {a.reads}")
        print(f"PEAK {peak / 1e6:.1f}")
    r.close()
    rm.close()


if __name__ == "__main__":
    main()
