#include "protocols/oncrpc/rpc_message.hpp"

#include <algorithm>
#include <cstring>

namespace cppvisa::oncrpc {

namespace {
constexpr std::uint32_t auth_none = 0;
constexpr std::uint32_t reply_accepted = 0;
constexpr std::uint32_t reply_denied = 1;

void put_auth_none(XdrWriter& out) {
  out.put_u32(auth_none);
  out.put_u32(0);
}

bool skip_auth(XdrReader& in) {
  in.get_u32();                 // flavor: any is accepted
  in.get_opaque(max_auth_body);
  return in.ok();
}
}  // namespace

void encode_call(XdrWriter& out, const CallHeader& h) {
  out.put_u32(h.xid);
  out.put_u32(msg_call);
  out.put_u32(rpc_version);
  out.put_u32(h.prog);
  out.put_u32(h.vers);
  out.put_u32(h.proc);
  put_auth_none(out);  // credentials
  put_auth_none(out);  // verifier
}

CallDecode decode_call(XdrReader& in, CallHeader& h) {
  h.xid = in.get_u32();
  std::uint32_t type = in.get_u32();
  if (!in.ok()) return CallDecode::malformed;
  if (type != msg_call) return type == msg_reply ? CallDecode::not_a_call : CallDecode::malformed;
  std::uint32_t version = in.get_u32();
  h.prog = in.get_u32();
  h.vers = in.get_u32();
  h.proc = in.get_u32();
  if (!in.ok()) return CallDecode::malformed;
  if (version != rpc_version) return CallDecode::rpc_mismatch;
  if (!skip_auth(in) || !skip_auth(in)) return CallDecode::malformed;
  return CallDecode::ok;
}

void encode_accepted_reply(XdrWriter& out, std::uint32_t xid, AcceptStat stat, std::uint32_t low,
                           std::uint32_t high) {
  out.put_u32(xid);
  out.put_u32(msg_reply);
  out.put_u32(reply_accepted);
  put_auth_none(out);
  out.put_u32(static_cast<std::uint32_t>(stat));
  if (stat == AcceptStat::prog_mismatch) {
    out.put_u32(low);
    out.put_u32(high);
  }
}

void encode_rpc_mismatch_reply(XdrWriter& out, std::uint32_t xid) {
  out.put_u32(xid);
  out.put_u32(msg_reply);
  out.put_u32(reply_denied);
  out.put_u32(static_cast<std::uint32_t>(RejectStat::rpc_mismatch));
  out.put_u32(rpc_version);
  out.put_u32(rpc_version);
}

bool decode_reply(XdrReader& in, ReplyHeader& h) {
  h = ReplyHeader{};
  h.xid = in.get_u32();
  if (in.get_u32() != msg_reply || !in.ok()) return false;
  std::uint32_t stat = in.get_u32();
  if (!in.ok()) return false;
  if (stat == reply_accepted) {
    h.accepted = true;
    if (!skip_auth(in)) return false;
    std::uint32_t accept = in.get_u32();
    if (!in.ok() || accept > static_cast<std::uint32_t>(AcceptStat::system_err)) return false;
    h.accept = static_cast<AcceptStat>(accept);
    if (h.accept == AcceptStat::prog_mismatch) {
      h.low = in.get_u32();
      h.high = in.get_u32();
    }
    return in.ok();
  }
  if (stat != reply_denied) return false;
  std::uint32_t reject = in.get_u32();
  if (!in.ok() || reject > static_cast<std::uint32_t>(RejectStat::auth_error)) return false;
  h.reject = static_cast<RejectStat>(reject);
  h.low = in.get_u32();
  if (h.reject == RejectStat::rpc_mismatch) h.high = in.get_u32();
  return in.ok();
}

status_t reply_error_status(const ReplyHeader& h) noexcept {
  if (h.accepted && h.accept == AcceptStat::success) return status::SUCCESS;
  if (h.accepted && (h.accept == AcceptStat::prog_unavail || h.accept == AcceptStat::prog_mismatch ||
                     h.accept == AcceptStat::proc_unavail))
    return status::ERROR_NSUP_OPER;
  return status::ERROR_IO;
}

std::vector<std::byte> frame_record(std::span<const std::byte> message) {
  std::vector<std::byte> out;
  out.reserve(message.size() + 4);
  XdrWriter w(out);
  w.put_u32(last_fragment_bit | static_cast<std::uint32_t>(message.size()));
  out.insert(out.end(), message.begin(), message.end());
  return out;
}

void begin_record(std::vector<std::byte>& buf) {
  buf.clear();
  buf.resize(4);
}

void finish_record(std::vector<std::byte>& buf, std::size_t trailing) {
  std::uint32_t word = last_fragment_bit | static_cast<std::uint32_t>(buf.size() - 4 + trailing);
  buf[0] = std::byte(word >> 24);
  buf[1] = std::byte(word >> 16);
  buf[2] = std::byte(word >> 8);
  buf[3] = std::byte(word);
}

std::size_t RecordReader::feed(std::span<const std::byte> data) {
  std::size_t used = 0;
  while (used < data.size() && !complete_ && !failed_ && !at_stop()) {
    if (!in_fragment_) {
      std::size_t take = std::min<std::size_t>(4 - header_have_, data.size() - used);
      std::copy_n(data.begin() + static_cast<std::ptrdiff_t>(used), take, header_ + header_have_);
      header_have_ += take;
      used += take;
      if (header_have_ < 4) break;
      header_have_ = 0;
      XdrReader r(header_);
      std::uint32_t word = r.get_u32();
      last_ = (word & last_fragment_bit) != 0;
      fragment_left_ = word & ~last_fragment_bit;
      if (fragment_left_ > max_ || size_ + skipped_ > max_ - fragment_left_) {
        failed_ = true;
        break;
      }
      in_fragment_ = true;
    }
    std::size_t take = std::min(fragment_left_, data.size() - used);
    if (divert_done_ < divert_.size()) {
      take = std::min(take, divert_.size() - divert_done_);
      if (take > 0) std::memcpy(divert_.data() + divert_done_, data.data() + used, take);
      divert_done_ += take;
      skipped_ += take;
    } else {
      if (stop_ && size_ < stop_) take = std::min(take, stop_ - size_);
      reserve_bytes(size_ + take);
      if (take > 0) std::memcpy(record_.data() + size_, data.data() + used, take);
      size_ += take;
    }
    used += take;
    fragment_left_ -= take;
    if (fragment_left_ == 0) {
      in_fragment_ = false;
      if (last_) complete_ = true;
    }
  }
  return used;
}

void RecordReader::reserve_bytes(std::size_t size) {
  if (record_.size() < size) record_.resize(size);
}

std::span<std::byte> RecordReader::direct_space(std::size_t limit) {
  if (!in_fragment_ || complete_ || failed_ || fragment_left_ == 0 || at_stop()) return {};
  if (divert_done_ < divert_.size()) {  // straight into the diversion: it is the caller's memory
    direct_ = std::min(fragment_left_, divert_.size() - divert_done_);
    return divert_.subspan(divert_done_, direct_);
  }
  std::size_t take = std::min(fragment_left_, limit);
  if (stop_ && size_ < stop_) take = std::min(take, stop_ - size_);
  reserve_bytes(size_ + take);
  direct_ = take;
  return std::span(record_).subspan(size_, take);
}

void RecordReader::commit_direct(std::size_t received) {
  received = std::min(received, direct_);
  if (divert_done_ < divert_.size()) {
    divert_done_ += received;
    skipped_ += received;
  } else {
    size_ += received;
  }
  direct_ = 0;
  fragment_left_ -= received;
  if (fragment_left_ == 0) {
    in_fragment_ = false;
    if (last_) complete_ = true;
  }
}

void RecordReader::divert(std::span<std::byte> dest) noexcept {
  divert_ = dest;
  divert_done_ = 0;
}

void RecordReader::end_divert() noexcept { divert_ = {}; }

void RecordReader::take_record_into(std::vector<std::byte>& out) {
  record_.resize(size_);  // shrinks: nothing is written
  out.swap(record_);
  // `out`'s old storage (and size, the high-water mark) is kept for the next record: no
  // regrowth and no zero-fill per reply when records of similar size follow each other.
  size_ = 0;
  skipped_ = 0;
  complete_ = false;
  last_ = false;
}

std::vector<std::byte> RecordReader::take_record() {
  record_.resize(size_);
  std::vector<std::byte> out;
  out.swap(record_);
  size_ = 0;
  skipped_ = 0;
  complete_ = false;
  last_ = false;
  return out;
}

}  // namespace cppvisa::oncrpc
