// VXI-11 wire format (VXIbus TCP/IP Instrument Protocol rev 1.0): programs,
// procedures, flags, reasons, error codes, and the XDR structures with their encoders and
// (strict) decoders. Field order is wire order.
#pragma once

#include "protocols/oncrpc/xdr.hpp"

#include <cppvisa/status.hpp>

#include <cstdint>
#include <span>
#include <string>

namespace cppvisa::vxi11 {

inline constexpr std::uint32_t core_program = 0x0607AF;
inline constexpr std::uint32_t async_program = 0x0607B0;  // abort channel
inline constexpr std::uint32_t intr_program = 0x0607B1;   // interrupt channel (served by the client)
inline constexpr std::uint32_t program_version = 1;

namespace proc {
inline constexpr std::uint32_t device_abort = 1;  // async channel
inline constexpr std::uint32_t create_link = 10;
inline constexpr std::uint32_t device_write = 11;
inline constexpr std::uint32_t device_read = 12;
inline constexpr std::uint32_t device_readstb = 13;
inline constexpr std::uint32_t device_trigger = 14;
inline constexpr std::uint32_t device_clear = 15;
inline constexpr std::uint32_t device_remote = 16;
inline constexpr std::uint32_t device_local = 17;
inline constexpr std::uint32_t device_lock = 18;
inline constexpr std::uint32_t device_unlock = 19;
inline constexpr std::uint32_t device_enable_srq = 20;
inline constexpr std::uint32_t device_docmd = 22;
inline constexpr std::uint32_t destroy_link = 23;
inline constexpr std::uint32_t create_intr_chan = 25;
inline constexpr std::uint32_t destroy_intr_chan = 26;
inline constexpr std::uint32_t device_intr_srq = 30;  // interrupt channel, one-way
}  // namespace proc

namespace flag {
inline constexpr std::int32_t waitlock = 0x01;
inline constexpr std::int32_t end = 0x08;
inline constexpr std::int32_t termchrset = 0x80;
}  // namespace flag

namespace reason {
inline constexpr std::int32_t reqcnt = 0x01;
inline constexpr std::int32_t chr = 0x02;
inline constexpr std::int32_t end = 0x04;
}  // namespace reason

namespace err {
inline constexpr std::int32_t none = 0;
inline constexpr std::int32_t syntax = 1;
inline constexpr std::int32_t not_accessible = 3;
inline constexpr std::int32_t invalid_link = 4;
inline constexpr std::int32_t parameter = 5;
inline constexpr std::int32_t no_channel = 6;
inline constexpr std::int32_t not_supported = 8;
inline constexpr std::int32_t out_of_resources = 9;
inline constexpr std::int32_t locked = 11;
inline constexpr std::int32_t no_lock = 12;
inline constexpr std::int32_t io_timeout = 15;
inline constexpr std::int32_t io_error = 17;
inline constexpr std::int32_t invalid_address = 21;
inline constexpr std::int32_t abort = 23;
inline constexpr std::int32_t channel_established = 29;
}  // namespace err

/// Device_AddrFamily (not IPPROTO numbers).
inline constexpr std::uint32_t family_tcp = 0;
inline constexpr std::uint32_t family_udp = 1;

/// Bounds applied when decoding (a peer cannot make us accept more).
inline constexpr std::size_t max_device_name = 256;
inline constexpr std::size_t max_srq_handle = 40;

/// The VISA status for a VXI-11 error code (in the context of an I/O operation).
status_t error_to_status(std::int32_t error) noexcept;
/// The VISA status for a create_link error (the resource cannot be opened).
status_t create_link_error_to_status(std::int32_t error) noexcept;
/// The VXI-11 error for a VISA status returned by a served device: error_to_status() gives the
/// status back for every status VXI-11 has a code for (TMO, ABORT, NSUP_OPER, RSRC_LOCKED,
/// SESN_NLOCKED, INV_PARAMETER, ALLOC, IO); CONN_LOST and RSRC_NFOUND become 3 (read back as
/// CONN_LOST); any other error becomes 17 (I/O error); warnings and success become 0.
std::int32_t status_to_error(status_t st) noexcept;

struct CreateLinkParms {
  std::int32_t client_id = 0;
  bool lock_device = false;
  std::uint32_t lock_timeout = 0;
  std::string device;
};
struct CreateLinkResp {
  std::int32_t error = 0;
  std::int32_t lid = 0;
  std::uint32_t abort_port = 0;
  std::uint32_t max_recv_size = 0;
};
struct DeviceWriteParms {
  std::int32_t lid = 0;
  std::uint32_t io_timeout = 0;
  std::uint32_t lock_timeout = 0;
  std::int32_t flags = 0;
  std::span<const std::byte> data;  ///< view into the decoded record / the caller's buffer
};
struct DeviceWriteResp {
  std::int32_t error = 0;
  std::uint32_t size = 0;
};
struct DeviceReadParms {
  std::int32_t lid = 0;
  std::uint32_t request_size = 0;
  std::uint32_t io_timeout = 0;
  std::uint32_t lock_timeout = 0;
  std::int32_t flags = 0;
  std::uint8_t term_char = 0;
};
struct DeviceReadResp {
  std::int32_t error = 0;
  std::int32_t reason = 0;
  std::span<const std::byte> data;
};
struct DeviceGenericParms {
  std::int32_t lid = 0;
  std::int32_t flags = 0;
  std::uint32_t lock_timeout = 0;
  std::uint32_t io_timeout = 0;
};
struct DeviceReadStbResp {
  std::int32_t error = 0;
  std::uint8_t stb = 0;
};
struct DeviceLockParms {
  std::int32_t lid = 0;
  std::int32_t flags = 0;
  std::uint32_t lock_timeout = 0;
};
struct DeviceEnableSrqParms {
  std::int32_t lid = 0;
  bool enable = false;
  std::span<const std::byte> handle;
};
struct DeviceRemoteFunc {
  std::uint32_t host_addr = 0;  ///< IPv4 address, host order of the u32
  std::uint32_t host_port = 0;
  std::uint32_t prog_num = 0;
  std::uint32_t prog_vers = 0;
  std::uint32_t prog_family = 0;
};
struct DeviceDocmdParms {
  std::int32_t lid = 0;
  std::int32_t flags = 0;
  std::uint32_t io_timeout = 0;
  std::uint32_t lock_timeout = 0;
  std::int32_t cmd = 0;
  bool network_order = true;
  std::int32_t datasize = 0;
  std::span<const std::byte> data_in;
};

// Encoders (append to the writer).
void encode(oncrpc::XdrWriter& w, const CreateLinkParms& v);
void encode(oncrpc::XdrWriter& w, const CreateLinkResp& v);
void encode(oncrpc::XdrWriter& w, const DeviceWriteParms& v);
void encode(oncrpc::XdrWriter& w, const DeviceWriteResp& v);
void encode(oncrpc::XdrWriter& w, const DeviceReadParms& v);
void encode(oncrpc::XdrWriter& w, const DeviceReadResp& v);
void encode(oncrpc::XdrWriter& w, const DeviceGenericParms& v);
void encode(oncrpc::XdrWriter& w, const DeviceReadStbResp& v);
void encode(oncrpc::XdrWriter& w, const DeviceLockParms& v);
void encode(oncrpc::XdrWriter& w, const DeviceEnableSrqParms& v);
void encode(oncrpc::XdrWriter& w, const DeviceRemoteFunc& v);
void encode(oncrpc::XdrWriter& w, const DeviceDocmdParms& v);

// Decoders: false when the input is short or a value is invalid. Arguments (the server side)
// must be consumed exactly; results (the client side) tolerate trailing bytes, which some
// instruments add (RFC 4506).
bool decode(oncrpc::XdrReader& r, CreateLinkParms& v);
bool decode(oncrpc::XdrReader& r, CreateLinkResp& v);
bool decode(oncrpc::XdrReader& r, DeviceWriteParms& v, std::size_t max_data);
bool decode(oncrpc::XdrReader& r, DeviceWriteResp& v);
bool decode(oncrpc::XdrReader& r, DeviceReadParms& v);
bool decode(oncrpc::XdrReader& r, DeviceReadResp& v, std::size_t max_data);
bool decode(oncrpc::XdrReader& r, DeviceGenericParms& v);
bool decode(oncrpc::XdrReader& r, DeviceReadStbResp& v);
bool decode(oncrpc::XdrReader& r, DeviceLockParms& v);
bool decode(oncrpc::XdrReader& r, DeviceEnableSrqParms& v);
bool decode(oncrpc::XdrReader& r, DeviceRemoteFunc& v);
bool decode(oncrpc::XdrReader& r, DeviceDocmdParms& v, std::size_t max_data);

}  // namespace cppvisa::vxi11
