"""Network namespaces of the LAN discovery tests (traffic never leaves this machine): a veth pair
joins the test's private namespace (10.250.1.1/24) to a far one (10.250.1.2/24), where responders
and servers run; visa-info (cppvisa's native list_resources) runs on the near side."""
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time

from lan_fixtures import BUILD_DIR

HOST_IF, FAR_IF = "cvdisc0", "cvdisc1"
HOST_ADDR, FAR_ADDR = "10.250.1.1", "10.250.1.2"
HOST_ADDR6, FAR_ADDR6 = "fd00:250:1::1", "fd00:250:1::2"  # unique local (RFC 4193), on the veth pair only
VISA_INFO = os.path.join(BUILD_DIR, "tools", "visa-info")
RESPONDER = os.path.join(os.path.dirname(os.path.abspath(__file__)), "mdns_responder.py")
SERVICES = ["_lxi._tcp:Scope:80:txtvers=1,Manufacturer=ACME,Model=SC-1000,SerialNumber=S42",
            "_hislip._tcp:Scope:4880:", "_scpi-raw._tcp:Scope:5025:", "_vxi-11._tcp:Scope:111:"]
EXPECTED = ["TCPIP0::10.250.1.2::5025::SOCKET", "TCPIP0::10.250.1.2::hislip0::INSTR",
            "TCPIP0::10.250.1.2::inst0::INSTR"]
DEADLINE_MS = 600


def run(cmd, pid=None, **kw):
    full = (["nsenter", "-t", str(pid), "-n"] if pid else []) + cmd
    r = subprocess.run(full, capture_output=True, text=True, timeout=30, **kw)
    if r.returncode != 0:
        raise RuntimeError(f"{' '.join(full)}: {r.stderr.strip()}")
    return r.stdout


def wait_for_own_netns(pid):
    ours = os.readlink("/proc/self/ns/net")
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            if os.readlink(f"/proc/{pid}/ns/net") != ours:
                return
        except OSError:
            pass
        time.sleep(0.01)
    raise RuntimeError("the far network namespace did not appear")


class Far:
    """The far namespace, held by a sleeping process, joined by veth."""

    def __init__(self):
        self.holder = subprocess.Popen(["unshare", "-n", "sleep", "300"])
        wait_for_own_netns(self.holder.pid)
        pid = self.holder.pid
        for where in (None, pid):  # no IPv6 duplicate address detection: link-local addresses at once
            run(["sysctl", "-qw", "net.ipv6.conf.default.accept_dad=0"], where)
        run(["ip", "link", "add", HOST_IF, "type", "veth", "peer", "name", FAR_IF, "netns", str(pid)])
        run(["ip", "addr", "add", f"{HOST_ADDR}/24", "brd", "+", "dev", HOST_IF])
        run(["ip", "link", "set", HOST_IF, "up"])
        run(["ip", "link", "set", "lo", "up"], pid)
        run(["ip", "addr", "add", f"{FAR_ADDR}/24", "brd", "+", "dev", FAR_IF], pid)
        run(["ip", "-6", "addr", "add", f"{HOST_ADDR6}/64", "dev", HOST_IF, "nodad"])
        run(["ip", "-6", "addr", "add", f"{FAR_ADDR6}/64", "dev", FAR_IF, "nodad"], pid)
        run(["ip", "link", "set", FAR_IF, "up"], pid)
        self.pid = pid
        self.responder = None
        self.counts = tempfile.NamedTemporaryFile(prefix="cppvisa-disc-", suffix=".json", delete=False).name

    def link_local(self):
        """The far side's link-local IPv6 address."""
        out = run(["ip", "-6", "-o", "addr", "show", "dev", FAR_IF, "scope", "link"], self.pid)
        return out.split()[3].split("/")[0]

    def start_responder(self, count_port=None, hostile=False, ipv6_only=False, address6=FAR_ADDR6):
        cmd = ["nsenter", "-t", str(self.pid), "-n", sys.executable, RESPONDER, "--interface", FAR_IF,
               "--address", FAR_ADDR, "--host", "scope", "--counts", self.counts]
        if count_port:
            cmd += ["--count-port", str(count_port)]
        if hostile:
            cmd += ["--hostile"]
        if ipv6_only:
            cmd += (["--address6", address6] if address6 else []) + ["--ipv6-only"]
        self.responder = subprocess.Popen(cmd + SERVICES, stdout=subprocess.PIPE, text=True)
        if self.responder.stdout.readline().strip() != "ready":
            raise RuntimeError("the mDNS responder did not start")

    def stop_responder(self):
        if self.responder:
            self.responder.kill()
            self.responder.wait()
            self.responder = None

    def received(self):
        with open(self.counts) as f:
            return json.load(f)

    def close(self):
        self.stop_responder()
        self.holder.kill()
        self.holder.wait()
        subprocess.run(["ip", "link", "del", HOST_IF], capture_output=True, timeout=20)
        os.unlink(self.counts)


NO_BUS = "unix:path=/nonexistent/cppvisa-test-bus"


def far_side(pid, bus=NO_BUS):
    """The prefix of a command run in the far namespace: with the D-Bus system bus `bus` (by
    default none: a program there finds no Avahi daemon, not even the machine's)."""
    return ["nsenter", "-t", str(pid), "-n", "env", f"DBUS_SYSTEM_BUS_ADDRESS={bus}"]


def listing_env(extra=None):
    """The environment of a listing on the near side: LAN discovery on, by cppvisa's own query."""
    env = dict(os.environ)
    env.pop("CPPVISA_DISCOVERY", None)
    # An Avahi daemon of the machine (reached over D-Bus, whatever the network namespace) browses
    # the machine's interfaces, not these: cppvisa queries by itself unless the test gives a bus.
    env["DBUS_SYSTEM_BUS_ADDRESS"] = NO_BUS
    env.update(extra or {})
    return env


def visa_info(*args, env_extra=None):
    start = time.monotonic()
    out = subprocess.run([VISA_INFO, "-b", "@native", "-q", "TCPIP?*", *args], capture_output=True, text=True,
                         timeout=60, env=listing_env(env_extra))
    return out.stdout, time.monotonic() - start


def listed(output):
    return sorted(re.findall(r"^\s+(TCPIP\S+)$", output, re.M))


def settle():
    time.sleep(0.5)  # the far side's sockets see no late datagram of an earlier step


DBUS_CONFIG = """<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>system</type>
  <listen>unix:path={path}</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow user="*"/>
    <allow own="*"/>
    <allow send_destination="*"/>
    <allow receive_sender="*"/>
  </policy>
</busconfig>
"""

AVAHI_CONFIG = """[server]
host-name={host}
use-ipv4=yes
use-ipv6=yes
allow-interfaces={interface}
enable-dbus=yes
[wide-area]
enable-wide-area=no
[publish]
publish-hinfo=no
publish-workstation=no
"""


class AvahiDaemon:
    """A D-Bus system bus and an Avahi daemon of the test's own, in the namespace held by `pid`
    (None: this one), on `interface` only, named `host`.local. Its /run is a tmpfs of a mount
    namespace of its own (the daemon's pid file), its bus a socket in a temporary folder: nothing
    of the machine's is used or written. Clients reach it with `env` (DBUS_SYSTEM_BUS_ADDRESS)."""

    def __init__(self, pid, interface, host):
        self.dir = tempfile.mkdtemp(prefix="cppvisa-avahi-")
        bus = os.path.join(self.dir, "bus")
        with open(os.path.join(self.dir, "dbus.conf"), "w") as f:
            f.write(DBUS_CONFIG.format(path=bus))
        with open(os.path.join(self.dir, "avahi.conf"), "w") as f:
            f.write(AVAHI_CONFIG.format(host=host, interface=interface))
        self.env = dict(os.environ, DBUS_SYSTEM_BUS_ADDRESS=f"unix:path={bus}")
        self.prefix = ["nsenter", "-t", str(pid), "-n"] if pid else []
        self.publishers = []
        self.dbus = subprocess.Popen(self.prefix + ["dbus-daemon", "--nofork", "--print-address", "--config-file",
                                                    os.path.join(self.dir, "dbus.conf")],
                                     stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        if not self.dbus.stdout.readline().strip():
            raise RuntimeError("dbus-daemon did not start")
        self.avahi = subprocess.Popen(
            self.prefix + ["unshare", "-m", "sh", "-c",
                           'mount -t tmpfs cppvisa-avahi /run && mkdir /run/avahi-daemon && '
                           'exec avahi-daemon --no-drop-root --no-chroot --no-rlimits --no-proc-title -f "$0"',
                           os.path.join(self.dir, "avahi.conf")],
            env=self.env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        started = threading.Event()
        self.log = []

        def read_log():
            for line in self.avahi.stderr:
                self.log.append(line)
                if "Server startup complete" in line:
                    started.set()

        threading.Thread(target=read_log, daemon=True).start()
        if not started.wait(20):
            self.close()
            raise RuntimeError("avahi-daemon did not start: " + "".join(self.log))

    def publish(self, name, service_type, port, *txt):
        """avahi-publish -s, returning once the daemon has established the service."""
        p = subprocess.Popen(self.prefix + ["avahi-publish", "-s", name, service_type, str(port), *txt],
                             env=self.env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        self.publishers.append(p)
        line = p.stdout.readline()
        if "Established" not in line:
            raise RuntimeError(f"avahi-publish {service_type}: {line.strip()}")

    def close(self):
        for p in [*self.publishers, self.avahi, self.dbus]:
            p.kill()
            p.wait()
        shutil.rmtree(self.dir, ignore_errors=True)
