#include "protocols/usbtmc/usbtmc_resources.hpp"

#include "protocols/usbtmc/usb_devices.hpp"
#include "protocols/usbtmc/usb_raw_session.hpp"
#include "protocols/usbtmc/usbtmc_quirks.hpp"

#include <cstdio>
#include <cstdlib>
#include "protocols/usbtmc/usbtmc_session.hpp"

#ifdef CPPVISA_HAVE_LIBUSB
#include "protocols/usbtmc/libusb_transport.hpp"
#endif

namespace cppvisa::usbtmc {

bool available() noexcept {
#ifdef CPPVISA_HAVE_LIBUSB
  return true;
#else
  return false;
#endif
}

std::string_view availability() noexcept {
#ifdef CPPVISA_HAVE_LIBUSB
  return {};
#else
  return "USB instruments need libusb-1.0: this build was made without it (install libusb-1.0-0-dev and rebuild)";
#endif
}

std::unique_ptr<core::Session> make_session(const ResourceName& name, status_t& st) {
  if (name.interface_type != InterfaceType::usb || (name.resource_class != "INSTR" && name.resource_class != "RAW")) {
    st = status::ERROR_NSUP_OPER;
    return nullptr;
  }
#ifdef CPPVISA_HAVE_LIBUSB
  bool ambiguous = false;
  auto found = resolve(name, scan_devices(), &ambiguous);
  if (!found) {
    st = status::ERROR_RSRC_NFOUND;
    return nullptr;
  }
  TransportOpener opener = [](const ResourceName& n, core::Deadline, status_t& s) -> std::unique_ptr<UsbTransport> {
    // Resolved again at connect: the device may have been re-plugged (new address) since.
    auto match = resolve(n, scan_devices());
    if (!match) {
      s = status::ERROR_RSRC_NFOUND;
      return nullptr;
    }
    return LibusbTransport::open(*match, s);
  };
  st = status::SUCCESS;
  if (name.resource_class == "RAW") {
    auto endpoints_of = [](const std::vector<UsbEndpoint>& endpoints) {
      RawEndpoints eps;
      for (const auto& e : endpoints) {
        if (e.is_bulk()) (e.is_in() ? eps.bulk_in : eps.bulk_out).push_back(e.address);
        else if (e.is_interrupt() && e.is_in()) eps.interrupt_in.push_back(e.address);
      }
      return eps;
    };
    RawInterface iface{endpoints_of(found->interface.endpoints), {}};
    for (const auto& alt : found->interface.alternates)
      iface.alternates.emplace_back(alt.alternate, endpoints_of(alt.endpoints));
    return std::make_unique<UsbRawSession>(name, std::move(opener), std::move(iface));
  }
  SessionOptions options;
  std::vector<QuirkRow> overrides;
  if (const char* env = std::getenv("CPPVISA_USBTMC_QUIRKS")) {
    std::string error;
    if (!parse_quirk_overrides(env, overrides, error))
      std::fprintf(stderr, "cppvisa: CPPVISA_USBTMC_QUIRKS ignored: %s\n", error.c_str());
  }
  const auto vid = found->device.descriptors.vendor_id, pid = found->device.descriptors.product_id;
  const std::uint32_t flags = quirks_for(vid, pid, overrides);
  apply_quirks(flags, options);
  apply_identity_quirks(flags, identity_quirks_for(vid, pid, overrides), options);
  return std::make_unique<UsbtmcSession>(name, std::move(opener), options);
#else
  st = status::ERROR_NSUP_OPER;
  return nullptr;
#endif
}

std::vector<std::string> list_resources(bool raw) {
#ifdef CPPVISA_HAVE_LIBUSB
  return resource_names(scan_devices(), raw);
#else
  (void)raw;
  return {};
#endif
}

std::vector<std::string> list_resources() { return list_resources(false); }

}  // namespace cppvisa::usbtmc
