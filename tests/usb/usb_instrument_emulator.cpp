// usb_instrument_emulator: an emulated USB instrument for programs we do not control (PyVISA on
// libvisa.so, visa-serve). It creates a umockdev testbed with one USBTMC/USB488 device
// (umockdev_usb_device.hpp), whose messages are answered by a simulated instrument through the
// gateway's own ServedDevice (so the emulated device behaves as `@sim` does), then runs PROGRAM
// with UMOCKDEV_DIR and the umockdev preload library: libusb in PROGRAM meets the device, and
// this process answers its URBs. Exits with PROGRAM's status (77 when umockdev cannot run here).
//
//   usb_instrument_emulator [--resource NAME] [--sim FILE] [--node-mode OCTAL] -- PROGRAM [ARGS...]
//
// --resource: the simulated instrument behind the device and the device's identity (its vendor
//   id, product id and serial number); default USB0::0x1111::0x2222::0x1234::INSTR of the bundled
//   default.yaml. --sim: a YAML file of simulated instruments instead of the bundled ones.
// --node-mode: permission bits of the device node (and the testbed readable by all), for tests
//   that run PROGRAM as another user. The child sees CPPVISA_TEST_USB_RESOURCE (the name to open)
//   and CPPVISA_TEST_USB_NODE (the node file inside the testbed).
#include "server/session_device.hpp"
#include "usb/umockdev_usb_device.hpp"

#include <cppvisa/backend.hpp>
#include <cppvisa/resource_name.hpp>

#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

using namespace cppvisa;

namespace {

int usage(const char* why) {
  std::fprintf(stderr,
               "usb_instrument_emulator: %s\n"
               "usage: usb_instrument_emulator [--resource NAME] [--sim FILE] [--node-mode OCTAL] -- PROGRAM [ARGS...]\n",
               why);
  return 2;
}

// The simulated instrument's answers as the device model's replies.
std::optional<testing::ModelReply> answer(server::SessionDevice& device, server::ClientId client,
                                          const std::string& message) {
  std::size_t n = 0;
  const auto deadline = core::Deadline::after_ms(2000);
  if (device.write(client, std::as_bytes(std::span(message.data(), message.size())), true, n, deadline) !=
      status::SUCCESS)
    return std::nullopt;
  if (!device.response_pending(client)) return std::nullopt;
  std::string reply;
  std::vector<std::byte> buf(64 * 1024);
  for (;;) {
    server::ReadResult r;
    status_t st = device.read(client, buf, std::nullopt, r, deadline);
    reply.append(reinterpret_cast<const char*>(buf.data()), r.count);
    if (st < 0 || r.end || reply.size() > (256u << 20)) break;
  }
  return testing::ModelReply::text(std::move(reply));
}

volatile std::sig_atomic_t child_pid = 0;
void forward(int sig) {
  if (child_pid > 0) kill(static_cast<pid_t>(child_pid), sig);
}

}  // namespace

int main(int argc, char** argv) {
  std::string resource = "USB0::0x1111::0x2222::0x1234::INSTR";
  std::string sim_file;
  long node_mode = -1;
  int i = 1;
  for (; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--") {
      ++i;
      break;
    }
    if (i + 1 >= argc) return usage(("missing value after " + a).c_str());
    if (a == "--resource") resource = argv[++i];
    else if (a == "--sim") sim_file = argv[++i];
    else if (a == "--node-mode") node_mode = std::strtol(argv[++i], nullptr, 8);
    else return usage(("unknown option " + a).c_str());
  }
  if (i >= argc) return usage("no PROGRAM given");

  std::error_code ec;
  auto name = ResourceName::parse(resource, ec);
  if (!name || name->interface_type != InterfaceType::usb) return usage("--resource must be a USB resource name");

  auto backend = open_backend(sim_file.empty() ? std::string("@sim") : sim_file + "@sim");
  session_t rm = 0, session = 0;
  if (backend->open_default_rm(rm) < 0 || backend->open(rm, resource, AccessMode::no_lock, 0, session) < 0) {
    std::fprintf(stderr, "usb_instrument_emulator: no simulated instrument %s\n", resource.c_str());
    return 1;
  }
  auto device = std::make_unique<server::SessionDevice>(backend, session, resource);
  const server::ClientId client = server::new_client_id();

  testing::UsbtmcModelConfig config;
  auto id = [&](const char* field) {
    return static_cast<std::uint16_t>(std::strtoul(std::string(name->field(field).value_or("0")).c_str(), nullptr, 0));
  };
  config.info.vendor_id = id("manufacturer_id");
  config.info.product_id = id("model_code");
  config.info.serial = std::string(name->field("serial_number").value_or(""));
  config.info.manufacturer = "cppvisa emulated";
  config.info.product = "simulated " + resource;
  auto model = std::make_shared<testing::UsbtmcDeviceModel>(config);
  model->on_message([&](const std::string& m) { return answer(*device, client, m); });

  std::unique_ptr<testing::UmockdevUsbDevice> usb;
  try {
    usb = std::make_unique<testing::UmockdevUsbDevice>(model);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "usb_instrument_emulator: %s: skipped\n", e.what());
    return 77;
  }
  if (node_mode >= 0) {
    // The testbed open to all (libusb's udev monitor binds a socket there under umockdev),
    // umockdev's ioctl socket reachable by all (its preload library connects to it before the
    // real open), and the node itself with the mode asked for.
    const std::string socket = usb->root_dir() + "/ioctl" + usb->devnode();
    if (chmod(usb->root_dir().c_str(), 01777) != 0 || chmod(socket.c_str(), 0777) != 0 ||
        chmod(usb->devnode_file().c_str(), static_cast<mode_t>(node_mode)) != 0) {
      std::fprintf(stderr, "usb_instrument_emulator: chmod: %s\n", std::strerror(errno));
      return 1;
    }
  }
  std::string preload = "libumockdev-preload.so.0";
  if (const char* p = std::getenv("LD_PRELOAD"); p && *p) preload += std::string(":") + p;
  setenv("LD_PRELOAD", preload.c_str(), 1);
  setenv("CPPVISA_TEST_USB_RESOURCE", ResourceName::parse(resource).canonical().c_str(), 1);
  setenv("CPPVISA_TEST_USB_NODE", usb->devnode_file().c_str(), 1);

  const pid_t pid = fork();
  if (pid < 0) return 1;
  if (pid == 0) {
    execvp(argv[i], argv + i);
    std::fprintf(stderr, "usb_instrument_emulator: %s: %s\n", argv[i], std::strerror(errno));
    _exit(127);
  }
  child_pid = pid;
  std::signal(SIGTERM, forward);
  std::signal(SIGINT, forward);
  int wstatus = 0;
  while (waitpid(pid, &wstatus, 0) < 0 && errno == EINTR) {
  }
  usb.reset();
  device.reset();
  backend->close(session);
  backend->close(rm);
  if (WIFEXITED(wstatus)) return WEXITSTATUS(wstatus);
  return 128 + (WIFSIGNALED(wstatus) ? WTERMSIG(wstatus) : 0);
}
