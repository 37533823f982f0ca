// A Backend for the C ABI tests: two in-memory message-based instruments that answer *IDN?,
// ECHO, BLOCK? and BIG?, raise a service request on SRQ, and record every message they receive
// (with whether END came with it). Enough of a backend to drive every vi* function.
#pragma once

#include "core/handles.hpp"

#include <cppvisa/attributes.hpp>
#include <cppvisa/backend.hpp>
#include <cppvisa/resource_name.hpp>
#include <cppvisa/resource_query.hpp>
#include <cppvisa/status.hpp>

#include <algorithm>
#include <cstring>
#include <deque>
#include <map>
#include <mutex>
#include <set>

namespace cppvisa::testing {

class FakeVisaBackend : public Backend {
 public:
  static constexpr const char* kTcpip = "TCPIP0::fake.example::inst0::INSTR";
  static constexpr const char* kSerial = "ASRL1::INSTR";

  struct Session {
    std::string resource;
    session_t rm = 0;
    std::map<attr_id_t, std::int64_t> attrs;
    std::set<event_type_t> queue_enabled;
    std::deque<session_t> events;  // event contexts queued
    std::vector<std::pair<EventHandlerFn, void*>> handlers;
    int exclusive = 0, shared = 0;
  };
  struct Device {
    std::string partial;                      // bytes of a message not yet ended
    std::deque<std::string> output;           // replies waiting to be read
    std::vector<std::pair<std::string, bool>> received;  // (message, ended with END)
    bool srq = false;
    int triggers = 0, clears = 0;
    session_t exclusive_owner = 0;
    std::string shared_key;
  };

  std::string name() const override { return "fake"; }
  std::string library_path() const override { return "in-test"; }

  status_t open_default_rm(session_t& rm) override {
    std::lock_guard l(m_);
    rm = core::allocate_handle();
    rms_.insert(rm);
    return status::SUCCESS;
  }
  status_t find_resources(session_t rm, std::string_view expr, std::vector<std::string>& names) override {
    if (!is_rm(rm)) return status::ERROR_INV_OBJECT;
    names = filter_resources({kTcpip, kSerial}, expr);  // throws VI_ERROR_INV_EXPR
    return names.empty() ? status::ERROR_RSRC_NFOUND : status::SUCCESS;
  }
  status_t parse_resource(session_t rm, std::string_view name, ResourceInfo& info) override {
    if (!is_rm(rm)) return status::ERROR_INV_OBJECT;
    std::string alias;
    if (name == "myscope") {
      alias = "myscope";
      name = kTcpip;
    }
    std::error_code ec;
    auto parsed = ResourceName::parse(name, ec);
    if (!parsed) return status::ERROR_INV_RSRC_NAME;
    info = parsed->info();
    info.alias = alias;
    return status::SUCCESS;
  }
  status_t open(session_t rm, std::string_view name, AccessMode mode, std::uint32_t, session_t& session) override {
    if (!is_rm(rm)) return status::ERROR_INV_OBJECT;
    std::error_code ec;
    auto parsed = ResourceName::parse(name == "myscope" ? std::string_view(kTcpip) : name, ec);
    if (!parsed) return status::ERROR_INV_RSRC_NAME;
    std::string canonical = parsed->canonical();
    if (canonical != kTcpip && canonical != kSerial) return status::ERROR_RSRC_NFOUND;
    std::lock_guard l(m_);
    session = core::allocate_handle();
    Session& s = sessions_[session];
    s.resource = canonical;
    s.rm = rm;
    s.attrs = {{attr::TMO_VALUE, 2000}, {attr::TERMCHAR, '\n'}, {attr::TERMCHAR_EN, 0}, {attr::SEND_END_EN, 1},
               {attr::USER_DATA_64, 0}, {attr::FILE_APPEND_EN, 0}, {attr::TRIG_ID, -1}};
    if (static_cast<std::uint32_t>(mode) & static_cast<std::uint32_t>(AccessMode::exclusive_lock)) {
      s.exclusive = 1;
      devices_[canonical].exclusive_owner = session;
    }
    return status::SUCCESS;
  }
  status_t close(session_t object) override {
    std::lock_guard l(m_);
    if (rms_.erase(object)) {
      std::erase_if(sessions_, [&](const auto& kv) { return kv.second.rm == object; });
      return status::SUCCESS;
    }
    if (sessions_.erase(object)) return status::SUCCESS;
    if (contexts_.erase(object)) return status::SUCCESS;
    return status::ERROR_INV_OBJECT;
  }
  status_t get_attribute(session_t object, attr_id_t id, AttrValue& value) override {
    std::lock_guard l(m_);
    if (rms_.count(object)) {
      if (id == attr::RSRC_MANF_NAME) { value = std::string("Fake VISA"); return status::SUCCESS; }
      if (id == attr::TMO_VALUE) { value = std::int64_t{2000}; return status::SUCCESS; }
      return status::ERROR_NSUP_ATTR;
    }
    if (auto c = contexts_.find(object); c != contexts_.end()) {
      if (id == attr::EVENT_TYPE) { value = std::int64_t{c->second}; return status::SUCCESS; }
      return status::ERROR_NSUP_ATTR;
    }
    auto it = sessions_.find(object);
    if (it == sessions_.end()) return status::ERROR_INV_OBJECT;
    Session& s = it->second;
    if (id == attr::RSRC_NAME) { value = s.resource; return status::SUCCESS; }
    if (id == attr::RSRC_CLASS) { value = std::string("INSTR"); return status::SUCCESS; }
    if (id == attr::INTF_TYPE) { value = std::int64_t{s.resource == kTcpip ? 6 : 4}; return status::SUCCESS; }
    if (id == attr::RM_SESSION) { value = std::int64_t{s.rm}; return status::SUCCESS; }
    auto a = s.attrs.find(id);
    if (a == s.attrs.end()) return status::ERROR_NSUP_ATTR;
    value = a->second;
    return status::SUCCESS;
  }
  status_t set_attribute(session_t object, attr_id_t id, const AttrValue& value) override {
    std::lock_guard l(m_);
    if (rms_.count(object)) return status::SUCCESS;
    auto it = sessions_.find(object);
    if (it == sessions_.end()) return status::ERROR_INV_OBJECT;
    if (id == attr::RSRC_NAME || id == attr::INTF_TYPE) return status::ERROR_ATTR_READONLY;
    auto a = it->second.attrs.find(id);
    if (a == it->second.attrs.end()) return status::ERROR_NSUP_ATTR;
    std::int64_t v = std::get<std::int64_t>(value);
    if ((id == attr::TERMCHAR_EN || id == attr::SEND_END_EN) && v > 1) return status::ERROR_NSUP_ATTR_STATE;
    a->second = v;
    return status::SUCCESS;
  }
  status_t read(session_t session, std::span<std::byte> buffer, std::size_t& count) override {
    count = 0;
    std::lock_guard l(m_);
    Session* s = find(session);
    if (!s) return status::ERROR_INV_OBJECT;
    if (auto st = check_lock(*s, session); st < 0) return st;
    Device& d = devices_[s->resource];
    if (buffer.empty()) return status::SUCCESS_MAX_CNT;
    if (d.output.empty()) return status::ERROR_TMO;
    std::string& msg = d.output.front();
    bool term_en = s->attrs[attr::TERMCHAR_EN] != 0;
    char term = static_cast<char>(s->attrs[attr::TERMCHAR]);
    std::size_t n = std::min(buffer.size(), msg.size());
    if (term_en) {
      auto t = msg.find(term);
      if (t != std::string::npos && t < n) {
        n = t + 1;
        std::memcpy(buffer.data(), msg.data(), n);
        count = n;
        msg.erase(0, n);
        if (msg.empty()) d.output.pop_front();
        return status::SUCCESS_TERM_CHAR;
      }
    }
    std::memcpy(buffer.data(), msg.data(), n);
    count = n;
    msg.erase(0, n);
    if (msg.empty()) {
      d.output.pop_front();
      return status::SUCCESS;  // END came with the last byte
    }
    return status::SUCCESS_MAX_CNT;
  }
  status_t write(session_t session, std::span<const std::byte> data, std::size_t& count) override {
    count = 0;
    std::vector<std::pair<EventHandlerFn, void*>> handlers;
    session_t context = 0;
    {
      std::lock_guard l(m_);
      Session* s = find(session);
      if (!s) return status::ERROR_INV_OBJECT;
      if (auto st = check_lock(*s, session); st < 0) return st;
      Device& d = devices_[s->resource];
      d.partial.append(reinterpret_cast<const char*>(data.data()), data.size());
      count = data.size();
      if (s->attrs[attr::SEND_END_EN] == 0) {
        d.received.emplace_back(std::string(reinterpret_cast<const char*>(data.data()), data.size()), false);
        return status::SUCCESS;
      }
      std::string msg;
      msg.swap(d.partial);
      d.received.emplace_back(std::string(reinterpret_cast<const char*>(data.data()), data.size()), true);
      std::string cmd = msg;
      while (!cmd.empty() && (cmd.back() == '\n' || cmd.back() == '\r')) cmd.pop_back();
      if (cmd == "*IDN?") d.output.push_back("FAKE,Model 1,SN42,1.0\n");
      else if (cmd.rfind("ECHO ", 0) == 0) d.output.push_back(cmd.substr(5) + "\n");
      else if (cmd == "BLOCK?") d.output.push_back("#15hello\n");
      else if (cmd == "BIG?") d.output.push_back(std::string(10000, 'x') + "\n");
      else if (cmd == "*TRG") ++d.triggers;
      else if (cmd == "SRQ") {
        d.srq = true;
        if (s->queue_enabled.count(event::service_request)) {
          session_t ctx = core::allocate_handle();
          contexts_[ctx] = event::service_request;
          s->events.push_back(ctx);
        }
        if (!s->handlers.empty()) {
          handlers = s->handlers;
          context = core::allocate_handle();
          contexts_[context] = event::service_request;
        }
      }
    }
    for (auto& [fn, user] : handlers) fn(session, event::service_request, context, user);
    if (context) close(context);
    return status::SUCCESS;
  }
  status_t read_stb(session_t session, std::uint16_t& stb) override {
    std::lock_guard l(m_);
    Session* s = find(session);
    if (!s) return status::ERROR_INV_OBJECT;
    Device& d = devices_[s->resource];
    stb = d.srq ? 0x40 : 0;
    d.srq = false;
    return status::SUCCESS;
  }
  status_t clear(session_t session) override {
    std::lock_guard l(m_);
    Session* s = find(session);
    if (!s) return status::ERROR_INV_OBJECT;
    Device& d = devices_[s->resource];
    d.output.clear();
    d.partial.clear();
    ++d.clears;
    return status::SUCCESS;
  }
  status_t assert_trigger(session_t session, TriggerProtocol) override {
    std::lock_guard l(m_);
    Session* s = find(session);
    if (!s) return status::ERROR_INV_OBJECT;
    ++devices_[s->resource].triggers;
    return status::SUCCESS;
  }
  status_t flush(session_t session, std::uint16_t) override {
    std::lock_guard l(m_);
    return find(session) ? status::SUCCESS : status::ERROR_INV_OBJECT;
  }
  status_t lock(session_t session, AccessMode type, std::uint32_t, std::string_view requested_key,
                std::string& access_key) override {
    std::lock_guard l(m_);
    Session* s = find(session);
    if (!s) return status::ERROR_INV_OBJECT;
    Device& d = devices_[s->resource];
    if (type == AccessMode::exclusive_lock) {
      if (d.exclusive_owner && d.exclusive_owner != session) return status::ERROR_RSRC_LOCKED;
      d.exclusive_owner = session;
      return ++s->exclusive > 1 ? status::SUCCESS_NESTED_EXCLUSIVE : status::SUCCESS;
    }
    if (!d.shared_key.empty() && !requested_key.empty() && requested_key != d.shared_key)
      return status::ERROR_INV_ACCESS_KEY;
    if (d.shared_key.empty()) d.shared_key = requested_key.empty() ? "fake-key-1" : std::string(requested_key);
    access_key = d.shared_key;
    return ++s->shared > 1 ? status::SUCCESS_NESTED_SHARED : status::SUCCESS;
  }
  status_t unlock(session_t session) override {
    std::lock_guard l(m_);
    Session* s = find(session);
    if (!s) return status::ERROR_INV_OBJECT;
    Device& d = devices_[s->resource];
    if (s->exclusive > 0) {
      if (--s->exclusive == 0) d.exclusive_owner = 0;
    } else if (s->shared > 0) {
      if (--s->shared == 0) d.shared_key.clear();
    } else {
      return status::ERROR_SESN_NLOCKED;
    }
    if (s->exclusive) return status::SUCCESS_NESTED_EXCLUSIVE;
    if (s->shared) return status::SUCCESS_NESTED_SHARED;
    return status::SUCCESS;
  }
  status_t enable_event(session_t session, event_type_t type, std::uint16_t mechanism) override {
    std::lock_guard l(m_);
    Session* s = find(session);
    if (!s) return status::ERROR_INV_OBJECT;
    if (type != event::service_request) return status::ERROR_INV_EVENT;
    if (mechanism & 1) return s->queue_enabled.insert(type).second ? status::SUCCESS : status::SUCCESS_EVENT_EN;
    return status::SUCCESS;
  }
  status_t disable_event(session_t session, event_type_t type, std::uint16_t) override {
    std::lock_guard l(m_);
    Session* s = find(session);
    if (!s) return status::ERROR_INV_OBJECT;
    if (type == event::all_enabled) {
      bool any = !s->queue_enabled.empty();
      s->queue_enabled.clear();
      return any ? status::SUCCESS : status::SUCCESS_EVENT_DIS;
    }
    return s->queue_enabled.erase(type) ? status::SUCCESS : status::SUCCESS_EVENT_DIS;
  }
  status_t discard_events(session_t session, event_type_t, std::uint16_t) override {
    std::lock_guard l(m_);
    Session* s = find(session);
    if (!s) return status::ERROR_INV_OBJECT;
    bool any = !s->events.empty();
    for (auto ctx : s->events) contexts_.erase(ctx);
    s->events.clear();
    return any ? status::SUCCESS : status::SUCCESS_QUEUE_EMPTY;
  }
  status_t wait_on_event(session_t session, event_type_t type, std::uint32_t, event_type_t& out_type,
                         session_t& context, bool want_context) override {
    std::lock_guard l(m_);
    Session* s = find(session);
    if (!s) return status::ERROR_INV_OBJECT;
    if (s->queue_enabled.empty() || (type != event::all_enabled && !s->queue_enabled.count(type)))
      return status::ERROR_NENABLED;
    if (s->events.empty()) return status::ERROR_TMO;
    context = s->events.front();
    s->events.pop_front();
    out_type = contexts_[context];
    if (!want_context) {
      contexts_.erase(context);
      context = 0;
    }
    return status::SUCCESS;
  }
  status_t install_handler(session_t session, event_type_t, EventHandlerFn handler, void* user) override {
    std::lock_guard l(m_);
    Session* s = find(session);
    if (!s) return status::ERROR_INV_OBJECT;
    s->handlers.emplace_back(handler, user);
    return status::SUCCESS;
  }
  status_t uninstall_handler(session_t session, event_type_t, EventHandlerFn handler, void* user) override {
    std::lock_guard l(m_);
    Session* s = find(session);
    if (!s) return status::ERROR_INV_OBJECT;
    auto before = s->handlers.size();
    std::erase_if(s->handlers, [&](auto& h) { return !handler || (h.first == handler && h.second == user); });
    return before != s->handlers.size() ? status::SUCCESS : status::ERROR_INV_HNDLR_REF;
  }
  bool owns(session_t object) const override {
    std::lock_guard l(m_);
    return rms_.count(object) || sessions_.count(object) || contexts_.count(object);
  }

  /// The device behind a resource (tests look at what it received).
  Device device(const std::string& resource) {
    std::lock_guard l(m_);
    return devices_[resource];
  }
  void queue_reply(const std::string& resource, std::string reply) {
    std::lock_guard l(m_);
    devices_[resource].output.push_back(std::move(reply));
  }

 private:
  bool is_rm(session_t h) {
    std::lock_guard l(m_);
    return rms_.count(h) != 0;
  }
  Session* find(session_t h) {
    auto it = sessions_.find(h);
    return it == sessions_.end() ? nullptr : &it->second;
  }
  status_t check_lock(Session& s, session_t h) {
    Device& d = devices_[s.resource];
    if (d.exclusive_owner && d.exclusive_owner != h) return status::ERROR_RSRC_LOCKED;
    return status::SUCCESS;
  }

  mutable std::mutex m_;
  std::set<session_t> rms_;
  std::map<session_t, Session> sessions_;
  std::map<session_t, event_type_t> contexts_;
  std::map<std::string, Device> devices_;
};

}  // namespace cppvisa::testing
