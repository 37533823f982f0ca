"""A PyVISA 1.11.3 script on cppvisa's libvisa.so (argv[1]) against the simulated oscilloscope
(CPPVISA_SIM=default): it prints, after its results, every VISA call PyVISA logged ("CALL name
session data") so that test_visa_trace can find each in the trace."""
import ast
import logging
import re
import sys

import pyvisa

calls = []


class Calls(logging.Handler):
    """PyVISA logs each call as "viName(args) -> status" (pyvisa.ctwrapper)."""

    def emit(self, record):
        message = record.getMessage()
        call = re.match(r"^(vi\w+)\((\d*)", message)
        if not call:
            return
        data = b""
        if call.group(1) == "viWrite":
            data = ast.literal_eval(re.match(r"^viWrite\(\d+, (b'(?:[^'\\]|\\.)*'|b\"(?:[^\"\\]|\\.)*\")", message).group(1))
        calls.append((call.group(1), int(call.group(2) or 0), data))


log = logging.getLogger("pyvisa")
log.setLevel(logging.DEBUG)
log.addHandler(Calls())

rm = pyvisa.ResourceManager(sys.argv[1])
print(rm.list_resources("?*sim-scope?*"))
inst = rm.open_resource("TCPIP0::sim-scope::inst0::INSTR", read_termination="\n", write_termination="\n",
                        timeout=3000)
print(inst.query("*IDN?"))
inst.write(":WAV:POIN 20")
print(inst.query_binary_values("CURV?", datatype="b"))
inst.clear()
print(inst.read_stb())
print(inst.get_visa_attribute(pyvisa.constants.VI_ATTR_TMO_VALUE))
inst.close()
rm.close()
for name, session, data in calls:
    print("CALL", name, session, data.hex())
