// VI_EVENT_EXCEPTION (VPP-4.3): with the handler mechanism enabled, an operation that fails calls
// the session's exception handlers on the failing thread, before it returns its status, with
// VI_ATTR_STATUS and VI_ATTR_OPER_NAME in the context, as NI-VISA does (PyVISA's
// install_handler(EventType.exception) sees it). Through libvisa's C API and the C++ API, on the
// simulated backend and on an instrument served over raw socket, VXI-11 and HiSLIP.
#include "cabi/library.hpp"

#include <cppvisa/backend.hpp>
#include <cppvisa/cppvisa.hpp>

#include <visa.h>

#include "support/served_gateway.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

using namespace cppvisa;

namespace {

constexpr const char* scope = "TCPIP::sim-scope::INSTR";
constexpr const char* scope_idn = "CPPVISA,SIMSCOPE-1000,SIM0001,1.0";

/// What one handler call saw.
struct Seen {
  ViStatus status = 0;
  std::string operation;
  std::thread::id thread;
  std::string idn;  // what the handler's own query on the session answered (when it asked)
};

struct Recorder {
  std::mutex mutex;
  std::vector<Seen> calls;
  bool query_inside = false;
};

ViStatus _VI_FUNCH on_exception(ViSession vi, ViEventType type, ViEvent ctx, ViAddr user) {
  auto* rec = static_cast<Recorder*>(user);
  Seen seen;
  seen.thread = std::this_thread::get_id();
  ViEventType got = 0;
  if (type != VI_EVENT_EXCEPTION || viGetAttribute(ctx, VI_ATTR_EVENT_TYPE, &got) < VI_SUCCESS || got != type)
    return VI_SUCCESS;
  viGetAttribute(ctx, VI_ATTR_STATUS, &seen.status);
  char name[256] = {};
  viGetAttribute(ctx, VI_ATTR_OPER_NAME, name);
  seen.operation = name;
  if (rec->query_inside) {
    // The session is usable from the handler: no lock of the library is held.
    ViUInt32 n = 0;
    char buf[256] = {};
    viWrite(vi, reinterpret_cast<ViConstBuf>("*IDN?\n"), 6, &n);
    if (viRead(vi, reinterpret_cast<ViPBuf>(buf), sizeof buf - 1, &n) >= VI_SUCCESS) seen.idn.assign(buf, n);
  }
  std::lock_guard guard(rec->mutex);
  rec->calls.push_back(seen);
  return VI_SUCCESS;
}

/// "sim": the simulated backend directly; else the protocol of the gateway serving the scope.
class ExceptionEvent : public ::testing::TestWithParam<const char*> {
 protected:
  void SetUp() override {
    if (sim()) return;
    served_.start(cppvisa::testing::every_protocol(scope));
  }
  bool sim() const { return std::string(GetParam()) == "sim"; }
  std::string name() const { return sim() ? std::string(scope) : served_.name(GetParam()); }
  std::shared_ptr<Backend> backend() const { return open_backend(sim() ? "@sim" : "@native"); }

  cppvisa::testing::ServedGateway served_;
};

TEST_P(ExceptionEvent, CApiHandlerGetsStatusAndOperationOnTheFailingThread) {
  cabi::Library::instance().set_backends({backend()});
  ViSession rm = VI_NULL, s = VI_NULL;
  ASSERT_EQ(viOpenDefaultRM(&rm), VI_SUCCESS);
  ASSERT_EQ(viOpen(rm, name().c_str(), VI_NULL, VI_NULL, &s), VI_SUCCESS);
  ASSERT_EQ(viSetAttribute(s, VI_ATTR_TMO_VALUE, 200), VI_SUCCESS);
  ASSERT_EQ(viSetAttribute(s, VI_ATTR_TERMCHAR_EN, VI_TRUE), VI_SUCCESS);
  Recorder rec;
  // Exceptions go to handlers only (VPP-4.3).
  EXPECT_EQ(viEnableEvent(s, VI_EVENT_EXCEPTION, VI_QUEUE, VI_NULL), VI_ERROR_INV_MECH);
  EXPECT_EQ(viEnableEvent(s, VI_EVENT_EXCEPTION, VI_SUSPEND_HNDLR, VI_NULL), VI_ERROR_INV_MECH);
  ASSERT_EQ(viInstallHandler(s, VI_EVENT_EXCEPTION, on_exception, &rec), VI_SUCCESS);
  ASSERT_EQ(viEnableEvent(s, VI_EVENT_EXCEPTION, VI_HNDLR, VI_NULL), VI_SUCCESS);

  char buf[64];
  ViUInt32 n = 0;
  // A success raises nothing.
  ASSERT_EQ(viWrite(s, reinterpret_cast<ViConstBuf>("*IDN?\n"), 6, &n), VI_SUCCESS);
  ASSERT_GE(viRead(s, reinterpret_cast<ViPBuf>(buf), sizeof buf, &n), VI_SUCCESS);
  EXPECT_TRUE(rec.calls.empty());
  // Nothing to read: the read times out, the handler runs first, on this thread.
  rec.query_inside = true;
  EXPECT_EQ(viRead(s, reinterpret_cast<ViPBuf>(buf), sizeof buf, &n), VI_ERROR_TMO);
  ASSERT_EQ(rec.calls.size(), 1u);
  EXPECT_EQ(rec.calls[0].status, VI_ERROR_TMO);
  EXPECT_EQ(rec.calls[0].operation, "viRead");
  EXPECT_EQ(rec.calls[0].thread, std::this_thread::get_id());
  EXPECT_EQ(rec.calls[0].idn.substr(0, std::string(scope_idn).size()), scope_idn);
  rec.query_inside = false;
  // The caller still learns the cause of its own failure (not the handler's calls).
  char desc[256] = {};
  EXPECT_EQ(viStatusDesc(s, VI_ERROR_TMO, desc), VI_SUCCESS);
  // A refused attribute value.
  EXPECT_EQ(viSetAttribute(s, VI_ATTR_TERMCHAR_EN, 7), VI_ERROR_NSUP_ATTR_STATE);
  ASSERT_EQ(rec.calls.size(), 2u);
  EXPECT_EQ(rec.calls[1].status, VI_ERROR_NSUP_ATTR_STATE);
  EXPECT_EQ(rec.calls[1].operation, "viSetAttribute");
  // Disabled: no more calls.
  ASSERT_EQ(viDisableEvent(s, VI_EVENT_EXCEPTION, VI_HNDLR), VI_SUCCESS);
  EXPECT_EQ(viRead(s, reinterpret_cast<ViPBuf>(buf), sizeof buf, &n), VI_ERROR_TMO);
  EXPECT_EQ(rec.calls.size(), 2u);
  // Uninstalled: none either.
  ASSERT_EQ(viEnableEvent(s, VI_EVENT_EXCEPTION, VI_HNDLR, VI_NULL), VI_SUCCESS);
  ASSERT_EQ(viUninstallHandler(s, VI_EVENT_EXCEPTION, on_exception, &rec), VI_SUCCESS);
  EXPECT_EQ(viRead(s, reinterpret_cast<ViPBuf>(buf), sizeof buf, &n), VI_ERROR_TMO);
  EXPECT_EQ(rec.calls.size(), 2u);
  viClose(s);
  viClose(rm);
  cabi::Library::instance().set_backends({});
}

TEST_P(ExceptionEvent, CppApiHandlerRunsBeforeTheThrow) {
  ResourceManager rm(backend());
  auto r = rm.open<MessageBasedResource>(name());
  r->set_timeout(200);
  r->set_read_termination("\n");
  r->set_write_termination("\n");
  std::vector<std::pair<std::int64_t, std::string>> seen;  // on this thread: no lock needed
  std::thread::id thread;
  r->install_handler(event::exception, [&](event_type_t, const std::map<attr_id_t, AttrValue>& a) {
    thread = std::this_thread::get_id();
    seen.emplace_back(std::get<std::int64_t>(a.at(attr::STATUS)), std::get<std::string>(a.at(attr::OPER_NAME)));
  });
  r->enable_event(event::exception, EventMechanism::handler);
  EXPECT_EQ(r->query("*IDN?"), scope_idn);
  EXPECT_TRUE(seen.empty());
  try {
    r->read();
    ADD_FAILURE() << "the read should time out";
  } catch (const VisaIOError& e) {
    EXPECT_EQ(e.error_code(), status::ERROR_TMO);
    // The handler already ran.
    ASSERT_EQ(seen.size(), 1u);
  }
  EXPECT_EQ(seen.at(0), (std::pair<std::int64_t, std::string>{status::ERROR_TMO, "viRead"}));
  EXPECT_EQ(thread, std::this_thread::get_id());
  EXPECT_EQ(r->query("*IDN?"), scope_idn);  // the session goes on
  EXPECT_EQ(seen.size(), 1u);
}

INSTANTIATE_TEST_SUITE_P(Backends, ExceptionEvent, ::testing::Values("sim", "socket", "vxi11", "hislip"));

}  // namespace
