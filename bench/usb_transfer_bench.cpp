// usb_transfer_bench: 100 MiB read from the USBTMC device model through the real libusb path
// (umockdev, tests/usb/umockdev_usb_device.hpp), the caller reading in chunks from the whole
// message down to 4 KiB. Reports time, MB/s, REQUEST_DEV_DEP_MSG_IN count and bulk URBs per MB.
// Target (issue #10): URBs per MB do not grow as the caller's chunk shrinks from 1 MiB to 4 KiB
// (requests of at least 16 MiB and Bulk-IN transfers of 1 MiB whatever the caller asks for). A
// caller reading the whole message at once makes one request; a smaller caller makes one per
// 16 MiB, each ending with one partial transfer: the first two rows differ by that. Exit status 1 when the
// target is missed, 77 when not run under umockdev-wrapper.
//   umockdev-wrapper build/bench/usb_transfer_bench [MiB]
#include "protocols/usbtmc/usbtmc_resources.hpp"
#include "support/usbtmc_device_model.hpp"
#include "usb/umockdev_usb_device.hpp"

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>

using namespace cppvisa;

int main(int argc, char** argv) {
  const char* preload = std::getenv("LD_PRELOAD");
  if (!preload || !std::strstr(preload, "libumockdev-preload")) {
    std::fprintf(stderr, "usb_transfer_bench: run it under umockdev-wrapper: skipped\n");
    return 77;
  }
  const std::size_t mib = argc > 1 ? std::strtoul(argv[1], nullptr, 10) : 100;
  const std::size_t size = mib << 20;
  auto model = std::make_shared<testing::UsbtmcDeviceModel>();
  testing::UmockdevUsbDevice device(model);
  status_t st = status::SUCCESS;
  auto session = usbtmc::make_session(ResourceName::parse("USB0::0x0957::0x1796::MY123::INSTR"), st);
  if (!session || session->connect(core::Deadline::after_ms(5000)) < 0) {
    std::fprintf(stderr, "usb_transfer_bench: cannot open the emulated device\n");
    return 1;
  }
  std::printf("| caller chunk | MB/s | requests | bulk-IN URBs | URBs per MB |\n|---|---|---|---|---|\n");
  std::vector<std::byte> buffer(size);
  double reference = 0;  // URBs per MB at a 1 MiB chunk
  bool ok = true;
  for (std::size_t chunk : {size, std::size_t{1} << 20, std::size_t{64} << 10, std::size_t{20} << 10,
                            std::size_t{4} << 10}) {
    const auto before = device.counters();
    const auto requests_before = model->stats().requests;
    model->queue_reply(testing::ModelReply::pattern(size));
    const auto t0 = std::chrono::steady_clock::now();
    std::size_t total = 0;
    for (;;) {
      std::size_t n = 0;
      const std::size_t ask = std::min(chunk, size - total);
      st = session->read(std::span(buffer.data() + total, ask), n, core::Deadline::after_ms(60000));
      total += n;
      if (st < 0 || st == status::SUCCESS || total >= size) break;
    }
    const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    if (st < 0 || total != size) {
      std::fprintf(stderr, "usb_transfer_bench: read failed (status %d, %zu bytes)\n", static_cast<int>(st), total);
      return 1;
    }
    const auto after = device.counters();
    const std::size_t urbs = after.bulk_in_urbs - before.bulk_in_urbs;
    const double per_mb = static_cast<double>(urbs) / (static_cast<double>(size) / 1e6);
    if (chunk == (std::size_t{1} << 20)) reference = per_mb;
    if (chunk < (std::size_t{1} << 20) && per_mb > reference + 1e-9) ok = false;
    std::printf("| %zu KiB | %.0f | %zu | %zu | %.3f |\n", chunk >> 10, static_cast<double>(size) / 1e6 / s,
                model->stats().requests - requests_before, urbs, per_mb);
  }
  session->disconnect();
  std::printf("target: URBs per MB do not grow as the chunk shrinks below 1 MiB: %s\n", ok ? "PASS" : "MISSED");
  return ok ? 0 : 1;
}
