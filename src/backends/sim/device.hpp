// sim::Device: the runtime state of one simulated instrument bound to one resource (in one
// resource manager): its input buffer, output queue, property values, status registers, error
// queues and status byte. Fed with the bytes a session writes, it answers as PyVISA-sim
// describes (matching order: dialogues, getters, [cppvisa: waveforms, status byte], status
// registers, error queues, setters, channel groups), plus what PyVISA-sim lacks: response delays,
// query errors on empty reads (opt-in), device clear, trigger, the status byte and service requests,
// and for testing client code: state across properties (when/set), injected faults (timeout,
// garbage, disconnect) and binary block replies.
// Thread-safe: several sessions may share a device.
#pragma once

#include "backends/sim/model.hpp"
#include "backends/sim/output_message.hpp"
#include "backends/sim/random_stream.hpp"
#include "core/deadline.hpp"
#include "core/session.hpp"

#include <cppvisa/types.hpp>

#include <atomic>
#include <condition_variable>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

namespace cppvisa::sim {

class Device {
 public:
  /// `eom_key` is "<INTERFACE> <CLASS>" of the resource (e.g. "ASRL INSTR"); `channel_ids`
  /// overrides the ids of channel groups; `seed` overrides the definition's seed (else a random one);
  /// `shared`, when given, is the stream the device draws from instead of a stream of its own
  /// (PyVISA-sim's stream shared by a resource manager's instruments).
  Device(std::shared_ptr<const DeviceDef> def, const std::string& eom_key,
         std::map<std::string, std::vector<std::string>> channel_ids = {}, std::optional<std::uint64_t> seed = {},
         std::shared_ptr<RandomStream> shared = {});
  ~Device();
  Device(const Device&) = delete;
  Device& operator=(const Device&) = delete;

  /// Bytes received from a session. A program message is complete when the buffer ends with the
  /// eom's query termination, or when `end` is true (END with the last byte: IEEE 488.2 §7.5.2,
  /// NL, END or NL+END each terminate a program message); the termination is stripped when
  /// present. An empty termination makes every write a message.
  ///
  /// Query interrupted (IEEE 488.2 §6.3.2.3): when these bytes start a new program message while
  /// output of an earlier one is unread (queued, partly read, delayed and not yet ready, or
  /// `unread_leftover`: the writing session still holds bytes of a reply), that output is
  /// discarded and ErrorKind::query_interrupted is recorded (-410 where the device has an error
  /// queue). Returns true when that happened (the session then drops its leftover too).
  /// @throws MalformedResponse when a message used a response whose directive was malformed in
  /// the file (replies of the pieces before it are queued; the bytes are consumed).
  bool write(std::span<const std::byte> data, bool end = false, bool unread_leftover = false);
  bool write(std::string_view text, bool end = false, bool unread_leftover = false) {
    return write(std::as_bytes(std::span(text.data(), text.size())), end, unread_leftover);
  }

  /// How a serial (ASRL) session sees END: not from message boundaries but from the data
  /// (VI_ATTR_ASRL_END_IN): a termination character, the last data bit, or never.
  struct SerialEnd {
    enum class Kind { none, termchar, last_bit } kind = Kind::termchar;
    std::uint8_t termchar = '\n';
    std::uint8_t last_bit_mask = 0x80;
  };

  /// ByteSource::receive semantics: waits (until `deadline`) for a ready output message, copies
  /// up to buffer.size() bytes of it; `end` is true when the message's last byte was copied, or
  /// with `serial`, when a byte ends the read per its rule (the copy stops after that byte).
  /// Returns VI_SUCCESS or VI_ERROR_TMO (nothing copied); VI_ERROR_ABORT (nothing copied) when
  /// `cancel` is set, before or while waiting (see wake()).
  /// With `epoch` (the connection_epoch() the session was opened in), a dropped connection
  /// (an injected `disconnect` fault) makes it return VI_ERROR_CONN_LOST, also while waiting.
  status_t receive(std::span<std::byte> buffer, core::Deadline deadline, std::size_t& count, bool& end,
                   const SerialEnd* serial = nullptr, const std::atomic<bool>* cancel = nullptr,
                   const std::uint64_t* epoch = nullptr);
  /// Counts the connection drops (injected `disconnect` faults): a session opened before the
  /// last one has lost its connection.
  std::uint64_t connection_epoch() const;
  /// Wakes the receives waiting on this device so that one whose `cancel` flag was set returns
  /// VI_ERROR_ABORT (the others wait on). Set the flag first (per session, Session::abort).
  void wake();

  /// What a read would find, without reading: ready (the head reply is ready), pending (replies
  /// are queued but the head one is delayed), none (nothing queued).
  core::OutputState output_state() const;

  /// Device clear: discards the input buffer and every queued (or delayed) response.
  void clear();
  /// Serial poll: the status byte (RQS in bit 6 when a service request is pending, then cleared).
  std::uint8_t serial_poll();
  /// The status byte summary without RQS: bit 2 error queue not empty, bit 4 a reply is ready,
  /// bit 5 a status register is non-zero, bit 6 (MSS) when the summary meets the enable mask.
  std::uint8_t status_byte() const;
  /// Group execute trigger: handled as the message "*TRG" when the device defines it, else ignored.
  /// @throws MalformedResponse as write().
  void trigger();

  /// Called (outside the device's lock) when a service request is raised.
  std::size_t add_service_request_listener(std::function<void()> fn);
  void remove_service_request_listener(std::size_t id);

  /// Bytes of the replies that are ready to be read (VI_ATTR_ASRL_AVAIL_NUM), capped at 2^32-1.
  std::uint64_t available_bytes() const;
  /// Number of messages queued (ready or delayed).
  std::size_t queued_messages() const;
  /// A property's current value (device level), for tests and diagnostics.
  std::optional<Value> property(const std::string& name) const;
  const DeviceDef& definition() const noexcept { return *def_; }
  const Eom& eom() const noexcept { return eom_; }

  /// Limits protecting the process from a runaway client.
  static constexpr std::size_t max_input_bytes = 16u << 20;
  static constexpr std::size_t max_queued_messages = 100000;
  static constexpr std::size_t max_queued_bytes = 256u << 20;
  static constexpr std::size_t max_error_queue = 10000;

 private:
  struct Queued {
    std::shared_ptr<OutputMessage> message;
    std::uint64_t offset = 0;
    core::Deadline::clock::time_point ready_at;
  };
  // Per channel group: its ids, lookup tables with {ch_id} substituted, and values per id.
  struct ChannelRuntime {
    const ChannelGroup* def = nullptr;
    std::vector<std::string> ids;
    struct Entry {
      std::string id;
      std::size_t index;
      std::optional<ResponseTemplate> response;  // substituted for this id
    };
    std::unordered_map<std::string, Entry> dialogues;
    std::unordered_map<std::string, Entry> getters;
    std::map<std::string, std::vector<Value>> values;  // id -> property values
  };
  // What processing one message produced.
  struct Reply {
    bool respond = false;
    std::shared_ptr<OutputMessage> message;
    std::optional<Duration> delay;
  };

  void process(std::string_view message, std::vector<Reply>& replies);
  // cppvisa extensions: state across properties, injected faults, binary blocks.
  bool holds(const std::vector<PropertyValue>& when) const;
  void assign(const std::vector<PropertyValue>& set);
  Reply dialogue_reply(const Dialogue& d, const ResponseTemplate* override_tmpl = nullptr);
  void apply_fault(const std::optional<FaultDef>& fault, Reply& reply);
  bool match_device(std::string_view msg, Reply& reply);
  bool match_channels(std::string_view msg, Reply& reply);
  void raise_error(ErrorKind kind, Reply& reply);
  void record_error(ErrorKind kind);  // status registers and error queues only, no reply
  void discard_output_locked();
  Reply text_reply(const std::string& bytes, std::optional<Duration> delay = {});
  Reply render_reply(const std::optional<Response>& r, const Value* value, std::optional<Duration> delay,
                     const ResponseTemplate* override_tmpl = nullptr);
  void enqueue(std::vector<Reply>& replies);
  std::uint8_t summary_locked() const;
  std::uint8_t status_byte_locked() const;
  bool update_service_request_locked();  // true on a rising edge
  void notify(bool raise);
  std::vector<Value>& channel_values(ChannelRuntime& ch, const std::string& id);

  std::shared_ptr<const DeviceDef> def_;
  Eom eom_;
  mutable std::mutex mutex_;
  std::condition_variable ready_;
  std::string input_;
  std::deque<Queued> output_;
  std::uint64_t queued_bytes_ = 0;
  std::vector<Value> values_;
  std::vector<std::int64_t> registers_;
  std::vector<std::deque<std::string>> queues_;
  std::vector<ChannelRuntime> channels_;
  std::unordered_map<std::string, std::size_t> getter_index_, register_index_, queue_index_, waveform_index_;
  // Per query: the dialogues with a `when` in file order, then the last one without (PyVISA-sim:
  // a later dialogue with the same q replaces an earlier one).
  std::unordered_map<std::string, std::vector<std::size_t>> dialogue_index_;
  std::unordered_map<const FaultDef*, std::uint64_t> fault_uses_;
  std::uint64_t connection_epoch_ = 0;
  std::int64_t enable_mask_ = 0;
  std::uint8_t last_summary_ = 0;
  bool rqs_ = false;
  std::shared_ptr<RandomStream> stream_;  // locked after mutex_, never before
  // Delayed replies: a timer thread (started at the first one) updates MAV and service requests
  // when a reply becomes ready.
  void run_timer();
  std::condition_variable timer_wake_;
  std::thread timer_;
  bool stopping_ = false;
  std::mutex listeners_mutex_;
  std::map<std::size_t, std::function<void()>> listeners_;
  std::size_t next_listener_ = 1;
};

}  // namespace cppvisa::sim
