/*
 * rtnetlink from the monitor: a container's endpoints wired into its network
 * namespace while its init sets up the rootfs (plan steps NET_*, which the
 * CLI sends once it holds the leases; net/container.ts decides every name,
 * address and MAC). One request per call, each acknowledged; an error comes
 * back as errno, and the caller reports the step.
 *
 * The structures are spelled out here: musl has no linux/ headers.
 */
#define _GNU_SOURCE
#include "netlink.h"

#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <sched.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <unistd.h>

#define NETLINK_ROUTE 0
#define NLMSG_ERROR 2
#define NLM_F_REQUEST 0x1
#define NLM_F_ACK 0x4
#define NLM_F_EXCL 0x200
#define NLM_F_CREATE 0x400
#define RTM_NEWLINK 16
#define RTM_NEWADDR 20
#define RTM_NEWROUTE 24
#define IFLA_ADDRESS 1
#define IFLA_IFNAME 3
#define IFLA_MTU 4
#define IFLA_MASTER 10
#define IFLA_LINKINFO 18
#define IFLA_NET_NS_FD 28
#define IFLA_INFO_KIND 1
#define IFLA_INFO_DATA 2
#define VETH_INFO_PEER 1
#define IFA_ADDRESS 1
#define IFA_LOCAL 2
#define IFA_BROADCAST 4
#define RTA_GATEWAY 5
#define RT_TABLE_MAIN 254
#define RTPROT_BOOT 3
#define RT_SCOPE_UNIVERSE 0
#define RTN_UNICAST 1
#define NLA_F_NESTED 0x8000

struct nlhdr { uint32_t len; uint16_t type, flags; uint32_t seq, pid; };
struct nlerr { int32_t error; struct nlhdr req; };
struct rtattr_ { uint16_t len, type; };
struct ifinfo { uint8_t family, pad; uint16_t type; int32_t index; uint32_t flags, change; };
struct ifaddr_ { uint8_t family, prefixlen, flags, scope; uint32_t index; };
struct rtmsg_ { uint8_t family, dst_len, src_len, tos, table, protocol, scope, type; uint32_t flags; };

struct msg {
  unsigned char b[1024];
  size_t len;
};

static void put(struct msg *m, const void *p, size_t n) {
  memcpy(m->b + m->len, p, n);
  m->len += n;
}

static void align4(struct msg *m) { m->len = (m->len + 3) & ~(size_t)3; }

static size_t open_attr(struct msg *m, uint16_t type) {
  size_t at = m->len;
  struct rtattr_ a = { 0, type };
  put(m, &a, sizeof a);
  return at;
}

static void close_attr(struct msg *m, size_t at) {
  struct rtattr_ a = { (uint16_t)(m->len - at), 0 };
  memcpy(m->b + at, &a.len, sizeof a.len);
  align4(m);
}

static void attr(struct msg *m, uint16_t type, const void *p, size_t n) {
  size_t at = open_attr(m, type);
  put(m, p, n);
  close_attr(m, at);
}

static void attr_u32(struct msg *m, uint16_t type, uint32_t v) { attr(m, type, &v, sizeof v); }
static void attr_str(struct msg *m, uint16_t type, const char *s) { attr(m, type, s, strlen(s) + 1); }

static void begin(struct msg *m, uint16_t type, uint16_t flags) {
  memset(m, 0, sizeof *m);
  struct nlhdr h = { 0, type, (uint16_t)(flags | NLM_F_REQUEST | NLM_F_ACK), 1, 0 };
  put(m, &h, sizeof h);
}

/* sends m, waits for its acknowledgement: 0, or -1 with the kernel's errno */
static int call(int fd, struct msg *m) {
  uint32_t len = (uint32_t)m->len;
  memcpy(m->b, &len, sizeof len);
  struct sockaddr_storage kernel;
  memset(&kernel, 0, sizeof kernel);
  kernel.ss_family = AF_NETLINK;
  if (sendto(fd, m->b, m->len, 0, (struct sockaddr *)&kernel, 12) < 0) return -1;
  unsigned char buf[4096];
  for (;;) {
    ssize_t n = recv(fd, buf, sizeof buf, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return -1;
    for (size_t off = 0; off + sizeof(struct nlhdr) <= (size_t)n;) {
      struct nlhdr h;
      memcpy(&h, buf + off, sizeof h);
      if (h.len < sizeof h) break;
      if (h.type == NLMSG_ERROR) {
        struct nlerr e;
        memcpy(&e, buf + off + sizeof h, sizeof e.error);
        if (e.error == 0) return 0;
        errno = -e.error;
        return -1;
      }
      off += (h.len + 3) & ~3u;
    }
  }
}

static int open_route(void) { return socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE); }

static int parse_mac(const char *s, unsigned char out[6]) {
  for (int i = 0; i < 6; i++) {
    char *end;
    long v = strtol(s + i * 3, &end, 16);
    if (end != s + i * 3 + 2 || v < 0 || v > 255 || (i < 5 && *end != ':')) { errno = EINVAL; return -1; }
    out[i] = (unsigned char)v;
  }
  return 0;
}

static int parse_ip(const char *s, unsigned char out[4]) {
  const char *p = s;
  for (int i = 0; i < 4; i++) {
    char *end;
    long v = strtol(p, &end, 10);
    if (end == p || v < 0 || v > 255 || (i < 3 ? *end != '.' : *end != 0)) { errno = EINVAL; return -1; }
    out[i] = (unsigned char)v;
    p = end + 1;
  }
  return 0;
}

/* NET_VETH ifname index mac mtu peer bridge: the pair made from the
 * container's side (in netns, up, with its MAC and, when free, its index),
 * then the host end put into the bridge and brought up */
static int veth(int host, int netns, const struct op *o) {
  const char *ifname = o->argv[0], *peer = o->argv[4];
  unsigned char mac[6];
  if (parse_mac(o->argv[2], mac) < 0) return -1;
  uint32_t mtu = (uint32_t)atol(o->argv[3]);
  int bridge = (int)if_nametoindex(o->argv[5]);
  if (bridge == 0) return -1;
  for (int index = atoi(o->argv[1]);; index = 0) {
    struct msg m;
    begin(&m, RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL);
    struct ifinfo fixed = { 0, 0, 0, index, 1 /* IFF_UP */, 1 };
    put(&m, &fixed, sizeof fixed);
    attr_str(&m, IFLA_IFNAME, ifname);
    size_t info = open_attr(&m, IFLA_LINKINFO | NLA_F_NESTED);
    attr_str(&m, IFLA_INFO_KIND, "veth");
    size_t data = open_attr(&m, IFLA_INFO_DATA | NLA_F_NESTED);
    size_t p = open_attr(&m, VETH_INFO_PEER);
    struct ifinfo pfixed = { 0, 0, 0, 0, 0, 0 };
    put(&m, &pfixed, sizeof pfixed);
    attr_str(&m, IFLA_IFNAME, peer);
    if (mtu) attr_u32(&m, IFLA_MTU, mtu);
    close_attr(&m, p);
    close_attr(&m, data);
    close_attr(&m, info);
    attr_u32(&m, IFLA_NET_NS_FD, (uint32_t)netns);
    attr(&m, IFLA_ADDRESS, mac, sizeof mac);
    if (mtu) attr_u32(&m, IFLA_MTU, mtu);
    if (call(host, &m) == 0) break;
    /* the index is taken in the namespace (say, by a fallback tunnel device): the kernel picks one */
    if (index == 0 || (errno != EEXIST && errno != EBUSY)) return -1;
  }
  struct msg m;
  begin(&m, RTM_NEWLINK, 0);
  struct ifinfo fixed = { 0, 0, 0, 0, 1, 1 };
  put(&m, &fixed, sizeof fixed);
  attr_str(&m, IFLA_IFNAME, peer);
  attr_u32(&m, IFLA_MASTER, (uint32_t)bridge);
  return call(host, &m);
}

/* NET_ADDR ifname ip prefix, inside */
static int address(int inside, const struct op *o) {
  unsigned char ip[4];
  if (parse_ip(o->argv[1], ip) < 0) return -1;
  unsigned index = if_nametoindex(o->argv[0]);
  if (index == 0) return -1;
  struct msg m;
  begin(&m, RTM_NEWADDR, NLM_F_CREATE | NLM_F_EXCL);
  struct ifaddr_ fixed = { AF_INET, (uint8_t)atoi(o->argv[2]), 0, RT_SCOPE_UNIVERSE, index };
  put(&m, &fixed, sizeof fixed);
  attr(&m, IFA_LOCAL, ip, sizeof ip);
  attr(&m, IFA_ADDRESS, ip, sizeof ip);
  int prefix = atoi(o->argv[2]);
  if (prefix < 31) {
    /* the host bits all set, as `ip addr add ... brd +` and Docker do */
    uint32_t host_bits = prefix <= 0 ? 0xffffffffu : (1u << (32 - prefix)) - 1;
    unsigned char brd[4];
    for (int i = 0; i < 4; i++) brd[i] = ip[i] | (unsigned char)(host_bits >> (24 - 8 * i));
    attr(&m, IFA_BROADCAST, brd, sizeof brd);
  }
  return call(inside, &m);
}

/* NET_ROUTE gateway: the default route, inside */
static int route(int inside, const struct op *o) {
  unsigned char gw[4];
  if (parse_ip(o->argv[0], gw) < 0) return -1;
  struct msg m;
  begin(&m, RTM_NEWROUTE, NLM_F_CREATE | NLM_F_EXCL);
  struct rtmsg_ fixed = { AF_INET, 0, 0, 0, RT_TABLE_MAIN, RTPROT_BOOT, RT_SCOPE_UNIVERSE, RTN_UNICAST, 0 };
  put(&m, &fixed, sizeof fixed);
  attr(&m, RTA_GATEWAY, gw, sizeof gw);
  return call(inside, &m);
}

/* NET_NFT batch commands: ctr's nf_tables batch as the CLI encoded it
 * (net/firewall.ts rulesBatch). The kernel handles a batch within sendto, so
 * every answer is queued when it returns: read without blocking until each
 * command is acknowledged. The table's generation comes back in *gen when the
 * batch made the table (its first command asks for an echo). */
#define NETLINK_NETFILTER 12
#define NFT_MSG_NEWTABLE ((10 << 8) | 0)
#define NFT_MSG_NEWGEN ((10 << 8) | 15)
#define NFTA_GEN_ID 1

static int nft(const struct op *o, long long *gen) {
  int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_NETFILTER);
  if (fd < 0) return -1;
  struct sockaddr_storage kernel;
  memset(&kernel, 0, sizeof kernel);
  kernel.ss_family = AF_NETLINK;
  int want = atoi(o->argv[1]), acked = 0, made = 0, r = 0;
  long long id = -1;
  if (sendto(fd, o->argv[0], o->lens[0], 0, (struct sockaddr *)&kernel, 12) < 0) r = -1;
  unsigned char buf[8192];
  while (r == 0 && acked < want) {
    ssize_t n = recv(fd, buf, sizeof buf, MSG_DONTWAIT);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) { r = -1; break; } /* EAGAIN: answers missing */
    for (size_t off = 0; r == 0 && off + sizeof(struct nlhdr) <= (size_t)n;) {
      struct nlhdr h;
      memcpy(&h, buf + off, sizeof h);
      if (h.len < sizeof h || off + h.len > (size_t)n) break;
      const unsigned char *body = buf + off + sizeof h;
      if (h.type == NLMSG_ERROR) {
        int32_t e;
        memcpy(&e, body, sizeof e);
        if (e != 0) { errno = -e; r = -1; }
        else acked++;
      } else if (h.type == NFT_MSG_NEWTABLE) {
        made = 1;
      } else if (h.type == NFT_MSG_NEWGEN) {
        /* nfgenmsg (4), then attributes: NFTA_GEN_ID, a big-endian u32 */
        for (size_t a = 4; a + 4 <= h.len - sizeof h;) {
          struct rtattr_ at;
          memcpy(&at, body + a, sizeof at);
          if (at.len < 4) break;
          if ((at.type & 0x3fff) == NFTA_GEN_ID && at.len >= 8) {
            const unsigned char *v = body + a + 4;
            id = (long long)v[0] << 24 | v[1] << 16 | v[2] << 8 | v[3];
          }
          a += (at.len + 3u) & ~3u;
        }
      }
      off += (h.len + 3) & ~3u;
    }
  }
  int e = errno;
  close(fd);
  if (r == 0 && made) *gen = id;
  errno = e;
  return r;
}

/* NET_LO: lo up, inside */
static int lo_up(int inside) {
  struct msg m;
  begin(&m, RTM_NEWLINK, 0);
  struct ifinfo fixed = { 0, 0, 0, 1 /* lo is always ifindex 1 */, 1, 1 };
  put(&m, &fixed, sizeof fixed);
  return call(inside, &m);
}

int net_wire(const struct plan *steps, const char *netns_path, long long *nft_gen) {
  int netns = open(netns_path, O_RDONLY | O_CLOEXEC);
  int self = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
  int host = open_route(), inside = -1, bad = -1;
  if (netns < 0 || self < 0 || host < 0) bad = -2;
  for (size_t i = 0; bad == -1 && i < steps->n; i++) {
    const struct op *o = &steps->ops[i];
    if (o->kind == OP_NET_RELEASE) continue; /* for the exit (main.c release_leases) */
    /* the host's side first: once inside, if_nametoindex would look for the bridge there */
    int host_side = o->kind == OP_NET_VETH || o->kind == OP_NET_NFT;
    if (host_side && inside >= 0) { errno = EINVAL; bad = (int)i; break; }
    if (!host_side && inside < 0) {
      /* a socket inside stays bound there; if_nametoindex asks the namespace we are in */
      if (setns(netns, CLONE_NEWNET) < 0 || (inside = open_route()) < 0) { bad = (int)i; break; }
    }
    int r = o->kind == OP_NET_VETH ? veth(host, netns, o)
          : o->kind == OP_NET_NFT ? nft(o, nft_gen)
          : o->kind == OP_NET_ADDR ? address(inside, o)
          : o->kind == OP_NET_ROUTE ? route(inside, o)
          : o->kind == OP_NET_LO ? lo_up(inside)
          : (errno = EINVAL, -1);
    if (r < 0) bad = (int)i;
  }
  int e = errno;
  /* back home, whatever happened: nothing of ours may stay in the container's namespace */
  if (inside >= 0 && setns(self, CLONE_NEWNET) < 0) abort();
  if (inside >= 0) close(inside);
  if (host >= 0) close(host);
  if (netns >= 0) close(netns);
  if (self >= 0) close(self);
  errno = e;
  return bad;
}

/* Deletes ctr's nf_tables table in one batch, if the ruleset is still at
 * generation gen (the one at which this container's batch made it: nothing
 * but its rules in it). 1: dropped; 0: not (ERESTART, something changed
 * since, or anything else: rm removes the rules one by one instead). */
#define NFNL_MSG_BATCH_BEGIN 16
#define NFNL_MSG_BATCH_END 17
#define NFNL_SUBSYS_NFTABLES 10
#define NFT_MSG_DELTABLE ((10 << 8) | 2)
#define NFNL_BATCH_GENID 1
#define NFTA_TABLE_NAME 1
#define NFPROTO_IPV4 2

static void nfgen(struct msg *m, uint8_t family, int subsys) {
  unsigned char g[4] = { family, 0, (unsigned char)(subsys >> 8), (unsigned char)subsys }; /* res_id is big-endian */
  put(m, g, sizeof g);
}

static void header(struct msg *m, size_t at, uint16_t type, uint16_t flags, uint32_t seq) {
  struct nlhdr h = { (uint32_t)(m->len - at), type, flags, seq, 0 };
  memcpy(m->b + at, &h, sizeof h);
}

static int drop_table(long long gen) {
  struct msg m;
  memset(&m, 0, sizeof m);
  struct nlhdr blank = { 0, 0, 0, 0, 0 };
  uint32_t seq = (uint32_t)getpid() << 8;
  size_t at = m.len;
  put(&m, &blank, sizeof blank);
  nfgen(&m, 0, NFNL_SUBSYS_NFTABLES);
  unsigned char id[4] = { (unsigned char)(gen >> 24), (unsigned char)(gen >> 16), (unsigned char)(gen >> 8), (unsigned char)gen };
  attr(&m, NFNL_BATCH_GENID, id, sizeof id);
  header(&m, at, NFNL_MSG_BATCH_BEGIN, NLM_F_REQUEST, seq);
  at = m.len;
  put(&m, &blank, sizeof blank);
  nfgen(&m, NFPROTO_IPV4, 0);
  attr_str(&m, NFTA_TABLE_NAME, "ctr");
  header(&m, at, NFT_MSG_DELTABLE, NLM_F_REQUEST | NLM_F_ACK, seq + 1);
  at = m.len;
  put(&m, &blank, sizeof blank);
  nfgen(&m, 0, NFNL_SUBSYS_NFTABLES);
  header(&m, at, NFNL_MSG_BATCH_END, NLM_F_REQUEST, seq + 2);
  int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_NETFILTER);
  if (fd < 0) return 0;
  struct sockaddr_storage kernel;
  memset(&kernel, 0, sizeof kernel);
  kernel.ss_family = AF_NETLINK;
  int ok = 0;
  if (sendto(fd, m.b, m.len, 0, (struct sockaddr *)&kernel, 12) == (ssize_t)m.len) {
    unsigned char buf[4096];
    ssize_t n = recv(fd, buf, sizeof buf, MSG_DONTWAIT);
    /* the first answer is the command's (or the batch's refusal): an error of 0 is the ack */
    if (n >= (ssize_t)(sizeof(struct nlhdr) + 4)) {
      struct nlhdr h;
      int32_t e;
      memcpy(&h, buf, sizeof h);
      memcpy(&e, buf + sizeof h, sizeof e);
      ok = h.type == NLMSG_ERROR && e == 0 && h.seq == seq + 1;
    }
  }
  close(fd);
  return ok;
}

int net_unwire(const char *netns_path, long long gen) {
  /* the namespace goes once nothing holds it, and the veth with it */
  if (umount2(netns_path, MNT_DETACH) == 0) unlink(netns_path);
  return gen >= 0 && drop_table(gen);
}

