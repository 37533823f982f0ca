#include "backends/sim/device.hpp"

#include "backends/sim/block.hpp"
#include "backends/sim/waveform.hpp"

#include <cppvisa/status.hpp>

#include <algorithm>

namespace cppvisa::sim {

namespace {

constexpr std::uint8_t stb_error_queue = 0x04;     // SCPI: error/event queue not empty
constexpr std::uint8_t stb_message_available = 0x10;  // IEEE 488.2 §11.2.1.2 MAV
constexpr std::uint8_t stb_event_summary = 0x20;   // IEEE 488.2 ESB
constexpr std::uint8_t stb_request_service = 0x40;  // RQS (serial poll) / MSS (*STB?)

std::optional<ResponseTemplate> substituted(const std::optional<Response>& r, ResponseTemplate::Mode mode,
                                            const std::string& id) {
  if (!r) return std::nullopt;
  if (r->text.find("{ch_id}") == std::string::npos) return r->tmpl;
  try {
    return ResponseTemplate::parse(replace_all(r->text, "{ch_id}", id), mode);
  } catch (const FormatError&) {
    return r->tmpl;  // an id that breaks the template: answer as checked at load
  }
}

}  // namespace

Device::Device(std::shared_ptr<const DeviceDef> def, const std::string& eom_key,
               std::map<std::string, std::vector<std::string>> channel_ids, std::optional<std::uint64_t> seed,
               std::shared_ptr<RandomStream> shared)
    : def_(std::move(def)),
      eom_(def_->eom_for(eom_key)),
      stream_(shared ? std::move(shared)
                     : std::make_shared<RandomStream>(seed ? *seed : def_->seed ? *def_->seed : random_seed())) {
  {
    std::unordered_map<std::string, std::size_t> unguarded;
    for (std::size_t i = 0; i < def_->dialogues.size(); ++i) {
      const auto& d = def_->dialogues[i];
      if (d.when.empty()) unguarded[d.query] = i;
      else dialogue_index_[d.query].push_back(i);
    }
    for (const auto& [q, i] : unguarded) dialogue_index_[q].push_back(i);
  }
  for (std::size_t i = 0; i < def_->properties.size(); ++i) {
    values_.push_back(def_->properties[i].default_value);
    if (def_->properties[i].getter_query) getter_index_[*def_->properties[i].getter_query] = i;
  }
  for (std::size_t i = 0; i < def_->errors.registers.size(); ++i) register_index_[def_->errors.registers[i].query] = i;
  for (std::size_t i = 0; i < def_->errors.queues.size(); ++i) queue_index_[def_->errors.queues[i].query] = i;
  for (std::size_t i = 0; i < def_->waveforms.size(); ++i) waveform_index_[def_->waveforms[i].query] = i;
  registers_.assign(def_->errors.registers.size(), 0);
  queues_.resize(def_->errors.queues.size());
  enable_mask_ = def_->status_byte.enable;
  for (const auto& group : def_->channels) {
    ChannelRuntime ch;
    ch.def = &group;
    auto over = channel_ids.find(group.name);
    ch.ids = over != channel_ids.end() ? over->second : group.ids;
    for (const auto& id : ch.ids) {
      // can_select: the id is part of the query; otherwise the key is "<selected id>\0<query>".
      auto key = [&](const std::string& q) {
        return group.can_select ? replace_all(q, "{ch_id}", id) : id + '\0' + replace_all(q, "{ch_id}", id);
      };
      for (std::size_t i = 0; i < group.dialogues.size(); ++i)
        ch.dialogues[key(group.dialogues[i].query)] = {id, i, substituted(group.dialogues[i].response,
                                                                          ResponseTemplate::Mode::verbatim, id)};
      for (std::size_t i = 0; i < group.properties.size(); ++i)
        if (group.properties[i].getter_query)
          ch.getters[key(*group.properties[i].getter_query)] = {
              id, i, substituted(group.properties[i].getter_response, ResponseTemplate::Mode::getter, id)};
    }
    channels_.push_back(std::move(ch));
  }
}

Device::~Device() {
  {
    std::lock_guard lk(mutex_);
    stopping_ = true;
  }
  timer_wake_.notify_all();
  if (timer_.joinable()) timer_.join();
}

void Device::run_timer() {
  std::unique_lock lk(mutex_);
  while (!stopping_) {
    auto now = core::Deadline::clock::now();
    if (output_.empty() || output_.front().ready_at <= now) {
      timer_wake_.wait(lk);
      continue;
    }
    timer_wake_.wait_until(lk, output_.front().ready_at);
    if (stopping_) break;
    if (update_service_request_locked()) {
      lk.unlock();
      notify(true);
      lk.lock();
    }
  }
}

std::vector<Value>& Device::channel_values(ChannelRuntime& ch, const std::string& id) {
  auto it = ch.values.find(id);
  if (it == ch.values.end()) {
    std::vector<Value> defaults;
    for (const auto& p : ch.def->properties) defaults.push_back(p.default_value);
    it = ch.values.emplace(id, std::move(defaults)).first;
  }
  return it->second;
}

Device::Reply Device::text_reply(const std::string& bytes, std::optional<Duration> delay) {
  Reply r;
  r.respond = true;
  r.message = std::make_shared<BytesMessage>(bytes + eom_.response_termination);
  r.delay = delay ? delay : def_->delay;
  return r;
}

Device::Reply Device::render_reply(const std::optional<Response>& resp, const Value* value,
                                   std::optional<Duration> delay, const ResponseTemplate* override_tmpl) {
  if (!resp) return Reply{};
  const ResponseTemplate& t = override_tmpl ? *override_tmpl : resp->tmpl;
  try {
    auto r = stream_->lock();
    return text_reply(value ? render_getter(t, *value, r.rng) : t.render(nullptr, r.rng), delay);
  } catch (const FormatError&) {
    Reply r;
    raise_error(ErrorKind::query_error, r);  // the value cannot be shown with this format
    return r;
  }
}

void Device::record_error(ErrorKind kind) {
  const auto& errs = def_->errors;
  for (std::size_t i = 0; i < errs.registers.size(); ++i) {
    auto it = errs.registers[i].bits.find(kind);
    if (it != errs.registers[i].bits.end()) registers_[i] |= it->second;
  }
  for (std::size_t i = 0; i < errs.queues.size(); ++i) {
    auto it = errs.queues[i].messages.find(kind);
    if (it != errs.queues[i].messages.end() && queues_[i].size() < max_error_queue) queues_[i].push_back(it->second);
  }
}

void Device::raise_error(ErrorKind kind, Reply& reply) {
  record_error(kind);
  const auto& errs = def_->errors;
  const auto& resp = kind == ErrorKind::command_error ? errs.command_error : errs.query_error;
  reply = Reply{};
  if (resp) {
    try {
      auto r = stream_->lock();
      reply = text_reply(resp->tmpl.render(nullptr, r.rng));
    } catch (const FormatError&) {
    }
  }
}

bool Device::holds(const std::vector<PropertyValue>& when) const {
  // A property without specs may hold what a setter field parsed (an int from {:d}): compared as
  // Python's str() of both then.
  return std::all_of(when.begin(), when.end(), [&](const PropertyValue& c) {
    const Value& v = values_[c.property];
    return v == c.value || python_str(v) == python_str(c.value);
  });
}

void Device::assign(const std::vector<PropertyValue>& set) {
  for (const auto& a : set) values_[a.property] = a.value;
}

Device::Reply Device::dialogue_reply(const Dialogue& d, const ResponseTemplate* override_tmpl) {
  Reply reply;
  if (d.block) {
    // The r text (if any) then the block, as one reply.
    std::string text;
    {
      auto r = stream_->lock();
      if (d.response) text = (override_tmpl ? *override_tmpl : d.response->tmpl).render(nullptr, r.rng);
      text += render_block(*d.block, r.rng);
    }
    reply = text_reply(text, d.delay);
  } else {
    reply = render_reply(d.response, nullptr, d.delay, override_tmpl);
  }
  assign(d.set);
  apply_fault(d.fault, reply);
  return reply;
}

void Device::apply_fault(const std::optional<FaultDef>& fault, Reply& reply) {
  if (!fault) return;
  std::uint64_t use = ++fault_uses_[&*fault];
  if (use % fault->every != 0) return;
  if (fault->probability < 1.0 && !(stream_->lock().rng.random() < fault->probability)) return;
  switch (fault->kind) {
    case FaultDef::Kind::timeout: reply = Reply{}; break;
    case FaultDef::Kind::garbage: {
      // As many bytes as the reply had (8 for a command without one), none of the terminator's.
      const std::string& term = eom_.response_termination;
      std::uint64_t n = reply.respond && reply.message ? reply.message->size() - term.size() : 8;
      n = std::min<std::uint64_t>(std::max<std::uint64_t>(n, 1), max_queued_bytes / 2);
      std::string junk;
      auto r = stream_->lock();
      while (junk.size() < n) {
        auto b = static_cast<char>(r.rng.getrandbits(8));
        if (term.find(b) == std::string::npos) junk.push_back(b);
      }
      auto delay = reply.respond ? reply.delay : def_->delay;
      reply = text_reply(junk, delay);
      break;
    }
    case FaultDef::Kind::disconnect:
      // Every session of the instrument loses its connection; what was pending is gone.
      ++connection_epoch_;
      input_.clear();
      discard_output_locked();
      reply = Reply{};
      ready_.notify_all();
      break;
  }
}

std::uint64_t Device::connection_epoch() const {
  std::lock_guard lk(mutex_);
  return connection_epoch_;
}

bool Device::match_device(std::string_view msg, Reply& reply) {
  const std::string key(msg);
  if (auto it = dialogue_index_.find(key); it != dialogue_index_.end()) {
    for (std::size_t i : it->second) {
      const auto& d = def_->dialogues[i];
      if (!holds(d.when)) continue;
      reply = dialogue_reply(d);
      return true;
    }
  }
  if (auto it = getter_index_.find(key); it != getter_index_.end()) {
    const auto& p = def_->properties[it->second];
    reply = render_reply(p.getter_response, &values_[it->second], p.getter_delay);
    apply_fault(p.getter_fault, reply);
    return true;
  }
  if (auto it = waveform_index_.find(key); it != waveform_index_.end()) {
    const auto& w = def_->waveforms[it->second];
    auto points = convert_value(values_[static_cast<std::size_t>(def_->property_index(w.points_property))],
                                ValueType::integer);
    std::int64_t n = points ? std::get<std::int64_t>(*points) : 0;
    if (!definite_block_header(static_cast<std::uint64_t>(std::max<std::int64_t>(n, 0)) *
                               static_cast<std::uint64_t>(w.sample_bytes))) {
      // More data than a definite-length block can announce (9 length digits): an execution
      // error the instrument reports as a query error, with no reply.
      raise_error(ErrorKind::query_error, reply);
      return true;
    }
    reply = Reply{};
    reply.respond = true;
    reply.message = std::make_shared<WaveformMessage>(static_cast<std::uint64_t>(std::max<std::int64_t>(n, 0)),
                                                      w.sample_bytes, w.big_endian, w.period, eom_.response_termination);
    reply.delay = w.delay ? w.delay : def_->delay;
    return true;
  }
  const auto& sb = def_->status_byte;
  if (sb.query && key == *sb.query) {
    reply = text_reply(std::to_string(status_byte_locked()));
    return true;
  }
  if (sb.enable_query && key == *sb.enable_query) {
    reply = text_reply(std::to_string(enable_mask_));
    return true;
  }
  if (sb.enable_setter) {
    if (auto m = sb.enable_setter->match(msg)) {
      auto v = convert_value(m->values.at(0), ValueType::integer);
      if (v && std::get<std::int64_t>(*v) >= 0 && std::get<std::int64_t>(*v) <= 255) {
        enable_mask_ = std::get<std::int64_t>(*v);
        reply = Reply{};
        return true;
      }
    }
  }
  if (auto it = register_index_.find(key); it != register_index_.end()) {
    // Reading a status register returns its value and clears it (IEEE 488.2 *ESR?).
    reply = text_reply(std::to_string(registers_[it->second]));
    registers_[it->second] = 0;
    return true;
  }
  if (auto it = queue_index_.find(key); it != queue_index_.end()) {
    auto& q = queues_[it->second];
    if (q.empty()) {
      reply = text_reply(def_->errors.queues[it->second].default_reply);
    } else {
      reply = text_reply(q.front());
      q.pop_front();
    }
    return true;
  }
  for (std::size_t i = 0; i < def_->properties.size(); ++i) {
    const auto& p = def_->properties[i];
    if (!p.setter || !holds(p.setter_when)) continue;
    auto m = p.setter->match(msg);
    if (!m) continue;
    if (auto v = p.specs.accept(m->values.at(0))) {
      values_[i] = *v;
      assign(p.setter_set);
      reply = render_reply(p.setter_response, nullptr, std::nullopt);
      return true;
    }
    if (p.setter_error) {
      reply = render_reply(p.setter_error, nullptr, std::nullopt);
      return true;
    }
  }
  return false;
}

bool Device::match_channels(std::string_view msg, Reply& reply) {
  for (auto& ch : channels_) {
    const ChannelGroup& g = *ch.def;
    std::string selected;
    if (!g.can_select) {
      int idx = def_->property_index("selected_channel");
      if (idx < 0) continue;
      selected = python_str(values_[static_cast<std::size_t>(idx)]);
      if (std::find(ch.ids.begin(), ch.ids.end(), selected) == ch.ids.end()) continue;
    }
    std::string key = g.can_select ? std::string(msg) : selected + '\0' + std::string(msg);
    if (auto it = ch.dialogues.find(key); it != ch.dialogues.end() && holds(g.dialogues[it->second.index].when)) {
      const auto& d = g.dialogues[it->second.index];
      reply = dialogue_reply(d, it->second.response ? &*it->second.response : nullptr);
      return true;
    }
    if (auto it = ch.getters.find(key); it != ch.getters.end()) {
      const auto& p = g.properties[it->second.index];
      Value v = channel_values(ch, it->second.id)[it->second.index];
      reply = it->second.response ? render_reply(p.getter_response, &v, p.getter_delay, &*it->second.response) : Reply{};
      apply_fault(p.getter_fault, reply);
      return true;
    }
    for (std::size_t i = 0; i < g.properties.size(); ++i) {
      const auto& p = g.properties[i];
      if (!p.setter || !holds(p.setter_when)) continue;
      auto m = p.setter->match(msg);
      if (!m) continue;
      std::string id = selected;
      if (g.can_select) {
        id = m->named["ch_id"];
        // PyVISA-sim accepts any id here; an id the group does not have is a command error.
        if (std::find(ch.ids.begin(), ch.ids.end(), id) == ch.ids.end()) continue;
      }
      if (auto v = p.specs.accept(m->values.at(0))) {
        channel_values(ch, id)[i] = *v;
        assign(p.setter_set);
        reply = render_reply(p.setter_response, nullptr, std::nullopt);
        return true;
      }
      if (p.setter_error) {
        reply = render_reply(p.setter_error, nullptr, std::nullopt);
        return true;
      }
    }
  }
  return false;
}

void Device::process(std::string_view message, std::vector<Reply>& replies) {
  const std::uint64_t epoch = connection_epoch_;
  // Returns false when the piece dropped the connection (a `disconnect` fault): the replies of
  // the message and the rest of it are lost with it.
  auto handle = [&](std::string_view piece) {
    Reply r;
    if (!match_device(piece, r) && !match_channels(piece, r)) raise_error(ErrorKind::command_error, r);
    if (connection_epoch_ != epoch) {
      replies.clear();
      return false;
    }
    if (r.respond) replies.push_back(std::move(r));
    return true;
  };
  const std::string& delim = def_->delimiter;
  if (delim.empty()) {
    handle(message);
    return;
  }
  std::size_t start = 0;
  while (true) {
    auto pos = message.find(delim, start);
    if (pos == std::string_view::npos) {
      handle(message.substr(start));
      break;
    }
    if (!handle(message.substr(start, pos - start))) break;
    start = pos + delim.size();
  }
}

void Device::enqueue(std::vector<Reply>& replies) {
  auto now = core::Deadline::clock::now();
  for (auto& r : replies) {
    if (!r.respond || !r.message) continue;
    // Bytes held in memory count against the limit; a generated waveform holds none.
    std::uint64_t held = dynamic_cast<BytesMessage*>(r.message.get()) ? r.message->size() : 0;
    if (output_.size() >= max_queued_messages || queued_bytes_ + held > max_queued_bytes) {
      Reply ignored;
      raise_error(ErrorKind::query_error, ignored);  // output queue overflow: the response is lost
      continue;
    }
    Queued q;
    q.message = std::move(r.message);
    q.ready_at = r.delay ? now + *r.delay : now;
    if (!output_.empty() && output_.back().ready_at > q.ready_at) q.ready_at = output_.back().ready_at;
    queued_bytes_ += held;
    bool delayed = q.ready_at > now;
    output_.push_back(std::move(q));
    if (delayed) {
      if (!timer_.joinable()) timer_ = std::thread([this] { run_timer(); });
      timer_wake_.notify_all();
    }
  }
}

std::uint8_t Device::summary_locked() const {
  std::uint8_t s = 0;
  for (const auto& q : queues_)
    if (!q.empty()) s |= stb_error_queue;
  if (!output_.empty() && output_.front().ready_at <= core::Deadline::clock::now()) s |= stb_message_available;
  for (auto r : registers_)
    if (r) s |= stb_event_summary;
  return s;
}

std::uint8_t Device::status_byte() const {
  std::lock_guard lk(mutex_);
  return status_byte_locked();
}

std::uint8_t Device::status_byte_locked() const {
  std::uint8_t s = summary_locked();
  if (s & enable_mask_ & ~stb_request_service) s |= stb_request_service;
  return s;
}

bool Device::update_service_request_locked() {
  auto masked = static_cast<std::uint8_t>(summary_locked() & enable_mask_ & ~stb_request_service);
  bool rising = (masked & ~last_summary_) != 0;
  last_summary_ = masked;
  if (rising) rqs_ = true;
  if (!masked) rqs_ = false;  // IEEE 488.2 §11.3.2: the request goes when its reasons go
  return rising;
}

void Device::notify(bool raise) {
  if (!raise) return;
  std::vector<std::function<void()>> fns;
  {
    std::lock_guard lk(listeners_mutex_);
    for (auto& [id, fn] : listeners_) fns.push_back(fn);
  }
  for (auto& fn : fns) fn();
}

void Device::discard_output_locked() {
  output_.clear();
  queued_bytes_ = 0;
}

bool Device::write(std::span<const std::byte> data, bool end, bool unread_leftover) {
  bool srq = false;
  bool interrupted = false;
  std::optional<MalformedResponse> failure;
  {
    std::lock_guard lk(mutex_);
    std::vector<Reply> replies;
    if (input_.empty() && !data.empty() && (unread_leftover || !output_.empty())) {
      // IEEE 488.2 §6.3.2.3: a new program message before the response to the previous query was
      // read interrupts the query; its output is lost and the query error is reported.
      discard_output_locked();
      record_error(ErrorKind::query_interrupted);
      interrupted = true;
    }
    if (input_.size() + data.size() > max_input_bytes) {
      input_.clear();
      Reply r;
      raise_error(ErrorKind::command_error, r);  // a message longer than the input buffer
      if (r.respond) replies.push_back(std::move(r));
    } else {
      input_.append(reinterpret_cast<const char*>(data.data()), data.size());
      const std::string& q = eom_.query_termination;
      const bool terminated =
          !q.empty() && input_.size() >= q.size() && input_.compare(input_.size() - q.size(), q.size(), q) == 0;
      if (q.empty() || terminated || (end && !input_.empty())) {
        // PyVISA-sim: a message is complete when the buffer ends with the termination;
        // IEEE 488.2 §7.5.2: END on the last byte completes it too (with or without NL).
        std::string message = std::move(input_);
        input_.clear();
        if (terminated) message.resize(message.size() - q.size());
        try {
          process(message, replies);
        } catch (const MalformedResponse& e) {
          // As PyVISA-sim: the replies of the pieces before it are kept, the rest of the
          // message is dropped, and the write fails.
          failure = e;
        }
      }
    }
    enqueue(replies);
    srq = update_service_request_locked();
  }
  ready_.notify_all();
  notify(srq);
  if (failure) throw *failure;
  return interrupted;
}

status_t Device::receive(std::span<std::byte> buffer, core::Deadline deadline, std::size_t& count, bool& end,
                         const SerialEnd* serial, const std::atomic<bool>* cancel, const std::uint64_t* epoch) {
  count = 0;
  end = false;
  bool srq = false;
  status_t st = status::SUCCESS;
  {
    std::unique_lock lk(mutex_);
    if (output_.empty() && def_->query_error_on_empty_read) {
      std::vector<Reply> replies(1);
      raise_error(ErrorKind::query_error, replies[0]);
      enqueue(replies);
      srq = update_service_request_locked();
    }
    while (true) {
      if (cancel && cancel->load()) {
        st = status::ERROR_ABORT;
        break;
      }
      if (epoch && *epoch != connection_epoch_) {
        st = status::ERROR_CONN_LOST;
        break;
      }
      auto now = core::Deadline::clock::now();
      if (!output_.empty() && output_.front().ready_at <= now) break;
      if (deadline.expired()) {
        st = status::ERROR_TMO;
        break;
      }
      auto until = deadline.when();
      if (!output_.empty()) until = std::min(until, output_.front().ready_at);
      if (until == core::Deadline::clock::time_point::max()) ready_.wait(lk);
      else ready_.wait_until(lk, until);
    }
    if (st == status::SUCCESS) {
      Queued& head = output_.front();
      std::uint64_t left = head.message->size() - head.offset;
      auto n = static_cast<std::size_t>(std::min<std::uint64_t>(left, buffer.size()));
      head.message->copy(head.offset, buffer.first(n));
      if (serial && serial->kind != SerialEnd::Kind::none) {
        for (std::size_t k = 0; k < n; ++k) {
          auto b = static_cast<std::uint8_t>(buffer[k]);
          bool stop = serial->kind == SerialEnd::Kind::termchar ? b == serial->termchar : (b & serial->last_bit_mask) != 0;
          if (stop) {
            n = k + 1;
            end = true;
            break;
          }
        }
      }
      head.offset += n;
      count = n;
      if (head.offset == head.message->size()) {
        if (!serial) end = true;
        if (dynamic_cast<BytesMessage*>(head.message.get())) queued_bytes_ -= head.message->size();
        output_.pop_front();
        srq = update_service_request_locked() || srq;
      }
    }
  }
  notify(srq);
  return st;
}

void Device::clear() {
  {
    std::lock_guard lk(mutex_);
    input_.clear();
    discard_output_locked();
    update_service_request_locked();
  }
  ready_.notify_all();
}

void Device::wake() {
  // Under the mutex: a receive either saw the flag before waiting or is waiting and is woken.
  std::lock_guard lk(mutex_);
  ready_.notify_all();
}

core::OutputState Device::output_state() const {
  std::lock_guard lk(mutex_);
  if (output_.empty()) return core::OutputState::none;
  if (output_.front().ready_at <= core::Deadline::clock::now()) return core::OutputState::ready;
  return core::OutputState::pending;
}

std::uint8_t Device::serial_poll() {
  std::lock_guard lk(mutex_);
  std::uint8_t s = summary_locked();
  if (rqs_) s |= stb_request_service;
  rqs_ = false;
  return s;
}

void Device::trigger() {
  bool srq = false;
  {
    std::lock_guard lk(mutex_);
    Reply r;
    if (match_device("*TRG", r) || match_channels("*TRG", r)) {  // may throw MalformedResponse
      std::vector<Reply> replies;
      if (r.respond) replies.push_back(std::move(r));
      enqueue(replies);
      srq = update_service_request_locked();
    }
  }
  ready_.notify_all();
  notify(srq);
}

std::size_t Device::add_service_request_listener(std::function<void()> fn) {
  std::lock_guard lk(listeners_mutex_);
  listeners_[next_listener_] = std::move(fn);
  return next_listener_++;
}

void Device::remove_service_request_listener(std::size_t id) {
  std::lock_guard lk(listeners_mutex_);
  listeners_.erase(id);
}

std::uint64_t Device::available_bytes() const {
  std::lock_guard lk(mutex_);
  auto now = core::Deadline::clock::now();
  std::uint64_t total = 0;
  for (const auto& q : output_) {
    if (q.ready_at > now) break;
    total += q.message->size() - q.offset;
  }
  return std::min<std::uint64_t>(total, 0xFFFFFFFFu);
}

std::size_t Device::queued_messages() const {
  std::lock_guard lk(mutex_);
  return output_.size();
}

std::optional<Value> Device::property(const std::string& name) const {
  std::lock_guard lk(mutex_);
  int i = def_->property_index(name);
  if (i < 0) return std::nullopt;
  return values_[static_cast<std::size_t>(i)];
}

}  // namespace cppvisa::sim
