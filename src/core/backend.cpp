// Default implementations of the optional Backend operations.
#include <cppvisa/backend.hpp>
#include <cppvisa/status.hpp>

namespace cppvisa {

Backend::~Backend() = default;

std::vector<std::string> Backend::debug_info() const { return {"Does not provide debug info"}; }

status_t Backend::read_until(session_t s, std::span<std::byte> buffer, std::size_t& count,
                             std::chrono::steady_clock::time_point call_deadline) {
  count = 0;
  if (std::chrono::steady_clock::now() >= call_deadline) return owns(s) ? status::ERROR_TMO : status::ERROR_INV_OBJECT;
  return read(s, buffer, count);
}

status_t Backend::gpib_control_ren(session_t s, RenMode) { return owns(s) ? status::ERROR_NSUP_OPER : status::ERROR_INV_OBJECT; }
status_t Backend::gpib_control_atn(session_t s, std::uint16_t) { return owns(s) ? status::ERROR_NSUP_OPER : status::ERROR_INV_OBJECT; }
status_t Backend::gpib_command(session_t s, std::span<const std::byte>, std::size_t& count) {
  count = 0;
  return owns(s) ? status::ERROR_NSUP_OPER : status::ERROR_INV_OBJECT;
}
status_t Backend::gpib_pass_control(session_t s, std::uint16_t, std::uint16_t) { return owns(s) ? status::ERROR_NSUP_OPER : status::ERROR_INV_OBJECT; }
status_t Backend::gpib_send_ifc(session_t s) { return owns(s) ? status::ERROR_NSUP_OPER : status::ERROR_INV_OBJECT; }
status_t Backend::usb_control_out(session_t s, std::int16_t, std::int16_t, std::uint16_t, std::uint16_t,
                                  std::span<const std::byte>) {
  return owns(s) ? status::ERROR_NSUP_OPER : status::ERROR_INV_OBJECT;
}
status_t Backend::usb_control_in(session_t s, std::int16_t, std::int16_t, std::uint16_t, std::uint16_t,
                                 std::span<std::byte>, std::size_t& count) {
  count = 0;
  return owns(s) ? status::ERROR_NSUP_OPER : status::ERROR_INV_OBJECT;
}
status_t Backend::terminate(session_t s, std::uint16_t, std::uint32_t) { return owns(s) ? status::ERROR_NSUP_OPER : status::ERROR_INV_OBJECT; }

int Backend::input_fd(session_t) { return -1; }

status_t Backend::read_step(session_t session, std::span<std::byte> buffer, std::size_t& count, ReadStep& step) {
  step.wait_fd = -1;
  const int fd = input_fd(session);
  if (fd < 0) return read_until(session, buffer, count, step.deadline);  // a read that only blocks
  const auto now = std::chrono::steady_clock::now();
  status_t st = read_until(session, buffer, count, now);
  if (st == status::ERROR_TMO && now < step.deadline) {
    step.wait_fd = fd;
    step.wait_until = step.deadline;
    return status::SUCCESS;
  }
  return st;
}

}  // namespace cppvisa
