// serial::SerialSession: ASRL INSTR sessions of the native backend over Linux terminal devices
// (docs/serial.md). The backend calls make_session() for ASRL names and list_ports() to list them.
#pragma once

#include "core/message_reader.hpp"
#include "core/session.hpp"
#include "protocols/serial/input_queue.hpp"
#include "protocols/net/socket.hpp"
#include "protocols/serial/serial_port.hpp"

#include <cppvisa/resource_name.hpp>
#include <cppvisa/status.hpp>

#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace cppvisa::serial {

/// A new, unconnected session for an ASRL INSTR name, or nullptr with `st` set:
/// VI_ERROR_NSUP_OPER for another interface or class, VI_ERROR_RSRC_NFOUND when the name maps to
/// no device path (ASRL0, URLs). Opening the device happens in connect(): VI_ERROR_RSRC_NFOUND,
/// VI_ERROR_RSRC_BUSY (another process has it), VI_ERROR_NPERMISSION.
std::unique_ptr<core::Session> make_session(const ResourceName& name, status_t& st);

/// Canonical names of the serial ports present now (see port_names.hpp for the rules).
std::vector<std::string> list_ports();

/// One session to a serial port. Sessions of one process to one device share the Port (its
/// input queue and line settings); each has its own END rules, timeout and read leftovers.
class SerialSession : public core::Session, private core::ByteSource {
 public:
  SerialSession(const ResourceName& name, std::string device_path);
  ~SerialSession() override;

  status_t connect(core::Deadline deadline) override;
  void disconnect() override;

  /// viRead: END per VI_ATTR_ASRL_END_IN (TERMCHAR: the termination character carries END
  /// whatever TERMCHAR_EN says; LAST_BIT: a byte with the top data bit set; NONE: no END).
  status_t read(std::span<std::byte> buffer, std::size_t& count, core::Deadline deadline) override;
  /// viWrite: with SEND_END_EN, VI_ATTR_ASRL_END_OUT NONE sends the bytes as given, LAST_BIT
  /// clears the top data bit of every byte and sets it on the last, TERMCHAR appends
  /// VI_ATTR_TERMCHAR, BREAK sends a break of VI_ATTR_ASRL_BREAK_LEN ms afterwards. `count`
  /// counts the caller's bytes only.
  status_t write(std::span<const std::byte> data, std::size_t& count, core::Deadline deadline) override;
  /// With VI_ATTR_IO_PROT = VI_PROT_4882_STRS: sends "*STB?\n" and parses the reply; else NSUP_OPER.
  status_t read_stb(std::uint16_t& stb, core::Deadline deadline) override;
  /// Discards input and output (ours and the driver's); with VI_PROT_4882_STRS also sends "*CLS\n".
  status_t clear(core::Deadline deadline) override;
  /// With VI_PROT_4882_STRS sends "*TRG\n" (VPP-4.3 viAssertTrigger, serial INSTR); else NSUP_OPER.
  status_t assert_trigger(TriggerProtocol protocol, core::Deadline deadline) override;
  /// viFlush: any input bit discards what was received; *_DISCARD output bits discard what was
  /// not transmitted; VI_WRITE_BUF / VI_IO_OUT_BUF wait until it is transmitted.
  status_t flush(std::uint16_t mask, core::Deadline deadline) override;

  /// From another thread (viTerminate): a read, write, flush or break of this session waiting on
  /// the device returns VI_ERROR_ABORT. VI_SUCCESS (no effect) when nothing is in progress.
  status_t abort() override;
  /// ready when input is buffered (this session's leftovers, the port's queue, the driver's),
  /// else unknown (a serial line cannot tell whether the instrument is preparing an answer).
  core::OutputState output_state() override;

  /// The serial events (NI-VISA): starts watching the port (Port::add_listener) for this session.
  void event_enabled(event_type_t type) override;

  /// The device this session opened (after connect).
  const std::string& device_path() const noexcept { return path_; }

 protected:
  status_t validate_attribute(attr_id_t id, const AttrValue& value) override;
  void attribute_changed(attr_id_t id, const AttrValue& value) override;
  status_t computed_attribute(attr_id_t id, AttrValue& value) override;

 private:
  status_t receive(std::span<std::byte> buffer, core::Deadline deadline, std::size_t& count, bool& end) override;
  LineSettings settings_from_attributes() const;
  InputQueue::Options input_options() const;
  EndRule end_rule() const;
  status_t send_string(std::string_view text, core::Deadline deadline);

  /// The port, for attribute calls (which the backend does not serialise with close).
  std::shared_ptr<Port> port() const;
  /// Raises the serial events this activity of the port means for this session.
  void port_activity(const PortActivity& activity);
  unsigned watch_wanted();

  std::string path_;
  mutable std::mutex port_mutex_;  // guards port_ itself (not the port)
  std::shared_ptr<Port> port_;     // set by connect, reset by disconnect
  // Our Port listener (0: none), guarded by listener_mutex_. Never held with port_mutex_ around a
  // call into the port: the port's watcher calls us under its listener lock, and what we do there
  // (attributes) may take port_mutex_ (lock order: listener_mutex_, then the port's lock, then
  // port_mutex_; ThreadSanitizer found the inversion).
  std::mutex listener_mutex_;
  int listener_ = 0;
  core::MessageReader reader_;
  EndRule rule_;  // END rule of the read in progress
  net::Waker waker_;  // abort(): the port's waits watch it
  core::AbortGate gate_{[this] { waker_.wake(); }, [this] { waker_.reset(); }};
};

}  // namespace cppvisa::serial
