// Locks: while one session holds an exclusive lock, another session's I/O fails with
// VI_ERROR_RSRC_LOCKED (after its timeout) instead of interleaving with the owner's.
#include <cppvisa/cppvisa.hpp>

#include <cstdio>

int main() {
  cppvisa::ResourceManager rm("@sim");
  auto owner = rm.open<cppvisa::MessageBasedResource>("TCPIP::sim-scope::INSTR");
  auto other = rm.open<cppvisa::MessageBasedResource>("TCPIP::sim-scope::INSTR");
  for (auto* s : {owner.get(), other.get()}) {
    s->set_read_termination("\n");
    s->set_write_termination("\n");
    s->set_timeout(200);
  }
  std::error_code ec;
  {
    auto lock = owner->lock_context();  // exclusive, released at the end of the block
    std::printf("owner: %s\n", owner->query("*IDN?").c_str());
    other->query("*IDN?", ec);
    std::printf("other while locked: %s\n", ec ? ec.message().c_str() : "no error");
  }
  const bool was_locked = cppvisa::to_status(ec) == cppvisa::status::ERROR_RSRC_LOCKED;
  std::printf("other after unlock: %s\n", other->query("*IDN?").c_str());
  return was_locked ? 0 : 1;
}
