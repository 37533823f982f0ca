#!/usr/bin/python3
"""PyVISA on cppvisa's libvisa.so: ask every simulated instrument who it is.

Run with Debian's Python (python3-pyvisa):
    CPPVISA_SIM=default /usr/bin/python3 pyvisa_idn.py [path/to/libvisa.so.7]
With the Debian package installed, pyvisa.ResourceManager() finds libvisa.so.7 by itself.
"""
import sys

try:
    import pyvisa
except ImportError:
    print("pyvisa is not installed (Debian: python3-pyvisa): skipped")
    sys.exit(77)

rm = pyvisa.ResourceManager(sys.argv[1] if len(sys.argv) > 1 else "")
print(rm)
scope = rm.open_resource("TCPIP::sim-scope::INSTR", read_termination="\n", write_termination="\n")
idn = scope.query("*IDN?")
print("*IDN? ->", idn)
wave = scope.query_binary_values(":WAV:DATA?", datatype="h", container=list)
print(len(wave), "points")
rm.close()
sys.exit(0 if "SIMSCOPE" in idn and wave else 1)
