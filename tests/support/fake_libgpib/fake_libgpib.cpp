// A test double of linux-gpib's libgpib.so.0: the NI-488 functions cppvisa loads with dlopen,
// over a simulated bus held in memory. The tests point CPPVISA_LIBGPIB at this library, so the
// GPIB transport is exercised through the same dlopen path as with the real one.
//
// The bus (fake_gpib_reset restores it):
//   board 0: the system controller and controller-in-charge, primary address 0, with
//     pad 5          a message-based instrument (no secondary address)
//     pad 7 sad 0/3  two instruments behind secondary addresses 0 and 3 (0x60, 0x63)
//     pad 9          a silent instrument: listens, never talks
//     pad 11         the instrument the SRQ tests arm ("SRQ <ms>" works on any talker)
//   board 1: present, no instrument (command bytes find no listener: ENOL)
//   boards 2..15: absent (ENEB)
// Talkers understand, one message per EOI (or per LF when the write had no EOI):
//   *IDN?              "FAKE,GPIB<board>::<pad>[::<sec>],0,1.0\n" with EOI
//   ECHO <bytes>       answers <bytes> with EOI on the last one
//   NOEOI <bytes>      answers <bytes> without EOI
//   BIG <n>            answers n bytes (i % 251) with EOI
//   SRQ <ms>           requests service <ms> later, status byte 0x41 (bit 6: RQS)
//   TRG? CLR? REM? LLO? EOI?   counts of GET and SDC, remote and lockout state, whether the
//                      previous message ended with EOI ("1"/"0")
// The fake_gpib_* functions let a test observe and provoke what a real bus would.
#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <cstring>
#include <deque>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#define EXPORT extern "C" __attribute__((visibility("default")))

namespace {

using Clock = std::chrono::steady_clock;

constexpr int DCAS = 0x1, DTAS = 0x2, LACS = 0x4, TACS = 0x8, ATN = 0x10, CIC = 0x20, CMPL = 0x100,
              RQS = 0x800, SRQI = 0x1000, END = 0x2000, TIMO = 0x4000, ERR = 0x8000;
constexpr int ENOL = 2, ECIC = 1, EARG = 4, ESAC = 5, EABO = 6, ENEB = 7, ECAP = 11, ETAB = 20;
constexpr int kBoards = 16;
constexpr long long kTimeoutUs[] = {0,       10,       30,        100,       300,       1000,
                                    3000,    10000,    30000,     100000,    300000,    1000000,
                                    3000000, 10000000, 30000000,  100000000, 300000000, 1000000000};

thread_local int t_ibsta = 0, t_iberr = 0;
thread_local long t_ibcntl = 0;

struct Message {
  std::string bytes;
  bool eoi = true;
};

struct Instrument {
  int board = 0, pad = 0, sad = 0;  // sad: 0 none, else 0x60 + n
  bool silent = false;
  bool stalled = false;             // writes never complete (a device holding NRFD)
  std::string input;
  std::deque<Message> output;
  std::optional<Clock::time_point> srq_at;  // an armed request
  bool srq_pending = false;
  int stb = 0;
  int triggers = 0, clears = 0;
  bool remote = false, lockout = false, last_eoi = false;
};

struct Board {
  bool present = false, cic = true, sc = true, ren = false, atn = false;
  int pad = 0, sad = 0, rsv = 0, ifc = 0, tmo = 13;
  int controller_pad = -1;       // to whom control was passed
  bool listener = false, talker = false;  // the board addressed (by its own commands or another controller's)
  bool dcas = false, dtas = false;        // the board, as a device, was cleared / triggered (until ibwait acknowledges)
  std::vector<std::uint8_t> commands;
  std::vector<std::pair<int, int>> listeners;  // addressed by the last LAD/SAD bytes
};

struct Descriptor {
  int board = 0, pad = 0, sad = 0, tmo = 13;
  bool eot = true, eos_rd = false, eos_cmp = false, end_normal = true, readdr = false, unaddr = false;
  int eos_char = 0;
};

std::mutex g_mutex;
std::condition_variable g_changed;
Board g_boards[kBoards];
std::vector<Instrument> g_instruments;
std::map<int, Descriptor> g_descriptors;
int g_next_ud = 100;
int g_last_io_ud = -1;

void reset_locked() {
  for (auto& b : g_boards) b = Board{};
  g_boards[0].present = g_boards[1].present = true;
  g_instruments.clear();
  auto add = [](int pad, int sad, bool silent) {
    Instrument i;
    i.pad = pad;
    i.sad = sad;
    i.silent = silent;
    g_instruments.push_back(i);
  };
  add(5, 0, false);
  add(7, 0x60, false);
  add(7, 0x63, false);
  add(9, 0, true);
  add(11, 0, false);
  g_descriptors.clear();
  g_last_io_ud = -1;
}

struct Init {
  Init() { reset_locked(); }
} g_init;

int done(int sta, long count = 0) {
  t_ibsta = sta | CMPL;
  t_ibcntl = count;
  return t_ibsta;
}
int fail(int error, int sta = 0, long count = 0) {
  t_ibsta = sta | ERR | CMPL;
  t_iberr = error;
  t_ibcntl = count;
  return t_ibsta;
}

Instrument* find(int board, int pad, int sad) {
  for (auto& i : g_instruments)
    if (i.board == board && i.pad == pad && i.sad == sad) return &i;
  return nullptr;
}

bool board_ok(int ud) { return ud >= 0 && ud < kBoards && g_boards[ud].present; }
Descriptor* device(int ud) {
  auto it = g_descriptors.find(ud);
  return it == g_descriptors.end() ? nullptr : &it->second;
}

std::optional<Clock::time_point> deadline_of(int tmo) {
  if (tmo <= 0 || tmo > 17) return std::nullopt;
  return Clock::now() + std::chrono::microseconds(kTimeoutUs[tmo]);
}

// Fires armed service requests that are due; returns the next one not yet due.
std::optional<Clock::time_point> tick() {
  std::optional<Clock::time_point> next;
  const auto now = Clock::now();
  for (auto& i : g_instruments) {
    if (!i.srq_at) continue;
    if (*i.srq_at <= now) {
      i.srq_at.reset();
      i.srq_pending = true;
      i.stb = 0x41;
    } else if (!next || *i.srq_at < *next) {
      next = i.srq_at;
    }
  }
  return next;
}

// Waits for a change, the deadline or the next armed request; false when the deadline passed.
bool wait(std::unique_lock<std::mutex>& lock, std::optional<Clock::time_point> deadline) {
  auto next = tick();
  if (deadline && Clock::now() >= *deadline) return false;
  std::optional<Clock::time_point> until = deadline;
  if (next && (!until || *next < *until)) until = next;
  if (until)
    g_changed.wait_until(lock, *until);
  else
    g_changed.wait(lock);
  tick();
  return !(deadline && Clock::now() >= *deadline);
}

std::string id_of(const Instrument& i) {
  std::string id = "FAKE,GPIB" + std::to_string(i.board) + "::" + std::to_string(i.pad);
  if (i.sad) id += "::" + std::to_string(i.sad - 0x60);
  return id + ",0,1.0\n";
}

void answer(Instrument& i, std::string text, bool eoi = true) { i.output.push_back({std::move(text), eoi}); }

void process(Instrument& i, const std::string& message, bool eoi) {
  i.last_eoi = eoi;
  std::string m = message;
  auto starts = [&](const char* p) { return m.rfind(p, 0) == 0; };
  auto arg = [&](std::size_t skip) { return m.size() > skip ? m.substr(skip) : std::string(); };
  if (!starts("ECHO ") && !starts("NOEOI "))
    while (!m.empty() && (m.back() == '\n' || m.back() == '\r')) m.pop_back();
  if (i.silent) return;
  if (m == "*IDN?") answer(i, id_of(i));
  else if (starts("ECHO ")) answer(i, arg(5));
  else if (starts("NOEOI ")) answer(i, arg(6), false);
  else if (starts("BIG ")) {
    std::string big(std::stoul(arg(4)), '\0');
    for (std::size_t k = 0; k < big.size(); ++k) big[k] = static_cast<char>(k % 251);
    answer(i, std::move(big));
  } else if (starts("SRQ ")) i.srq_at = Clock::now() + std::chrono::milliseconds(std::stoi(arg(4)));
  else if (m == "TRG?") answer(i, std::to_string(i.triggers) + "\n");
  else if (m == "CLR?") answer(i, std::to_string(i.clears) + "\n");
  else if (m == "REM?") answer(i, i.remote ? "1\n" : "0\n");
  else if (m == "LLO?") answer(i, i.lockout ? "1\n" : "0\n");
}

void receive(Instrument& i, const std::uint8_t* data, long n, bool eoi_on_last) {
  for (long k = 0; k < n; ++k) {
    i.input.push_back(static_cast<char>(data[k]));
    const bool last = k == n - 1;
    if ((last && eoi_on_last) || (!eoi_on_last && data[k] == '\n')) {
      std::string message;
      message.swap(i.input);
      const bool prev = i.last_eoi;
      if (message == "EOI?\n" || message == "EOI?") {
        i.last_eoi = last && eoi_on_last;
        answer(i, prev ? "1\n" : "0\n");
        continue;
      }
      process(i, message, last && eoi_on_last);
    }
  }
  g_changed.notify_all();
}

// IEEE 488.1 command bytes on `board`.
void commands(Board& b, int board, const std::uint8_t* data, long n) {
  std::optional<int> last_lad;
  for (long k = 0; k < n; ++k) {
    const std::uint8_t c = data[k] & 0x7F;
    b.commands.push_back(data[k]);
    if (c == 0x3F) { b.listeners.clear(); b.listener = false; last_lad.reset(); }
    else if (c == 0x5F) { b.talker = false; }
    else if (c >= 0x20 && c < 0x3F) {
      const int pad = c & 0x1F;
      if (pad == b.pad) b.listener = true;
      else b.listeners.push_back({pad, 0}), last_lad = pad;
    } else if (c >= 0x40 && c < 0x5F) {
      b.talker = (c & 0x1F) == b.pad;
    } else if (c >= 0x60 && c <= 0x7E && last_lad && !b.listeners.empty()) {
      b.listeners.back().second = c;
    } else {
      auto each_listener = [&](auto fn) {
        for (auto [pad, sad] : b.listeners)
          if (Instrument* i = find(board, pad, sad)) fn(*i);
      };
      switch (c) {
        case 0x01: each_listener([](Instrument& i) { i.remote = false; }); break;  // GTL
        case 0x04:  // SDC
          each_listener([](Instrument& i) { ++i.clears; i.output.clear(); });
          if (b.listener) b.dcas = true;
          break;
        case 0x08:  // GET
          each_listener([](Instrument& i) { ++i.triggers; });
          if (b.listener) b.dtas = true;
          break;
        case 0x11:  // LLO, universal
          for (auto& i : g_instruments) if (i.board == board) i.lockout = b.ren;
          break;
        case 0x14:  // DCL, universal
          for (auto& i : g_instruments) if (i.board == board) { ++i.clears; i.output.clear(); }
          b.dcas = true;
          break;
        default: break;
      }
    }
  }
  // Addressed as listener with REN asserted: remote (IEEE 488.1 RL1).
  if (b.ren)
    for (auto [pad, sad] : b.listeners)
      if (Instrument* i = find(board, pad, sad)) i->remote = true;
  g_changed.notify_all();
}

bool any_instrument(int board) {
  return std::any_of(g_instruments.begin(), g_instruments.end(), [&](const Instrument& i) { return i.board == board; });
}

int device_status(const Descriptor& d) {
  const Instrument* i = find(d.board, d.pad, d.sad);
  return (i && i->srq_pending) ? RQS : 0;
}

int board_status(int board) {
  const Board& b = g_boards[board];
  int sta = 0;
  if (b.cic) sta |= CIC;
  if (b.atn) sta |= ATN;
  if (b.listener) sta |= LACS;
  if (b.talker) sta |= TACS;
  if (b.dcas) sta |= DCAS;
  if (b.dtas) sta |= DTAS;
  for (const auto& i : g_instruments)
    if (i.board == board && i.srq_pending) sta |= SRQI;
  return sta;
}

}  // namespace

// ---- libgpib ------------------------------------------------------------------------------------

EXPORT int ThreadIbsta() { return t_ibsta; }
EXPORT int ThreadIberr() { return t_iberr; }
EXPORT int ThreadIbcnt() { return static_cast<int>(t_ibcntl); }
EXPORT long ThreadIbcntl() { return t_ibcntl; }

EXPORT int ibdev(int board, int pad, int sad, int tmo, int send_eoi, int eos) {
  std::lock_guard lock(g_mutex);
  if (board < 0 || board >= kBoards || !g_boards[board].present) {
    fail(ENEB);
    return -1;
  }
  if (pad < 0 || pad > 30 || (sad != 0 && (sad < 0x60 || sad > 0x7E)) || tmo < 0 || tmo > 17) {
    fail(EARG);
    return -1;
  }
  Descriptor d;
  d.board = board;
  d.pad = pad;
  d.sad = sad;
  d.tmo = tmo;
  d.eot = send_eoi != 0;
  d.eos_char = eos & 0xFF;
  d.eos_rd = (eos & 0x400) != 0;
  d.eos_cmp = (eos & 0x1000) != 0;
  const int ud = g_next_ud++;
  g_descriptors[ud] = d;
  done(0);
  return ud;
}

EXPORT int ibonl(int ud, int online) {
  std::lock_guard lock(g_mutex);
  if (board_ok(ud)) return done(0);
  if (!device(ud)) return fail(EARG);
  if (!online) g_descriptors.erase(ud);
  return done(0);
}

EXPORT int ibtmo(int ud, int code) {
  std::lock_guard lock(g_mutex);
  if (code < 0 || code > 17) return fail(EARG);
  if (board_ok(ud)) { g_boards[ud].tmo = code; return done(0); }
  Descriptor* d = device(ud);
  if (!d) return fail(EARG);
  d->tmo = code;
  g_last_io_ud = ud;
  return done(0);
}

EXPORT int ibconfig(int ud, int option, int value) {
  std::lock_guard lock(g_mutex);
  if (board_ok(ud)) {
    Board& b = g_boards[ud];
    switch (option) {
      case 0x1: b.pad = value; return done(0);
      case 0x2: b.sad = value; return done(0);
      case 0x3: b.tmo = value; return done(0);
      case 0xa: b.sc = value != 0; return done(0);
      case 0xb: b.ren = value != 0; return done(0);
      case 0x1a: return done(0);
      case 0x1f: return fail(ECAP);
      case 0x21: b.rsv = value; return done(0);
      default: return fail(EARG);
    }
  }
  Descriptor* d = device(ud);
  if (!d) return fail(ud >= 0 && ud < kBoards ? ENEB : EARG);
  g_last_io_ud = ud;
  switch (option) {
    case 0x1: if (value < 0 || value > 30) return fail(EARG); d->pad = value; return done(0);
    case 0x2: if (value != 0 && (value < 0x60 || value > 0x7E)) return fail(EARG); d->sad = value; return done(0);
    case 0x3: d->tmo = value; return done(0);
    case 0x4: d->eot = value != 0; return done(0);
    case 0x6: d->readdr = value != 0; return done(0);
    case 0xc: d->eos_rd = value != 0; return done(0);
    case 0xe: d->eos_cmp = value != 0; return done(0);
    case 0xf: d->eos_char = value & 0xFF; return done(0);
    case 0x1a: d->end_normal = value != 0; return done(0);
    case 0x1b: d->unaddr = value != 0; return done(0);
    default: return fail(EARG);
  }
}

EXPORT int ibask(int ud, int option, int* value) {
  std::lock_guard lock(g_mutex);
  if (ud >= 0 && ud < kBoards) {
    if (!g_boards[ud].present) return fail(ENEB);
    const Board& b = g_boards[ud];
    switch (option) {
      case 0x1: *value = b.pad; return done(0);
      case 0x2: *value = b.sad; return done(0);
      case 0x3: *value = b.tmo; return done(0);
      case 0xa: *value = b.sc ? 1 : 0; return done(0);
      case 0x1f: return fail(ECAP);
      default: return fail(EARG);
    }
  }
  Descriptor* d = device(ud);
  if (!d) return fail(EARG);
  switch (option) {
    case 0x1: *value = d->pad; return done(0);
    case 0x2: *value = d->sad; return done(0);
    case 0x3: *value = d->tmo; return done(0);
    case 0x4: *value = d->eot; return done(0);
    default: return fail(EARG);
  }
}

EXPORT int ibwrt(int ud, const void* data, long count) {
  std::unique_lock lock(g_mutex);
  Descriptor* dp = device(ud);
  if (!dp) return board_ok(ud) ? fail(3 /* EADR: the board is not addressed as talker */) : fail(EARG);
  const Descriptor d = *dp;
  g_last_io_ud = ud;
  if (!g_boards[d.board].cic) return fail(ECIC);
  Instrument* i = find(d.board, d.pad, d.sad);
  if (!i) return fail(ENOL);
  if (g_boards[d.board].ren) i->remote = true;
  if (i->stalled) {
    const auto deadline = deadline_of(d.tmo);
    while (i->stalled && wait(lock, deadline)) {}
    if (i->stalled) return fail(EABO, TIMO);
  }
  receive(*i, static_cast<const std::uint8_t*>(data), count, d.eot);
  return done(0, count);
}

EXPORT int ibrd(int ud, void* buffer, long count) {
  std::unique_lock lock(g_mutex);
  Descriptor* dp = device(ud);
  if (!dp) return board_ok(ud) ? fail(3) : fail(EARG);
  const Descriptor d = *dp;
  g_last_io_ud = ud;
  if (!g_boards[d.board].cic) return fail(ECIC);
  const auto deadline = deadline_of(d.tmo);
  auto* out = static_cast<std::uint8_t*>(buffer);
  long got = 0;
  for (;;) {
    Instrument* i = find(d.board, d.pad, d.sad);
    while (i && !i->output.empty() && got < count) {
      Message& m = i->output.front();
      const std::uint8_t c = static_cast<std::uint8_t>(m.bytes.front());
      m.bytes.erase(0, 1);
      out[got++] = c;
      const bool eoi = m.bytes.empty() && m.eoi;
      if (m.bytes.empty()) i->output.pop_front();
      if (eoi) return done(END, got);
      const int mask = d.eos_cmp ? 0xFF : 0x7F;
      if (d.eos_rd && (c & mask) == (d.eos_char & mask)) return done(d.end_normal ? END : 0, got);
    }
    if (got == count) return done(0, got);
    if (!wait(lock, deadline)) return fail(EABO, TIMO, got);
  }
}

EXPORT int ibclr(int ud) {
  std::lock_guard lock(g_mutex);
  Descriptor* d = device(ud);
  if (!d) return fail(EARG);
  if (!g_boards[d->board].cic) return fail(ECIC);
  if (Instrument* i = find(d->board, d->pad, d->sad)) {
    ++i->clears;
    i->output.clear();
    i->input.clear();
  }
  g_changed.notify_all();
  return done(0);
}

EXPORT int ibtrg(int ud) {
  std::lock_guard lock(g_mutex);
  Descriptor* d = device(ud);
  if (!d) return fail(EARG);
  if (!g_boards[d->board].cic) return fail(ECIC);
  if (Instrument* i = find(d->board, d->pad, d->sad)) ++i->triggers;
  return done(0);
}

EXPORT int ibrsp(int ud, char* status_byte) {
  std::unique_lock lock(g_mutex);
  Descriptor* dp = device(ud);
  if (!dp) return fail(EARG);
  const Descriptor d = *dp;
  if (!g_boards[d.board].cic) return fail(ECIC);
  tick();
  Instrument* i = find(d.board, d.pad, d.sad);
  if (!i) {  // nobody answers the poll
    const auto deadline = deadline_of(d.tmo);
    while (wait(lock, deadline)) {}
    return fail(EABO, TIMO);
  }
  *status_byte = static_cast<char>(i->srq_pending ? (i->stb | 0x40) : (i->stb & ~0x40));
  i->srq_pending = false;
  i->stb = 0;
  g_changed.notify_all();
  return done(0);
}

EXPORT int ibloc(int ud) {
  std::lock_guard lock(g_mutex);
  Descriptor* d = device(ud);
  if (!d) return board_ok(ud) ? done(0) : fail(EARG);
  if (!g_boards[d->board].cic) return fail(ECIC);
  if (Instrument* i = find(d->board, d->pad, d->sad)) i->remote = false;
  return done(0);
}

EXPORT int ibwait(int ud, int mask) {
  std::unique_lock lock(g_mutex);
  const bool is_board = board_ok(ud);
  Descriptor* dp = is_board ? nullptr : device(ud);
  if (!is_board && !dp) return fail(EARG);
  if (!is_board && !g_boards[dp->board].cic) return fail(ECIC);  // as linux-gpib's device waits
  const int tmo = is_board ? g_boards[ud].tmo : dp->tmo;
  const Descriptor d = dp ? *dp : Descriptor{};
  // CMPL: no asynchronous I/O in progress (this fake has none), so a wait for it returns at once.
  auto status = [&] { tick(); return (is_board ? board_status(ud) : device_status(d)) | CMPL; };
  if (mask == 0) return done(status());
  const auto deadline = (mask & TIMO) ? deadline_of(tmo) : std::nullopt;
  for (;;) {
    const int now = status();
    if (now & mask & ~TIMO) {
      // linux-gpib: a board's DCAS and DTAS are cleared by the ibwait that waited for them.
      if (is_board && (mask & DCAS)) g_boards[ud].dcas = false;
      if (is_board && (mask & DTAS)) g_boards[ud].dtas = false;
      return done(now);
    }
    if (!wait(lock, deadline)) return done(status() | ((mask & TIMO) ? TIMO : 0));
  }
}

EXPORT int ibsre(int ud, int enable) {
  std::lock_guard lock(g_mutex);
  if (!board_ok(ud)) return fail(ud >= 0 && ud < kBoards ? ENEB : EARG);
  Board& b = g_boards[ud];
  if (!b.sc) return fail(ESAC);
  b.ren = enable != 0;
  if (!b.ren)
    for (auto& i : g_instruments)
      if (i.board == ud) i.remote = i.lockout = false;
  return done(0);
}

EXPORT int ibcmd(int ud, const void* data, long count) {
  std::lock_guard lock(g_mutex);
  if (!board_ok(ud)) return fail(ud >= 0 && ud < kBoards ? ENEB : EARG);
  Board& b = g_boards[ud];
  if (!b.cic) return fail(ECIC);
  if (!any_instrument(ud)) return fail(ENOL);
  commands(b, ud, static_cast<const std::uint8_t*>(data), count);
  return done(CIC | ATN, count);
}

EXPORT int ibsic(int ud) {
  std::lock_guard lock(g_mutex);
  if (!board_ok(ud)) return fail(ud >= 0 && ud < kBoards ? ENEB : EARG);
  Board& b = g_boards[ud];
  if (!b.sc) return fail(ESAC);
  ++b.ifc;
  b.cic = true;
  b.listeners.clear();
  b.listener = b.talker = false;
  b.controller_pad = -1;
  return done(CIC);
}

EXPORT int ibln(int ud, int pad, int sad, short* found) {
  std::lock_guard lock(g_mutex);
  const int board = board_ok(ud) ? ud : (device(ud) ? device(ud)->board : -1);
  if (board < 0) return fail(ud >= 0 && ud < kBoards ? ENEB : EARG);
  if (pad < 0 || pad > 30) return fail(EARG);
  *found = 0;
  for (const auto& i : g_instruments)
    if (i.board == board && i.pad == pad && (sad == -1 || i.sad == sad)) *found = 1;
  return done(0);
}

EXPORT int ibcac(int ud, int) {
  std::lock_guard lock(g_mutex);
  if (!board_ok(ud)) return fail(EARG);
  if (!g_boards[ud].cic) return fail(ECIC);
  g_boards[ud].atn = true;
  return done(CIC | ATN);
}

EXPORT int ibgts(int ud, int) {
  std::lock_guard lock(g_mutex);
  if (!board_ok(ud)) return fail(EARG);
  if (!g_boards[ud].cic) return fail(ECIC);
  g_boards[ud].atn = false;
  return done(CIC);
}

EXPORT int ibpct(int ud) {
  std::lock_guard lock(g_mutex);
  Descriptor* d = device(ud);
  if (!d) return fail(EARG);
  Board& b = g_boards[d->board];
  if (!b.cic) return fail(ECIC);
  if (!find(d->board, d->pad, d->sad)) return fail(ENOL);
  b.cic = false;
  b.atn = false;
  b.controller_pad = d->pad;
  return done(0);
}

EXPORT int iblines(int ud, short* lines) {
  std::lock_guard lock(g_mutex);
  const int board = board_ok(ud) ? ud : (device(ud) ? device(ud)->board : -1);
  if (board < 0) return fail(EARG);
  tick();
  const Board& b = g_boards[board];
  int v = 0xFF;  // every line valid
  if (b.ren) v |= 0x1000;
  if (b.atn) v |= 0x4000;
  if (board_status(board) & SRQI) v |= 0x2000;
  if (any_instrument(board)) v |= 0x0200;  // idle listeners hold NDAC
  *lines = static_cast<short>(v);
  return done(0);
}

EXPORT void FindLstn(int board, const std::uint16_t* addresses, std::uint16_t* results, int limit) {
  std::lock_guard lock(g_mutex);
  if (!board_ok(board)) {
    fail(ENEB);
    return;
  }
  int n = 0;
  for (const std::uint16_t* a = addresses; *a != 0xFFFF; ++a) {
    const int pad = *a & 0xFF;
    std::vector<std::uint16_t> hits;
    if (find(board, pad, 0)) {
      hits.push_back(static_cast<std::uint16_t>(pad));
    } else {
      for (int sad = 0x60; sad <= 0x7E; ++sad)
        if (find(board, pad, sad)) hits.push_back(static_cast<std::uint16_t>(pad | (sad << 8)));
    }
    for (auto h : hits) {
      if (n == limit) {
        fail(ETAB, 0, n);
        return;
      }
      results[n++] = h;
    }
  }
  done(0, n);
}

// ---- for the tests --------------------------------------------------------------------------------

EXPORT void fake_gpib_reset() {
  std::lock_guard lock(g_mutex);
  reset_locked();
  g_changed.notify_all();
}

EXPORT void fake_gpib_set_board(int board, int present, int cic, int sc) {
  std::lock_guard lock(g_mutex);
  g_boards[board].present = present != 0;
  g_boards[board].cic = cic != 0;
  g_boards[board].sc = sc != 0;
}

EXPORT void fake_gpib_set_stalled(int board, int pad, int sad, int stalled) {
  std::lock_guard lock(g_mutex);
  if (Instrument* i = find(board, pad, sad)) i->stalled = stalled != 0;
  g_changed.notify_all();
}

/// An instrument's state: "triggers", "clears", "remote", "lockout", "last_eoi", "srq_pending".
EXPORT int fake_gpib_instrument(int board, int pad, int sad, const char* what) {
  std::lock_guard lock(g_mutex);
  tick();
  const Instrument* i = find(board, pad, sad);
  if (!i) return -1;
  const std::string w = what;
  if (w == "triggers") return i->triggers;
  if (w == "clears") return i->clears;
  if (w == "remote") return i->remote;
  if (w == "lockout") return i->lockout;
  if (w == "last_eoi") return i->last_eoi;
  if (w == "srq_pending") return i->srq_pending;
  return -1;
}

/// A board's state: "ren", "atn", "cic", "sc", "ifc", "rsv", "pad", "controller" (-1: none).
EXPORT int fake_gpib_board(int board, const char* what) {
  std::lock_guard lock(g_mutex);
  const Board& b = g_boards[board];
  const std::string w = what;
  if (w == "ren") return b.ren;
  if (w == "atn") return b.atn;
  if (w == "cic") return b.cic;
  if (w == "sc") return b.sc;
  if (w == "ifc") return b.ifc;
  if (w == "rsv") return b.rsv;
  if (w == "pad") return b.pad;
  if (w == "controller") return b.controller_pad;
  return -1;
}

/// Another controller on the bus sends command bytes on `board` (whose board is then not the
/// controller-in-charge, fake_gpib_set_board): its own listen/talk address, SDC, DCL, GET reach
/// the board as a device (LACS/TACS, DCAS, DTAS in its status).
EXPORT void fake_gpib_bus_commands(int board, const unsigned char* data, long count) {
  std::lock_guard lock(g_mutex);
  commands(g_boards[board], board, data, count);
}

/// The command bytes sent on `board` since the reset (up to `capacity`); returns their number.
EXPORT long fake_gpib_commands(int board, unsigned char* out, long capacity) {
  std::lock_guard lock(g_mutex);
  const auto& c = g_boards[board].commands;
  const long n = std::min<long>(capacity, static_cast<long>(c.size()));
  std::memcpy(out, c.data(), static_cast<std::size_t>(n));
  return static_cast<long>(c.size());
}

/// The descriptor of the last ibrd/ibwrt/ibtmo/ibconfig: "tmo", "eot", "eos_rd", "eos_char",
/// "eos_cmp", "end_normal", "readdr", "unaddr", "pad", "sad"; -1 when there is none.
EXPORT int fake_gpib_last_descriptor(const char* what) {
  std::lock_guard lock(g_mutex);
  const Descriptor* d = device(g_last_io_ud);
  if (!d) return -1;
  const std::string w = what;
  if (w == "tmo") return d->tmo;
  if (w == "eot") return d->eot;
  if (w == "eos_rd") return d->eos_rd;
  if (w == "eos_char") return d->eos_char;
  if (w == "eos_cmp") return d->eos_cmp;
  if (w == "end_normal") return d->end_normal;
  if (w == "readdr") return d->readdr;
  if (w == "unaddr") return d->unaddr;
  if (w == "pad") return d->pad;
  if (w == "sad") return d->sad;
  return -1;
}

/// Open device descriptors (a closed session leaves none behind).
EXPORT int fake_gpib_open_descriptors() {
  std::lock_guard lock(g_mutex);
  return static_cast<int>(g_descriptors.size());
}
