/* plain_block_server: the baseline of bench/served_block.sh. A minimal TCP server in plain C11 +
 * POSIX that answers every NL-terminated query (a line whose last character before NL, CR
 * excepted, is '?': IEEE 488.2 §6.3 query syntax; other lines are commands and get no answer)
 * with one IEEE 488.2 definite-length arbitrary block (§8.7.9): "#" + digit count + LEN in decimal
 * + LEN data bytes + "\n" ("#9100000000..." for 10^8 bytes), the same framing and size the served
 * simulated oscilloscope sends for "CURV?" with a record length of LEN int8 points. The block is prepared once in memory and sent with writev:
 * nothing a server could do faster over TCP, so it is what served throughput is compared to.
 * Like the simulated oscilloscope, ":WAV:POIN N" (1 <= N <= LEN) sets the length of this
 * connection's later blocks (the first N bytes of the prepared block), and "*IDN?" gets one short
 * line instead of a block (bench/compare.py's query round trip).
 *
 *   plain_block_server LEN [HOST [PORT]]     (defaults 127.0.0.1, port 0 = a free port)
 *
 * Prints "TCPIP::HOST::PORT::SOCKET serves plain-block" once listening (the form of visa-serve's
 * lines), then serves one thread per connection until SIGINT/SIGTERM. A client that stops reading
 * for 10 s is dropped; a line longer than 4 KiB is discarded.
 */
#define _POSIX_C_SOURCE 200809L

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

enum { max_line = 4096 };

static unsigned char* block;
static size_t block_len;
static const char idn[] = "CPPVISA,PLAIN-BLOCK-SERVER,0,1.0\n";

/* Sends iov[0..count) completely; returns 0, or -1 when the peer is gone or stalled. */
static int send_all(int fd, struct iovec* iov, int count) {
  int first = 0;
  while (first < count) {
    ssize_t n = writev(fd, iov + first, count - first);
    if (n < 0) {
      if (errno == EINTR) continue;
      return -1;
    }
    size_t left = (size_t)n;
    while (first < count && left >= iov[first].iov_len) left -= iov[first++].iov_len;
    if (first < count) {
      iov[first].iov_base = (char*)iov[first].iov_base + left;
      iov[first].iov_len -= left;
    }
  }
  return 0;
}

/* Sends "#" + digit count + len + the first len bytes of the block + "\n". */
static int send_block(int fd, size_t len) {
  static const char nl = '\n';
  /* As few length digits as the length needs (IEEE 488.2 §8.7.9.2 allows leading zeros; the
   * simulated instrument writes none). */
  char digits[12], header[16];
  snprintf(digits, sizeof digits, "%zu", len);
  int header_len = snprintf(header, sizeof header, "#%zu%s", strlen(digits), digits);
  struct iovec iov[3] = {{header, (size_t)header_len}, {block, len}, {(void*)&nl, 1}};
  return send_all(fd, iov, 3);
}

/* ":WAV:POIN N" (any case, as SCPI): returns N, or 0 when the line is not that command. */
static size_t points_command(const char* line, size_t len) {
  static const char name[] = ":WAV:POIN ";
  size_t n = sizeof name - 1;
  if (len <= n || strncasecmp(line, name, n) != 0) return 0;
  size_t v = 0;
  for (size_t i = n; i < len && line[i] != '\r'; ++i) {
    if (line[i] < '0' || line[i] > '9' || v > block_len) return 0;
    v = v * 10 + (size_t)(line[i] - '0');
  }
  return v <= block_len ? v : 0;
}

static int is_query(const char* line, size_t len) {
  while (len > 0 && (line[len - 1] == '\r' || line[len - 1] == ' ' || line[len - 1] == '\t')) --len;
  return len > 0 && line[len - 1] == '?';
}

static void* serve(void* arg) {
  int fd = (int)(intptr_t)arg;
  char line[max_line];
  size_t have = 0;
  int overlong = 0;
  size_t len = block_len; /* this connection's block length (":WAV:POIN N") */
  char in[4096];
  for (;;) {
    ssize_t n = recv(fd, in, sizeof in, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    for (ssize_t i = 0; i < n; ++i) {
      if (in[i] != '\n') {
        if (have < max_line) line[have++] = in[i];
        else overlong = 1;
        continue;
      }
      if (!overlong) {
        size_t points = points_command(line, have);
        if (points) len = points;
        if (have >= 5 && strncasecmp(line, "*IDN?", 5) == 0) {
          struct iovec iov = {(void*)idn, sizeof idn - 1};
          if (send_all(fd, &iov, 1) != 0) goto done;
        } else if (is_query(line, have) && send_block(fd, len) != 0) {
          goto done;
        }
      }
      have = 0;
      overlong = 0;
    }
  }
done:
  close(fd);
  return NULL;
}

int main(int argc, char** argv) {
  if (argc < 2 || argc > 4) {
    fprintf(stderr, "usage: %s LEN [HOST [PORT]]\n", argv[0]);
    return 2;
  }
  char* end = NULL;
  errno = 0;
  unsigned long long len = strtoull(argv[1], &end, 10);
  if (errno || *end || len == 0 || len > 999999999ULL) {
    fprintf(stderr, "plain_block_server: LEN must be 1..999999999 (9 digits), got '%s'\n", argv[1]);
    return 2;
  }
  const char* host = argc > 2 ? argv[2] : "127.0.0.1";
  unsigned long port = argc > 3 ? strtoul(argv[3], NULL, 10) : 0;
  if (port > 65535) {
    fprintf(stderr, "plain_block_server: bad port '%s'\n", argv[3]);
    return 2;
  }
  block_len = (size_t)len;
  block = malloc(block_len);
  if (!block) {
    fprintf(stderr, "plain_block_server: cannot allocate %zu bytes\n", block_len);
    return 1;
  }
  for (size_t i = 0; i < block_len; ++i) block[i] = (unsigned char)(i * 7u + 3u);  /* touched once */

  signal(SIGPIPE, SIG_IGN); /* a client gone mid-block is an error from writev, not a signal */
  int listener = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in addr;
  memset(&addr, 0, sizeof addr);
  addr.sin_family = AF_INET;
  addr.sin_port = htons((unsigned short)port);
  if (listener < 0 || inet_pton(AF_INET, host, &addr.sin_addr) != 1) {
    fprintf(stderr, "plain_block_server: bad IPv4 address '%s'\n", host);
    return 2;
  }
  int one = 1;
  setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  socklen_t alen = sizeof addr;
  if (bind(listener, (struct sockaddr*)&addr, sizeof addr) != 0 || listen(listener, 16) != 0 ||
      getsockname(listener, (struct sockaddr*)&addr, &alen) != 0) {
    fprintf(stderr, "plain_block_server: cannot listen on %s:%lu: %s\n", host, port, strerror(errno));
    return 1;
  }
  printf("TCPIP::%s::%u::SOCKET serves plain-block\n", host, (unsigned)ntohs(addr.sin_port));
  fflush(stdout);

  for (;;) {
    int fd = accept(listener, NULL, NULL);
    if (fd < 0) {
      if (errno == EINTR || errno == ECONNABORTED) continue;
      if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
        struct timespec pause = {0, 50000000}; /* out of resources: back off, do not spin */
        nanosleep(&pause, NULL);
        continue;
      }
      fprintf(stderr, "plain_block_server: accept: %s\n", strerror(errno));
      return 1;
    }
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    struct timeval stall = {10, 0};
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &stall, sizeof stall);
    pthread_t t;
    if (pthread_create(&t, NULL, serve, (void*)(intptr_t)fd) != 0) {
      close(fd);
      continue;
    }
    pthread_detach(t);
  }
}
