// sim::SimSession: a VISA session on a simulated resource. Message-based I/O with VISA's rules
// (core::MessageReader over the device's output queue; END per message, or for ASRL per
// VI_ATTR_ASRL_END_IN), read_stb (serial poll), clear, trigger, flush, and service-request
// events raised by the device.
// - viWrite passes END (VI_ATTR_SEND_END_EN) to the device for interfaces that carry END
//   (TCPIP INSTR, GPIB, USB INSTR, VXI, PXI ...), never for SOCKET or USB RAW; ASRL marks its end in the
//   data (VI_ATTR_ASRL_END_OUT);
// - a write that interrupts a query (Device::write) also drops this session's read leftover;
// - abort() (viTerminate) makes a read waiting for the device return VI_ERROR_ABORT (this
//   session only); output_state() from the read leftover and the device's queue;
// - in PyVISA-sim's stream mode (random_stream.hpp) it holds its PyVISA-sim session handle, live
//   until disconnect().
#pragma once

#include "backends/sim/device.hpp"
#include "core/message_reader.hpp"
#include "core/session.hpp"

#include <atomic>
#include <memory>
#include <mutex>

namespace cppvisa::sim {

class SimSession final : public core::Session, private core::ByteSource {
 public:
  SimSession(const ResourceName& name, std::shared_ptr<Device> device, SessionHandleLease handle = {});
  ~SimSession() override;

  status_t connect(core::Deadline deadline) override;
  void disconnect() override;
  status_t read(std::span<std::byte> buffer, std::size_t& count, core::Deadline deadline) override;
  status_t write(std::span<const std::byte> data, std::size_t& count, core::Deadline deadline) override;
  status_t read_stb(std::uint16_t& stb, core::Deadline deadline) override;
  status_t clear(core::Deadline deadline) override;
  status_t assert_trigger(TriggerProtocol protocol, core::Deadline deadline) override;
  status_t flush(std::uint16_t mask, core::Deadline deadline) override;
  status_t abort() override;
  core::OutputState output_state() override;

 protected:
  status_t validate_attribute(attr_id_t id, const AttrValue& value) override;
  status_t computed_attribute(attr_id_t id, AttrValue& value) override;

 private:
  status_t receive(std::span<std::byte> buffer, core::Deadline deadline, std::size_t& count, bool& end) override;
  bool serial() const noexcept { return interface_type() == InterfaceType::asrl; }
  /// Whether the interface carries END with the last byte (not SOCKET, RAW or ASRL).
  bool carries_end() const;
  void device_write(std::span<const std::byte> data, bool end);
  status_t write_to_device(std::span<const std::byte> data);  // @throws MalformedResponse

  /// VI_ERROR_CONN_LOST once the instrument dropped the connections (a `disconnect` fault).
  bool connection_lost() const { return device_->connection_epoch() != epoch_; }

  std::shared_ptr<Device> device_;
  std::uint64_t epoch_;  // the device's connection epoch when this session was opened
  SessionHandleLease pyvisa_sim_handle_;
  core::MessageReader reader_;
  // The device's service-request listener reaches the session through this link, which
  // disconnect() cuts (under its mutex) so that no event is raised on a closed session.
  struct Link {
    std::mutex mutex;
    SimSession* session = nullptr;
  };
  std::shared_ptr<Link> link_ = std::make_shared<Link>();
  std::size_t listener_ = 0;
  std::atomic<bool> cancel_{false};  // abort(): the read in progress gives up
  core::AbortGate gate_{[this] {
                          cancel_ = true;
                          device_->wake();
                        },
                        [this] { cancel_ = false; }};
};

}  // namespace cppvisa::sim
