/* compare_c_client: the C clients of bench/compare.py, one measurement per run.
 *
 *   compare_c_client KIND TARGET (--queries N | --block BYTES --reads R) [--timeout MS]
 *
 * KIND   plain      TARGET = HOST:PORT; POSIX sockets, nothing else: the limit every other client
 *                   is compared to (it knows the reply's framing, so it reads exactly what comes)
 *        visa       TARGET = a VISA resource name; the standard VISA C API of the libvisa.so this
 *                   program is linked with (cppvisa's)
 *        lxi-raw    TARGET = HOST:PORT; Debian's liblxi (dlopen'ed: liblxi.so.1), raw TCP
 *        lxi-vxi11  TARGET = HOST:DEVICE (inst0); liblxi over VXI-11 (asks the portmapper on 111)
 *
 * --queries N: N "*IDN?" round trips (write + read of the one-line reply) after 10 untimed ones;
 * prints  QUERY <median us> <p99 us> <N>.
 * --block BYTES --reads R: ":WAV:POIN BYTES" once, then R + 1 times "CURV?" and a read of the
 * whole IEEE 488.2 block (#<d><len><data> + NL) into a buffer allocated and touched once before
 * (the caller's buffer), the first read untimed; prints  BLOCK <median MB/s> <best MB/s> <R>  and
 * PEAK <MB>: the most resident memory of the process during the reads beyond what it held once
 * the session was open (the caller's buffer included). MB = 10^6 bytes of block data.
 * Exit status 0; 1 on an I/O or format error (the cause on stderr); 2 on bad arguments;
 * 77 when the client cannot run here (no liblxi): "SKIP <reason>" on stdout. */
#define _POSIX_C_SOURCE 200809L

#include <visa.h>

#include <arpa/inet.h>
#include <dlfcn.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

enum kind { PLAIN, VISA, LXI_RAW, LXI_VXI11 };

static enum kind kind;
static int timeout_ms = 30000;
static int fd = -1;                  /* plain */
static ViSession rm, vi;             /* visa */
static int lxi_dev = -1;             /* liblxi */
static int (*lxi_init_fn)(void);
static int (*lxi_connect_fn)(const char*, int, const char*, int, int);
static int (*lxi_send_fn)(int, const char*, int, int);
static int (*lxi_receive_fn)(int, char*, int, int);

static void fail(const char* what) {
  fprintf(stderr, "compare_c_client: %s\n", what);
  exit(1);
}

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* Splits "HOST:REST" in place; returns REST. */
static char* split_target(char* target) {
  char* colon = strrchr(target, ':');
  if (!colon) {
    fprintf(stderr, "compare_c_client: target '%s' is not HOST:PORT or HOST:DEVICE\n", target);
    exit(2);
  }
  *colon = '\0';
  return colon + 1;
}

static void open_client(char* target) {
  if (kind == PLAIN) {
    char* port = split_target(target);
    struct addrinfo hints, *ai;
    memset(&hints, 0, sizeof hints);
    hints.ai_family = AF_INET;
    hints.ai_socktype = SOCK_STREAM;
    if (getaddrinfo(target, port, &hints, &ai) != 0) fail("cannot resolve the target");
    fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0 || connect(fd, ai->ai_addr, ai->ai_addrlen) != 0) fail(strerror(errno));
    freeaddrinfo(ai);
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  } else if (kind == VISA) {
    ViStatus st = viOpenDefaultRM(&rm);
    if (st < VI_SUCCESS) fail("viOpenDefaultRM failed");
    st = viOpen(rm, target, VI_NULL, 0, &vi);
    if (st < VI_SUCCESS) {
      char desc[256];
      viStatusDesc(rm, st, desc);
      fprintf(stderr, "compare_c_client: viOpen %s: %s\n", target, desc);
      exit(1);
    }
    viSetAttribute(vi, VI_ATTR_TMO_VALUE, (ViAttrState)timeout_ms);
    viSetAttribute(vi, VI_ATTR_TERMCHAR, '\n');
  } else {
    void* lib = dlopen("liblxi.so.1", RTLD_NOW);
    if (!lib) {
      printf("SKIP liblxi.so.1 not installed (Debian's liblxi1)\n");
      exit(77);
    }
    *(void**)&lxi_init_fn = dlsym(lib, "lxi_init");
    *(void**)&lxi_connect_fn = dlsym(lib, "lxi_connect");
    *(void**)&lxi_send_fn = dlsym(lib, "lxi_send");
    *(void**)&lxi_receive_fn = dlsym(lib, "lxi_receive");
    if (!lxi_init_fn || !lxi_connect_fn || !lxi_send_fn || !lxi_receive_fn) fail("liblxi lacks lxi_connect & co.");
    lxi_init_fn();
    char* rest = split_target(target);
    /* lxi.h: typedef enum { VXI11, RAW, HISLIP } lxi_protocol_t */
    if (kind == LXI_RAW) lxi_dev = lxi_connect_fn(target, atoi(rest), NULL, timeout_ms, 1);
    else lxi_dev = lxi_connect_fn(target, 0, rest, timeout_ms, 0);
    if (lxi_dev < 0) fail("lxi_connect failed");
  }
}

static void send_text(const char* text) {
  size_t len = strlen(text);
  if (kind == PLAIN) {
    size_t done = 0;
    while (done < len) {
      ssize_t n = send(fd, text + done, len - done, 0);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) fail("send failed");
      done += (size_t)n;
    }
  } else if (kind == VISA) {
    ViUInt32 ret = 0;
    if (viWrite(vi, (ViConstBuf)text, (ViUInt32)len, &ret) < VI_SUCCESS || ret != len) fail("viWrite failed");
  } else if (lxi_send_fn(lxi_dev, text, (int)len, timeout_ms) != (int)len) {
    fail("lxi_send failed");
  }
}

/* VISA: the termination character on for the one-line replies, off for blocks (binary data). */
static void set_termchar(int on) {
  if (kind == VISA) viSetAttribute(vi, VI_ATTR_TERMCHAR_EN, on ? VI_TRUE : VI_FALSE);
}

/* One read of at most `max` bytes: what the client's API gives in one call (> 0). */
static size_t receive(char* buf, size_t max) {
  if (kind == PLAIN) {
    for (;;) {
      ssize_t n = recv(fd, buf, max, 0);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) fail("recv failed or the server hung up");
      return (size_t)n;
    }
  }
  if (kind == VISA) {
    ViUInt32 ret = 0;
    ViStatus st = viRead(vi, (ViBuf)buf, (ViUInt32)max, &ret);
    if (st < VI_SUCCESS || ret == 0) fail("viRead failed");
    return ret;
  }
  /* liblxi 1.18 raw: a call of 1 MB may return the full count with the message's last bytes not
   * yet received (zeros; they come with the next call): 64 KiB per call, as lxi-tools reads. */
  size_t cap = kind == LXI_RAW ? 65536 : 0x7fffffff;
  int n = lxi_receive_fn(lxi_dev, buf, max > cap ? (int)cap : (int)max, timeout_ms);
  if (n <= 0) fail("lxi_receive failed");
  return (size_t)n;
}

static int cmp_double(const void* a, const void* b) {
  double x = *(const double*)a, y = *(const double*)b;
  return x < y ? -1 : x > y;
}

static void queries(long count) {
  double* t = malloc(sizeof(double) * (size_t)count);
  char buf[256];
  if (!t) fail("out of memory");
  set_termchar(1);
  for (long i = -10; i < count; ++i) {
    double t0 = now();
    send_text("*IDN?\n");
    size_t have = 0;
    do {
      if (have == sizeof buf) fail("*IDN? reply longer than 256 bytes");
      have += receive(buf + have, sizeof buf - have);
    } while (buf[have - 1] != '\n');
    if (i >= 0) t[i] = now() - t0;
  }
  qsort(t, (size_t)count, sizeof(double), cmp_double);
  long p99 = (long)((double)count * 0.99);
  if (p99 >= count) p99 = count - 1;
  printf("QUERY %.2f %.2f %ld\n", t[count / 2] * 1e6, t[p99] * 1e6, count);
  free(t);
}

/* Resident memory now (bytes); and the peak since reset_peak() (VmHWM; Linux resets it when "5"
 * is written to /proc/self/clear_refs), else the peak since the start (ru_maxrss). */
static long rss_bytes(void) {
  long pages = 0, resident = 0;
  FILE* f = fopen("/proc/self/statm", "r");
  if (f) {
    if (fscanf(f, "%ld %ld", &pages, &resident) != 2) resident = 0;
    fclose(f);
  }
  return resident * sysconf(_SC_PAGESIZE);
}

static void reset_peak(void) {
  FILE* f = fopen("/proc/self/clear_refs", "w");
  if (f) {
    fputs("5", f);
    fclose(f);
  }
}

static double peak_bytes(void) {
  char line[256];
  double kb = 0;
  FILE* f = fopen("/proc/self/status", "r");
  while (f && fgets(line, sizeof line, f))
    if (!strncmp(line, "VmHWM:", 6)) kb = atof(line + 6);
  if (f) fclose(f);
  if (kb <= 0) {
    struct rusage u;
    getrusage(RUSAGE_SELF, &u);
    kb = (double)u.ru_maxrss;
  }
  return kb * 1024.0;
}

static void blocks(size_t bytes, long reads, long base_rss) {
  char setup[64], digits[16];
  snprintf(setup, sizeof setup, ":WAV:POIN %zu\n", bytes);
  send_text(setup);
  int nd = snprintf(digits, sizeof digits, "%zu", bytes);
  size_t message = 2 + (size_t)nd + bytes + 1;
  char* buf = malloc(message);
  if (!buf) fail("cannot allocate the block buffer");
  memset(buf, 0, message); /* touched once: the caller's buffer */
  double* rate = malloc(sizeof(double) * (size_t)reads);
  if (!rate) fail("out of memory");
  set_termchar(0);
  for (long i = -1; i < reads; ++i) {
    double t0 = now();
    send_text("CURV?\n");
    size_t have = 0;
    while (have < message) have += receive(buf + have, message - have);
    double s = now() - t0;
    if (buf[0] != '#' || buf[1] != '0' + nd || memcmp(buf + 2, digits, (size_t)nd) != 0 || buf[message - 1] != '\n') {
      fprintf(stderr, "compare_c_client: not a %zu-byte block + NL: %.12s...\n", bytes, buf);
      exit(1);
    }
    if (i >= 0) rate[i] = (double)bytes / 1e6 / s;
  }
  qsort(rate, (size_t)reads, sizeof(double), cmp_double);
  printf("BLOCK %.1f %.1f %ld\n", rate[reads / 2], rate[reads - 1], reads);
  printf("PEAK %.1f\n", (peak_bytes() - (double)base_rss) / 1e6);
  free(rate);
  free(buf);
}

int main(int argc, char** argv) {
  if (argc < 4) {
    fprintf(stderr, "usage: compare_c_client plain|visa|lxi-raw|lxi-vxi11 TARGET (--queries N | --block BYTES --reads R) [--timeout MS]\n");
    return 2;
  }
  if (!strcmp(argv[1], "plain")) kind = PLAIN;
  else if (!strcmp(argv[1], "visa")) kind = VISA;
  else if (!strcmp(argv[1], "lxi-raw")) kind = LXI_RAW;
  else if (!strcmp(argv[1], "lxi-vxi11")) kind = LXI_VXI11;
  else {
    fprintf(stderr, "compare_c_client: unknown kind '%s'\n", argv[1]);
    return 2;
  }
  long count = 0, reads = 0;
  size_t bytes = 0;
  for (int i = 3; i < argc; ++i) {
    if (i + 1 >= argc) {
      fprintf(stderr, "compare_c_client: %s without a value\n", argv[i]);
      return 2;
    }
    if (!strcmp(argv[i], "--queries")) count = atol(argv[++i]);
    else if (!strcmp(argv[i], "--block")) bytes = (size_t)strtoull(argv[++i], NULL, 10);
    else if (!strcmp(argv[i], "--reads")) reads = atol(argv[++i]);
    else if (!strcmp(argv[i], "--timeout")) timeout_ms = atoi(argv[++i]);
    else {
      fprintf(stderr, "compare_c_client: unknown option %s\n", argv[i]);
      return 2;
    }
  }
  if ((count <= 0) == (bytes == 0) || (bytes && (reads <= 0 || bytes > 999999999))) {
    fprintf(stderr, "compare_c_client: give --queries N > 0, or --block 1..999999999 with --reads R > 0\n");
    return 2;
  }
  open_client(argv[2]);
  reset_peak();
  long base_rss = rss_bytes();
  if (count > 0) queries(count);
  else blocks(bytes, reads, base_rss);
  if (kind == VISA) {
    viClose(vi);
    viClose(rm);
  }
  return 0;
}
