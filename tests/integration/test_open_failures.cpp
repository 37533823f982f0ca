// Why an open failed, table-driven: each failure cause gives its VISA status and a message that
// names the cause (the parser's explanation, the OS error, the host, the missing dependency), in
// the exception, in last_error_detail() for the error_code forms, and in viStatusDesc.
#include "backends/native/native_backend.hpp"
#include "cabi/library.hpp"
#include "protocols/net/socket.hpp"

#include <cppvisa/resource_manager.hpp>

#include <visa.h>

#include <gtest/gtest.h>

#include <cstdlib>
#include <fcntl.h>
#include <grp.h>
#include <functional>
#include <string>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <vector>

namespace cppvisa {
namespace {

std::uint16_t free_closed_port() {
  net::TcpListener l;
  EXPECT_EQ(l.open("127.0.0.1", 0), status::SUCCESS);
  std::uint16_t port = l.port();
  l.close();
  return port;
}

struct Outcome {
  status_t status = status::SUCCESS;
  std::string what;    // VisaIOError::what()
  std::string detail;  // last_error_detail() after the error_code form
};

Outcome try_open(const std::shared_ptr<Backend>& backend, const std::string& name) {
  Outcome out;
  ResourceManager rm(backend);
  try {
    rm.open_resource(name);
  } catch (const VisaIOError& e) {
    out.status = e.error_code();
    out.what = e.what();
  }
  std::error_code ec;
  rm.open_resource(name, {}, ec);
  EXPECT_EQ(to_status(ec), out.status) << name;
  out.detail = last_error_detail();
  return out;
}

// try_open in a child process that gave up root (a permission test means nothing to root).
Outcome try_open_unprivileged(const std::string& name) {
  int fds[2];
  EXPECT_EQ(::pipe(fds), 0);
  pid_t pid = ::fork();
  if (pid == 0) {
    ::close(fds[0]);
    if (::geteuid() == 0 && (::setgroups(0, nullptr) != 0 || ::setgid(65534) != 0 || ::setuid(65534) != 0))
      ::_exit(3);
    Outcome o;
    try {
      o = try_open(native::make_backend(), name);
    } catch (...) {
      ::_exit(4);
    }
    std::string msg = std::to_string(o.status) + "\n" + o.detail;
    (void)!::write(fds[1], msg.data(), msg.size());
    ::_exit(0);
  }
  ::close(fds[1]);
  std::string text;
  char buf[512];
  for (ssize_t n; (n = ::read(fds[0], buf, sizeof buf)) > 0;) text.append(buf, static_cast<std::size_t>(n));
  ::close(fds[0]);
  int wstatus = 0;
  ::waitpid(pid, &wstatus, 0);
  EXPECT_TRUE(WIFEXITED(wstatus) && WEXITSTATUS(wstatus) == 0) << "child status " << wstatus;
  Outcome o;
  auto nl = text.find('\n');
  if (nl == std::string::npos) return o;
  o.status = static_cast<status_t>(std::stol(text.substr(0, nl)));
  o.detail = o.what = text.substr(nl + 1);
  return o;
}

const char* unavailable_dependency() { return "libfoo-1.0 was not found when cppvisa was built"; }

}  // namespace

TEST(OpenFailures, EachCauseIsNamedBesideItsStatus) {
  ::setenv("RES_OPTIONS", "timeout:1 attempts:1", 1);  // a resolver that answers, or gives up, fast
  const std::uint16_t closed = free_closed_port();
  const std::string port = std::to_string(closed);
  char tmpl[] = "/tmp/cppvisa-noperm-XXXXXX";
  int fd = ::mkstemp(tmpl);
  ASSERT_GE(fd, 0);
  ::close(fd);
  ::chmod(tmpl, 0060);  // its group may (not its owner, not others): the fix is to join that group
  const std::string noperm = tmpl;
  char tmpl0[] = "/tmp/cppvisa-noperm-XXXXXX";
  fd = ::mkstemp(tmpl0);
  ASSERT_GE(fd, 0);
  ::close(fd);
  ::chmod(tmpl0, 0);  // no group may: joining one would not help
  const std::string noperm0 = tmpl0;

  // A table where USB is known but unusable (its dependency missing), to check the wording.
  static const native::Transport unusable[] = {{
      .name = "USBTMC",
      .resources = "USB::...::INSTR",
      .opens = [](const ResourceName& n) { return n.interface_type == InterfaceType::usb; },
      .create = [](const ResourceName&, status_t& st) -> std::unique_ptr<core::Session> {
        st = status::ERROR_NSUP_OPER;
        return nullptr;
      },
      .unavailable = unavailable_dependency,
  }};

  struct Row {
    const char* cause;
    std::string name;
    status_t status;
    std::vector<std::string> says;
    bool unprivileged = false;
    std::shared_ptr<Backend> backend = native::make_backend();
  };
  std::vector<Row> rows = {
      {"bad name", "GPIB0::31::INSTR", status::ERROR_INV_RSRC_NAME, {"primary address", "'31'"}},
      {"refused TCP connection", "TCPIP::127.0.0.1::" + port + "::SOCKET", status::ERROR_RSRC_NFOUND,
       {"127.0.0.1:" + port, "Connection refused"}},
      {"unknown host", "TCPIP::nothing-here.invalid::5025::SOCKET", status::ERROR_RSRC_NFOUND,
       {"'nothing-here.invalid' did not resolve"}},
      {"HiSLIP refused", "TCPIP::127.0.0.1::hislip0," + port + "::INSTR", status::ERROR_RSRC_NFOUND,
       {"HiSLIP", "Connection refused"}},
      {"missing device file", "ASRL/dev/ttyUSB9::INSTR", status::ERROR_RSRC_NFOUND,
       {"/dev/ttyUSB9", "No such file or directory"}},
      {"not a tty", "ASRL/dev/null::INSTR", status::ERROR_RSRC_NFOUND, {"/dev/null", "not a tty"}},
      {"permission denied", "ASRL" + noperm + "::INSTR", status::ERROR_NPERMISSION,
       {noperm, "Permission denied", "usermod -aG"}, true},
      {"permission denied to every group", "ASRL" + noperm0 + "::INSTR", status::ERROR_NPERMISSION,
       {noperm0, "Permission denied", "mode 0000", "udev rule"}, true},
      {"interface unavailable", "USB0::0x1234::0x5678::SN1::INSTR", status::ERROR_LIBRARY_NFOUND,
       {"USBTMC transport", "libfoo-1.0 was not found"}, false, std::make_shared<native::NativeBackend>(unusable)},
      {"interface unknown", "VXI0::1::INSTR", status::ERROR_RSRC_NFOUND, {"no transport", "VXI0::1::INSTR"}},
  };
  for (const auto& row : rows) {
    Outcome o = row.unprivileged ? try_open_unprivileged(row.name) : try_open(row.backend, row.name);
    EXPECT_EQ(o.status, row.status) << row.cause << ": " << status_name(o.status) << " " << o.what;
    for (const auto& s : row.says) {
      EXPECT_NE(o.what.find(s), std::string::npos) << row.cause << ": exception lacks '" << s << "': " << o.what;
      EXPECT_NE(o.detail.find(s), std::string::npos) << row.cause << ": detail lacks '" << s << "': " << o.detail;
    }
  }
  ::unlink(tmpl);
  ::unlink(tmpl0);

  // VXI-11 with no portmapper answering.
  ::setenv("CPPVISA_PORTMAPPER_PORT", port.c_str(), 1);
  Outcome o = try_open(native::make_backend(), "TCPIP::127.0.0.1::inst0::INSTR");
  ::unsetenv("CPPVISA_PORTMAPPER_PORT");
  EXPECT_EQ(o.status, status::ERROR_RSRC_NFOUND);
  EXPECT_NE(o.what.find("portmapper"), std::string::npos) << o.what;
  EXPECT_NE(o.what.find("Connection refused"), std::string::npos) << o.what;
}

TEST(OpenFailures, TheCApiGivesTheCauseThroughViStatusDesc) {
  cabi::Library::instance().set_backends({native::make_backend()});
  ViSession rm = VI_NULL, s = VI_NULL;
  ASSERT_EQ(viOpenDefaultRM(&rm), VI_SUCCESS);
  const std::string name = "TCPIP::127.0.0.1::" + std::to_string(free_closed_port()) + "::SOCKET";
  ViStatus st = viOpen(rm, name.c_str(), VI_NULL, VI_NULL, &s);
  EXPECT_EQ(st, VI_ERROR_RSRC_NFOUND);
  ViChar desc[256];
  ASSERT_EQ(viStatusDesc(rm, st, desc), VI_SUCCESS);
  EXPECT_NE(std::string(desc).find("Connection refused"), std::string::npos) << desc;
  // Another status: the plain description only.
  ASSERT_EQ(viStatusDesc(rm, VI_ERROR_TMO, desc), VI_SUCCESS);
  EXPECT_EQ(std::string(desc).find("refused"), std::string::npos) << desc;
  viClose(rm);
  cabi::Library::instance().set_backends({});
}

}  // namespace cppvisa
