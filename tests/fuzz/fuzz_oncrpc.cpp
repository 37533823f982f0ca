// Fuzz target for the ONC RPC decoders of both sides: record marking (fed in arbitrary chunks),
// the server's call handling (portmapper program and every VXI-11 argument structure), and the
// client's reply decoding (every VXI-11 result structure).
#include "protocols/oncrpc/portmapper.hpp"
#include "protocols/oncrpc/rpc_message.hpp"
#include "protocols/oncrpc/rpc_server.hpp"
#include "protocols/vxi11/vxi11_wire.hpp"

#include <cstddef>
#include <cstdint>

using namespace cppvisa;
using namespace cppvisa::oncrpc;

namespace {

ProcResult decode_vxi11_arguments(const CallContext& call, XdrReader& args, XdrWriter& results) {
  using namespace cppvisa::vxi11;
  bool ok = false;
  switch (call.header.proc) {
    case proc::create_link: { CreateLinkParms p; ok = decode(args, p); break; }
    case proc::device_write: { DeviceWriteParms p; ok = decode(args, p, 1 << 16); break; }
    case proc::device_read: { DeviceReadParms p; ok = decode(args, p); break; }
    case proc::device_readstb: case proc::device_trigger: case proc::device_clear:
    case proc::device_remote: case proc::device_local: { DeviceGenericParms p; ok = decode(args, p); break; }
    case proc::device_lock: { DeviceLockParms p; ok = decode(args, p); break; }
    case proc::device_enable_srq: { DeviceEnableSrqParms p; ok = decode(args, p); break; }
    case proc::device_docmd: { DeviceDocmdParms p; ok = decode(args, p, 1 << 16); break; }
    case proc::create_intr_chan: { DeviceRemoteFunc p; ok = decode(args, p); break; }
    default: return ProcResult::proc_unavail;
  }
  if (!ok) return ProcResult::garbage_args;
  results.put_i32(0);
  return ProcResult::reply;
}

void decode_vxi11_results(std::span<const std::byte> body) {
  using namespace cppvisa::vxi11;
  { XdrReader r(body); CreateLinkResp v; decode(r, v); }
  { XdrReader r(body); DeviceWriteResp v; decode(r, v); }
  { XdrReader r(body); DeviceReadResp v; decode(r, v, 1 << 16); }
  { XdrReader r(body); DeviceReadStbResp v; decode(r, v); }
  { XdrReader r(body); Mapping m; decode_mapping(r, m); }
  {
    XdrReader r(body);  // pmaplist
    for (int i = 0; i < 1000 && r.get_bool(); ++i) {
      Mapping m;
      if (!decode_mapping(r, m)) break;
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static PortmapperServer* portmapper = new PortmapperServer();  // not started: its dispatch only
  static RpcServer* server = [] {
    auto* s = new RpcServer();
    s->add_program(pmap::program, pmap::version, pmap::version,
                   [](const CallContext& c, XdrReader& a, XdrWriter& r) { return portmapper->dispatch(c, a, r); });
    s->add_program(vxi11::core_program, 1, 1, decode_vxi11_arguments);
    return s;
  }();
  if (size == 0) return 0;
  // The first byte chooses the chunk size the stream is fed in (1..256).
  std::size_t chunk = static_cast<std::size_t>(data[0]) + 1;
  std::span<const std::byte> stream(reinterpret_cast<const std::byte*>(data) + 1, size - 1);

  // As a record stream (both sides read records the same way).
  RecordReader reader(4096);
  std::size_t pos = 0;
  int records = 0;
  while (pos < stream.size() && !reader.failed() && records < 64) {
    std::size_t n = std::min(chunk, stream.size() - pos);
    std::size_t used = reader.feed(stream.subspan(pos, n));
    pos += used;
    if (reader.has_record()) {
      auto record = reader.take_record();
      ++records;
      std::vector<std::byte> reply;
      bool malformed = false;
      server->handle_call(record, CallContext{}, reply, malformed);
      XdrReader r(record);
      ReplyHeader h;
      if (decode_reply(r, h)) decode_vxi11_results(r.rest());
    } else if (used == 0) {
      break;
    }
  }
  // Again in steps, as RpcClient::await_reply_into takes a reply: a head up to a stop, then
  // bytes diverted into a buffer of the caller's, then the rest. The same bytes must come out:
  // the head and the rest in the record, the diverted ones in the buffer.
  if (stream.size() >= 2) {
    const std::size_t stop = static_cast<std::size_t>(stream[0]) % 64 + 1;
    const std::size_t divert_size = static_cast<std::size_t>(stream[1]) * 8;
    std::span<const std::byte> wire = stream.subspan(2);
    RecordReader plain(4096), steps(4096);
    std::size_t plain_used = plain.feed(wire);
    steps.stop_at(stop);
    std::size_t used = 0;
    std::vector<std::byte> diverted(divert_size);
    bool diverting = false;
    while (used < wire.size() && !steps.failed() && !steps.has_record()) {
      std::size_t n = std::min(chunk, wire.size() - used);
      std::size_t took = steps.feed(wire.subspan(used, n));
      used += took;
      if (steps.at_stop() && !diverting) {
        if (steps.partial().size() != stop) __builtin_trap();
        steps.divert(diverted);
        steps.stop_at(0);
        diverting = true;
      } else if (took == 0) {
        break;
      }
    }
    steps.end_divert();
    if (plain.has_record() && steps.has_record()) {
      if (used != plain_used || steps.diverted() > divert_size) __builtin_trap();
      auto whole = plain.take_record();
      auto rest = steps.take_record();
      std::vector<std::byte> joined(rest.begin(), rest.begin() + static_cast<std::ptrdiff_t>(std::min(stop, rest.size())));
      joined.insert(joined.end(), diverted.begin(), diverted.begin() + static_cast<std::ptrdiff_t>(steps.diverted()));
      if (rest.size() > stop) joined.insert(joined.end(), rest.begin() + static_cast<std::ptrdiff_t>(stop), rest.end());
      if (joined != whole) __builtin_trap();
    }
  }

  // As one UDP datagram / one already-framed message.
  std::vector<std::byte> reply;
  bool malformed = false;
  server->handle_call(stream, CallContext{}, reply, malformed);
  XdrReader r(stream);
  ReplyHeader h;
  if (decode_reply(r, h)) decode_vxi11_results(r.rest());
  return 0;
}
