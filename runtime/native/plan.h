/*
 * The Plan as the executor sees it. TypeScript (runtime/plan.ts, encoded by
 * runtime/plan-wire.ts) decides every step; this program only performs them.
 *
 *   CLI (TS)                         executor = monitor              init (child)
 *   --------                         ------------------              ------------
 *   write Plan on fd 3  ----------->  read until EOF
 *                                     open log, pipes
 *                                     (NETNS: files, unshare, pin)
 *                                     clone(ns flags) -------------->  wait for GO
 *                                     uid/gid maps, cgroup.procs
 *                                     send GO  ---------------------->  steps in order
 *   leases; network plan on the  --> (GATE: read it, wire it:         ...
 *   gate fd (u32 len + plan)          netlink.c)
 *   <- fd 4: "wired" / "neterror S E"
 *   one byte on the gate fd  ------>  send GATE  ------------------->  GATE: go on
 *                                                                     (ERR step errno) or
 *                                                                     READY (create) or
 *                                                                     PTY master (SCM_RIGHTS)
 *                                     <---- sync socket (SEQPACKET) -  execve: socket closes
 *   <- fd 4: "pid N" / "error S E"
 *   <- fd 4: "exit CODE SIGNAL"      relay stdio, write json log,
 *                                     write exit.json, exit
 *
 * The gate steps are there only for a container on a network of ctr's, on
 * its first start; EOF on the gate fd instead of the plan or the byte: the
 * CLI failed (or died), the init gives up at GATE.
 *
 * Wire format (little endian): records of
 *   u32 op, u32 argc, argc * (u32 len, len bytes)
 * ending with op END. Ints travel as decimal strings.
 */
#ifndef CTR_PLAN_H
#define CTR_PLAN_H

#include <stddef.h>
#include <stdint.h>

/* Keep in sync with runtime/plan-wire.ts (OP table). */
enum op_kind {
  OP_END = 0,
  /* monitor-level configuration */
  OP_MODE = 1,          /* "run" | "exec" | "restore" */
  OP_CLONE_FLAGS = 2,   /* flags */
  OP_STATE_DIR = 3,     /* dir: init.json, exit.json */
  OP_LOG_PATH = 4,      /* json-file log */
  OP_STDIO = 5,         /* "pipe" | "tty" | "inherit" (our own fds; the monitor leaves once the init runs) */
  OP_ATTACH = 6,        /* words: stdin stdout stderr: relay to/from the CLI's fds 0-2 */
  OP_UID_MAP = 7,       /* map text */
  OP_GID_MAP = 8,
  OP_CGROUP_JOIN = 9,   /* path of a cgroup.procs file */
  OP_SETNS = 10,        /* namespace name, path: joined by the monitor before it clones (pid; net with a new user ns) */
  OP_EXEC_FIFO = 11,    /* path */
  OP_RESTART = 12,      /* "no|on-failure|always|unless-stopped", max */
  OP_WINSIZE = 13,      /* rows, cols */
  OP_ON_EXIT = 14,
  OP_IDMAP_ROOTFS = 15, /* host path: the monitor makes an idmapped clone of it for the init's user namespace */      /* argv executed in place of the monitor once the container is gone (--rm) */
  OP_CONSOLE_SOCKET = 16, /* unix socket path: the init's pty master is sent there (OCI --console-socket), not kept */
  OP_EVENTS = 17,       /* journal path, actor JSON (open), names dir, id, name: start and die lines appended by the monitor (runtime/state/events.ts) */
  OP_OOM_COUNTER = 19,  /* memory.oom_control (v1) or memory.events (v2): its "oom_kill N" before each start and at exit -> exit.json oomKilled */

  /* init steps, performed in order */
  OP_PROPAGATION = 20,  /* flags for mount(NULL, path or "/", ...): the tree before the rootfs; after pivot_root, the root's and each mount's own */
  OP_ROOTFS = 21,       /* host path */
  OP_MOUNT = 22,        /* source, target, fstype, flags, data, create(dir|file|) */
  OP_MKNOD = 23,        /* target, c|b, major, minor, mode, uid, gid */
  OP_BIND_DEV = 24,     /* host path, target */
  OP_SYMLINK = 25,      /* target, content */
  OP_PIVOT_ROOT = 26,
  OP_MASK = 27,         /* path (inside) */
  OP_READONLY = 28,     /* path (inside) */
  OP_ROOT_READONLY = 29,
  OP_HOSTNAME = 30,
  OP_DOMAINNAME = 31,
  OP_LO_UP = 32,
  OP_SYSCTL = 33,       /* key path under /proc/sys, value */
  OP_RLIMIT = 34,       /* resource, soft, hard (-1 = infinity) */
  OP_CHDIR = 35,
  OP_USER = 36,         /* uid, gid, groups (comma list) */
  OP_CAP_BOUNDING = 37, /* mask (hex) */
  OP_CAPSET = 38,       /* effective, permitted, inheritable, ambient (hex) */
  OP_NO_NEW_PRIVS = 39,
  OP_SECCOMP = 40,      /* BPF program bytes */
  OP_ENV = 41,          /* KEY=VALUE ... */
  OP_ARGV = 42,         /* argv ... */
  OP_PTY = 43,          /* open a pty in the container's devpts; "console" to bind it on /dev/console */
  OP_EXEC = 44,         /* execve(argv, env) with PATH search */
  OP_SETNS_CHILD = 45,  /* clone-flag name, path: joined by the init itself */
  OP_UNSHARE = 46,      /* flags: after the cgroup join, so a new cgroup ns is rooted at the container's cgroup */
  OP_PRESERVE_FDS = 47, /* N: the executor's fds PRESERVED_BASE.. become the command's 3..3+N-1 (OCI --preserve-fds) */

  /* restore mode: no init steps; CRIU brings the checkpointed tree back as the monitor's child */
  OP_CRIU_RESTORE = 48, /* pidfile, criu argv...: run as our child; --restore-sibling makes the restored init ours */
  OP_INHERIT_FD = 49,   /* "stdin"|"stdout"|"stderr"|path: the next of criu's fds 3.. (named in its --inherit-fd) */
  OP_GATE = 50,         /* fd: the init waits for one byte on it before exec (the CLI wires the network meanwhile); EOF: it gives up */
  OP_NETNS = 51,        /* path, files...: the monitor makes the init's network namespace and pins it there (later starts join it), and the files (empty) */
  OP_HOOK = 60,         /* when, path, timeout s, state before pid, state after pid, nargs, args..., env...: an OCI createContainer/startContainer hook run by the init */
  /* the network plan the CLI sends over the gate once it holds the leases (runtime/native/netlink.c) */
  OP_NET_VETH = 70,     /* ifname (inside), ifindex (0: any), mac, mtu, host end name, bridge */
  OP_NET_ADDR = 71,     /* ifname, address, prefix length (inside) */
  OP_NET_ROUTE = 72,    /* gateway: the default route (inside) */
  OP_NET_NFT = 73,      /* nf_tables batch bytes, commands answering: ctr's rules (host side) */
  OP_NET_LO = 74,       /* lo up (inside) */
  OP_NET_RELEASE = 75,  /* lease file, released name, event head: not wired; a --rm container's lease the monitor gives back at exit, when nothing else of its network is left for rm */
  OP_MAX
};

/* where the CLI hands the executor the fds to preserve: after the plan (3) and report (4) pipes */
#define PRESERVED_BASE 5

struct op {
  uint32_t kind;
  uint32_t argc;
  char **argv;      /* NUL-terminated copies */
  uint32_t *lens;   /* byte lengths (for binary args) */
};

struct plan {
  struct op *ops;
  size_t n;
};

int plan_read(int fd, struct plan *out);
/* one plan as u32 length (little-endian) + bytes, from a socket that stays open; EOF: ECANCELED */
int plan_read_framed(int fd, struct plan *out);
const struct op *plan_find(const struct plan *p, uint32_t kind);
long long arg_ll(const struct op *o, uint32_t i);
unsigned long long arg_hex(const struct op *o, uint32_t i);

#endif
