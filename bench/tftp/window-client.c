/*
 * Bench-only TFTP read client for RFC 7440 windows, so the windowsize
 * figures measure the servers and not the client: atftp pays a pselect, a
 * recvmsg and a write per block; this reads up to 64 blocks per recvmmsg.
 * Not for the lock-step figures (those use real clients). Built by
 * bench/tftp/tftp-bench.ts with the system's cc.
 *
 *   window-client HOST PORT FILE BLKSIZE WINDOWSIZE [OUTFILE|-] [SPIN_SECONDS]
 *
 * Sends RRQ with blksize, windowsize and tsize; ACKs each full window, the
 * last in-order block when one is missing (RFC 7440 section 4), and again
 * after a 1 s silence. Prints "<bytes> <seconds>" and exits 0 on success.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define BATCH 64

static int ack(int fd, unsigned block, const struct sockaddr_in *to) {
  unsigned char p[4] = {0, 4, (unsigned char)(block >> 8), (unsigned char)block};
  return (int)sendto(fd, p, 4, 0, (const struct sockaddr *)to, sizeof *to);
}

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

int main(int argc, char **argv) {
  if (argc < 6) {
    fprintf(stderr, "usage: %s HOST PORT FILE BLKSIZE WINDOWSIZE [OUTFILE]\n", argv[0]);
    return 2;
  }
  const char *file = argv[3];
  unsigned blksize = (unsigned)atoi(argv[4]);
  unsigned windowsize = (unsigned)atoi(argv[5]);
  FILE *out = argc > 6 && strcmp(argv[6], "-") ? fopen(argv[6], "wb") : NULL;
  /* Seconds to spin before sleeping (see below); 0 turns spinning off. */
  double spin = argc > 7 ? atof(argv[7]) : 200e-6;
  if (argc > 6 && strcmp(argv[6], "-") && !out) {
    perror("fopen");
    return 1;
  }

  int fd = socket(AF_INET, SOCK_DGRAM, 0);
  int rcvbuf = 4 << 20;
  setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf);
  struct sockaddr_in server = {.sin_family = AF_INET, .sin_port = htons((unsigned short)atoi(argv[2]))};
  inet_pton(AF_INET, argv[1], &server.sin_addr);

  char rrq[512];
  int n = snprintf(rrq + 2, sizeof rrq - 2, "%s%coctet%cblksize%c%u%cwindowsize%c%u%ctsize%c0%c", file, 0, 0, 0,
                   blksize, 0, 0, windowsize, 0, 0, 0);
  rrq[0] = 0;
  rrq[1] = 1;
  sendto(fd, rrq, (size_t)n + 2, 0, (struct sockaddr *)&server, sizeof server);

  size_t cap = 65468;
  unsigned char *bufs = malloc(cap * BATCH);
  struct mmsghdr msgs[BATCH];
  struct iovec iov[BATCH];
  struct sockaddr_in from[BATCH];
  struct sockaddr_in peer;
  int have_peer = 0;
  unsigned long long bytes = 0;
  unsigned last = 0;       /* last in-order block (16-bit) */
  unsigned inwin = 0;      /* blocks received in order since the last ACK */
  int gap_acked = 0;       /* already told the server about the current gap */
  int silent = 0;
  int started = 0;
  double t0 = now();

  double spin_until = 0;
  for (;;) {
    int r = 1;
    /* Spin on the socket for a moment after each packet before sleeping in
     * poll: on loopback the sender's sendmsg pays for waking a sleeping
     * receiver (a cross-CPU interrupt, costly in a VM), which a real NIC
     * would not charge it; spinning keeps that cost out of the server's figure. */
    if (now() >= spin_until) {
      struct pollfd p = {.fd = fd, .events = POLLIN};
      r = poll(&p, 1, 1000);
    }
    if (r == 0) {
      if (++silent > 10) {
        fprintf(stderr, "timeout\n");
        return 1;
      }
      if (have_peer) ack(fd, last, &peer);
      else sendto(fd, rrq, (size_t)n + 2, 0, (struct sockaddr *)&server, sizeof server);
      continue;
    }
    silent = 0;
    for (int i = 0; i < BATCH; i++) {
      iov[i].iov_base = bufs + cap * (size_t)i;
      iov[i].iov_len = cap;
      memset(&msgs[i].msg_hdr, 0, sizeof msgs[i].msg_hdr);
      msgs[i].msg_hdr.msg_iov = &iov[i];
      msgs[i].msg_hdr.msg_iovlen = 1;
      msgs[i].msg_hdr.msg_name = &from[i];
      msgs[i].msg_hdr.msg_namelen = sizeof from[i];
    }
    int got = recvmmsg(fd, msgs, BATCH, MSG_DONTWAIT, NULL);
    if (got <= 0) continue;
    spin_until = now() + spin;
    for (int i = 0; i < got; i++) {
      unsigned char *m = iov[i].iov_base;
      size_t len = msgs[i].msg_len;
      if (len < 4) continue;
      if (!have_peer) {
        peer = from[i];
        have_peer = 1;
      } else if (from[i].sin_port != peer.sin_port) {
        continue;
      }
      unsigned op = (unsigned)(m[0] << 8 | m[1]);
      if (op == 5) {
        fprintf(stderr, "server error %u: %.*s\n", (unsigned)(m[2] << 8 | m[3]), (int)(len - 4), m + 4);
        return 1;
      }
      if (op == 6 && !started) {
        /* OACK: take the values the server granted; an option left out was declined. */
        blksize = 512;
        windowsize = 1;
        size_t pos = 2;
        while (pos < len) {
          const char *name = (const char *)m + pos;
          size_t nl = strnlen(name, len - pos);
          if (pos + nl + 1 >= len) break;
          const char *value = name + nl + 1;
          size_t vl = strnlen(value, len - pos - nl - 1);
          if (!strcasecmp(name, "blksize")) blksize = (unsigned)atoi(value);
          if (!strcasecmp(name, "windowsize")) windowsize = (unsigned)atoi(value);
          pos += nl + vl + 2;
        }
        started = 1;
        ack(fd, 0, &peer);
        continue;
      }
      if (op != 3) continue;
      if (!started) {
        /* No OACK: plain RFC 1350. */
        started = 1;
        blksize = 512;
        windowsize = 1;
      }
      unsigned block = (unsigned)(m[2] << 8 | m[3]);
      if (block != ((last + 1) & 0xffff)) {
        if (!gap_acked) {
          ack(fd, last, &peer);
          gap_acked = 1;
          inwin = 0;
        }
        continue;
      }
      gap_acked = 0;
      last = block;
      size_t data = len - 4;
      bytes += data;
      if (out) fwrite(m + 4, 1, data, out);
      if (data < blksize) {
        ack(fd, last, &peer);
        printf("%llu %.6f\n", bytes, now() - t0);
        if (out) fclose(out);
        return 0;
      }
      if (++inwin >= windowsize) {
        ack(fd, last, &peer);
        inwin = 0;
      }
    }
  }
}
