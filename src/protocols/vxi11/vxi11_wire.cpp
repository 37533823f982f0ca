#include "protocols/vxi11/vxi11_wire.hpp"

namespace cppvisa::vxi11 {

using oncrpc::XdrReader;
using oncrpc::XdrWriter;

status_t error_to_status(std::int32_t error) noexcept {
  switch (error) {
    case err::none: return status::SUCCESS;
    case err::not_accessible:  // the device went away behind the server
    case err::invalid_link:    // our link is gone (e.g. the server restarted): the connection is lost
      return status::ERROR_CONN_LOST;
    case err::parameter: return status::ERROR_INV_PARAMETER;
    case err::no_channel:
    case err::channel_established: return status::ERROR_INV_SETUP;
    case err::not_supported: return status::ERROR_NSUP_OPER;
    case err::out_of_resources: return status::ERROR_ALLOC;
    case err::locked: return status::ERROR_RSRC_LOCKED;
    case err::no_lock: return status::ERROR_SESN_NLOCKED;
    case err::io_timeout: return status::ERROR_TMO;
    case err::abort: return status::ERROR_ABORT;
    case err::syntax:
    case err::io_error:
    case err::invalid_address:
    default: return status::ERROR_IO;
  }
}

status_t create_link_error_to_status(std::int32_t error) noexcept {
  switch (error) {
    case err::none: return status::SUCCESS;
    case err::syntax:          // device name not understood
    case err::not_accessible:  // no such device
    case err::invalid_address:  // no such GPIB address behind a gateway
      return status::ERROR_RSRC_NFOUND;
    case err::out_of_resources: return status::ERROR_RSRC_BUSY;
    case err::locked: return status::ERROR_RSRC_LOCKED;
    default: return error_to_status(error);
  }
}

std::int32_t status_to_error(status_t st) noexcept {
  // The inverse of error_to_status() wherever VXI-11 has a code for the status, so that a served
  // device's status reaches our client unchanged (NSUP stays NSUP); the rest is an I/O error.
  if (st >= 0) return err::none;
  switch (st) {
    case status::ERROR_TMO: return err::io_timeout;
    case status::ERROR_ABORT: return err::abort;
    case status::ERROR_NSUP_OPER: return err::not_supported;
    case status::ERROR_RSRC_LOCKED: return err::locked;
    case status::ERROR_SESN_NLOCKED: return err::no_lock;
    case status::ERROR_INV_PARAMETER: return err::parameter;
    case status::ERROR_ALLOC: return err::out_of_resources;
    case status::ERROR_CONN_LOST:    // the device behind the server went away
    case status::ERROR_RSRC_NFOUND: return err::not_accessible;
    case status::ERROR_IO:
    default: return err::io_error;
  }
}

// ---- encoders ----

void encode(XdrWriter& w, const CreateLinkParms& v) {
  w.put_i32(v.client_id);
  w.put_bool(v.lock_device);
  w.put_u32(v.lock_timeout);
  w.put_string(v.device);
}
void encode(XdrWriter& w, const CreateLinkResp& v) {
  w.put_i32(v.error);
  w.put_i32(v.lid);
  w.put_u32(v.abort_port);
  w.put_u32(v.max_recv_size);
}
void encode(XdrWriter& w, const DeviceWriteParms& v) {
  w.put_i32(v.lid);
  w.put_u32(v.io_timeout);
  w.put_u32(v.lock_timeout);
  w.put_i32(v.flags);
  w.put_opaque(v.data);
}
void encode(XdrWriter& w, const DeviceWriteResp& v) {
  w.put_i32(v.error);
  w.put_u32(v.size);
}
void encode(XdrWriter& w, const DeviceReadParms& v) {
  w.put_i32(v.lid);
  w.put_u32(v.request_size);
  w.put_u32(v.io_timeout);
  w.put_u32(v.lock_timeout);
  w.put_i32(v.flags);
  w.put_u32(v.term_char);
}
void encode(XdrWriter& w, const DeviceReadResp& v) {
  w.put_i32(v.error);
  w.put_i32(v.reason);
  w.put_opaque(v.data);
}
void encode(XdrWriter& w, const DeviceGenericParms& v) {
  w.put_i32(v.lid);
  w.put_i32(v.flags);
  w.put_u32(v.lock_timeout);
  w.put_u32(v.io_timeout);
}
void encode(XdrWriter& w, const DeviceReadStbResp& v) {
  w.put_i32(v.error);
  w.put_u32(v.stb);
}
void encode(XdrWriter& w, const DeviceLockParms& v) {
  w.put_i32(v.lid);
  w.put_i32(v.flags);
  w.put_u32(v.lock_timeout);
}
void encode(XdrWriter& w, const DeviceEnableSrqParms& v) {
  w.put_i32(v.lid);
  w.put_bool(v.enable);
  w.put_opaque(v.handle);
}
void encode(XdrWriter& w, const DeviceRemoteFunc& v) {
  w.put_u32(v.host_addr);
  w.put_u32(v.host_port);
  w.put_u32(v.prog_num);
  w.put_u32(v.prog_vers);
  w.put_u32(v.prog_family);
}
void encode(XdrWriter& w, const DeviceDocmdParms& v) {
  w.put_i32(v.lid);
  w.put_i32(v.flags);
  w.put_u32(v.io_timeout);
  w.put_u32(v.lock_timeout);
  w.put_i32(v.cmd);
  w.put_bool(v.network_order);
  w.put_i32(v.datasize);
  w.put_opaque(v.data_in);
}

// ---- decoders ----

bool decode(XdrReader& r, CreateLinkParms& v) {
  v.client_id = r.get_i32();
  v.lock_device = r.get_bool();
  v.lock_timeout = r.get_u32();
  v.device = r.get_string(max_device_name);
  return r.done();
}
bool decode(XdrReader& r, CreateLinkResp& v) {
  v.error = r.get_i32();
  v.lid = r.get_i32();
  v.abort_port = r.get_u32();
  v.max_recv_size = r.get_u32();
  return r.ok();
}
bool decode(XdrReader& r, DeviceWriteParms& v, std::size_t max_data) {
  v.lid = r.get_i32();
  v.io_timeout = r.get_u32();
  v.lock_timeout = r.get_u32();
  v.flags = r.get_i32();
  v.data = r.get_opaque(max_data);
  return r.done();
}
bool decode(XdrReader& r, DeviceWriteResp& v) {
  v.error = r.get_i32();
  v.size = r.get_u32();
  return r.ok();
}
bool decode(XdrReader& r, DeviceReadParms& v) {
  v.lid = r.get_i32();
  v.request_size = r.get_u32();
  v.io_timeout = r.get_u32();
  v.lock_timeout = r.get_u32();
  v.flags = r.get_i32();
  v.term_char = static_cast<std::uint8_t>(r.get_u32());  // char promoted to 4 bytes; low bits used
  return r.done();
}
bool decode(XdrReader& r, DeviceReadResp& v, std::size_t max_data) {
  v.error = r.get_i32();
  v.reason = r.get_i32();
  v.data = r.get_opaque(max_data);
  return r.ok();
}
bool decode(XdrReader& r, DeviceGenericParms& v) {
  v.lid = r.get_i32();
  v.flags = r.get_i32();
  v.lock_timeout = r.get_u32();
  v.io_timeout = r.get_u32();
  return r.done();
}
bool decode(XdrReader& r, DeviceReadStbResp& v) {
  v.error = r.get_i32();
  v.stb = static_cast<std::uint8_t>(r.get_u32());
  return r.ok();
}
bool decode(XdrReader& r, DeviceLockParms& v) {
  v.lid = r.get_i32();
  v.flags = r.get_i32();
  v.lock_timeout = r.get_u32();
  return r.done();
}
bool decode(XdrReader& r, DeviceEnableSrqParms& v) {
  v.lid = r.get_i32();
  v.enable = r.get_bool();
  v.handle = r.get_opaque(max_srq_handle);
  return r.done();
}
bool decode(XdrReader& r, DeviceRemoteFunc& v) {
  v.host_addr = r.get_u32();
  v.host_port = r.get_u32();
  v.prog_num = r.get_u32();
  v.prog_vers = r.get_u32();
  v.prog_family = r.get_u32();
  return r.done();
}
bool decode(XdrReader& r, DeviceDocmdParms& v, std::size_t max_data) {
  v.lid = r.get_i32();
  v.flags = r.get_i32();
  v.io_timeout = r.get_u32();
  v.lock_timeout = r.get_u32();
  v.cmd = r.get_i32();
  v.network_order = r.get_bool();
  v.datasize = r.get_i32();
  v.data_in = r.get_opaque(max_data);
  return r.done();
}

}  // namespace cppvisa::vxi11
