/*
 * Bench-only DHCP load: CLIENTS machines on one segment, each doing the
 * DISCOVER-OFFER-REQUEST-ACK exchange a PXE ROM does before it has an
 * address (RFC 2131 section 4.4.1): broadcast from 0.0.0.0:68 to
 * 255.255.255.255:67, giaddr and ciaddr zero, the broadcast flag set (as
 * PXE ROMs set it), from the machine's own Ethernet address.
 *
 * perfdhcp cannot do this: for DHCPv4 it always puts its own address in
 * giaddr and hops=1 (TestControl::setDefaults4), i.e. it is a relay. This
 * tool is the local-segment half of bench/dhcp/dhcp-bench.ts, which builds
 * it with the system's cc.
 *
 *   broadcast-clients IFACE CLIENTS RATE SECONDS [WINDOW]
 *
 * Frames leave and replies come in through AF_PACKET sockets on IFACE, so
 * the Ethernet source is each client's MAC (02:bf:00:xx:xx:xx, locally
 * administered) and the IP source 0.0.0.0, as on the wire of a lab. Clients take turns (client = exchange number modulo
 * CLIENTS). RATE > 0 starts RATE exchanges per second for SECONDS; RATE 0
 * keeps WINDOW exchanges (default 64) in flight for SECONDS, as fast as the
 * server answers. As perfdhcp does, a reply that has not come 1 s after
 * its request counts the exchange as lost. After SECONDS no exchange is
 * started; the ones under way get their 1 s.
 *
 * Prints one line: started=N offers=N acks=N naks=N lost_offer=N
 * lost_ack=N seconds=S (the sending period) clients_acked=N
 * worst_reply_ms=N (the longest wait for a reply that came in time).
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define SLOTS (1u << 20) /* exchanges tracked at once: far above 10 s x any rate reached */
#define BATCH 64
#define DROP_S 1.0
#define DHCP_LEN 300 /* the BOOTP minimum (RFC 1542 section 2.1); every ROM pads to it */
#define FRAME_LEN (14 + 20 + 8 + DHCP_LEN)

enum { FREE, WAIT_OFFER, WAIT_ACK, DONE, LOST };

struct slot {
  uint8_t state;
  uint32_t client;
  double deadline;
};

static struct slot *slots;
static uint8_t *acked; /* per client: got at least one ACK */
static int raw_fd, rx_fd;
static struct sockaddr_ll to_all;
static unsigned long long started, offers, acks, naks, lost_offer, lost_ack, clients_acked;
static double worst_reply; /* seconds from a request to its reply, the longest */
static uint32_t next_xid = 1, oldest = 1;
static unsigned in_flight;

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static void client_mac(uint32_t client, uint8_t mac[6]) {
  mac[0] = 0x02;
  mac[1] = 0xbf;
  mac[2] = 0x00;
  mac[3] = (uint8_t)(client >> 16);
  mac[4] = (uint8_t)(client >> 8);
  mac[5] = (uint8_t)client;
}

static uint16_t ip_checksum(const uint8_t *p, size_t n) {
  uint32_t sum = 0;
  for (size_t i = 0; i + 1 < n; i += 2) sum += (uint32_t)(p[i] << 8 | p[i + 1]);
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  return (uint16_t)~sum;
}

/* DISCOVER (type 1) or REQUEST (type 3, with options 50 and 54) from `client`, broadcast. */
static void send_packet(uint32_t xid, uint32_t client, int type, uint32_t yiaddr, uint32_t server_id) {
  uint8_t f[FRAME_LEN];
  memset(f, 0, sizeof f);
  uint8_t mac[6];
  client_mac(client, mac);
  memset(f, 0xff, 6);
  memcpy(f + 6, mac, 6);
  f[12] = 0x08;
  f[13] = 0x00;
  uint8_t *ip = f + 14;
  ip[0] = 0x45;
  ip[2] = (uint8_t)((20 + 8 + DHCP_LEN) >> 8);
  ip[3] = (uint8_t)(20 + 8 + DHCP_LEN);
  ip[8] = 64;
  ip[9] = 17;
  memset(ip + 16, 0xff, 4); /* to 255.255.255.255 from 0.0.0.0 */
  uint16_t c = ip_checksum(ip, 20);
  ip[10] = (uint8_t)(c >> 8);
  ip[11] = (uint8_t)c;
  uint8_t *udp = ip + 20;
  udp[1] = 68;
  udp[3] = 67;
  udp[4] = (uint8_t)((8 + DHCP_LEN) >> 8);
  udp[5] = (uint8_t)(8 + DHCP_LEN); /* checksum 0: none (RFC 768) */
  uint8_t *d = udp + 8;
  d[0] = 1; /* BOOTREQUEST */
  d[1] = 1; /* Ethernet */
  d[2] = 6;
  d[4] = (uint8_t)(xid >> 24);
  d[5] = (uint8_t)(xid >> 16);
  d[6] = (uint8_t)(xid >> 8);
  d[7] = (uint8_t)xid;
  d[10] = 0x80; /* broadcast flag */
  memcpy(d + 28, mac, 6);
  uint8_t *o = d + 236;
  *o++ = 99, *o++ = 130, *o++ = 83, *o++ = 99;
  *o++ = 53, *o++ = 1, *o++ = (uint8_t)type;
  if (type == 3) {
    *o++ = 50, *o++ = 4;
    memcpy(o, &yiaddr, 4);
    o += 4;
    *o++ = 54, *o++ = 4;
    memcpy(o, &server_id, 4);
    o += 4;
  }
  *o++ = 55, *o++ = 6, *o++ = 1, *o++ = 3, *o++ = 6, *o++ = 15, *o++ = 51, *o++ = 54;
  *o = 255;
  if (sendto(raw_fd, f, sizeof f, 0, (struct sockaddr *)&to_all, sizeof to_all) < 0 && errno != ENOBUFS &&
      errno != EAGAIN) {
    perror("sendto");
    exit(1);
  }
}

static void start_exchange(double t, uint32_t clients) {
  uint32_t xid = next_xid++;
  struct slot *s = &slots[xid % SLOTS];
  s->state = WAIT_OFFER;
  s->client = (uint32_t)(started % clients);
  s->deadline = t + DROP_S;
  started++;
  in_flight++;
  send_packet(xid, s->client, 1, 0, 0);
}

static void finish(struct slot *s, int state) {
  s->state = (uint8_t)state;
  in_flight--;
}

static void receive(double t) {
  static uint8_t bufs[BATCH][1600];
  struct mmsghdr msgs[BATCH];
  struct iovec iov[BATCH];
  struct sockaddr_ll from[BATCH];
  for (;;) {
    for (int i = 0; i < BATCH; i++) {
      iov[i] = (struct iovec){bufs[i], sizeof bufs[i]};
      msgs[i] = (struct mmsghdr){
          .msg_hdr = {.msg_name = &from[i], .msg_namelen = sizeof from[i], .msg_iov = &iov[i], .msg_iovlen = 1}};
    }
    int n = recvmmsg(rx_fd, msgs, BATCH, MSG_DONTWAIT, NULL);
    if (n <= 0) return;
    for (int i = 0; i < n; i++) {
      if (from[i].sll_pkttype == PACKET_OUTGOING) continue; /* our own requests */
      const uint8_t *ip = bufs[i];
      size_t len = msgs[i].msg_len;
      if (len < 20 || (ip[0] >> 4) != 4 || ip[9] != 17) continue;
      size_t ihl = (size_t)(ip[0] & 15) * 4;
      if (len < ihl + 8 + 240 || ip[ihl + 2] != 0 || ip[ihl + 3] != 68) continue; /* to UDP port 68 */
      const uint8_t *d = ip + ihl + 8;
      len -= ihl + 8;
      if (d[0] != 2) continue;
      uint32_t xid = (uint32_t)d[4] << 24 | (uint32_t)d[5] << 16 | (uint32_t)d[6] << 8 | d[7];
      if (xid < oldest || xid >= next_xid) continue;
      struct slot *s = &slots[xid % SLOTS];
      uint8_t mac[6];
      client_mac(s->client, mac);
      if (memcmp(d + 28, mac, 6) != 0) continue;
      int type = 0;
      uint32_t server_id = 0;
      for (size_t p = 240; p + 1 < len && d[p] != 255;) {
        if (d[p] == 0) {
          p++;
          continue;
        }
        size_t l = d[p + 1];
        if (p + 2 + l > len) break;
        if (d[p] == 53 && l == 1) type = d[p + 2];
        if (d[p] == 54 && l == 4) memcpy(&server_id, d + p + 2, 4);
        p += 2 + l;
      }
      if ((type == 2 && s->state == WAIT_OFFER) || (type >= 5 && s->state == WAIT_ACK)) {
        double waited = t - (s->deadline - DROP_S);
        if (waited > worst_reply) worst_reply = waited;
      }
      if (type == 2 && s->state == WAIT_OFFER) {
        offers++;
        uint32_t yiaddr;
        memcpy(&yiaddr, d + 16, 4);
        s->state = WAIT_ACK;
        s->deadline = t + DROP_S;
        send_packet(xid, s->client, 3, yiaddr, server_id);
      } else if (type == 5 && s->state == WAIT_ACK) {
        acks++;
        if (!acked[s->client]) {
          acked[s->client] = 1;
          clients_acked++;
        }
        finish(s, DONE);
      } else if (type == 6 && s->state == WAIT_ACK) {
        naks++;
        finish(s, LOST);
      }
    }
  }
}

/* Exchanges whose reply is over 1 s late are lost; moves `oldest` past settled ones. */
static void expire(double t) {
  for (uint32_t x = oldest; x < next_xid; x++) {
    struct slot *s = &slots[x % SLOTS];
    if ((s->state == WAIT_OFFER || s->state == WAIT_ACK) && s->deadline <= t) {
      if (s->state == WAIT_OFFER) lost_offer++;
      else lost_ack++;
      finish(s, LOST);
    }
  }
  while (oldest < next_xid) {
    uint8_t st = slots[oldest % SLOTS].state;
    if (st != DONE && st != LOST) break;
    slots[oldest % SLOTS].state = FREE;
    oldest++;
  }
}

int main(int argc, char **argv) {
  if (argc < 5) {
    fprintf(stderr, "usage: %s IFACE CLIENTS RATE SECONDS [WINDOW]\n", argv[0]);
    return 2;
  }
  unsigned ifindex = if_nametoindex(argv[1]);
  uint32_t clients = (uint32_t)strtoul(argv[2], NULL, 10);
  double rate = atof(argv[3]);
  double seconds = atof(argv[4]);
  unsigned window = argc > 5 ? (unsigned)atoi(argv[5]) : 64;
  if (ifindex == 0 || clients == 0 || clients > 1u << 24 || seconds <= 0 || window == 0) {
    fprintf(stderr, "broadcast-clients: bad arguments\n");
    return 2;
  }
  slots = calloc(SLOTS, sizeof *slots);
  acked = calloc(clients, 1);

  raw_fd = socket(AF_PACKET, SOCK_RAW, 0);
  if (raw_fd < 0) {
    perror("socket(AF_PACKET)");
    return 1;
  }
  to_all = (struct sockaddr_ll){.sll_family = AF_PACKET, .sll_ifindex = (int)ifindex, .sll_halen = 6};
  memset(to_all.sll_addr, 0xff, 6);
  int sndbuf = 4 << 20;
  setsockopt(raw_fd, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof sndbuf);

  /*
   * Replies are read off the wire, not from a UDP socket: kea sends its
   * broadcast replies to the client's own Ethernet address (chaddr), which
   * this interface does not have; a PXE ROM's NIC does. Promiscuous, so
   * that such frames reach us.
   */
  rx_fd = socket(AF_PACKET, SOCK_DGRAM, htons(ETH_P_IP));
  struct sockaddr_ll bind_ll = {.sll_family = AF_PACKET, .sll_protocol = htons(ETH_P_IP), .sll_ifindex = (int)ifindex};
  struct packet_mreq promisc = {.mr_ifindex = (int)ifindex, .mr_type = PACKET_MR_PROMISC};
  int rcvbuf = 16 << 20;
  if (rx_fd < 0 || bind(rx_fd, (struct sockaddr *)&bind_ll, sizeof bind_ll) < 0 ||
      setsockopt(rx_fd, SOL_PACKET, PACKET_ADD_MEMBERSHIP, &promisc, sizeof promisc) < 0) {
    perror("AF_PACKET receive socket");
    return 1;
  }
  setsockopt(rx_fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf, sizeof rcvbuf);

  double t0 = now(), end = t0 + seconds, last_expire = t0;
  struct pollfd pfd = {.fd = rx_fd, .events = POLLIN};
  for (;;) {
    double t = now();
    if (t >= end && in_flight == 0) break;
    if (t >= end + DROP_S + 0.1) break;
    if (t < end) {
      if (rate > 0) {
        /* Start every exchange that is due (several after a late wake-up). */
        while (started < (unsigned long long)((t - t0) * rate)) start_exchange(t, clients);
      } else {
        while (in_flight < window) start_exchange(t, clients);
      }
    }
    /* Sleep until the next exchange is due (not a busy loop: the CPU is shared with the server). */
    double wait = 0.01;
    if (rate > 0 && t < end) {
      double due = t0 + (double)(started + 1) / rate - t;
      if (due < wait) wait = due > 50e-6 ? due : 50e-6;
    }
    struct timespec ts = {.tv_sec = 0, .tv_nsec = (long)(wait * 1e9)};
    if (ppoll(&pfd, 1, &ts, NULL) > 0) receive(now());
    t = now();
    if (t - last_expire >= 0.01) {
      expire(t);
      last_expire = t;
    }
  }
  expire(now() + DROP_S + 1);
  printf("started=%llu offers=%llu acks=%llu naks=%llu lost_offer=%llu lost_ack=%llu seconds=%.3f "
         "clients_acked=%llu worst_reply_ms=%.1f\n",
         started, offers, acks, naks, lost_offer, lost_ack, seconds, clients_acked, worst_reply * 1000);
  return 0;
}
