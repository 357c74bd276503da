/*
 * bootfleet_udp: the few UDP and epoll system calls a TFTP transfer worker
 * needs to run its own loop without libuv in the way (see
 * src/services/tftp/native-udp.ts for why). Every call is a thin wrapper:
 * no protocol logic lives here, and errors come back as negative errno
 * values (send/recv, where EAGAIN is normal) or as thrown Errors naming the
 * call and strerror (set-up calls).
 *
 *   open(localAddress, clientAddress, clientPort) -> [fd, localPort]
 *       non-blocking UDP socket bound to localAddress on a port the kernel
 *       picks, connected to the client
 *   send(fd, bytes) -> bytes sent, or -errno
 *   recv(fd, buffer) -> bytes received, or -errno (-EAGAIN: nothing waiting)
 *   close(fd)
 *   pollerCreate() -> epoll fd
 *   pollerAdd(epfd, fd) / pollerRemove(epfd, fd)    (level-triggered, readable)
 *   pollerWait(epfd, timeoutMs, Int32Array out) -> how many fds, written to out
 *   pollerSpin(epfd, spinUs, Int32Array out) -> how many fds, written to out,
 *       polling without sleeping for up to spinUs microseconds and yielding
 *       the CPU between polls; 0 when nothing came, -1 when a yield ran
 *       another task (the CPU is shared: sleep instead)
 *   wakerCreate() -> eventfd;  wake(efd);  wakerDrain(efd)
 *
 * And a raw ICMPv6 socket for the router advertisement service (see
 * src/services/ra/native-icmp6.ts: Node has no raw sockets), in the same
 * addon so there is one thing to build:
 *
 *   icmp6Open(interface, hopLimit, types, groups) -> [fd, ifindex]
 *       non-blocking raw ICMPv6 socket bound to the interface, passing only
 *       the ICMPv6 types listed, sending with that hop limit (unicast and
 *       multicast), joined to the multicast groups listed there
 *   icmp6Send(fd, address, ifindex, bytes) -> bytes sent, or -errno
 *       (the kernel fills in the ICMPv6 checksum, RFC 3542 §3.1)
 *   icmp6Watch(fd, callback(bytes, source, hopLimit)) -> handle
 *       a thread waits for messages and queues them to the callback on the
 *       JS thread (at most ICMP6_QUEUE waiting; more are dropped)
 *   icmp6Unwatch(handle)    stops that thread; queued messages are dropped
 *   close(fd)
 *
 * And, for a service on the main thread that serves many peers from one
 * socket (DHCP), the calls that read a flood in batches rather than one
 * datagram per pass of the event loop (src/services/dhcp/native-dhcp-socket.ts):
 *
 *   bindUdp(address, port[, receiveBufferBytes]) -> [fd, localPort]
 *       non-blocking UDP socket with SO_REUSEADDR and SO_BROADCAST, bound;
 *       with a receive buffer of that size if given (SO_RCVBUFFORCE, which
 *       root may set past net.core.rmem_max, else SO_RCVBUF: best effort)
 *   recvBatch(fd, buffer, slotSize, Int32Array meta) -> how many, or -errno
 *       recvmmsg: datagram i in buffer[i * slotSize ...], its length, IPv4
 *       source (host order) and source port in meta[3i], meta[3i+1], meta[3i+2]
 *   sendTo(fd, bytes, ipv4 (host order), port) -> bytes sent, or -errno
 *   sendBatch(fd, buffer, Int32Array meta, count) -> how many sent, or -errno
 *       sendmmsg of `count` datagrams (64 at most): datagram i is
 *       buffer[meta[4i] ...] of length meta[4i+1], to the IPv4 address
 *       meta[4i+2] (host order) and port meta[4i+3]. Fewer than count: the
 *       next one failed (call again from there to learn why); -errno when
 *       the first failed
 *   watchReadable(fd, callback) -> watcher;  unwatchReadable(watcher)
 *       calls callback() on the Node event loop while fd is readable (uv_poll)
 *   close(fd)
 *
 * And fileSender*: files to TCP sockets with sendfile(2) from a thread of
 * its own (src/services/http/socket-file-sender.ts; described below).
 */
#define _GNU_SOURCE /* RUSAGE_THREAD */
#define NAPI_VERSION 8
#include <node_api.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <netinet/icmp6.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/resource.h>
#include <sched.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <uv.h>

#define MAX_EVENTS 256
#define MAX_BATCH 64

static napi_value fail(napi_env env, const char *what) {
  char message[160];
  snprintf(message, sizeof message, "%s: %s", what, strerror(errno));
  napi_throw_error(env, NULL, message);
  return NULL;
}

static napi_value int_value(napi_env env, int64_t v) {
  napi_value out;
  napi_create_int64(env, v, &out);
  return out;
}

static int get_args(napi_env env, napi_callback_info info, size_t want, napi_value *argv) {
  size_t argc = want;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < want) {
    napi_throw_type_error(env, NULL, "bootfleet_udp: too few arguments");
    return 0;
  }
  return 1;
}

static int get_int(napi_env env, napi_value v, int32_t *out) {
  if (napi_get_value_int32(env, v, out) != napi_ok) {
    napi_throw_type_error(env, NULL, "bootfleet_udp: expected a number");
    return 0;
  }
  return 1;
}

static int get_bytes(napi_env env, napi_value v, void **data, size_t *length) {
  napi_typedarray_type type;
  napi_value ab;
  size_t offset;
  if (napi_get_typedarray_info(env, v, &type, length, data, &ab, &offset) != napi_ok || type != napi_uint8_array) {
    napi_throw_type_error(env, NULL, "bootfleet_udp: expected a Uint8Array or Buffer");
    return 0;
  }
  return 1;
}

/* An Int32Array's elements and count; 0 (nothing thrown: each caller names its own arguments) if `v` is not one. */
static int get_int32_array(napi_env env, napi_value v, int32_t **data, size_t *length) {
  napi_typedarray_type type;
  napi_value ab;
  size_t offset;
  void *raw;
  if (napi_get_typedarray_info(env, v, &type, length, &raw, &ab, &offset) != napi_ok || type != napi_int32_array)
    return 0;
  *data = raw;
  return 1;
}

/* Fills `addr` from a textual IPv4 or IPv6 address; 0 if it is neither. */
static int parse_address(napi_env env, napi_value v, int port, struct sockaddr_storage *addr, socklen_t *len) {
  char text[INET6_ADDRSTRLEN + 1];
  size_t n;
  if (napi_get_value_string_utf8(env, v, text, sizeof text, &n) != napi_ok) return 0;
  memset(addr, 0, sizeof *addr);
  struct sockaddr_in *v4 = (struct sockaddr_in *)addr;
  struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)addr;
  if (inet_pton(AF_INET, text, &v4->sin_addr) == 1) {
    v4->sin_family = AF_INET;
    v4->sin_port = htons((uint16_t)port);
    *len = sizeof *v4;
    return 1;
  }
  if (inet_pton(AF_INET6, text, &v6->sin6_addr) == 1) {
    v6->sin6_family = AF_INET6;
    v6->sin6_port = htons((uint16_t)port);
    *len = sizeof *v6;
    return 1;
  }
  return 0;
}

static napi_value js_open(napi_env env, napi_callback_info info) {
  napi_value argv[3];
  int32_t port;
  struct sockaddr_storage local, remote;
  socklen_t local_len, remote_len;
  if (!get_args(env, info, 3, argv) || !get_int(env, argv[2], &port)) return NULL;
  if (port < 1 || port > 65535 || !parse_address(env, argv[0], 0, &local, &local_len) ||
      !parse_address(env, argv[1], port, &remote, &remote_len) || local.ss_family != remote.ss_family) {
    napi_throw_type_error(env, NULL, "bootfleet_udp.open: expected two addresses of one family and a port");
    return NULL;
  }
  int fd = socket(local.ss_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return fail(env, "socket");
  if (bind(fd, (struct sockaddr *)&local, local_len) < 0) {
    int e = errno;
    close(fd);
    errno = e;
    return fail(env, "bind");
  }
  if (connect(fd, (struct sockaddr *)&remote, remote_len) < 0) {
    int e = errno;
    close(fd);
    errno = e;
    return fail(env, "connect");
  }
  struct sockaddr_storage bound;
  socklen_t bound_len = sizeof bound;
  if (getsockname(fd, (struct sockaddr *)&bound, &bound_len) < 0) {
    int e = errno;
    close(fd);
    errno = e;
    return fail(env, "getsockname");
  }
  int bound_port = bound.ss_family == AF_INET ? ntohs(((struct sockaddr_in *)&bound)->sin_port)
                                               : ntohs(((struct sockaddr_in6 *)&bound)->sin6_port);
  napi_value out;
  napi_create_array_with_length(env, 2, &out);
  napi_set_element(env, out, 0, int_value(env, fd));
  napi_set_element(env, out, 1, int_value(env, bound_port));
  return out;
}

/* send(fd, bytes) and recv(fd, buffer): one datagram, never blocking; bytes moved or -errno. */
static napi_value transfer(napi_env env, napi_callback_info info, int sending) {
  napi_value argv[2];
  int32_t fd;
  void *data;
  size_t length;
  if (!get_args(env, info, 2, argv) || !get_int(env, argv[0], &fd) || !get_bytes(env, argv[1], &data, &length))
    return NULL;
  ssize_t n = sending ? send(fd, data, length, MSG_DONTWAIT) : recv(fd, data, length, MSG_DONTWAIT);
  return int_value(env, n < 0 ? -errno : n);
}

static napi_value js_send(napi_env env, napi_callback_info info) { return transfer(env, info, 1); }

static napi_value js_recv(napi_env env, napi_callback_info info) { return transfer(env, info, 0); }

static napi_value js_close(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  int32_t fd;
  if (!get_args(env, info, 1, argv) || !get_int(env, argv[0], &fd)) return NULL;
  if (close(fd) < 0) return fail(env, "close");
  return NULL;
}

static napi_value js_poller_create(napi_env env, napi_callback_info info) {
  int fd = epoll_create1(EPOLL_CLOEXEC);
  if (fd < 0) return fail(env, "epoll_create1");
  return int_value(env, fd);
}

static napi_value poller_ctl(napi_env env, napi_callback_info info, int op) {
  napi_value argv[2];
  int32_t epfd, fd;
  if (!get_args(env, info, 2, argv) || !get_int(env, argv[0], &epfd) || !get_int(env, argv[1], &fd)) return NULL;
  struct epoll_event ev = {.events = EPOLLIN, .data = {.fd = fd}};
  if (epoll_ctl(epfd, op, fd, &ev) < 0) return fail(env, "epoll_ctl");
  return NULL;
}

static napi_value js_poller_add(napi_env env, napi_callback_info info) { return poller_ctl(env, info, EPOLL_CTL_ADD); }

static napi_value js_poller_remove(napi_env env, napi_callback_info info) {
  return poller_ctl(env, info, EPOLL_CTL_DEL);
}

static int64_t monotonic_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* A yield slower than this may have run another task (then the thread's switch count says so). */
#define YIELD_SWITCH_NS 5000

/* This thread's involuntary context switches: a yield that ran another task counts one. */
static long involuntary_switches(void) {
  struct rusage ru;
  return getrusage(RUSAGE_THREAD, &ru) == 0 ? ru.ru_nivcsw : 0;
}

/* epoll_wait, retried on EINTR when it may block without a limit. */
static int wait_events(int epfd, struct epoll_event *events, int max, int timeout) {
  int n;
  do n = epoll_wait(epfd, events, max, timeout);
  while (n < 0 && errno == EINTR && timeout < 0);
  return n;
}

/*
 * Busy polling: an idle CPU that goes to sleep takes tens of microseconds to
 * wake (far more in a VM, where it is a halt), which a lock-step transfer
 * pays on every block. sched_yield between polls lets anything else
 * runnable on this CPU go first; when a yield did run another task, the
 * CPU is shared, and a sleeper that the kernel wakes (and lets preempt)
 * answers sooner than a poller waiting for its turn: -1 says so. A slow
 * iteration without a switch is the hypervisor running something else
 * (steal time), which sleeping would not avoid.
 */
static int spin_events(int epfd, struct epoll_event *events, int max, int32_t spin_us) {
  int64_t now = monotonic_ns();
  int64_t deadline = now + (int64_t)spin_us * 1000;
  long switches = involuntary_switches();
  for (;;) {
    int n = epoll_wait(epfd, events, max, 0);
    if (n != 0) return n < 0 && errno == EINTR ? 0 : n < 0 ? -2 : n;
    sched_yield();
    int64_t after = monotonic_ns();
    if (after - now > YIELD_SWITCH_NS && involuntary_switches() != switches) return -1;
    if (after >= deadline) return 0;
    now = after;
  }
}

/* The epoll fd, a number and the Int32Array for the fds: pollerWait's and pollerSpin's arguments. */
static int get_wait_args(napi_env env, napi_callback_info info, const char *name, int32_t *epfd, int32_t *number,
                         int32_t **out, int *max) {
  napi_value argv[3];
  size_t length;
  int32_t *data;
  if (!get_args(env, info, 3, argv) || !get_int(env, argv[0], epfd) || !get_int(env, argv[1], number)) return 0;
  if (!get_int32_array(env, argv[2], &data, &length) || length == 0) {
    char message[80];
    snprintf(message, sizeof message, "bootfleet_udp.%s: expected an Int32Array", name);
    napi_throw_type_error(env, NULL, message);
    return 0;
  }
  *out = data;
  *max = length < MAX_EVENTS ? (int)length : MAX_EVENTS;
  return 1;
}

static napi_value js_poller_wait(napi_env env, napi_callback_info info) {
  int32_t epfd, timeout, *out;
  int max;
  if (!get_wait_args(env, info, "pollerWait", &epfd, &timeout, &out, &max)) return NULL;
  struct epoll_event events[MAX_EVENTS];
  int n = wait_events(epfd, events, max, timeout);
  if (n < 0) {
    if (errno == EINTR) return int_value(env, 0);
    return fail(env, "epoll_wait");
  }
  for (int i = 0; i < n; i++) out[i] = events[i].data.fd;
  return int_value(env, n);
}

static napi_value js_poller_spin(napi_env env, napi_callback_info info) {
  int32_t epfd, spin_us, *out;
  int max;
  if (!get_wait_args(env, info, "pollerSpin", &epfd, &spin_us, &out, &max)) return NULL;
  if (spin_us <= 0) return int_value(env, 0);
  struct epoll_event events[MAX_EVENTS];
  int n = spin_events(epfd, events, max, spin_us);
  if (n == -2) return fail(env, "epoll_wait");
  for (int i = 0; i < n; i++) out[i] = events[i].data.fd;
  return int_value(env, n);
}

static napi_value js_waker_create(napi_env env, napi_callback_info info) {
  int fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (fd < 0) return fail(env, "eventfd");
  return int_value(env, fd);
}

static napi_value js_wake(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  int32_t fd;
  if (!get_args(env, info, 1, argv) || !get_int(env, argv[0], &fd)) return NULL;
  uint64_t one = 1;
  if (write(fd, &one, sizeof one) < 0 && errno != EAGAIN) return fail(env, "eventfd write");
  return NULL;
}

static napi_value js_waker_drain(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  int32_t fd;
  if (!get_args(env, info, 1, argv) || !get_int(env, argv[0], &fd)) return NULL;
  uint64_t count;
  if (read(fd, &count, sizeof count) < 0 && errno != EAGAIN) return fail(env, "eventfd read");
  return NULL;
}

/* ---- raw ICMPv6 ---------------------------------------------------------- */

/* Messages waiting for the JS thread, per watched socket: a flood is dropped here, not queued. */
#define ICMP6_QUEUE 64
/* Largest message read; longer ones (jumbo frames) are cut and dropped. */
#define ICMP6_MAX_BYTES 9216

struct icmp6_message {
  size_t length;
  int hop_limit;
  char source[INET6_ADDRSTRLEN];
  unsigned char bytes[];
};

struct icmp6_watch {
  int fd;
  int stop_fd;
  int running;
  pthread_t thread;
  napi_threadsafe_function tsfn;
};

static int set_int_option(int fd, int level, int name, int value) {
  return setsockopt(fd, level, name, &value, sizeof value);
}

static napi_value close_and_fail(napi_env env, int fd, const char *what) {
  int e = errno;
  close(fd);
  errno = e;
  return fail(env, what);
}

static napi_value js_icmp6_open(napi_env env, napi_callback_info info) {
  napi_value argv[4];
  char name[64];
  size_t name_len;
  int32_t hop_limit;
  uint32_t types, groups;
  if (!get_args(env, info, 4, argv) || !get_int(env, argv[1], &hop_limit)) return NULL;
  if (napi_get_value_string_utf8(env, argv[0], name, sizeof name, &name_len) != napi_ok || name_len == 0 ||
      name_len >= IF_NAMESIZE || napi_get_array_length(env, argv[2], &types) != napi_ok ||
      napi_get_array_length(env, argv[3], &groups) != napi_ok || hop_limit < 1 || hop_limit > 255) {
    napi_throw_type_error(env, NULL,
                          "bootfleet_udp.icmp6Open: expected an interface name, a hop limit, types and groups");
    return NULL;
  }
  unsigned ifindex = if_nametoindex(name);
  if (ifindex == 0) return fail(env, "if_nametoindex");
  struct icmp6_filter filter;
  ICMP6_FILTER_SETBLOCKALL(&filter);
  for (uint32_t i = 0; i < types; i++) {
    napi_value v;
    int32_t type;
    if (napi_get_element(env, argv[2], i, &v) != napi_ok || !get_int(env, v, &type)) return NULL;
    if (type < 0 || type > 255) {
      napi_throw_range_error(env, NULL, "bootfleet_udp.icmp6Open: an ICMPv6 type is 0-255");
      return NULL;
    }
    ICMP6_FILTER_SETPASS(type, &filter);
  }
  int fd = socket(AF_INET6, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_ICMPV6);
  if (fd < 0) return fail(env, "socket(AF_INET6, SOCK_RAW, IPPROTO_ICMPV6)");
  if (setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, name, name_len) < 0) return close_and_fail(env, fd, "SO_BINDTODEVICE");
  if (setsockopt(fd, IPPROTO_ICMPV6, ICMP6_FILTER, &filter, sizeof filter) < 0)
    return close_and_fail(env, fd, "ICMP6_FILTER");
  if (set_int_option(fd, IPPROTO_IPV6, IPV6_UNICAST_HOPS, hop_limit) < 0 ||
      set_int_option(fd, IPPROTO_IPV6, IPV6_MULTICAST_HOPS, hop_limit) < 0)
    return close_and_fail(env, fd, "IPV6_UNICAST_HOPS/IPV6_MULTICAST_HOPS");
  if (set_int_option(fd, IPPROTO_IPV6, IPV6_MULTICAST_IF, (int)ifindex) < 0)
    return close_and_fail(env, fd, "IPV6_MULTICAST_IF");
  /* Our own multicasts are not messages for us. */
  if (set_int_option(fd, IPPROTO_IPV6, IPV6_MULTICAST_LOOP, 0) < 0)
    return close_and_fail(env, fd, "IPV6_MULTICAST_LOOP");
  if (set_int_option(fd, IPPROTO_IPV6, IPV6_RECVHOPLIMIT, 1) < 0)
    return close_and_fail(env, fd, "IPV6_RECVHOPLIMIT");
  for (uint32_t i = 0; i < groups; i++) {
    napi_value v;
    struct sockaddr_storage group;
    socklen_t group_len;
    if (napi_get_element(env, argv[3], i, &v) != napi_ok || !parse_address(env, v, 0, &group, &group_len) ||
        group.ss_family != AF_INET6) {
      close(fd);
      napi_throw_type_error(env, NULL, "bootfleet_udp.icmp6Open: a group is an IPv6 multicast address");
      return NULL;
    }
    struct ipv6_mreq mreq = {.ipv6mr_multiaddr = ((struct sockaddr_in6 *)&group)->sin6_addr,
                             .ipv6mr_interface = ifindex};
    if (setsockopt(fd, IPPROTO_IPV6, IPV6_JOIN_GROUP, &mreq, sizeof mreq) < 0)
      return close_and_fail(env, fd, "IPV6_JOIN_GROUP");
  }
  napi_value out;
  napi_create_array_with_length(env, 2, &out);
  napi_set_element(env, out, 0, int_value(env, fd));
  napi_set_element(env, out, 1, int_value(env, ifindex));
  return out;
}

static napi_value js_icmp6_send(napi_env env, napi_callback_info info) {
  napi_value argv[4];
  int32_t fd, ifindex;
  void *data;
  size_t length;
  struct sockaddr_storage to;
  socklen_t to_len;
  if (!get_args(env, info, 4, argv) || !get_int(env, argv[0], &fd) || !get_int(env, argv[2], &ifindex) ||
      !get_bytes(env, argv[3], &data, &length))
    return NULL;
  if (!parse_address(env, argv[1], 0, &to, &to_len) || to.ss_family != AF_INET6) {
    napi_throw_type_error(env, NULL, "bootfleet_udp.icmp6Send: expected an IPv6 address");
    return NULL;
  }
  /* Link-local and link-scope multicast destinations name their link by index. */
  ((struct sockaddr_in6 *)&to)->sin6_scope_id = (uint32_t)ifindex;
  ssize_t n = sendto(fd, data, length, MSG_DONTWAIT, (struct sockaddr *)&to, to_len);
  return int_value(env, n < 0 ? -errno : n);
}

/* On the JS thread: hands one message to the callback; with env NULL (the queue dropped at unwatch) only frees it. */
static void icmp6_deliver(napi_env env, napi_value callback, void *context, void *data) {
  struct icmp6_message *m = data;
  if (env != NULL && callback != NULL) {
    napi_value argv[3], undefined;
    void *copy;
    napi_create_buffer_copy(env, m->length, m->bytes, &copy, &argv[0]);
    napi_create_string_utf8(env, m->source, NAPI_AUTO_LENGTH, &argv[1]);
    argv[2] = int_value(env, m->hop_limit);
    napi_get_undefined(env, &undefined);
    napi_call_function(env, undefined, callback, 3, argv, NULL);
  }
  free(m);
}

/* Reads every message waiting on the socket and queues each for the JS thread. */
static void icmp6_read_all(struct icmp6_watch *w, unsigned char *buffer) {
  for (;;) {
    struct sockaddr_in6 from;
    union {
      struct cmsghdr align;
      char bytes[CMSG_SPACE(sizeof(int))];
    } control;
    struct iovec iov = {.iov_base = buffer, .iov_len = ICMP6_MAX_BYTES};
    struct msghdr msg = {.msg_name = &from,
                         .msg_namelen = sizeof from,
                         .msg_iov = &iov,
                         .msg_iovlen = 1,
                         .msg_control = control.bytes,
                         .msg_controllen = sizeof control.bytes};
    ssize_t n = recvmsg(w->fd, &msg, MSG_DONTWAIT);
    if (n < 0) return; /* EAGAIN: all read; anything else is read again at the next poll */
    if (msg.msg_flags & MSG_TRUNC) continue;
    int hop_limit = -1;
    for (struct cmsghdr *c = CMSG_FIRSTHDR(&msg); c != NULL; c = CMSG_NXTHDR(&msg, c))
      if (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_HOPLIMIT) memcpy(&hop_limit, CMSG_DATA(c), sizeof hop_limit);
    struct icmp6_message *m = malloc(sizeof *m + (size_t)n);
    if (m == NULL) continue;
    m->length = (size_t)n;
    m->hop_limit = hop_limit;
    inet_ntop(AF_INET6, &from.sin6_addr, m->source, sizeof m->source);
    memcpy(m->bytes, buffer, (size_t)n);
    if (napi_call_threadsafe_function(w->tsfn, m, napi_tsfn_nonblocking) != napi_ok) free(m);
  }
}

static void *icmp6_watch_thread(void *arg) {
  struct icmp6_watch *w = arg;
  unsigned char *buffer = malloc(ICMP6_MAX_BYTES);
  if (buffer == NULL) return NULL;
  struct pollfd fds[2] = {{.fd = w->fd, .events = POLLIN}, {.fd = w->stop_fd, .events = POLLIN}};
  for (;;) {
    int n = poll(fds, 2, -1);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 || fds[1].revents != 0 || (fds[0].revents & POLLNVAL)) break;
    if (fds[0].revents != 0) icmp6_read_all(w, buffer);
  }
  free(buffer);
  return NULL;
}

static void icmp6_stop(struct icmp6_watch *w) {
  if (!w->running) return;
  uint64_t one = 1;
  if (write(w->stop_fd, &one, sizeof one) < 0) { /* an eventfd write only fails on overflow */ }
  pthread_join(w->thread, NULL);
  close(w->stop_fd);
  napi_release_threadsafe_function(w->tsfn, napi_tsfn_abort);
  w->running = 0;
}

static void icmp6_watch_finalize(napi_env env, void *data, void *hint) {
  icmp6_stop(data);
  free(data);
}

static napi_value js_icmp6_watch(napi_env env, napi_callback_info info) {
  napi_value argv[2], name, handle;
  int32_t fd;
  napi_valuetype type;
  if (!get_args(env, info, 2, argv) || !get_int(env, argv[0], &fd)) return NULL;
  if (napi_typeof(env, argv[1], &type) != napi_ok || type != napi_function) {
    napi_throw_type_error(env, NULL, "bootfleet_udp.icmp6Watch: expected a callback");
    return NULL;
  }
  struct icmp6_watch *w = calloc(1, sizeof *w);
  if (w == NULL) return fail(env, "calloc");
  w->fd = fd;
  w->stop_fd = eventfd(0, EFD_CLOEXEC);
  if (w->stop_fd < 0) {
    free(w);
    return fail(env, "eventfd");
  }
  napi_create_string_utf8(env, "bootfleet_udp.icmp6Watch", NAPI_AUTO_LENGTH, &name);
  if (napi_create_threadsafe_function(env, argv[1], NULL, name, ICMP6_QUEUE, 1, NULL, NULL, NULL, icmp6_deliver,
                                      &w->tsfn) != napi_ok) {
    close(w->stop_fd);
    free(w);
    napi_throw_error(env, NULL, "bootfleet_udp.icmp6Watch: napi_create_threadsafe_function failed");
    return NULL;
  }
  int e = pthread_create(&w->thread, NULL, icmp6_watch_thread, w);
  if (e != 0) {
    napi_release_threadsafe_function(w->tsfn, napi_tsfn_abort);
    close(w->stop_fd);
    free(w);
    errno = e;
    return fail(env, "pthread_create");
  }
  w->running = 1;
  if (napi_create_external(env, w, icmp6_watch_finalize, NULL, &handle) != napi_ok) {
    icmp6_stop(w);
    free(w);
    napi_throw_error(env, NULL, "bootfleet_udp.icmp6Watch: napi_create_external failed");
    return NULL;
  }
  return handle;
}

static napi_value js_icmp6_unwatch(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  void *w;
  if (!get_args(env, info, 1, argv)) return NULL;
  if (napi_get_value_external(env, argv[0], &w) != napi_ok) {
    napi_throw_type_error(env, NULL, "bootfleet_udp.icmp6Unwatch: expected a handle from icmp6Watch");
    return NULL;
  }
  icmp6_stop(w);
  return NULL;
}

static napi_value js_bind_udp(napi_env env, napi_callback_info info) {
  napi_value argv[3];
  int32_t port;
  int32_t rcvbuf = 0;
  struct sockaddr_storage local;
  socklen_t local_len;
  size_t argc = 3;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 2) {
    napi_throw_type_error(env, NULL, "bootfleet_udp: too few arguments");
    return NULL;
  }
  if (!get_int(env, argv[1], &port) || (argc > 2 && !get_int(env, argv[2], &rcvbuf))) return NULL;
  if (port < 0 || port > 65535 || !parse_address(env, argv[0], port, &local, &local_len) ||
      local.ss_family != AF_INET) {
    napi_throw_type_error(env, NULL, "bootfleet_udp.bindUdp: expected an IPv4 address and a port");
    return NULL;
  }
  int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return fail(env, "socket");
  int one = 1;
  if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) < 0 ||
      setsockopt(fd, SOL_SOCKET, SO_BROADCAST, &one, sizeof one) < 0 ||
      bind(fd, (struct sockaddr *)&local, local_len) < 0) {
    int e = errno;
    close(fd);
    errno = e;
    return fail(env, "bind");
  }
  /* Best effort: without CAP_NET_ADMIN, SO_RCVBUF is capped at net.core.rmem_max. */
  if (rcvbuf > 0 && setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf, sizeof rcvbuf) < 0)
    (void)setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf);
  struct sockaddr_in bound;
  socklen_t bound_len = sizeof bound;
  if (getsockname(fd, (struct sockaddr *)&bound, &bound_len) < 0) {
    int e = errno;
    close(fd);
    errno = e;
    return fail(env, "getsockname");
  }
  napi_value out;
  napi_create_array_with_length(env, 2, &out);
  napi_set_element(env, out, 0, int_value(env, fd));
  napi_set_element(env, out, 1, int_value(env, ntohs(bound.sin_port)));
  return out;
}

static napi_value js_recv_batch(napi_env env, napi_callback_info info) {
  napi_value argv[4];
  int32_t fd, slot;
  void *data;
  size_t length, meta_length;
  int32_t *meta;
  if (!get_args(env, info, 4, argv) || !get_int(env, argv[0], &fd) || !get_bytes(env, argv[1], &data, &length) ||
      !get_int(env, argv[2], &slot))
    return NULL;
  if (!get_int32_array(env, argv[3], &meta, &meta_length) || slot <= 0) {
    napi_throw_type_error(env, NULL, "bootfleet_udp.recvBatch: expected a slot size and an Int32Array");
    return NULL;
  }
  size_t max = length / (size_t)slot;
  if (meta_length / 3 < max) max = meta_length / 3;
  if (max > MAX_BATCH) max = MAX_BATCH;
  if (max == 0) return int_value(env, 0);
  struct mmsghdr msgs[MAX_BATCH];
  struct iovec iov[MAX_BATCH];
  struct sockaddr_in from[MAX_BATCH];
  memset(msgs, 0, sizeof msgs);
  for (size_t i = 0; i < max; i++) {
    iov[i].iov_base = (uint8_t *)data + i * (size_t)slot;
    iov[i].iov_len = (size_t)slot;
    msgs[i].msg_hdr.msg_iov = &iov[i];
    msgs[i].msg_hdr.msg_iovlen = 1;
    msgs[i].msg_hdr.msg_name = &from[i];
    msgs[i].msg_hdr.msg_namelen = sizeof from[i];
  }
  int n = recvmmsg(fd, msgs, (unsigned)max, MSG_DONTWAIT, NULL);
  if (n < 0) return int_value(env, -errno);
  for (int i = 0; i < n; i++) {
    meta[3 * i] = (int32_t)msgs[i].msg_len;
    meta[3 * i + 1] = (int32_t)ntohl(from[i].sin_addr.s_addr);
    meta[3 * i + 2] = ntohs(from[i].sin_port);
  }
  return int_value(env, n);
}

static napi_value js_send_to(napi_env env, napi_callback_info info) {
  napi_value argv[4];
  int32_t fd, port;
  uint32_t ip;
  void *data;
  size_t length;
  if (!get_args(env, info, 4, argv) || !get_int(env, argv[0], &fd) || !get_bytes(env, argv[1], &data, &length) ||
      !get_int(env, argv[3], &port))
    return NULL;
  if (napi_get_value_uint32(env, argv[2], &ip) != napi_ok) {
    napi_throw_type_error(env, NULL, "bootfleet_udp.sendTo: expected an IPv4 address as a number");
    return NULL;
  }
  struct sockaddr_in to = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port), .sin_addr = {htonl(ip)}};
  ssize_t n = sendto(fd, data, length, MSG_DONTWAIT, (struct sockaddr *)&to, sizeof to);
  return int_value(env, n < 0 ? -errno : n);
}

static napi_value js_send_batch(napi_env env, napi_callback_info info) {
  napi_value argv[4];
  int32_t fd, count;
  void *data;
  size_t length, meta_length;
  int32_t *meta;
  if (!get_args(env, info, 4, argv) || !get_int(env, argv[0], &fd) || !get_bytes(env, argv[1], &data, &length) ||
      !get_int(env, argv[3], &count))
    return NULL;
  if (!get_int32_array(env, argv[2], &meta, &meta_length) || count < 0 || (size_t)count > meta_length / 4) {
    napi_throw_type_error(env, NULL, "bootfleet_udp.sendBatch: expected an Int32Array of 4 values per datagram");
    return NULL;
  }
  if (count > MAX_BATCH) count = MAX_BATCH;
  if (count == 0) return int_value(env, 0);
  struct mmsghdr msgs[MAX_BATCH];
  struct iovec iov[MAX_BATCH];
  struct sockaddr_in to[MAX_BATCH];
  memset(msgs, 0, sizeof msgs);
  for (int i = 0; i < count; i++) {
    int32_t start = meta[4 * i], len = meta[4 * i + 1];
    if (start < 0 || len < 0 || (size_t)start + (size_t)len > length) {
      napi_throw_range_error(env, NULL, "bootfleet_udp.sendBatch: a datagram lies outside the buffer");
      return NULL;
    }
    iov[i].iov_base = (uint8_t *)data + start;
    iov[i].iov_len = (size_t)len;
    to[i] = (struct sockaddr_in){.sin_family = AF_INET,
                                 .sin_port = htons((uint16_t)meta[4 * i + 3]),
                                 .sin_addr = {htonl((uint32_t)meta[4 * i + 2])}};
    msgs[i].msg_hdr.msg_iov = &iov[i];
    msgs[i].msg_hdr.msg_iovlen = 1;
    msgs[i].msg_hdr.msg_name = &to[i];
    msgs[i].msg_hdr.msg_namelen = sizeof to[i];
  }
  int n = sendmmsg(fd, msgs, (unsigned)count, MSG_DONTWAIT);
  return int_value(env, n < 0 ? -errno : n);
}

/* A uv_poll on the Node event loop that calls back into JS while its fd is readable. */
typedef struct {
  uv_poll_t poll;
  napi_env env;
  napi_ref callback;
  napi_ref resource;
  napi_async_context context;
} watcher_t;

static void on_readable(uv_poll_t *handle, int status, int events) {
  watcher_t *w = handle->data;
  napi_env env = w->env;
  napi_handle_scope scope;
  napi_value callback, resource, result;
  napi_open_handle_scope(env, &scope);
  napi_get_reference_value(env, w->callback, &callback);
  napi_get_reference_value(env, w->resource, &resource);
  /* make_callback, not call_function: microtasks and nextTicks run after it, as after any I/O callback. */
  if (napi_make_callback(env, w->context, resource, callback, 0, NULL, &result) != napi_ok) {
    bool pending = false;
    napi_is_exception_pending(env, &pending);
    if (pending) {
      napi_value error;
      napi_get_and_clear_last_exception(env, &error);
      napi_fatal_exception(env, error);
    }
  }
  napi_close_handle_scope(env, scope);
}

static napi_value js_watch(napi_env env, napi_callback_info info) {
  napi_value argv[2], resource, name, external;
  int32_t fd;
  napi_valuetype type;
  if (!get_args(env, info, 2, argv) || !get_int(env, argv[0], &fd)) return NULL;
  if (napi_typeof(env, argv[1], &type) != napi_ok || type != napi_function) {
    napi_throw_type_error(env, NULL, "bootfleet_udp.watchReadable: expected a function");
    return NULL;
  }
  uv_loop_t *loop;
  if (napi_get_uv_event_loop(env, &loop) != napi_ok) {
    napi_throw_error(env, NULL, "bootfleet_udp.watchReadable: no event loop");
    return NULL;
  }
  watcher_t *w = calloc(1, sizeof *w);
  if (!w) return fail(env, "calloc");
  w->env = env;
  napi_create_object(env, &resource);
  napi_create_string_utf8(env, "bootfleet_udp.watchReadable", NAPI_AUTO_LENGTH, &name);
  napi_create_reference(env, argv[1], 1, &w->callback);
  napi_create_reference(env, resource, 1, &w->resource);
  napi_async_init(env, resource, name, &w->context);
  int r = uv_poll_init(loop, &w->poll, fd);
  if (r == 0) {
    w->poll.data = w;
    r = uv_poll_start(&w->poll, UV_READABLE, on_readable);
  }
  if (r != 0) {
    napi_async_destroy(env, w->context);
    napi_delete_reference(env, w->callback);
    napi_delete_reference(env, w->resource);
    free(w);
    char message[120];
    snprintf(message, sizeof message, "bootfleet_udp.watchReadable: %s", uv_strerror(r));
    napi_throw_error(env, NULL, message);
    return NULL;
  }
  napi_create_external(env, w, NULL, NULL, &external);
  return external;
}

static void on_watcher_closed(uv_handle_t *handle) {
  watcher_t *w = handle->data;
  napi_async_destroy(w->env, w->context);
  napi_delete_reference(w->env, w->callback);
  napi_delete_reference(w->env, w->resource);
  free(w);
}

/* Stops calling back and frees the watcher (once libuv has let go of it). Call once, before closing the fd. */
static napi_value js_unwatch(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  void *data;
  if (!get_args(env, info, 1, argv)) return NULL;
  if (napi_get_value_external(env, argv[0], &data) != napi_ok || !data) {
    napi_throw_type_error(env, NULL, "bootfleet_udp.unwatchReadable: expected a watcher");
    return NULL;
  }
  watcher_t *w = data;
  uv_poll_stop(&w->poll);
  uv_close((uv_handle_t *)&w->poll, on_watcher_closed);
  return NULL;
}

/*
 * --- Files to TCP sockets off the event loop -----------------------------
 *
 * HTTP sends every booting machine its kernel and initrd (tens of MB). Node
 * has no sendfile: written from JavaScript, the bytes are copied into the
 * socket on the event loop's thread, which in a boot storm also runs DHCP,
 * NBD and the stage reports. One thread of its own sends them instead, with
 * sendfile(2) from the page cache on duplicates of the socket and file
 * descriptors (the JS side may close its own meanwhile):
 *
 *   fileSenderCreate(callback(id, sent, errno)) -> sender
 *       starts the thread; callback runs on the JS thread when a job ends
 *       (errno 0: all sent)
 *   fileSenderSend(sender, id, socketFd, fileFd, offset, length, idleMs)
 *       queues a job; the socket must be non-blocking (Node's are) with
 *       nothing else written to it until the callback; a job that cannot
 *       send a byte for idleMs ends with ETIMEDOUT (a client that stopped
 *       reading; checked once a second)
 *   fileSenderCancel(sender, id)    ends that job with ECANCELED
 *   fileSenderClose(sender)         stops the thread; jobs left end unreported
 *
 * While other jobs wait, a job sends at most SF_SLICE bytes before they get
 * their turn (a socket that takes more at once has a fast reader: a
 * single job goes on as long as the socket takes bytes).
 */
#include <sys/sendfile.h>

#define SF_SLICE (8 << 20)

struct sf_job {
  struct sf_job *next, *prev; /* the thread's active list */
  struct sf_job *queued;      /* the incoming list, under the lock */
  double id;
  int sock, file;
  off_t offset;
  int64_t left, sent;
  int64_t idle_ms, last_progress;
  int err;
  int armed;
};

struct sf_sender {
  pthread_t thread;
  int epfd, wake_fd, running;
  pthread_mutex_t lock;
  struct sf_job *incoming;   /* pushed by JS, taken by the thread */
  double *cancels;           /* ids to cancel, under the lock */
  size_t ncancels, cancel_cap;
  int stopping;
  struct sf_job active;      /* sentinel of the thread's circular list */
  napi_threadsafe_function tsfn;
};

static int64_t sf_now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void sf_deliver(napi_env env, napi_value callback, void *context, void *data) {
  struct sf_job *job = data;
  if (env != NULL && callback != NULL) {
    napi_value argv[3], undefined;
    napi_create_double(env, job->id, &argv[0]);
    napi_create_double(env, (double)job->sent, &argv[1]);
    argv[2] = int_value(env, job->err);
    napi_get_undefined(env, &undefined);
    napi_call_function(env, undefined, callback, 3, argv, NULL);
  }
  free(job);
}

/* Ends a job: its descriptors closed, the result queued to JS. */
static void sf_finish(struct sf_sender *s, struct sf_job *job, int err) {
  if (job->armed) epoll_ctl(s->epfd, EPOLL_CTL_DEL, job->sock, NULL);
  job->prev->next = job->next;
  job->next->prev = job->prev;
  close(job->sock);
  close(job->file);
  job->err = err;
  if (napi_call_threadsafe_function(s->tsfn, job, napi_tsfn_blocking) != napi_ok) free(job);
}

/* Lets go of a job nobody waits for any more: its descriptors and itself. */
static void sf_drop(struct sf_job *job) {
  close(job->sock);
  close(job->file);
  free(job);
}

/* Waits for the socket to take more (or for its turn after a full slice). */
static void sf_arm(struct sf_sender *s, struct sf_job *job) {
  struct epoll_event ev = {.events = EPOLLOUT | EPOLLONESHOT, .data.ptr = job};
  if (epoll_ctl(s->epfd, job->armed ? EPOLL_CTL_MOD : EPOLL_CTL_ADD, job->sock, &ev) < 0) {
    sf_finish(s, job, errno);
    return;
  }
  job->armed = 1;
}

static void sf_pump(struct sf_sender *s, struct sf_job *job) {
  int64_t slice = 0;
  while (job->left > 0) {
    size_t want = job->left > SF_SLICE ? SF_SLICE : (size_t)job->left;
    ssize_t n = sendfile(job->sock, job->file, &job->offset, want);
    if (n > 0) {
      job->left -= n;
      job->sent += n;
      job->last_progress = sf_now_ms();
      slice += n;
      if (slice >= SF_SLICE && job->left > 0 && s->active.next != s->active.prev) {
        sf_arm(s, job); /* writable: back at once, after the others */
        return;
      }
      continue;
    }
    if (n == 0) {
      sf_finish(s, job, EIO); /* the file is shorter than promised */
      return;
    }
    if (errno == EINTR) continue;
    if (errno == EAGAIN) {
      sf_arm(s, job);
      return;
    }
    sf_finish(s, job, errno);
    return;
  }
  sf_finish(s, job, 0);
}

static void *sf_thread(void *arg) {
  struct sf_sender *s = arg;
  struct epoll_event events[64];
  for (;;) {
    int n = epoll_wait(s->epfd, events, 64, 1000);
    if (n < 0 && errno != EINTR) break;
    pthread_mutex_lock(&s->lock);
    struct sf_job *incoming = s->incoming;
    s->incoming = NULL;
    size_t ncancels = s->ncancels;
    double cancels[64];
    if (ncancels > 64) ncancels = 64;
    memcpy(cancels, s->cancels, ncancels * sizeof(double));
    memmove(s->cancels, s->cancels + ncancels, (s->ncancels - ncancels) * sizeof(double));
    s->ncancels -= ncancels;
    int stopping = s->stopping;
    pthread_mutex_unlock(&s->lock);
    if (stopping) {
      while (incoming != NULL) {
        struct sf_job *next = incoming->queued;
        sf_drop(incoming);
        incoming = next;
      }
      break;
    }
    for (int i = 0; i < n; i++) {
      if (events[i].data.ptr == NULL) {
        uint64_t count;
        if (read(s->wake_fd, &count, sizeof count) < 0) { /* EAGAIN: already drained */ }
        continue;
      }
      struct sf_job *job = events[i].data.ptr;
      sf_pump(s, job);
    }
    /* New jobs, in the order they came (the list was pushed in reverse). */
    struct sf_job *ordered = NULL;
    while (incoming != NULL) {
      struct sf_job *next = incoming->queued;
      incoming->queued = ordered;
      ordered = incoming;
      incoming = next;
    }
    while (ordered != NULL) {
      struct sf_job *job = ordered;
      ordered = job->queued;
      job->next = &s->active;
      job->prev = s->active.prev;
      s->active.prev->next = job;
      s->active.prev = job;
      job->last_progress = sf_now_ms();
      sf_pump(s, job);
    }
    int64_t now = sf_now_ms();
    for (struct sf_job *job = s->active.next, *next; job != &s->active; job = next) {
      next = job->next;
      int cancel = 0;
      for (size_t c = 0; c < ncancels; c++)
        if (cancels[c] == job->id) cancel = 1;
      if (cancel)
        sf_finish(s, job, ECANCELED);
      else if (now - job->last_progress > job->idle_ms)
        sf_finish(s, job, ETIMEDOUT);
    }
  }
  /* Jobs still running when the sender closes: nobody waits for them. */
  for (struct sf_job *job = s->active.next, *next; job != &s->active; job = next) {
    next = job->next;
    sf_drop(job);
  }
  s->active.next = s->active.prev = &s->active;
  return NULL;
}

static void sf_wake(struct sf_sender *s) {
  uint64_t one = 1;
  if (write(s->wake_fd, &one, sizeof one) < 0) { /* an eventfd write only fails on overflow */ }
}

/* Ends the thread and the callback; the sender's descriptors go with them (fileSenderClose). */
static void sf_stop(struct sf_sender *s) {
  if (!s->running) return;
  pthread_mutex_lock(&s->lock);
  s->stopping = 1;
  pthread_mutex_unlock(&s->lock);
  sf_wake(s);
  pthread_join(s->thread, NULL);
  napi_release_threadsafe_function(s->tsfn, napi_tsfn_abort);
  close(s->epfd);
  close(s->wake_fd);
  s->epfd = s->wake_fd = -1;
  s->running = 0;
}

/* Frees a sender whose thread is not running: what is left of its descriptors, its lock, itself. */
static void sf_discard(struct sf_sender *s) {
  if (s->epfd >= 0) close(s->epfd);
  if (s->wake_fd >= 0) close(s->wake_fd);
  free(s->cancels);
  pthread_mutex_destroy(&s->lock);
  free(s);
}

static void sf_finalize(napi_env env, void *data, void *hint) {
  sf_stop(data);
  sf_discard(data);
}

static struct sf_sender *get_sender(napi_env env, napi_value v, const char *name) {
  void *data;
  if (napi_get_value_external(env, v, &data) != napi_ok || data == NULL) {
    char message[96];
    snprintf(message, sizeof message, "bootfleet_udp.%s: expected a sender from fileSenderCreate", name);
    napi_throw_type_error(env, NULL, message);
    return NULL;
  }
  struct sf_sender *s = data;
  if (!s->running) {
    char message[96];
    snprintf(message, sizeof message, "bootfleet_udp.%s: the sender is closed", name);
    napi_throw_error(env, NULL, message);
    return NULL;
  }
  return s;
}

static napi_value js_file_sender_create(napi_env env, napi_callback_info info) {
  napi_value argv[1], name, handle;
  napi_valuetype type;
  if (!get_args(env, info, 1, argv)) return NULL;
  if (napi_typeof(env, argv[0], &type) != napi_ok || type != napi_function) {
    napi_throw_type_error(env, NULL, "bootfleet_udp.fileSenderCreate: expected a callback");
    return NULL;
  }
  struct sf_sender *s = calloc(1, sizeof *s);
  if (s == NULL) return fail(env, "calloc");
  s->active.next = s->active.prev = &s->active;
  pthread_mutex_init(&s->lock, NULL);
  s->epfd = epoll_create1(EPOLL_CLOEXEC);
  s->wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  struct epoll_event ev = {.events = EPOLLIN, .data.ptr = NULL};
  if (s->epfd < 0 || s->wake_fd < 0 || epoll_ctl(s->epfd, EPOLL_CTL_ADD, s->wake_fd, &ev) < 0) {
    int e = errno;
    sf_discard(s);
    errno = e;
    return fail(env, "bootfleet_udp.fileSenderCreate");
  }
  napi_create_string_utf8(env, "bootfleet_udp.fileSender", NAPI_AUTO_LENGTH, &name);
  if (napi_create_threadsafe_function(env, argv[0], NULL, name, 0, 1, NULL, NULL, NULL, sf_deliver, &s->tsfn) !=
      napi_ok) {
    sf_discard(s);
    napi_throw_error(env, NULL, "bootfleet_udp.fileSenderCreate: napi_create_threadsafe_function failed");
    return NULL;
  }
  /* The sockets being served keep the process alive, not the sender. */
  napi_unref_threadsafe_function(env, s->tsfn);
  int e = pthread_create(&s->thread, NULL, sf_thread, s);
  if (e != 0) {
    napi_release_threadsafe_function(s->tsfn, napi_tsfn_abort);
    sf_discard(s);
    errno = e;
    return fail(env, "pthread_create");
  }
  s->running = 1;
  if (napi_create_external(env, s, sf_finalize, NULL, &handle) != napi_ok) {
    sf_stop(s);
    sf_discard(s);
    napi_throw_error(env, NULL, "bootfleet_udp.fileSenderCreate: napi_create_external failed");
    return NULL;
  }
  return handle;
}

static int get_i64(napi_env env, napi_value v, int64_t *out) {
  if (napi_get_value_int64(env, v, out) != napi_ok) {
    napi_throw_type_error(env, NULL, "bootfleet_udp: expected a number");
    return 0;
  }
  return 1;
}

static napi_value js_file_sender_send(napi_env env, napi_callback_info info) {
  napi_value argv[7];
  double id;
  int32_t sock, file;
  int64_t offset, length, idle_ms;
  if (!get_args(env, info, 7, argv)) return NULL;
  struct sf_sender *s = get_sender(env, argv[0], "fileSenderSend");
  if (s == NULL) return NULL;
  if (napi_get_value_double(env, argv[1], &id) != napi_ok) {
    napi_throw_type_error(env, NULL, "bootfleet_udp.fileSenderSend: expected a numeric id");
    return NULL;
  }
  if (!get_int(env, argv[2], &sock) || !get_int(env, argv[3], &file) || !get_i64(env, argv[4], &offset) ||
      !get_i64(env, argv[5], &length) || !get_i64(env, argv[6], &idle_ms))
    return NULL;
  if (offset < 0 || length < 0 || idle_ms <= 0) {
    napi_throw_range_error(env, NULL, "bootfleet_udp.fileSenderSend: offset, length and idleMs out of range");
    return NULL;
  }
  struct sf_job *job = calloc(1, sizeof *job);
  if (job == NULL) return fail(env, "calloc");
  job->sock = fcntl(sock, F_DUPFD_CLOEXEC, 0);
  job->file = job->sock < 0 ? -1 : fcntl(file, F_DUPFD_CLOEXEC, 0);
  if (job->sock < 0 || job->file < 0) {
    int e = errno;
    if (job->sock >= 0) close(job->sock);
    free(job);
    errno = e;
    return fail(env, "bootfleet_udp.fileSenderSend: dup");
  }
  job->id = id;
  job->offset = (off_t)offset;
  job->left = length;
  job->idle_ms = idle_ms;
  pthread_mutex_lock(&s->lock);
  job->queued = s->incoming;
  s->incoming = job;
  pthread_mutex_unlock(&s->lock);
  sf_wake(s);
  return NULL;
}

static napi_value js_file_sender_cancel(napi_env env, napi_callback_info info) {
  napi_value argv[2];
  double id;
  if (!get_args(env, info, 2, argv)) return NULL;
  struct sf_sender *s = get_sender(env, argv[0], "fileSenderCancel");
  if (s == NULL) return NULL;
  if (napi_get_value_double(env, argv[1], &id) != napi_ok) {
    napi_throw_type_error(env, NULL, "bootfleet_udp.fileSenderCancel: expected a numeric id");
    return NULL;
  }
  pthread_mutex_lock(&s->lock);
  if (s->ncancels == s->cancel_cap) {
    size_t cap = s->cancel_cap ? s->cancel_cap * 2 : 16;
    double *grown = realloc(s->cancels, cap * sizeof(double));
    if (grown == NULL) {
      pthread_mutex_unlock(&s->lock);
      return fail(env, "realloc");
    }
    s->cancels = grown;
    s->cancel_cap = cap;
  }
  s->cancels[s->ncancels++] = id;
  pthread_mutex_unlock(&s->lock);
  sf_wake(s);
  return NULL;
}

static napi_value js_file_sender_close(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  void *data;
  if (!get_args(env, info, 1, argv)) return NULL;
  if (napi_get_value_external(env, argv[0], &data) != napi_ok || data == NULL) {
    napi_throw_type_error(env, NULL, "bootfleet_udp.fileSenderClose: expected a sender from fileSenderCreate");
    return NULL;
  }
  sf_stop(data);
  return NULL;
}

static napi_value init(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
      {"open", NULL, js_open, NULL, NULL, NULL, napi_enumerable, NULL},
      {"send", NULL, js_send, NULL, NULL, NULL, napi_enumerable, NULL},
      {"recv", NULL, js_recv, NULL, NULL, NULL, napi_enumerable, NULL},
      {"close", NULL, js_close, NULL, NULL, NULL, napi_enumerable, NULL},
      {"pollerCreate", NULL, js_poller_create, NULL, NULL, NULL, napi_enumerable, NULL},
      {"pollerAdd", NULL, js_poller_add, NULL, NULL, NULL, napi_enumerable, NULL},
      {"pollerRemove", NULL, js_poller_remove, NULL, NULL, NULL, napi_enumerable, NULL},
      {"pollerWait", NULL, js_poller_wait, NULL, NULL, NULL, napi_enumerable, NULL},
      {"pollerSpin", NULL, js_poller_spin, NULL, NULL, NULL, napi_enumerable, NULL},
      {"wakerCreate", NULL, js_waker_create, NULL, NULL, NULL, napi_enumerable, NULL},
      {"wake", NULL, js_wake, NULL, NULL, NULL, napi_enumerable, NULL},
      {"wakerDrain", NULL, js_waker_drain, NULL, NULL, NULL, napi_enumerable, NULL},
      {"icmp6Open", NULL, js_icmp6_open, NULL, NULL, NULL, napi_enumerable, NULL},
      {"icmp6Send", NULL, js_icmp6_send, NULL, NULL, NULL, napi_enumerable, NULL},
      {"icmp6Watch", NULL, js_icmp6_watch, NULL, NULL, NULL, napi_enumerable, NULL},
      {"icmp6Unwatch", NULL, js_icmp6_unwatch, NULL, NULL, NULL, napi_enumerable, NULL},
      {"bindUdp", NULL, js_bind_udp, NULL, NULL, NULL, napi_enumerable, NULL},
      {"recvBatch", NULL, js_recv_batch, NULL, NULL, NULL, napi_enumerable, NULL},
      {"sendTo", NULL, js_send_to, NULL, NULL, NULL, napi_enumerable, NULL},
      {"sendBatch", NULL, js_send_batch, NULL, NULL, NULL, napi_enumerable, NULL},
      {"watchReadable", NULL, js_watch, NULL, NULL, NULL, napi_enumerable, NULL},
      {"unwatchReadable", NULL, js_unwatch, NULL, NULL, NULL, napi_enumerable, NULL},
      {"fileSenderCreate", NULL, js_file_sender_create, NULL, NULL, NULL, napi_enumerable, NULL},
      {"fileSenderSend", NULL, js_file_sender_send, NULL, NULL, NULL, napi_enumerable, NULL},
      {"fileSenderCancel", NULL, js_file_sender_cancel, NULL, NULL, NULL, napi_enumerable, NULL},
      {"fileSenderClose", NULL, js_file_sender_close, NULL, NULL, NULL, napi_enumerable, NULL},
  };
  napi_define_properties(env, exports, sizeof props / sizeof props[0], props);
  return exports;
}

NAPI_MODULE_INIT() { return init(env, exports); }
