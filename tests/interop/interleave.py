"""Two clients on one served device, each of which must get only its own answers (issue #8;
IEEE 488.2 section 6.3.2.3: a new query discards unread output, -410 "Query INTERRUPTED"), over
any served protocol. The device is the served simulated oscilloscope, whose `:ACQ:SLOW?` answers
"1" only 500 ms after the question (data/sim/oscilloscope.yaml, `delay`).

interleave_checks() returns (name, check) pairs for lan_fixtures.run_checks; each check starts its
own visa-serve. Client B is PyVISA (on PyVISA-py or on cppvisa's libvisa.so); client A is another
session of the same library that writes a query then closes without reading, a raw TCP connection
reset after writing (raw socket), or another process that writes and exits without closing."""
import socket
import struct
import subprocess
import sys
import time

from lan_fixtures import SCOPE, SCOPE_IDN, VisaServe, expect_equal

import pyvisa
from pyvisa import constants, errors

SLOW = ":ACQ:SLOW?"      # "1", 500 ms after the question
LATE = 0.8               # seconds: past SLOW's delay, its answer would be ready
POINTS = ":WAV:POIN?"    # "10000" at once
POINTS_ANSWER = "10000"
TIMEBASE = ":TIM:SCAL?"
TIMEBASE_ANSWER = "1.000000E-03"

# Client A in another process: opens, writes a query, waits, exits without closing anything.
VANISHING_CLIENT = r'''
import os, sys, time, pyvisa
rm = pyvisa.ResourceManager(sys.argv[1])
r = rm.open_resource(sys.argv[2], write_termination="\n", timeout=5000)
r.write(sys.argv[3])
time.sleep(float(sys.argv[4]))
sys.stdout.flush()
os._exit(0)
'''


class TooLate(Exception):
    """The machine was too slow to send the next query before the timed-out one's answer."""


def retried_when_late(check, attempts=3):
    def run():
        for _ in range(attempts):
            try:
                return check()
            except TooLate:
                print("(the next query went out after 450 ms: the scenario is run again)", flush=True)
        raise AssertionError(f"{attempts} times the next query could not be sent within 450 ms of the slow one")
    return run


def socket_address(name):
    parts = name.split("::")  # TCPIP::host::port::SOCKET
    return parts[1], int(parts[2])


def interleave_checks(label, serve_args, kind, lib, late_answer_stays_in_server=True):
    """`serve_args`: the visa-serve endpoint options; `kind`: 'socket', 'vxi11' or 'hislip' (which
    printed name the clients open); `lib`: "@py" or the path of libvisa.so.
    `late_answer_stays_in_server`: False for the raw socket, where the server must send an answer as
    soon as it exists (no read request on the wire), so a client that gave up on a query finds the
    late answer in its own TCP stream: no server can take it back, and that case is not checked."""

    def serve():
        return VisaServe(SCOPE, *serve_args)

    def open_b(serve, timeout=5000):
        rm = pyvisa.ResourceManager(lib)
        return rm.open_resource(serve.name(kind), read_termination="\n", write_termination="\n", timeout=timeout)

    def a_writes_then_closes(serve, query, wait):
        if kind == "socket":
            with socket.create_connection(socket_address(serve.name(kind)), timeout=5) as a:
                a.sendall(query.encode() + b"\n")
                time.sleep(wait)
        else:
            rm = pyvisa.ResourceManager(lib)  # PyVISA's one resource manager per library: B's too
            a = rm.open_resource(serve.name(kind), write_termination="\n", timeout=5000)
            a.write(query)
            time.sleep(wait)
            a.close()

    def a_vanishes(serve, query, wait):
        if kind == "socket":
            a = socket.create_connection(socket_address(serve.name(kind)), timeout=5)
            a.sendall(query.encode() + b"\n")
            time.sleep(wait)
            a.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            a.close()  # a reset, not an orderly shutdown
        else:
            r = subprocess.run([sys.executable, "-c", VANISHING_CLIENT, lib, serve.name(kind), query, str(wait)],
                               capture_output=True, text=True, timeout=30)
            if r.returncode != 0:
                raise AssertionError(f"client A failed: {r.stderr.strip()[-400:]}")

    def b_times_out(b):
        """B's :ACQ:SLOW? times out after 200 ms; returns when the question was sent."""
        b.timeout = 200
        sent = time.monotonic()
        try:
            reply = b.query(SLOW)
            raise AssertionError(f"{SLOW} answered {reply!r} within 200 ms (its delay is 500 ms)")
        except errors.VisaIOError as e:
            expect_equal(e.error_code, constants.StatusCode.error_timeout, f"B's {SLOW} with a 200 ms timeout")
        b.timeout = 5000
        return sent

    def b_queries_before_the_late_answer(b, sent, query):
        """B's next query, sent while its timed-out query is still unanswered (before 500 ms)."""
        b.write(query)
        if time.monotonic() - sent > 0.45:
            raise TooLate()
        return b.read()

    def pending_then_closed():
        with serve() as s:
            b = open_b(s)
            try:
                expect_equal(b.query("*IDN?"), SCOPE_IDN, "B's *IDN? before A")
                a_writes_then_closes(s, SLOW, 0.0)
                expect_equal(b.query("*IDN?"), SCOPE_IDN, "B's *IDN? right after A left a pending query")
                expect_equal(b.query(POINTS), POINTS_ANSWER, f"B's {POINTS}")
                time.sleep(LATE)
                expect_equal(b.query("*IDN?"), SCOPE_IDN, "B's *IDN? once A's answer would be ready")
                expect_equal(b.query(TIMEBASE), TIMEBASE_ANSWER, f"B's {TIMEBASE}")
            finally:
                b.close()  # before visa-serve stops (PyVISA-py's destroy_link would wait)

    def slow_then_closed():
        # Issue #8's case: A sends :ACQ:SLOW? and disconnects; B's first *IDN? returned A's "1".
        with serve() as s:
            a_writes_then_closes(s, SLOW, 0.0)
            time.sleep(LATE)
            b = open_b(s)
            try:
                expect_equal(b.query("*IDN?"), SCOPE_IDN, "B's first *IDN? after A's unread :ACQ:SLOW?")
                expect_equal(b.query(TIMEBASE), TIMEBASE_ANSWER, f"B's {TIMEBASE}")
            finally:
                b.close()  # before visa-serve stops (PyVISA-py's destroy_link would wait)

    def ready_then_closed():
        with serve() as s:
            b = open_b(s)
            try:
                a_writes_then_closes(s, POINTS, 0.3)  # A's answer exists while A is still connected
                expect_equal(b.query("*IDN?"), SCOPE_IDN, "B's *IDN? after A's unread answer")
                expect_equal(b.query(TIMEBASE), TIMEBASE_ANSWER, f"B's {TIMEBASE}")
            finally:
                b.close()  # before visa-serve stops (PyVISA-py's destroy_link would wait)

    def ready_then_vanished():
        with serve() as s:
            b = open_b(s)
            try:
                a_vanishes(s, POINTS, 0.3)
                expect_equal(b.query("*IDN?"), SCOPE_IDN, "B's *IDN? after A vanished with an unread answer")
                a_vanishes(s, SLOW, 0.0)
                time.sleep(LATE)
                expect_equal(b.query("*IDN?"), SCOPE_IDN, "B's *IDN? after A vanished with a pending query")
                expect_equal(b.query(TIMEBASE), TIMEBASE_ANSWER, f"B's {TIMEBASE}")
            finally:
                b.close()  # before visa-serve stops (PyVISA-py's destroy_link would wait)

    def timeout_then_query():
        with serve() as s:
            b = open_b(s)
            try:
                sent = b_times_out(b)
                expect_equal(b_queries_before_the_late_answer(b, sent, "*IDN?"), SCOPE_IDN,
                             "B's *IDN? right after its timed-out query")
                expect_equal(b.query(POINTS), POINTS_ANSWER, f"B's {POINTS} (not one answer behind)")
                time.sleep(LATE)
                expect_equal(b.query(TIMEBASE), TIMEBASE_ANSWER, f"B's {TIMEBASE} once the late answer would be ready")
            finally:
                b.close()  # before visa-serve stops (PyVISA-py's destroy_link would wait)

    def timeout_then_late_query():
        with serve() as s:
            b = open_b(s)
            try:
                b_times_out(b)
                time.sleep(LATE)  # the late "1" is now in the device's output
                expect_equal(b.query("*IDN?"), SCOPE_IDN, "B's *IDN? after its timed-out query's late answer came")
                expect_equal(b.query(POINTS), POINTS_ANSWER, f"B's {POINTS} (not one answer behind)")
            finally:
                b.close()  # before visa-serve stops (PyVISA-py's destroy_link would wait)

    def interrupted_is_reported():
        with serve() as s:
            b = open_b(s)
            try:
                sent = b_times_out(b)
                expect_equal(b_queries_before_the_late_answer(b, sent, "*IDN?"), SCOPE_IDN,
                             "B's *IDN? right after its timed-out query")
                codes = []
                for _ in range(10):
                    entry = b.query(":SYST:ERR?")
                    if entry.startswith("0,"):
                        break
                    codes.append(int(entry.split(",")[0]))
                expect_equal(codes, [-410], "the error queue after an interrupted query (488.2 -410, nothing else)")
            finally:
                b.close()  # before visa-serve stops (PyVISA-py's destroy_link would wait)

    timeout_then_query = retried_when_late(timeout_then_query)
    interrupted_is_reported = retried_when_late(interrupted_is_reported)
    checks = [
        (f"{label}: A leaves a pending query and closes; B gets its own answers", pending_then_closed),
        (f"{label}: A sends {SLOW} and closes; B's first query later gets its own answer", slow_then_closed),
        (f"{label}: A leaves a ready answer and closes; B gets its own", ready_then_closed),
        (f"{label}: A vanishes (no close) with an answer ready / a query pending; B gets its own", ready_then_vanished),
        (f"{label}: B's query times out; its next query at once gets its own answer", timeout_then_query),
    ]
    if late_answer_stays_in_server:
        checks.append((f"{label}: B's query times out; after the late answer is ready, B's next query gets "
                       "its own", timeout_then_late_query))
    checks.append((f"{label}: the interrupted query is reported (-410) in the device's error queue",
                   interrupted_is_reported))
    return checks
