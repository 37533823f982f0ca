#!/usr/bin/python3
"""list_resources() time (issue #15): cppvisa without LAN discovery, with it (mDNS/DNS-SD and
VXI-11 broadcast in parallel within one deadline), and from a warm cache; and, for comparison,
Debian's PyVISA-py (`ResourceManager('@py').list_resources()`) when it is installed. Runs in
network namespaces of its own (tests/interop/lan_namespaces.py: a veth pair, the far side with an
mDNS responder advertising one instrument and visa-serve answering the VXI-11 broadcast), so
discovery traffic never leaves this machine; prints a table. Exit status 77 without namespaces.

usage: bench/list_resources.py [BUILD_DIR]    (CPPVISA_BUILD_DIR also works; default ./build)"""
import os
import subprocess
import sys

here = os.path.dirname(os.path.abspath(__file__))
if len(sys.argv) > 1:
    os.environ["CPPVISA_BUILD_DIR"] = os.path.abspath(sys.argv[1])
os.environ.setdefault("CPPVISA_BUILD_DIR", os.path.abspath(os.path.join(here, "..", "build")))
sys.path.insert(0, os.path.join(here, "..", "tests", "interop"))
from lan_fixtures import BUILD_DIR, SCOPE, VisaServe, in_private_netns, need_port_111, netns_available, skip  # noqa: E402
from lan_namespaces import FAR_ADDR, Far, listing_env  # noqa: E402

CLIENT = os.path.join(BUILD_DIR, "bench", "list_resources_client")
PYVISA_PY = """
import time, pyvisa
rm = pyvisa.ResourceManager("@py")
for i in range(3):
    start = time.monotonic()
    names = rm.list_resources("?*")
    print(f"CASE pyvisa-py {1000 * (time.monotonic() - start):.3f} {len(names)}", flush=True)
"""


def main():
    if not os.path.exists(CLIENT):
        skip(f"{CLIENT} is not built (cmake --build {BUILD_DIR} --target list_resources_client)")
    if not in_private_netns() and not netns_available():
        skip("network namespaces are not available here")
    need_port_111()  # re-executes this script in a private network namespace
    if not in_private_netns():
        skip("LAN discovery is only measured inside network namespaces of this script's own")
    far = Far()
    serve = None
    try:
        far.start_responder()
        serve = VisaServe(SCOPE, "--vxi11", f"{FAR_ADDR}:0", "--portmapper", "0.0.0.0:111",
                          prefix=["nsenter", "-t", str(far.pid), "-n"])
        out = subprocess.run([CLIENT], capture_output=True, text=True, timeout=300, env=listing_env())
        if out.returncode != 0:
            print(out.stderr, file=sys.stderr)
            return 1
        print(f"{'case':<18} {'median ms':>10} {'min ms':>10} {'max ms':>10} found")
        for line in out.stdout.splitlines():
            _, name, median, low, high, found = line.split()
            print(f"{name:<18} {float(median):>10.3f} {float(low):>10.3f} {float(high):>10.3f} {found}")
        py = subprocess.run(["/usr/bin/python3", "-c", PYVISA_PY], capture_output=True, text=True, timeout=300,
                            env=listing_env())
        if py.returncode == 0:
            for line in py.stdout.splitlines():
                _, name, ms, found = line.split()
                print(f"{name:<18} {float(ms):>10.3f} {'':>10} {'':>10} {found}")
        else:
            print(f"(Debian's PyVISA-py not measured: {py.stderr.strip().splitlines()[-1:]})")
        return 0
    finally:
        if serve:
            serve.stop()
        far.close()


if __name__ == "__main__":
    sys.exit(main())
