/*
 * bootfleet-nbd: the client's NBD root connector, shipped static in the
 * client hook's initrd. It attaches /dev/nbdN to an export the way
 * nbd-client does, then stays and keeps the device alive across any outage
 * of the server process (restart, upgrade, crash, failover to another
 * server):
 *
 *   - the device is configured through the kernel's netlink NBD interface
 *     (drivers/block/nbd.c) with NBD_ATTR_DEAD_CONN_TIMEOUT: while no
 *     connection is alive the kernel queues I/O instead of failing it, for
 *     up to that many seconds;
 *   - NBD_ATTR_TIMEOUT makes a request that gets no reply in time mark the
 *     connection dead and go back to the queue (single-connection devices
 *     requeue only when a timeout is set), so a server that vanished without
 *     a TCP reset is noticed too;
 *   - the kernel announces a dead connection on the "nbd_mc_group" multicast
 *     group (NBD_CMD_LINK_DEAD); this program then dials the servers in turn,
 *     repeats the handshake, checks the export's size did not change, and
 *     hands the new socket to the device with NBD_CMD_RECONFIGURE. Queued
 *     requests are sent again on it. Reads are idempotent, and the server
 *     keeps a client's copy-on-write layer until the client comes back, so
 *     writes the old server acknowledged are not lost either.
 *
 * Debian's nbd-client 3.24 has no reconnect: its device dies with the first
 * dropped connection. This program is small, static and needs no library at
 * run time, so the hook can carry one build per client architecture.
 *
 * Usage:
 *   bootfleet-nbd [-r] [-t SECONDS] [-D SECONDS] [-b BYTES] [-c SECONDS]
 *                 -N EXPORT [-i INDEX] HOST:PORT [HOST:PORT ...]
 *     -r          read-only device
 *     -t          request timeout before a connection counts as dead (15)
 *     -D          how long I/O waits for a new connection (86400)
 *     -b          block size, 512..4096 (4096 when the size allows, else 512)
 *     -c          give up the first connection after this long (30)
 *     -i          the nbd device index (0: /dev/nbd0)
 *     -f          stay in the foreground (for tests); default: detach once
 *                 the device is up
 *
 * Exit status: 0 once the device is up (the watcher goes on in the
 * background), 1 if no server could be reached in time, 2 for a refused
 * export or bad arguments.
 *
 * Protocol: the NBD "fixed newstyle" handshake with NBD_OPT_GO, falling back
 * to NBD_OPT_EXPORT_NAME (NetworkBlockDevice/nbd doc/proto.md).
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/genetlink.h>
#include <linux/nbd-netlink.h>
#include <linux/nbd.h>
#include <linux/netlink.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

#define NBD_MAGIC 0x4e42444d41474943ULL /* "NBDMAGIC" */
#define NBD_IHAVEOPT 0x49484156454F5054ULL
#define NBD_REP_MAGIC 0x0003e889045565a9ULL
#define NBD_OPT_EXPORT_NAME 1
#define NBD_OPT_GO 7
#define NBD_REP_ACK 1
#define NBD_REP_INFO 3
#define NBD_REP_FLAG_ERROR (1U << 31)
#define NBD_REP_ERR_UNSUP (NBD_REP_FLAG_ERROR | 1)
#define NBD_INFO_EXPORT 0
#define NBD_FLAG_FIXED_NEWSTYLE 1
#define NBD_FLAG_NO_ZEROES 2
#define MAX_SERVERS 8

struct server {
  char host[64];
  char port[8];
};

static struct {
  struct server servers[MAX_SERVERS];
  int nservers;
  const char *export_name;
  int read_only;
  uint64_t timeout;
  uint64_t dead_timeout;
  uint64_t block_size;
  int connect_timeout;
  int index;
  int foreground;
  uint64_t size;  /* of the export, fixed at the first handshake */
  uint16_t flags; /* transmission flags of the first handshake */
} cfg = {.timeout = 15, .dead_timeout = 86400, .connect_timeout = 30};

static int log_fd = 2;

static void say(const char *fmt, ...) {
  char buf[512];
  int n = snprintf(buf, sizeof buf, "bootfleet-nbd: ");
  va_list ap;
  va_start(ap, fmt);
  n += vsnprintf(buf + n, sizeof buf - n, fmt, ap);
  va_end(ap);
  if (n >= (int)sizeof buf - 1) n = sizeof buf - 2;
  buf[n++] = '\n';
  if (write(log_fd, buf, n) < 0) {
    /* nowhere left to say it */
  }
}

static uint64_t now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static uint64_t be64(const unsigned char *p) {
  uint64_t v = 0;
  for (int i = 0; i < 8; i++) v = (v << 8) | p[i];
  return v;
}
static uint32_t be32(const unsigned char *p) {
  return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}
static void put64(unsigned char *p, uint64_t v) {
  for (int i = 7; i >= 0; i--, v >>= 8) p[i] = v & 0xff;
}
static void put32(unsigned char *p, uint32_t v) {
  p[0] = v >> 24;
  p[1] = v >> 16;
  p[2] = v >> 8;
  p[3] = v;
}
static void put16(unsigned char *p, uint16_t v) {
  p[0] = v >> 8;
  p[1] = v;
}

/* Reads or writes exactly n bytes within the socket's timeouts. */
static int read_all(int fd, void *buf, size_t n) {
  unsigned char *p = buf;
  while (n > 0) {
    ssize_t r = read(fd, p, n);
    if (r == 0) {
      errno = ECONNRESET;
      return -1;
    }
    if (r < 0) {
      if (errno == EINTR) continue;
      return -1;
    }
    p += r;
    n -= r;
  }
  return 0;
}
static int write_all(int fd, const void *buf, size_t n) {
  const unsigned char *p = buf;
  while (n > 0) {
    ssize_t r = write(fd, p, n);
    if (r < 0) {
      if (errno == EINTR) continue;
      return -1;
    }
    p += r;
    n -= r;
  }
  return 0;
}
static int skip(int fd, uint32_t n) {
  unsigned char junk[256];
  while (n > 0) {
    uint32_t k = n < sizeof junk ? n : sizeof junk;
    if (read_all(fd, junk, k) < 0) return -1;
    n -= k;
  }
  return 0;
}

/* Dials host:port with a bounded connect; TCP keepalive so that a server
 * machine that disappears without a reset is noticed while idle too. */
static int dial(const struct server *s, int timeout_ms) {
  /* Addresses only (no resolver: a static binary cannot load glibc's NSS). */
  struct sockaddr_storage ss;
  socklen_t sslen;
  memset(&ss, 0, sizeof ss);
  struct sockaddr_in *v4 = (struct sockaddr_in *)&ss;
  struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)&ss;
  int port = atoi(s->port);
  if (inet_pton(AF_INET, s->host, &v4->sin_addr) == 1) {
    v4->sin_family = AF_INET;
    v4->sin_port = htons(port);
    sslen = sizeof *v4;
  } else if (inet_pton(AF_INET6, s->host, &v6->sin6_addr) == 1) {
    v6->sin6_family = AF_INET6;
    v6->sin6_port = htons(port);
    sslen = sizeof *v6;
  } else {
    errno = EINVAL;
    return -1;
  }
  int fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd < 0) return -1;
  int r = connect(fd, (struct sockaddr *)&ss, sslen);
  if (r < 0 && errno != EINPROGRESS) goto fail;
  if (r < 0) {
    struct pollfd p = {.fd = fd, .events = POLLOUT};
    if (poll(&p, 1, timeout_ms) != 1) {
      errno = ETIMEDOUT;
      goto fail;
    }
    int err = 0;
    socklen_t len = sizeof err;
    getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len);
    if (err) {
      errno = err;
      goto fail;
    }
  }
  fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
  int one = 1, idle = 10, intvl = 5, cnt = 3;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &one, sizeof one);
  setsockopt(fd, IPPROTO_TCP, TCP_KEEPIDLE, &idle, sizeof idle);
  setsockopt(fd, IPPROTO_TCP, TCP_KEEPINTVL, &intvl, sizeof intvl);
  setsockopt(fd, IPPROTO_TCP, TCP_KEEPCNT, &cnt, sizeof cnt);
  /* The handshake itself must not hang on a server that accepted and froze;
   * a server busy starting up gets longer than the connect. */
  struct timeval tv = {.tv_sec = 5};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  return fd;
fail : {
  int e = errno;
  close(fd);
  errno = e;
  return -1;
}
}

/* Result of a handshake: 0 ok, -1 transient (try again / next server),
 * -2 the server refused the export (no point retrying that server now). */
static int handshake(int fd, uint64_t *size, uint16_t *flags, char *why, size_t whylen) {
  unsigned char hello[18];
  if (read_all(fd, hello, sizeof hello) < 0) {
    snprintf(why, whylen, "greeting: %s", strerror(errno));
    return -1;
  }
  if (be64(hello) != NBD_MAGIC || be64(hello + 8) != NBD_IHAVEOPT) {
    snprintf(why, whylen, "not a newstyle NBD server");
    return -2;
  }
  uint16_t hflags = (uint16_t)(hello[16] << 8 | hello[17]);
  if (!(hflags & NBD_FLAG_FIXED_NEWSTYLE)) {
    snprintf(why, whylen, "server lacks fixed newstyle");
    return -2;
  }
  int no_zeroes = hflags & NBD_FLAG_NO_ZEROES;
  unsigned char cflags[4];
  put32(cflags, NBD_FLAG_FIXED_NEWSTYLE | (no_zeroes ? NBD_FLAG_NO_ZEROES : 0));
  size_t nlen = strlen(cfg.export_name);
  unsigned char opt[16 + 4 + 4096 + 2];
  put64(opt, NBD_IHAVEOPT);
  put32(opt + 8, NBD_OPT_GO);
  put32(opt + 12, 4 + nlen + 2);
  put32(opt + 16, nlen);
  memcpy(opt + 20, cfg.export_name, nlen);
  put16(opt + 20 + nlen, 0); /* no extra information requests */
  if (write_all(fd, cflags, 4) < 0 || write_all(fd, opt, 20 + nlen + 2) < 0) {
    snprintf(why, whylen, "sending NBD_OPT_GO: %s", strerror(errno));
    return -1;
  }
  int have_export = 0;
  for (;;) {
    unsigned char rep[20];
    if (read_all(fd, rep, sizeof rep) < 0) {
      snprintf(why, whylen, "option reply: %s", strerror(errno));
      return -1;
    }
    if (be64(rep) != NBD_REP_MAGIC) {
      snprintf(why, whylen, "bad option reply magic");
      return -2;
    }
    uint32_t type = be32(rep + 12), len = be32(rep + 16);
    if (len > 65536) {
      snprintf(why, whylen, "option reply of %u bytes", len);
      return -2;
    }
    if (type == NBD_REP_INFO && len >= 2) {
      unsigned char info[12];
      if (len == 12) {
        if (read_all(fd, info, 12) < 0) return -1;
        if ((info[0] << 8 | info[1]) == NBD_INFO_EXPORT) {
          *size = be64(info + 2);
          *flags = (uint16_t)(info[10] << 8 | info[11]);
          have_export = 1;
        }
      } else if (skip(fd, len) < 0) {
        return -1;
      }
    } else if (type == NBD_REP_ACK) {
      if (len && skip(fd, len) < 0) return -1;
      if (!have_export) {
        snprintf(why, whylen, "NBD_OPT_GO acknowledged without NBD_INFO_EXPORT");
        return -2;
      }
      return 0;
    } else if (type == NBD_REP_ERR_UNSUP) {
      /* An old server: the export name option ends the haggling. */
      if (len && skip(fd, len) < 0) return -1;
      unsigned char o[16];
      put64(o, NBD_IHAVEOPT);
      put32(o + 8, NBD_OPT_EXPORT_NAME);
      put32(o + 12, nlen);
      if (write_all(fd, o, 16) < 0 || write_all(fd, cfg.export_name, nlen) < 0) return -1;
      unsigned char ex[10];
      if (read_all(fd, ex, 10) < 0) {
        snprintf(why, whylen, "export '%s' refused", cfg.export_name);
        return -2;
      }
      *size = be64(ex);
      *flags = (uint16_t)(ex[8] << 8 | ex[9]);
      if (!no_zeroes && skip(fd, 124) < 0) return -1;
      return 0;
    } else if (type & NBD_REP_FLAG_ERROR) {
      char msg[200] = "";
      uint32_t k = len < sizeof msg - 1 ? len : sizeof msg - 1;
      if (read_all(fd, msg, k) < 0 || skip(fd, len - k) < 0) return -1;
      msg[k] = 0;
      snprintf(why, whylen, "export '%s' refused (error %u)%s%s", cfg.export_name, type & ~NBD_REP_FLAG_ERROR,
               msg[0] ? ": " : "", msg);
      return -2;
    } else if (len && skip(fd, len) < 0) {
      return -1;
    }
  }
}

/* ---- generic netlink ---- */

struct nlbuf {
  unsigned char data[1024];
  size_t len;
};

static struct nlattr *nla_put(struct nlbuf *b, uint16_t type, const void *val, uint16_t len) {
  struct nlattr *a = (struct nlattr *)(b->data + b->len);
  a->nla_type = type;
  a->nla_len = NLA_HDRLEN + len;
  if (len) memcpy((unsigned char *)a + NLA_HDRLEN, val, len);
  b->len += NLA_ALIGN(a->nla_len);
  return a;
}
static void nla_put_u64(struct nlbuf *b, uint16_t type, uint64_t v) { nla_put(b, type, &v, 8); }
static void nla_put_u32(struct nlbuf *b, uint16_t type, uint32_t v) { nla_put(b, type, &v, 4); }
static void nla_end(struct nlbuf *b, struct nlattr *nest) {
  nest->nla_len = (uint16_t)(b->data + b->len - (unsigned char *)nest);
}

static void genl_start(struct nlbuf *b, uint16_t family, uint8_t cmd, uint8_t version) {
  memset(b, 0, sizeof *b);
  struct nlmsghdr *h = (struct nlmsghdr *)b->data;
  h->nlmsg_type = family;
  h->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
  h->nlmsg_seq = (uint32_t)now_ms();
  struct genlmsghdr *g = (struct genlmsghdr *)NLMSG_DATA(h);
  g->cmd = cmd;
  g->version = version;
  b->len = NLMSG_HDRLEN + GENL_HDRLEN;
}

/* Sends the request and reads until the kernel's ack; the reply's
 * attributes (if any) land in reply. Returns 0 or -errno. */
static int genl_call(int nl, struct nlbuf *b, unsigned char *reply, size_t *reply_len) {
  struct nlmsghdr *h = (struct nlmsghdr *)b->data;
  h->nlmsg_len = b->len;
  struct sockaddr_nl kernel = {.nl_family = AF_NETLINK};
  if (sendto(nl, b->data, b->len, 0, (struct sockaddr *)&kernel, sizeof kernel) < 0) return -errno;
  unsigned char buf[8192];
  for (;;) {
    ssize_t n = recv(nl, buf, sizeof buf, 0);
    if (n < 0) {
      if (errno == EINTR) continue;
      return -errno;
    }
    for (struct nlmsghdr *r = (struct nlmsghdr *)buf; NLMSG_OK(r, (unsigned)n); r = NLMSG_NEXT(r, n)) {
      if (r->nlmsg_seq != h->nlmsg_seq) continue;
      if (r->nlmsg_type == NLMSG_ERROR) {
        struct nlmsgerr *e = NLMSG_DATA(r);
        return e->error; /* 0 is the ack */
      }
      if (reply && reply_len) {
        size_t l = r->nlmsg_len - NLMSG_HDRLEN;
        if (l > *reply_len) l = *reply_len;
        memcpy(reply, NLMSG_DATA(r), l);
        *reply_len = l;
      }
    }
  }
}

/* Walks attributes in [p, p+len) calling fn for each. */
#define FOR_ATTR(a, p, len)                                                                   \
  for (struct nlattr *a = (struct nlattr *)(p); (unsigned char *)a + NLA_HDRLEN <= (p) + (len) && \
                                                a->nla_len >= NLA_HDRLEN &&                      \
                                                (unsigned char *)a + a->nla_len <= (p) + (len);  \
       a = (struct nlattr *)((unsigned char *)a + NLA_ALIGN(a->nla_len)))

static int resolve_family(int nl, uint16_t *family, uint32_t *group) {
  struct nlbuf b;
  genl_start(&b, GENL_ID_CTRL, CTRL_CMD_GETFAMILY, 1);
  nla_put(&b, CTRL_ATTR_FAMILY_NAME, NBD_GENL_FAMILY_NAME, sizeof NBD_GENL_FAMILY_NAME);
  unsigned char reply[4096];
  size_t rlen = sizeof reply;
  memset(reply, 0, sizeof reply);
  int r = genl_call(nl, &b, reply, &rlen);
  if (r < 0) return r;
  *family = 0;
  *group = 0;
  unsigned char *attrs = reply + GENL_HDRLEN;
  size_t alen = rlen > GENL_HDRLEN ? rlen - GENL_HDRLEN : 0;
  FOR_ATTR(a, attrs, alen) {
    unsigned char *v = (unsigned char *)a + NLA_HDRLEN;
    size_t vlen = a->nla_len - NLA_HDRLEN;
    if (a->nla_type == CTRL_ATTR_FAMILY_ID && vlen >= 2) memcpy(family, v, 2);
    if ((a->nla_type & NLA_TYPE_MASK) == CTRL_ATTR_MCAST_GROUPS) {
      FOR_ATTR(grp, v, vlen) {
        unsigned char *gv = (unsigned char *)grp + NLA_HDRLEN;
        size_t glen = grp->nla_len - NLA_HDRLEN;
        const char *name = NULL;
        uint32_t id = 0;
        FOR_ATTR(f, gv, glen) {
          unsigned char *fv = (unsigned char *)f + NLA_HDRLEN;
          if (f->nla_type == CTRL_ATTR_MCAST_GRP_NAME) name = (const char *)fv;
          if (f->nla_type == CTRL_ATTR_MCAST_GRP_ID) memcpy(&id, fv, 4);
        }
        if (name && strcmp(name, NBD_GENL_MCAST_GROUP_NAME) == 0) *group = id;
      }
    }
  }
  return *family ? 0 : -ENOENT;
}

static void put_socket(struct nlbuf *b, int fd) {
  struct nlattr *socks = nla_put(b, NBD_ATTR_SOCKETS | NLA_F_NESTED, NULL, 0);
  struct nlattr *item = nla_put(b, NBD_SOCK_ITEM | NLA_F_NESTED, NULL, 0);
  nla_put_u32(b, NBD_SOCK_FD, (uint32_t)fd);
  nla_end(b, item);
  nla_end(b, socks);
}

static int nbd_connect(int nl, uint16_t family, int fd) {
  struct nlbuf b;
  genl_start(&b, family, NBD_CMD_CONNECT, NBD_GENL_VERSION);
  nla_put_u32(&b, NBD_ATTR_INDEX, (uint32_t)cfg.index);
  nla_put_u64(&b, NBD_ATTR_SIZE_BYTES, cfg.size);
  nla_put_u64(&b, NBD_ATTR_BLOCK_SIZE_BYTES, cfg.block_size);
  nla_put_u64(&b, NBD_ATTR_TIMEOUT, cfg.timeout);
  nla_put_u64(&b, NBD_ATTR_DEAD_CONN_TIMEOUT, cfg.dead_timeout);
  nla_put_u64(&b, NBD_ATTR_SERVER_FLAGS, cfg.flags | (cfg.read_only ? NBD_FLAG_READ_ONLY : 0));
  nla_put_u64(&b, NBD_ATTR_CLIENT_FLAGS, 0);
  put_socket(&b, fd);
  return genl_call(nl, &b, NULL, NULL);
}

static int nbd_reconfigure(int nl, uint16_t family, int fd) {
  struct nlbuf b;
  genl_start(&b, family, NBD_CMD_RECONFIGURE, NBD_GENL_VERSION);
  nla_put_u32(&b, NBD_ATTR_INDEX, (uint32_t)cfg.index);
  put_socket(&b, fd);
  return genl_call(nl, &b, NULL, NULL);
}

/* One connection with a completed handshake to any server, trying each in
 * turn from *next. Returns the socket, -1 if none answered, -2 if one
 * refused the export. */
static int open_export(int *next, char *why, size_t whylen) {
  int refused = 0;
  for (int k = 0; k < cfg.nservers; k++) {
    const struct server *s = &cfg.servers[(*next + k) % cfg.nservers];
    /* A LAN peer answers a SYN within milliseconds; a server machine that
     * is down does not answer ARP, and must not hold up the next one. */
    int fd = dial(s, 1000);
    if (fd < 0) {
      snprintf(why, whylen, "%s:%s: %s", s->host, s->port, strerror(errno));
      continue;
    }
    uint64_t size = 0;
    uint16_t flags = 0;
    char hwhy[256] = "";
    int r = handshake(fd, &size, &flags, hwhy, sizeof hwhy);
    if (r == 0 && cfg.size && size != cfg.size) {
      snprintf(hwhy, sizeof hwhy, "export '%s' is %llu bytes there, not %llu: another image version", cfg.export_name,
               (unsigned long long)size, (unsigned long long)cfg.size);
      r = -2;
    }
    if (r == 0) {
      /* The kernel does its own timeouts from here on. */
      struct timeval zero = {0};
      setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &zero, sizeof zero);
      setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &zero, sizeof zero);
      if (!cfg.size) {
        cfg.size = size;
        cfg.flags = flags;
      }
      *next = (*next + k) % cfg.nservers;
      return fd;
    }
    snprintf(why, whylen, "%s:%s: %s", s->host, s->port, hwhy);
    if (r == -2) refused = 1;
    close(fd);
  }
  *next = (*next + 1) % cfg.nservers;
  return refused ? -2 : -1;
}

static int subscribe(uint32_t group) {
  int nl = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_GENERIC);
  if (nl < 0) return -1;
  /* Bound (the kernel picks a port id): an unbound socket has port id 0,
   * the kernel's own, and netlink's do_one_broadcast() skips the socket
   * whose port id is the sender's, so it would never see LINK_DEAD. */
  struct sockaddr_nl local = {.nl_family = AF_NETLINK};
  if (bind(nl, (struct sockaddr *)&local, sizeof local) < 0 ||
      setsockopt(nl, SOL_NETLINK, NETLINK_ADD_MEMBERSHIP, &group, sizeof group) < 0) {
    close(nl);
    return -1;
  }
  return nl;
}

/* Waits for NBD_CMD_LINK_DEAD naming our device. Returns 0 when it came,
 * 1 when the multicast socket overflowed (an event may be lost: reconnect
 * to be safe), -1 on a broken socket. */
static int wait_link_dead(int mc, uint16_t family) {
  unsigned char buf[8192];
  for (;;) {
    ssize_t n = recv(mc, buf, sizeof buf, 0);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == ENOBUFS) return 1;
      return -1;
    }
    for (struct nlmsghdr *h = (struct nlmsghdr *)buf; NLMSG_OK(h, (unsigned)n); h = NLMSG_NEXT(h, n)) {
      if (h->nlmsg_type != family) continue;
      struct genlmsghdr *g = NLMSG_DATA(h);
      if (g->cmd != NBD_CMD_LINK_DEAD) continue;
      unsigned char *attrs = (unsigned char *)g + GENL_HDRLEN;
      size_t alen = h->nlmsg_len - NLMSG_HDRLEN - GENL_HDRLEN;
      FOR_ATTR(a, attrs, alen) {
        uint32_t idx;
        if (a->nla_type == NBD_ATTR_INDEX && a->nla_len >= NLA_HDRLEN + 4) {
          memcpy(&idx, (unsigned char *)a + NLA_HDRLEN, 4);
          if ((int)idx == cfg.index) return 0;
        }
      }
    }
  }
}

static void watch(int nl, int mc, uint16_t family, int next) {
  char why[512];
  for (;;) {
    int r = wait_link_dead(mc, family);
    if (r < 0) {
      say("multicast socket broken (%s): no more reconnects", strerror(errno));
      return;
    }
    uint64_t since = now_ms();
    say("connection to the server lost; I/O waits while reconnecting");
    unsigned delay = 200;
    int attempts = 0;
    for (;;) {
      attempts++;
      int fd = open_export(&next, why, sizeof why);
      if (fd >= 0) {
        int e = nbd_reconfigure(nl, family, fd);
        close(fd); /* the kernel holds its own reference */
        if (e == 0) {
          say("reconnected to %s:%s after %llu ms (%d attempts)", cfg.servers[next].host, cfg.servers[next].port,
              (unsigned long long)(now_ms() - since), attempts);
          break;
        }
        /* No dead connection to replace: another announcement of a death
         * already mended, or an overflow that lost nothing. */
        if (e == -ENOSPC) break;
        snprintf(why, sizeof why, "NBD_CMD_RECONFIGURE: %s", strerror(-e));
      }
      if (attempts == 1 || attempts % 30 == 0) say("still reconnecting: %s", why);
      usleep(delay * 1000);
      delay = delay * 2 > 500 ? 500 : delay * 2; /* a restarted server is found within half a second */
    }
  }
}

static int parse_server(const char *arg, struct server *s) {
  const char *colon = strrchr(arg, ':');
  const char *host = arg;
  size_t hlen = colon ? (size_t)(colon - arg) : strlen(arg);
  if (hlen && host[0] == '[' && host[hlen - 1] == ']') {
    host++;
    hlen -= 2;
  }
  if (hlen == 0 || hlen >= sizeof s->host) return -1;
  memcpy(s->host, host, hlen);
  s->host[hlen] = 0;
  snprintf(s->port, sizeof s->port, "%s", colon ? colon + 1 : "10809");
  return 0;
}

static void usage(void) {
  fprintf(stderr,
          "usage: bootfleet-nbd [-r] [-f] [-t SECONDS] [-D SECONDS] [-b BYTES] [-c SECONDS] [-i INDEX] -N EXPORT "
          "HOST:PORT [HOST:PORT ...]\n");
  exit(2);
}

int main(int argc, char **argv) {
  int opt;
  while ((opt = getopt(argc, argv, "rft:D:b:c:i:N:")) != -1) {
    switch (opt) {
      case 'r': cfg.read_only = 1; break;
      case 'f': cfg.foreground = 1; break;
      case 't': cfg.timeout = strtoull(optarg, NULL, 10); break;
      case 'D': cfg.dead_timeout = strtoull(optarg, NULL, 10); break;
      case 'b': cfg.block_size = strtoull(optarg, NULL, 10); break;
      case 'c': cfg.connect_timeout = atoi(optarg); break;
      case 'i': cfg.index = atoi(optarg); break;
      case 'N': cfg.export_name = optarg; break;
      default: usage();
    }
  }
  if (!cfg.export_name || strlen(cfg.export_name) > 4096 || optind >= argc) usage();
  for (; optind < argc && cfg.nservers < MAX_SERVERS; optind++) {
    if (parse_server(argv[optind], &cfg.servers[cfg.nservers]) < 0) usage();
    cfg.nservers++;
  }
  if (cfg.dead_timeout == 0) cfg.dead_timeout = 1; /* 0 would mean: fail at once */
  signal(SIGPIPE, SIG_IGN);

  int nl = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_GENERIC);
  uint16_t family = 0;
  uint32_t group = 0;
  int e = nl < 0 ? -errno : resolve_family(nl, &family, &group);
  if (e < 0) {
    say("the kernel has no netlink NBD (%s): is the nbd module loaded?", strerror(-e));
    return 1;
  }
  /* Subscribe before connecting so no LINK_DEAD can slip between the two. */
  int mc = group ? subscribe(group) : -1;
  if (mc < 0) say("cannot join %s: the device will not reconnect", NBD_GENL_MCAST_GROUP_NAME);

  char why[512] = "no server";
  int next = 0, fd = -1;
  uint64_t deadline = now_ms() + (uint64_t)cfg.connect_timeout * 1000;
  for (;;) {
    fd = open_export(&next, why, sizeof why);
    if (fd >= 0) break;
    if (fd == -2 && cfg.nservers == 1) {
      say("%s", why);
      return 2;
    }
    if (now_ms() >= deadline) {
      say("no server answered in %d s: %s", cfg.connect_timeout, why);
      return fd == -2 ? 2 : 1;
    }
    usleep(500 * 1000);
  }
  if (!cfg.block_size) cfg.block_size = cfg.size % 4096 == 0 ? 4096 : 512;
  e = nbd_connect(nl, family, fd);
  close(fd);
  if (e < 0) {
    say("NBD_CMD_CONNECT /dev/nbd%d: %s", cfg.index, strerror(-e));
    return 1;
  }
  say("/dev/nbd%d: export %s, %llu bytes, from %s:%s", cfg.index, cfg.export_name, (unsigned long long)cfg.size,
      cfg.servers[next].host, cfg.servers[next].port);
  if (mc < 0) return 0;

  if (!cfg.foreground) {
    pid_t pid = fork();
    if (pid < 0) {
      say("fork: %s: the device will not reconnect", strerror(errno));
      return 0;
    }
    if (pid > 0) return 0;
    setsid();
    int kmsg = open("/dev/kmsg", O_WRONLY | O_CLOEXEC);
    if (kmsg >= 0) log_fd = kmsg;
    int devnull = open("/dev/null", O_RDWR);
    if (devnull >= 0) {
      dup2(devnull, 0);
      dup2(devnull, 1);
      dup2(devnull, 2);
      if (devnull > 2) close(devnull);
    }
    if (chdir("/") < 0) {
      /* stays where it was; harmless */
    }
  }
  /* The root file system lives behind this device: never page in from it
   * while the connection is down. Systemd spares processes whose argv[0]
   * starts with '@' when it kills the rest at shutdown. */
  mlockall(MCL_CURRENT | MCL_FUTURE);
  argv[0][0] = '@';
  watch(nl, mc, family, next);
  return 0;
}
