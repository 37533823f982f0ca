"""Debian's python3-zeroconf (an independent mDNS/DNS-SD implementation) on one side of the LAN
discovery namespaces, for test_lan_discovery_zeroconf.

usage: zeroconf_peer.py browse ADDRESS SECONDS TYPE...
           prints one JSON line per resolved instance: {"type", "name", "server", "port",
           "addresses", "txt"}
       zeroconf_peer.py publish ADDRESS HOST TYPE:INSTANCE:PORT[:KEY=VALUE,...]...
           prints "ready" once registered, then serves until killed"""
import json
import socket
import sys
import time

from zeroconf import IPVersion, ServiceBrowser, ServiceInfo, Zeroconf


def browse(address, seconds, types):
    zc = Zeroconf(interfaces=[address], ip_version=IPVersion.V4Only)
    found = set()

    class Listener:
        def add_service(self, zc, type_, name):
            found.add((type_, name))

        def update_service(self, zc, type_, name):
            found.add((type_, name))

        def remove_service(self, zc, type_, name):
            pass

    ServiceBrowser(zc, [t + ".local." for t in types], Listener())
    time.sleep(seconds)
    for type_, name in sorted(found):
        info = zc.get_service_info(type_, name, timeout=3000)
        if info is None:
            continue
        print(json.dumps({"type": type_, "name": name, "server": info.server, "port": info.port,
                          "addresses": info.parsed_addresses(),
                          "txt": {k.decode(): (v or b"").decode() for k, v in info.properties.items()}}),
              flush=True)
    zc.close()


def publish(address, host, services):
    zc = Zeroconf(interfaces=[address], ip_version=IPVersion.V4Only)
    for s in services:
        parts = s.split(":")
        txt = dict(kv.split("=", 1) for kv in parts[3].split(",")) if len(parts) > 3 and parts[3] else {}
        zc.register_service(ServiceInfo(f"{parts[0]}.local.", f"{parts[1]}.{parts[0]}.local.",
                                        addresses=[socket.inet_aton(address)], port=int(parts[2]),
                                        properties=txt, server=f"{host}.local."))
    print("ready", flush=True)
    try:
        while True:
            time.sleep(3600)
    finally:
        zc.close()


if __name__ == "__main__":
    if sys.argv[1] == "browse":
        browse(sys.argv[2], float(sys.argv[3]), sys.argv[4:])
    else:
        publish(sys.argv[2], sys.argv[3], sys.argv[4:])
