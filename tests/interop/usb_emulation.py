"""Runs an interop script under tests/usb/usb_instrument_emulator: the emulated USB instrument
(umockdev; the simulated oscilloscope behind a USBTMC/USB488 device model) is then visible to the
script and to the programs it starts (libusb finds it through the umockdev preload library)."""
import os
import sys

from lan_fixtures import skip

SOURCE = os.environ.get("CPPVISA_SOURCE_DIR", os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
BUILD = os.environ.get("CPPVISA_BUILD_DIR", "build")
EMULATOR = os.path.join(BUILD, "tests", "usb", "usb_instrument_emulator")
SIM_FILE = os.path.join(SOURCE, "tests", "data", "sim", "usb_scope.yaml")
RESOURCE = "USB0::0x0699::0x0401::SIMSCOPE01::INSTR"
IDN = "CPPVISA,SIMSCOPE-1000,SIM0001,1.0"


def run_under_emulator(*emulator_args):
    """Re-executes this script under the emulator (with `emulator_args`, e.g. --node-mode 0600)
    unless it already runs there; returns the name of the emulated instrument (canonical, as
    listings show it)."""
    if "CPPVISA_TEST_USB_RESOURCE" in os.environ:
        return os.environ["CPPVISA_TEST_USB_RESOURCE"]
    if not os.path.exists(EMULATOR):
        skip(f"{EMULATOR} is not built (needs libusb-1.0-0-dev and libumockdev-dev)")
    script = os.path.abspath(sys.argv[0])
    os.execv(EMULATOR, [EMULATOR, "--sim", SIM_FILE, "--resource", RESOURCE, *emulator_args, "--",
                        sys.executable, script, *sys.argv[1:]])
