// testing::LockCommands: one VISA session driven by text commands through the C API (viOpen,
// viLock, viUnlock, viWrite/viRead, viClose), so that a test and a peer process (lock_peer, the
// same commands on its standard input) speak one language. Each command returns one line:
// "<status> <elapsed ms> [text]", the status as a decimal ViStatus.
//   open RESOURCE TIMEOUT_MS      viOpen, TMO_VALUE, "\n" as read termination
//   lock excl TIMEOUT_MS          viLock(VI_EXCLUSIVE_LOCK)
//   lock shared TIMEOUT_MS KEY    viLock(VI_SHARED_LOCK) with KEY ("-" = none): text = access key
//   unlock                        viUnlock
//   query TEXT                    viWrite(TEXT "\n") then viRead: text = the answer without "\n"
//   close                         viClose
#pragma once

#include <visa.h>

#include <chrono>
#include <cstdlib>
#include <sstream>
#include <string>

namespace cppvisa::testing {

class LockCommands {
 public:
  explicit LockCommands(ViSession rm) : rm_(rm) {}

  std::string run(const std::string& line) {
    std::istringstream in(line);
    std::string verb;
    in >> verb;
    auto start = std::chrono::steady_clock::now();
    std::string text;
    ViStatus st = VI_ERROR_NSUP_OPER;
    if (verb == "open") {
      std::string name;
      ViUInt32 timeout = 2000;
      in >> name >> timeout;
      st = viOpen(rm_, name.c_str(), VI_NULL, VI_NULL, &vi_);
      if (st >= 0) {
        viSetAttribute(vi_, VI_ATTR_TMO_VALUE, timeout);
        viSetAttribute(vi_, VI_ATTR_TERMCHAR, '\n');
        viSetAttribute(vi_, VI_ATTR_TERMCHAR_EN, VI_TRUE);
      }
    } else if (verb == "lock") {
      std::string kind, key;
      ViUInt32 timeout = 0;
      in >> kind >> timeout >> key;
      ViChar access[VI_FIND_BUFLEN] = {};
      if (kind == "excl") {
        st = viLock(vi_, VI_EXCLUSIVE_LOCK, timeout, VI_NULL, VI_NULL);
      } else {
        st = viLock(vi_, VI_SHARED_LOCK, timeout, key.empty() || key == "-" ? VI_NULL : key.c_str(), access);
        text = access;
      }
    } else if (verb == "unlock") {
      st = viUnlock(vi_);
    } else if (verb == "query") {
      std::string q;
      std::getline(in >> std::ws, q);
      q += "\n";
      ViUInt32 n = 0;
      st = viWrite(vi_, reinterpret_cast<ViConstBuf>(q.data()), static_cast<ViUInt32>(q.size()), &n);
      if (st >= 0) {
        char buf[512];
        st = viRead(vi_, reinterpret_cast<ViBuf>(buf), sizeof buf, &n);
        text.assign(buf, n);
        while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.pop_back();
      }
    } else if (verb == "close") {
      st = viClose(vi_);
      vi_ = VI_NULL;
    }
    auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start).count();
    std::string reply = std::to_string(st) + " " + std::to_string(ms);
    if (!text.empty()) reply += " " + text;
    return reply;
  }

  ViSession session() const noexcept { return vi_; }

 private:
  ViSession rm_;
  ViSession vi_ = VI_NULL;
};

/// A reply of LockCommands::run, parsed.
struct LockReply {
  ViStatus status = 0;
  long elapsed_ms = 0;
  std::string text;
  static LockReply parse(const std::string& line) {
    LockReply r;
    std::istringstream in(line);
    in >> r.status >> r.elapsed_ms;
    std::getline(in >> std::ws, r.text);
    return r;
  }
};

}  // namespace cppvisa::testing
