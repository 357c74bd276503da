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
 */
#define _GNU_SOURCE /* RUSAGE_THREAD */
#define NAPI_VERSION 8
#include <node_api.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/resource.h>
#include <sched.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_EVENTS 256

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
  napi_typedarray_type type;
  size_t length, offset;
  void *data;
  napi_value ab;
  if (!get_args(env, info, 3, argv) || !get_int(env, argv[0], epfd) || !get_int(env, argv[1], number)) return 0;
  if (napi_get_typedarray_info(env, argv[2], &type, &length, &data, &ab, &offset) != napi_ok ||
      type != napi_int32_array || length == 0) {
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
  };
  napi_define_properties(env, exports, sizeof props / sizeof props[0], props);
  return exports;
}

NAPI_MODULE_INIT() { return init(env, exports); }
