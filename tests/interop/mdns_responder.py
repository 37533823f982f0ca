"""A small independent mDNS/DNS-SD responder for the LAN discovery tests (Python's standard library
only): answers PTR/SRV/TXT/A/AAAA questions for the services given on the command line, over IPv4
(224.0.0.251) and IPv6 (ff02::fb) on one interface, by unicast to a query's source port when it is
not 5353 (RFC 6762 §6.7) and by multicast otherwise. With --count-port P it also counts UDP
datagrams to port P (a VXI-11 broadcast). Every datagram received is counted in --counts FILE
(JSON: {"v4": n, "v6": n, "port": n}).

usage: mdns_responder.py --interface IF --address A --host NAME --counts FILE [--count-port P]
                         [--address6 A6 [--ipv6-only]] [--hostile]
                         TYPE:INSTANCE:PORT[:KEY=VALUE,...] ..."""
import argparse
import json
import select
import socket
import struct


def encode_name(name):
    out = b""
    for label in name.rstrip(".").split("."):
        out += bytes([len(label)]) + label.encode()
    return out + b"\0"


def read_name(data, pos, depth=0):
    labels = []
    while True:
        n = data[pos]
        if n & 0xC0 == 0xC0:
            if depth > 10:
                raise ValueError("loop")
            target = ((n & 0x3F) << 8) | data[pos + 1]
            rest, _ = read_name(data, target, depth + 1)
            return ".".join(labels + ([rest] if rest else [])), pos + 2
        if n == 0:
            return ".".join(labels), pos + 1
        labels.append(data[pos + 1:pos + 1 + n].decode(errors="replace"))
        pos += 1 + n


def questions(data):
    qd = struct.unpack(">H", data[4:6])[0]
    pos, out = 12, []
    for _ in range(qd):
        name, pos = read_name(data, pos)
        qtype, _ = struct.unpack(">HH", data[pos:pos + 4])
        pos += 4
        out.append((name.lower(), qtype))
    return out


def record(name, rtype, rdata, ttl=120):
    return encode_name(name) + struct.pack(">HHIH", rtype, 1, ttl, len(rdata)) + rdata


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--interface", required=True)
    p.add_argument("--address", required=True)
    p.add_argument("--host", required=True)
    p.add_argument("--counts", required=True)
    p.add_argument("--count-port", type=int)
    p.add_argument("--address6", help="also an AAAA record with this IPv6 address")
    p.add_argument("--ipv6-only", action="store_true", help="no A record, and no IPv4 socket: IPv6 mDNS only")
    p.add_argument("--hostile", action="store_true",
                   help="before each answer, send malformed ones: a compression loop, a length past the end, "
                        "a header claiming 10 000 records, 10 000 records of junk over several datagrams")
    p.add_argument("services", nargs="*")
    a = p.parse_args()
    host = a.host + ".local"
    services = []  # (type, instance, port, txt)
    for s in a.services:
        parts = s.split(":")
        txt = parts[3].split(",") if len(parts) > 3 and parts[3] else []
        services.append((parts[0] + ".local", f"{parts[1]}.{parts[0]}.local", int(parts[2]), txt))

    def answers(qs):
        out = []
        addresses = ([] if a.ipv6_only else [record(host, 1, socket.inet_aton(a.address))]) + (
            [record(host, 28, socket.inet_pton(socket.AF_INET6, a.address6))] if a.address6 else [])
        for qname, qtype in qs:
            for stype, inst, port, txt in services:
                srv = record(inst, 33, struct.pack(">HHH", 0, 0, port) + encode_name(host))
                txt_record = record(inst, 16, b"".join(bytes([len(t)]) + t.encode() for t in txt) or b"\0")
                if qname == stype and qtype in (12, 255):
                    out += [record(stype, 12, encode_name(inst)), srv, txt_record, *addresses]
                if qname == inst.lower():
                    out += ([srv, *addresses] if qtype in (33, 255) else []) + ([txt_record] if qtype in (16, 255) else [])
            if qname == host.lower() and qtype in (1, 28, 255):
                out += addresses
        return list(dict.fromkeys(out))

    index = socket.if_nametoindex(a.interface)
    v4 = None
    if not a.ipv6_only:
        v4 = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        v4.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        v4.bind(("", 5353))
        v4.setsockopt(socket.IPPROTO_IP, socket.IP_ADD_MEMBERSHIP,
                      socket.inet_aton("224.0.0.251") + socket.inet_aton(a.address))
        v4.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_IF, socket.inet_aton(a.address))
    v6 = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
    v6.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    v6.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
    v6.bind(("", 5353))
    v6.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_JOIN_GROUP,
                  socket.inet_pton(socket.AF_INET6, "ff02::fb") + struct.pack("@I", index))
    extra = []
    if a.count_port:
        c = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        c.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        c.setsockopt(socket.SOL_SOCKET, socket.SO_BROADCAST, 1)
        c.bind(("", a.count_port))
        extra.append(c)
    counts = {"v4": 0, "v6": 0, "port": 0}

    def save():
        with open(a.counts + ".tmp", "w") as f:
            json.dump(counts, f)
        import os
        os.replace(a.counts + ".tmp", a.counts)

    save()
    print("ready", flush=True)
    while True:
        ready, _, _ = select.select([x for x in (v4, v6, *extra) if x], [], [])
        for s in ready:
            data, src = s.recvfrom(9000)
            if s in extra:
                counts["port"] += 1
                save()
                continue
            counts["v4" if s is v4 else "v6"] += 1
            save()
            try:
                if struct.unpack(">H", data[2:4])[0] & 0x8000:
                    continue  # a response
                qs = questions(data)
            except (ValueError, IndexError, struct.error):
                continue
            rr = answers(qs)
            if not rr:
                continue
            legacy = src[1] != 5353
            qsection = data[12:] if legacy else b""
            # Legacy unicast: echo the id and the questions (RFC 6762 §6.7).
            header = struct.pack(">HHHHHH", struct.unpack(">H", data[:2])[0] if legacy else 0, 0x8400,
                                 len(qs) if legacy else 0, len(rr), 0, 0)
            body = header + (qsection[:_question_length(data)] if legacy else b"") + b"".join(rr)
            dest = src if legacy else (("224.0.0.251", 5353) if s is v4 else ("ff02::fb", 5353, 0, index))
            if a.hostile:
                for junk in hostile_answers(struct.unpack(">H", data[:2])[0]):
                    s.sendto(junk, dest)
            s.sendto(body, dest)


def hostile_answers(qid):
    header = lambda an: struct.pack(">HHHHHH", qid, 0x8400, 0, an, 0, 0)  # noqa: E731
    out = [header(1) + b"\x01a\xc0\x0c" + struct.pack(">HHIH", 12, 1, 120, 2) + b"\xc0\x0c",  # pointer loop
           header(1) + encode_name("_hislip._tcp.local") + struct.pack(">HHIH", 12, 1, 120, 60000) + b"\x05x",
           header(10000) + b"\x00" + struct.pack(">HHIH", 99, 1, 120, 0)]
    # 10 000 PTR records (of the type to itself), 600 to a datagram (within mDNS's 9000 bytes).
    for start in range(0, 10000, 600):
        n = min(600, 10000 - start)
        out.append(header(n) + b"".join(
            (encode_name("_scpi-raw._tcp.local") if i == 0 else b"\xc0\x0c") + struct.pack(">HHIH", 12, 1, 120, 2)
            + b"\xc0\x0c" for i in range(n)))
    return out


def _question_length(data):
    qd = struct.unpack(">H", data[4:6])[0]
    pos = 12
    for _ in range(qd):
        _, pos = read_name(data, pos)
        pos += 4
    return pos - 12


if __name__ == "__main__":
    main()
