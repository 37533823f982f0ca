// Fuzz target for the USBTMC control-response parsers: GET_CAPABILITIES, the abort/clear/status
// responses, the USB488 interrupt-IN notifications and the USB descriptor parser (sysfs
// `descriptors`), each fed the same bytes. Invariants: no
// crash, no read beyond the input, and a refused GET_CAPABILITIES leaves the output untouched.
#include "protocols/usbtmc/usb_devices.hpp"
#include "protocols/usbtmc/usbtmc_wire.hpp"

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <span>

using namespace cppvisa;
using namespace cppvisa::usbtmc;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* raw, std::size_t size) {
  auto data = std::as_bytes(std::span(raw, size));
  Capabilities caps;
  caps.bcd_usbtmc = 0xBEEF;
  if (parse_capabilities(data, caps) < 0) {
    if (caps.bcd_usbtmc != 0xBEEF) std::abort();
  } else {
    if (size < 6 || raw[0] != ctrl_status::success) std::abort();
    if (caps.has_usb488 != (size >= 16)) std::abort();
  }
  InitiateResponse i;
  if (parse_initiate(data, i) != (size >= 2)) std::abort();
  CheckAbortResponse a;
  if (parse_check_abort(data, a) != (size >= 8)) std::abort();
  CheckClearResponse c;
  if (parse_check_clear(data, c) != (size >= 2)) std::abort();
  StatusByteResponse s;
  if (parse_status_byte(data, s) != (size >= 3)) std::abort();
  Notification n;
  if (parse_notification(data, n) && n.kind == Notification::status_byte && (n.tag < 2 || n.tag > 127)) std::abort();
  UsbDescriptors d;
  if (parse_descriptors(data, d)) {
    if (size < 18) std::abort();
    for (const auto& i : d.interfaces)
      if (i.endpoints.size() > 32) std::abort();
  }
  return 0;
}
