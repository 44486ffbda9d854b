/*
 * ctr's executor and, afterwards, the container's monitor. It reads one Plan
 * (fd 3), reports on fd 4 in lines ("pid N", "created N", "error STEP ERRNO",
 * "exit CODE SIGNAL NETUNDONE"), clones the init, relays its stdio into the json log and
 * to the CLI when attached, and records the exit status. It is single
 * threaded on purpose: see DESIGN.md, Rule 1.
 */
#define _GNU_SOURCE
#include "child.h"
#include "netlink.h"
#include "plan.h"
#include "util.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#define PLAN_FD 3
#define REPORT_FD 4

static int report_fd = REPORT_FD;
static struct plan plan;
/* the network plan the CLI sent over the gate, and the ruleset generation at
 * which its nf_tables batch made ctr's table (-1: it did not, or none ran) */
static struct plan netplan;
static long long net_gen = -1;
static int log_fd = -1;
static int attach_in, attach_out, attach_err;
static const char *state_dir;
static const struct op *console_op; /* OCI --console-socket: where the pty master goes */

static void report(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void report(const char *fmt, ...) {
  if (report_fd < 0) return;
  char buf[256];
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(buf, sizeof buf, fmt, ap);
  va_end(ap);
  if (write_full(report_fd, buf, (size_t)n) < 0) { close(report_fd); report_fd = -1; }
}

static void state_write(const char *name, const char *json) {
  if (!state_dir) return;
  char path[4096];
  snprintf(path, sizeof path, "%s/%s", state_dir, name);
  write_file_atomic(path, json, strlen(json));
}

static ssize_t state_read(const char *name, char *buf, size_t n) {
  if (!state_dir || n == 0) return -1;
  char path[4096];
  snprintf(path, sizeof path, "%s/%s", state_dir, name);
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return -1;
  ssize_t r = read(fd, buf, n - 1);
  close(fd);
  buf[r > 0 ? r : 0] = 0;
  return r;
}

static void state_unlink(const char *name) {
  char path[4096];
  if (!state_dir) return;
  snprintf(path, sizeof path, "%s/%s", state_dir, name);
  unlink(path);
}

static int state_exists(const char *name) {
  char path[4096];
  snprintf(path, sizeof path, "%s/%s", state_dir, name);
  return state_dir && access(path, F_OK) == 0;
}

/* The container's name now, which a rename may have changed since the Plan
 * was written: the file under names/ that holds its id. Names are
 * [a-zA-Z0-9_.-] (runtime/state/names.ts), safe to put in JSON as they are. */
static int holds_id(const char *names_dir, const char *name, const char *id) {
  char path[4096], buf[80];
  snprintf(path, sizeof path, "%s/%s", names_dir, name);
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return 0;
  ssize_t r = read(fd, buf, sizeof buf - 1);
  close(fd);
  return r == (ssize_t)strlen(id) && memcmp(buf, id, (size_t)r) == 0;
}

static int current_name(const char *names_dir, const char *id, const char *was, char *out, size_t n) {
  /* the name it was created with, most often; the whole directory only after a rename */
  if (strlen(was) < n && holds_id(names_dir, was, id)) {
    strcpy(out, was);
    return 0;
  }
  DIR *d = opendir(names_dir);
  if (!d) return -1;
  int found = -1;
  struct dirent *e;
  while (found < 0 && (e = readdir(d))) {
    const char *c = e->d_name;
    if (c[0] == '.' || strlen(c) >= n || strspn(c, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-") != strlen(c)) continue;
    if (holds_id(names_dir, c, id)) {
      strcpy(out, c);
      found = 0;
    }
  }
  closedir(d);
  return found;
}

/* Container events only the monitor sees in order: `start` of an init it
 * started running (and of each restart) and `die`. TS wrote the actor
 * (id, image, labels; an open "Attributes" object) and where names live; the
 * monitor adds the action, the name the container has now, what only it
 * knows and the time, and appends the line in one O_APPEND write, which no
 * other writer of the journal can split.
 * OP_EVENTS: journal path, actor, names dir, id, name at create */
static void journal(const char *action, const char *extra) {
  const struct op *o = plan_find(&plan, OP_EVENTS);
  if (!o || o->argc < 5) return;
  char name[256];
  if (current_name(o->argv[2], o->argv[3], o->argv[4], name, sizeof name) < 0) snprintf(name, sizeof name, "%s", o->argv[4]);
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  char line[4096];
  int n = snprintf(line, sizeof line, "{\"Type\":\"container\",\"Action\":\"%s\",%s,\"name\":\"%s\"%s}},\"scope\":\"local\",\"time\":%lld,\"timeNano\":%lld%09ld}\n",
                   action, o->argv[1], name, extra, (long long)ts.tv_sec, (long long)ts.tv_sec, ts.tv_nsec);
  if (n <= 0 || n >= (int)sizeof line) return;
  int fd = open(o->argv[0], O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
  if (fd < 0) return;
  if (write(fd, line, (size_t)n) < 0) {}
  close(fd);
}

/* A --rm container's leases given back (OP_NET_RELEASE: the CLI sends them for
 * containers on the default network only, which has no peers' /etc/hosts or
 * DNS server to update), once its pin and rules are gone: each lease file is
 * renamed to its released name, as rm would (net/store.ts releaseLease), and
 * its network's "disconnect" event appended. Then rm has nothing of its
 * network left to do, and the attached CLI, told so, skips that part of it.
 * 0 (rm does it all) when there is no lease to give back or a rename fails. */
static int release_leases(void) {
  const struct op *ev = plan_find(&plan, OP_EVENTS);
  int released = 0;
  for (size_t i = 0; i < netplan.n; i++) {
    const struct op *r = &netplan.ops[i];
    if (r->kind != OP_NET_RELEASE || r->argc < 3) continue;
    if (rename(r->argv[0], r->argv[1]) < 0) return 0;
    released++;
    if (!ev) continue;
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    char line[2048];
    int n = snprintf(line, sizeof line, "%s,\"time\":%lld,\"timeNano\":%lld%09ld}\n", r->argv[2], (long long)ts.tv_sec, (long long)ts.tv_sec, ts.tv_nsec);
    if (n <= 0 || n >= (int)sizeof line) continue;
    int fd = open(ev->argv[0], O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
    if (fd < 0) continue;
    if (write(fd, line, (size_t)n) < 0) {}
    close(fd);
  }
  return released > 0;
}

/* The kernel's count of OOM kills in the container's memory cgroup ("oom_kill N"
 * in memory.oom_control or memory.events), or -1 when there is none to read.
 * The kernel counts a kill before it sends SIGKILL, so at our waitpid the
 * count already includes it. */
static long long oom_kills(void) {
  const struct op *o = plan_find(&plan, OP_OOM_COUNTER);
  char buf[512];
  int fd = o ? open(o->argv[0], O_RDONLY | O_CLOEXEC) : -1;
  if (fd < 0) return -1;
  ssize_t n = read(fd, buf, sizeof buf - 1);
  close(fd);
  if (n <= 0) return -1;
  buf[n] = 0;
  for (char *p = buf; (p = strstr(p, "oom_kill ")); p++)
    if (p == buf || p[-1] == '\n') return strtoll(p + 9, NULL, 10);
  return -1;
}

/* ---- json-file log: one line per output line, like Docker's json-file ---- */

struct stream {
  const char *name;
  int fd;          /* read end from the container */
  int out;         /* CLI fd to copy to, or -1 */
  char buf[16384]; /* an unfinished line */
  size_t len;
};

static void log_entry(const struct stream *s, const char *data, size_t len) {
  if (log_fd < 0) return;
  static char out[16384 * 6 + 256];
  char ts[64];
  fmt_time(ts, sizeof ts);
  size_t n = (size_t)snprintf(out, sizeof out, "{\"log\":\"");
  for (size_t i = 0; i < len; i++) {
    unsigned char c = (unsigned char)data[i];
    if (c == '"' || c == '\\') { out[n++] = '\\'; out[n++] = (char)c; }
    else if (c == '\n') { out[n++] = '\\'; out[n++] = 'n'; }
    else if (c == '\r') { out[n++] = '\\'; out[n++] = 'r'; }
    else if (c == '\t') { out[n++] = '\\'; out[n++] = 't'; }
    else if (c < 0x20) n += (size_t)snprintf(out + n, 8, "\\u%04x", c);
    else out[n++] = (char)c;
  }
  n += (size_t)snprintf(out + n, sizeof out - n, "\",\"stream\":\"%s\",\"time\":\"%s\"}\n", s->name, ts);
  (void)write_full(log_fd, out, n);
}

static void stream_feed(struct stream *s, const char *data, size_t len) {
  if (s->out >= 0 && write_full(s->out, data, len) < 0) s->out = -1;
  for (size_t i = 0; i < len; i++) {
    s->buf[s->len++] = data[i];
    if (data[i] == '\n' || s->len == sizeof s->buf) {
      log_entry(s, s->buf, s->len);
      s->len = 0;
    }
  }
}

static void stream_flush(struct stream *s) {
  if (s->len) log_entry(s, s->buf, s->len);
  s->len = 0;
}

/* returns 0 at EOF/EIO, 1 when data was read, -1 when nothing is there now */
static int stream_read(struct stream *s) {
  char buf[65536];
  ssize_t n = read(s->fd, buf, sizeof buf);
  if (n > 0) { stream_feed(s, buf, (size_t)n); return 1; }
  if (n < 0 && (errno == EAGAIN || errno == EINTR)) return -1;
  return 0;
}

static void set_nonblock(int fd) { fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK); }

static void copy_winsize(int master) {
  struct winsize ws;
  const struct op *w = plan_find(&plan, OP_WINSIZE);
  if (attach_in && isatty(0) && ioctl(0, TIOCGWINSZ, &ws) == 0) {
    ioctl(master, TIOCSWINSZ, &ws);
  } else if (w) {
    memset(&ws, 0, sizeof ws);
    ws.ws_row = (unsigned short)arg_ll(w, 0);
    ws.ws_col = (unsigned short)arg_ll(w, 1);
    ioctl(master, TIOCSWINSZ, &ws);
  }
}

static int join_cgroups(pid_t pid) {
  char buf[32];
  int n = snprintf(buf, sizeof buf, "%d", (int)pid);
  for (size_t i = 0; i < plan.n; i++) {
    const struct op *o = &plan.ops[i];
    if (o->kind != OP_CGROUP_JOIN) continue;
    if (write_file(o->argv[0], buf, (size_t)n) < 0) return (int)i;
  }
  return -1;
}

static int write_maps(pid_t pid) {
  char path[64];
  for (size_t i = 0; i < plan.n; i++) {
    const struct op *o = &plan.ops[i];
    if (o->kind != OP_UID_MAP && o->kind != OP_GID_MAP) continue;
    snprintf(path, sizeof path, "/proc/%d/%s", (int)pid, o->kind == OP_UID_MAP ? "uid_map" : "gid_map");
    if (write_file(path, o->argv[0], o->lens[0]) < 0) return (int)i;
  }
  return -1;
}

/* the monitor itself joins a pid namespace (exec, --pid container:X) so that
 * the init it clones is born inside it; and, with a new user namespace, the
 * network namespace ctr prepared: the init could not join it from inside its
 * own user namespace, which does not own it */
static int monitor_setns(void) {
  for (size_t i = 0; i < plan.n; i++) {
    const struct op *o = &plan.ops[i];
    if (o->kind != OP_SETNS) continue;
    int fd = open(o->argv[1], O_RDONLY | O_CLOEXEC);
    if (fd < 0 || setns(fd, 0) < 0) return (int)i;
    close(fd);
  }
  return -1;
}

/* --userns-remap: an idmapped clone of the rootfs for the init's new user
 * namespace (only a host-privileged process may make one), handed over the
 * sync socket; the init attaches it where the rootfs was. */
static int send_idmapped_rootfs(int sock, pid_t pid) {
  const struct op *o = plan_find(&plan, OP_IDMAP_ROOTFS);
  if (!o) return -1;
  int idx = (int)(o - plan.ops);
  char path[64];
  snprintf(path, sizeof path, "/proc/%d/ns/user", (int)pid);
  int userns = open(path, O_RDONLY | O_CLOEXEC);
  if (userns < 0) return idx;
  int tree = (int)syscall(SYS_open_tree_, AT_FDCWD, o->argv[0], 1 /* OPEN_TREE_CLONE */ | O_CLOEXEC | 0x8000 /* AT_RECURSIVE */);
  if (tree < 0) { close(userns); return idx; }
  struct { uint64_t attr_set, attr_clr, propagation, userns_fd; } attr = { 0x00100000 /* MOUNT_ATTR_IDMAP */, 0, 0, (uint64_t)userns };
  int r = (int)syscall(SYS_mount_setattr_, tree, "", 0x1000 /* AT_EMPTY_PATH */ | 0x8000, &attr, sizeof attr);
  int e = errno;
  close(userns);
  if (r < 0 || send_fd(sock, SYNC_ROOTFS, tree) < 0) { close(tree); errno = r < 0 ? e : errno; return idx; }
  close(tree);
  return -1;
}

/* OCI --console-socket: the pty master goes over the caller's unix socket
 * with SCM_RIGHTS, named as runc names it; the caller holds the terminal */
static int send_console(const char *path, int master) {
  struct sockaddr_un a = { .sun_family = AF_UNIX };
  if (strlen(path) >= sizeof a.sun_path) { errno = ENAMETOOLONG; return -1; }
  strcpy(a.sun_path, path);
  int s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (s < 0) return -1;
  /* runc sends the pty's name with it; conmon and the shim only take the fd */
  static const char name[] = "/dev/ptmx";
  int r = connect(s, (struct sockaddr *)&a, sizeof a) < 0 ? -1 : send_with_fd(s, name, sizeof name - 1, master);
  int e = errno;
  close(s);
  errno = e;
  return r < 0 ? -1 : 0;
}

struct run {
  pid_t pid;
  int status;
  int master; /* pty master or -1 */
};

/* OP_NETNS path files...: the init's network namespace, made by us rather
 * than by clone so that it outlives the init and can be wired meanwhile: on
 * the first start we make the files the init mounts (empty: the CLI fills
 * them), unshare a namespace and bind-mount it at the path; later starts
 * (restarts) join the pinned one. The init is cloned inside and we go back to
 * the host's (host_net, opened before), so nothing of ours (a --rm
 * `ctr rm`) runs in the container's. */
static int host_net = -1;

static int enter_netns(const struct op *o, int first) {
  if (host_net < 0 && (host_net = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC)) < 0) return -1;
  if (!first) {
    int fd = open(o->argv[0], O_RDONLY | O_CLOEXEC);
    if (fd < 0) return -1;
    int r = setns(fd, CLONE_NEWNET);
    close(fd);
    return r;
  }
  /* its directory, and the files the init mounts (the CLI fills them meanwhile, in place) */
  char dir[4096];
  snprintf(dir, sizeof dir, "%s", o->argv[0]);
  char *slash = strrchr(dir, '/');
  if (slash && slash != dir) {
    *slash = 0;
    if (mkdir(dir, 0755) < 0 && errno != EEXIST) return -1;
  }
  for (uint32_t i = 1; i < o->argc; i++) {
    int f = open(o->argv[i], O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
    if (f < 0) return -1;
    close(f);
  }
  if (unshare(CLONE_NEWNET) < 0) return -1;
  int fd = open(o->argv[0], O_WRONLY | O_CREAT | O_CLOEXEC, 0444);
  if (fd < 0) return -1;
  close(fd);
  return mount("/proc/self/ns/net", o->argv[0], NULL, MS_BIND, NULL);
}

static int leave_netns(void) {
  return host_net >= 0 ? setns(host_net, CLONE_NEWNET) : 0;
}

/* The first start of a container on a network of ctr's: the CLI sends the
 * network plan over the gate once it holds the leases (we wire it, in
 * parallel with the init's rootfs set-up), then one byte once the rest is
 * done (a DNS server, published ports). EOF instead: it failed, and says
 * why. Then the init may exec. */
static int pass_gate(int gate, const struct op *netns, int sock) {
  int gate_step = (int)(plan_find(&plan, OP_GATE) - plan.ops);
  struct plan np;
  if (plan_read_framed(gate, &np) < 0) { report("error %d %d\n", gate_step, errno); return -1; }
  if (np.n) {
    if (!netns) { report("error %d %d\n", gate_step, EINVAL); return -1; }
    netplan = np;
    int bad = net_wire(&np, netns->argv[0], &net_gen);
    if (bad != -1) { report("neterror %d %d\n", bad, errno); return -1; }
    report("wired\n");
    /* read back by rm (net/teardown.ts): the table is all this container's, dropped whole.
     * A --rm container's monitor drops it itself at the exit, from memory. */
    if (net_gen >= 0 && !plan_find(&plan, OP_ON_EXIT)) {
      char g[24];
      snprintf(g, sizeof g, "%lld", net_gen);
      state_write("nft-gen", g);
    }
  }
  char c;
  ssize_t n;
  do n = read(gate, &c, 1);
  while (n < 0 && errno == EINTR);
  if (n != 1) { report("error %d %d\n", gate_step, n == 0 ? ECANCELED : errno); return -1; }
  /* (if the init is gone, it failed a step before: the sync loop reads and reports which) */
  struct sync_msg go = { SYNC_GATE, 0, 0 };
  if (write(sock, &go, sizeof go) < 0 && errno != EPIPE) { report("error %d %d\n", gate_step, errno); return -1; }
  return 0;
}

/* clone the init and take it to execve; returns 0 when it runs */
static int start_init(struct run *r, unsigned long flags, struct child_stdio *io, const char *fifo, int first) {
  int sv[2];
  if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0) { report("error -1 %d\n", errno); return -1; }
  const struct op *netns = plan_find(&plan, OP_NETNS);
  if (netns && enter_netns(netns, first) < 0) {
    report("error %d %d\n", (int)(netns - plan.ops), errno);
    leave_netns();
    return -1;
  }
  pid_t pid = (pid_t)syscall(SYS_clone, flags | SIGCHLD, 0, 0, 0, 0);
  if (pid == 0) {
    close(sv[0]);
    child_main(&plan, sv[1], io, fifo);
  }
  int clone_err = errno;
  if (netns && leave_netns() < 0) {
    /* we must not stay in the container's namespace: give up on this start */
    report("error %d %d\n", (int)(netns - plan.ops), errno);
    if (pid > 0) { kill(pid, SIGKILL); waitpid(pid, NULL, 0); }
    return -1;
  }
  errno = clone_err;
  if (pid < 0) { report("error -2 %d\n", errno); return -1; }
  close(sv[1]);
  r->pid = pid;
  r->master = -1;
  int bad = write_maps(pid);
  if (bad < 0) bad = join_cgroups(pid);
  if (bad < 0) bad = send_idmapped_rootfs(sv[0], pid);
  if (bad >= 0) {
    report("error %d %d\n", bad, errno);
    kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);
    close(sv[0]);
    return -1;
  }
  struct sync_msg go = { SYNC_GO, 0, 0 };
  if (write(sv[0], &go, sizeof go) < 0) { report("error -1 %d\n", errno); return -1; }
  if (io->gate >= 0 && pass_gate(io->gate, netns, sv[0]) < 0) {
    kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);
    close(sv[0]);
    return -1;
  }
  for (;;) {
    struct sync_msg m;
    int fd = -1;
    ssize_t n = sync_recv(sv[0], &m, &fd);
    if (n == 0) break; /* closed by execve: the command runs */
    if (n < 0) { report("error -1 %d\n", errno); break; }
    if (m.kind == SYNC_ERR) {
      report("error %d %d\n", m.step, m.err);
      waitpid(pid, NULL, 0);
      close(sv[0]);
      return -1;
    }
    if (m.kind == SYNC_READY) {
      char js[256];
      snprintf(js, sizeof js, "{\"pid\":%d,\"starttime\":%llu,\"created\":true}\n", (int)pid, proc_starttime(pid));
      state_write("init.json", js);
      report("created %d\n", (int)pid);
    }
    if (m.kind == SYNC_PTY && console_op) {
      int ok = send_console(console_op->argv[0], fd);
      close(fd);
      if (ok < 0) {
        report("error %d %d\n", (int)(console_op - plan.ops), errno);
        kill(pid, SIGKILL);
        waitpid(pid, NULL, 0);
        close(sv[0]);
        return -1;
      }
    } else if (m.kind == SYNC_PTY) r->master = fd;
  }
  close(sv[0]);
  return 0;
}

/* Restore mode: `criu restore --restore-detached --restore-sibling` runs as
 * our child, so the tree it restores (cloned with CLONE_PARENT) is our child
 * as a started init would be: we hold its stdio, reap it and record its exit.
 * CRIU's fds 3.. are what OP_INHERIT_FD lists in order (our new stdio pipes,
 * the prepared network namespace), matching the --inherit-fd options TS put
 * in its argv. A failure is reported as "error -4 STATUS" (CRIU's exit status,
 * or 128+signal); TS reads CRIU's log for the reason. */
static int start_restored(struct run *r, const struct child_stdio *io) {
  const struct op *c = plan_find(&plan, OP_CRIU_RESTORE);
  if (!c || c->argc < 2) { report("error -1 %d\n", EINVAL); return -1; }
  pid_t pid = fork();
  if (pid < 0) { report("error -2 %d\n", errno); return -1; }
  if (pid == 0) {
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    for (int s = 1; s < 32; s++) signal(s, SIG_DFL);
    /* every source first goes above the targets, so no dup2 overwrites one still needed */
    int src[16], n = 0;
    for (size_t i = 0; i < plan.n && n < 16; i++) {
      const struct op *o = &plan.ops[i];
      if (o->kind != OP_INHERIT_FD) continue;
      const char *w = o->argv[0];
      int fd = !strcmp(w, "stdin") ? io->in : !strcmp(w, "stdout") ? io->out : !strcmp(w, "stderr") ? io->err
             : open(w, O_RDONLY | O_CLOEXEC);
      if (fd < 0 || (src[n++] = fcntl(fd, F_DUPFD_CLOEXEC, 100)) < 0) _exit(126);
    }
    for (int i = 0; i < n; i++)
      if (dup2(src[i], 3 + i) < 0) _exit(126);
    /* nothing else of ours reaches CRIU, and through it the container */
    if (syscall(SYS_close_range_, 3 + n, ~0U, CLOSE_RANGE_CLOEXEC) < 0) _exit(126);
    char *env[] = { NULL };
    execve(c->argv[1], c->argv + 1, env);
    _exit(127);
  }
  int st = 0;
  while (waitpid(pid, &st, 0) < 0 && errno == EINTR) {}
  if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) { report("error -4 %d\n", WIFEXITED(st) ? WEXITSTATUS(st) : 128 + (WIFSIGNALED(st) ? WTERMSIG(st) : 0)); return -1; }
  char buf[32] = {0};
  int fd = open(c->argv[0], O_RDONLY | O_CLOEXEC);
  ssize_t k = fd < 0 ? -1 : read(fd, buf, sizeof buf - 1);
  if (fd >= 0) close(fd);
  r->pid = k > 0 ? (pid_t)strtol(buf, NULL, 10) : 0;
  state_unlink("exit.json");
  r->master = -1;
  /* the restored init must be ours to wait for (CLONE_PARENT did it), else we could never report its exit */
  siginfo_t si;
  if (r->pid <= 0 || waitid(P_PID, (id_t)r->pid, &si, WEXITED | WNOHANG | WNOWAIT) < 0) {
    if (r->pid > 0) kill(r->pid, SIGKILL);
    report("error -5 %d\n", ECHILD);
    return -1;
  }
  return 0;
}

static int exit_code(int status) {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return 255;
}

/* relays stdio until the init exits; returns its wait status */
static int relay(struct run *r, struct stream *out, struct stream *err, int in_fd, int sfd) {
  struct stream pty = { "stdout", -1, attach_out ? 1 : -1, {0}, 0 };
  if (r->master >= 0) {
    pty.fd = r->master;
    set_nonblock(r->master);
    copy_winsize(r->master);
    out = &pty;
    err = NULL;
    in_fd = r->master;
  }
  int stdin_open = attach_in && in_fd >= 0;
  for (;;) {
    struct pollfd p[4];
    int n = 0;
    p[n++] = (struct pollfd){ sfd, POLLIN, 0 };
    int io = n;
    if (out && out->fd >= 0) p[n++] = (struct pollfd){ out->fd, POLLIN, 0 };
    int ie = n;
    if (err && err->fd >= 0) p[n++] = (struct pollfd){ err->fd, POLLIN, 0 };
    int ii = n;
    if (stdin_open) p[n++] = (struct pollfd){ 0, POLLIN, 0 };
    if (poll(p, (nfds_t)n, -1) < 0) {
      if (errno == EINTR) continue;
      break;
    }
    if (out && out->fd >= 0 && io < n && p[io].revents && stream_read(out) == 0) {
      if (out == &pty) { close(pty.fd); pty.fd = -1; } /* EIO: every slave closed */
      else { close(out->fd); out->fd = -1; }
    }
    if (err && err->fd >= 0 && ie < n && p[ie].revents && stream_read(err) == 0) { close(err->fd); err->fd = -1; }
    if (stdin_open && ii < n && p[ii].revents) {
      char buf[65536];
      ssize_t k = read(0, buf, sizeof buf);
      if (k > 0) (void)write_full(in_fd, buf, (size_t)k);
      else if (k == 0 || errno != EINTR) {
        stdin_open = 0;
        if (in_fd != r->master) close(in_fd); /* EOF reaches the container */
      }
    }
    if (p[0].revents) {
      struct signalfd_siginfo si;
      while (read(sfd, &si, sizeof si) == sizeof si) {
        if (si.ssi_signo == SIGWINCH && r->master >= 0) copy_winsize(r->master);
        if (si.ssi_signo == SIGTERM) kill(r->pid, SIGTERM);
      }
      int st;
      if (waitpid(r->pid, &st, WNOHANG) == r->pid) {
        /* drain what the init wrote before it died */
        if (out && out->fd >= 0) while (stream_read(out) == 1) {}
        if (err && err->fd >= 0) while (stream_read(err) == 1) {}
        if (out) stream_flush(out);
        if (err) stream_flush(err);
        if (pty.fd >= 0) close(pty.fd);
        /* reap whatever else the init left us (--pid host) */
        while (waitpid(-1, NULL, WNOHANG) > 0) {}
        return st;
      }
    }
  }
  int st = 0;
  waitpid(r->pid, &st, 0);
  return st;
}

/* --rm: an attached CLI removes the container itself (no second process
 * start); we wait until it lets go of the report fd, and clean up only if the
 * CLI went away (detached, or killed) and the state is still there. */
static int cli_gone_without_cleanup(void) {
  if (report_fd >= 0) {
    struct pollfd p = { report_fd, 0, 0 };
    while (poll(&p, 1, -1) < 0 && errno == EINTR) {}
    close(report_fd);
    report_fd = -1;
  }
  return state_dir && access(state_dir, F_OK) == 0;
}

static int should_restart(int code, int restarts) {
  const struct op *o = plan_find(&plan, OP_RESTART);
  if (!o || state_exists("stopped")) return 0;
  const char *name = o->argv[0];
  if (!strcmp(name, "always") || !strcmp(name, "unless-stopped")) return 1;
  if (!strcmp(name, "on-failure")) {
    long long max = arg_ll(o, 1);
    return code != 0 && (max == 0 || restarts < max);
  }
  return 0;
}

int main(void) {
  signal(SIGPIPE, SIG_IGN);
  fcntl(PLAN_FD, F_SETFD, FD_CLOEXEC);
  fcntl(REPORT_FD, F_SETFD, FD_CLOEXEC);
  if (plan_read(PLAN_FD, &plan) < 0) { report("error -3 %d\n", errno); return 125; }
  close(PLAN_FD);

  const struct op *o;
  int exec_mode = (o = plan_find(&plan, OP_MODE)) && !strcmp(o->argv[0], "exec");
  int restore_mode = (o = plan_find(&plan, OP_MODE)) && !strcmp(o->argv[0], "restore");
  unsigned long flags = (o = plan_find(&plan, OP_CLONE_FLAGS)) ? (unsigned long)arg_ll(o, 0) : 0;
  state_dir = (o = plan_find(&plan, OP_STATE_DIR)) ? o->argv[0] : NULL;
  const char *fifo = (o = plan_find(&plan, OP_EXEC_FIFO)) ? o->argv[0] : NULL;
  console_op = plan_find(&plan, OP_CONSOLE_SOCKET);
  int tty = (o = plan_find(&plan, OP_STDIO)) && !strcmp(o->argv[0], "tty");
  /* "inherit" (OCI runtime mode): the init gets our stdio as is, and we leave
   * once it runs, so the caller (conmon, containerd's shim), a subreaper,
   * reaps it and learns its status, as with runc */
  int inherit = (o = plan_find(&plan, OP_STDIO)) && !strcmp(o->argv[0], "inherit");
  if ((o = plan_find(&plan, OP_ATTACH)))
    for (uint32_t i = 0; i < o->argc; i++) {
      if (!strcmp(o->argv[i], "stdin")) attach_in = 1;
      if (!strcmp(o->argv[i], "stdout")) attach_out = 1;
      if (!strcmp(o->argv[i], "stderr")) attach_err = 1;
    }

  /* our own session: a Ctrl-C meant for the CLI's process group is not ours */
  setsid();
  int devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
  if (!attach_in) dup2(devnull, 0);
  if (!attach_out) dup2(devnull, 1);
  if (!attach_err) dup2(devnull, 2);
  if ((o = plan_find(&plan, OP_LOG_PATH)))
    log_fd = open(o->argv[0], O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);

  sigset_t mask;
  sigemptyset(&mask);
  sigaddset(&mask, SIGCHLD);
  sigaddset(&mask, SIGWINCH);
  sigaddset(&mask, SIGTERM);
  sigprocmask(SIG_BLOCK, &mask, NULL);
  int sfd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
  signal(SIGINT, SIG_IGN);
  signal(SIGHUP, SIG_IGN);
  signal(SIGQUIT, SIG_IGN);

  int bad = monitor_setns();
  if (bad >= 0) { report("error %d %d\n", bad, errno); return 125; }

  /* stdio pipes stay open here across restarts; EOF is not how we learn of an exit */
  int pin[2] = { -1, -1 }, pout[2] = { -1, -1 }, perr[2] = { -1, -1 };
  /* in a user namespace of its own or joined: the init becomes its root */
  int joined_user = 0;
  for (size_t i = 0; i < plan.n; i++)
    if (plan.ops[i].kind == OP_SETNS && strcmp(plan.ops[i].argv[0], "user") == 0) joined_user = 1;
  struct child_stdio io = { devnull, -1, -1, (flags & CLONE_NEWUSER) != 0 || joined_user, -1 };
  if ((o = plan_find(&plan, OP_GATE))) {
    io.gate = (int)arg_ll(o, 0);
    fcntl(io.gate, F_SETFD, FD_CLOEXEC);
  }
  if (inherit) io.in = -1;
  if (!tty && !inherit) {
    /* stdin is a pipe even when nothing is attached (its write end closed at
     * once: reads see EOF, as from /dev/null): the container then holds no
     * file of the host's mount namespace, so CRIU can dump it and hand a new
     * pipe back on restore (--inherit-fd) */
    if (pipe2(pin, O_CLOEXEC) < 0) { report("error -1 %d\n", errno); return 125; }
    io.in = pin[0];
    if (!attach_in) { close(pin[1]); pin[1] = -1; }
    if (pipe2(pout, O_CLOEXEC) < 0 || pipe2(perr, O_CLOEXEC) < 0) { report("error -1 %d\n", errno); return 125; }
    io.out = pout[1];
    io.err = perr[1];
    set_nonblock(pout[0]);
    set_nonblock(perr[0]);
  }
  struct stream out = { "stdout", pout[0], attach_out ? 1 : -1, {0}, 0 };
  struct stream err = { "stderr", perr[0], attach_err ? 2 : -1, {0}, 0 };

  int restarts = 0;
  long backoff_ms = 100;
  for (;;) {
    struct run r;
    /* a failed restore keeps the exit of the run that was checkpointed */
    if (state_dir && !restore_mode) state_unlink("exit.json");
    long long oom_before = oom_kills();
    if ((restore_mode ? start_restored(&r, &io) : start_init(&r, flags, &io, fifo, restarts == 0)) < 0) {
      if (restarts == 0) return 125;
      break;
    }
    /* the init has passed the gate: restarts find the network ready */
    if (io.gate >= 0) close(io.gate);
    io.gate = -1;
    char ts[64], js[512];
    fmt_time(ts, sizeof ts);
    snprintf(js, sizeof js,
             "{\"pid\":%d,\"starttime\":%llu,\"monitorPid\":%d,\"startedAt\":\"%s\",\"restartCount\":%d}\n",
             (int)r.pid, proc_starttime(r.pid), (int)getpid(), ts, restarts);
    if (!exec_mode) state_write("init.json", js);
    /* a created init waits on exec.fifo: its `start` is journalled by `ctr start` */
    if (!exec_mode && (!fifo || restarts > 0)) journal("start", "");
    report("pid %d\n", (int)r.pid);
    if (inherit) return 0;
    time_t began = time(NULL);

    int st = relay(&r, tty ? NULL : &out, tty ? NULL : &err, pin[1], sfd);
    int code = exit_code(st);
    /* --rm on a network of ctr's: its kernel side goes now, from here, before the exit is
     * told: the pin, and ctr's table if this container's batch made it and nothing changed
     * since (a restore's generation is in nft-gen, where rm then finds "dropped") */
    int undone = 0;
    if (!exec_mode && (o = plan_find(&plan, OP_NETNS)) && plan_find(&plan, OP_ON_EXIT)) {
      char g[32] = "";
      int from_file = net_gen < 0 && state_read("nft-gen", g, sizeof g) > 0;
      int dropped = net_unwire(o->argv[0], from_file ? atoll(g) : net_gen);
      if (dropped && from_file) state_write("nft-gen", "dropped");
      /* no rule of its own left anywhere: its leases can go too (below) */
      undone = dropped || !plan_find(&netplan, OP_NET_NFT);
    }
    fmt_time(ts, sizeof ts);
    int oom = oom_before >= 0 && oom_kills() > oom_before;
    snprintf(js, sizeof js, "{\"exitCode\":%d,\"signal\":%d,\"finishedAt\":\"%s\",\"restartCount\":%d,\"oomKilled\":%s}\n", code,
             WIFSIGNALED(st) ? WTERMSIG(st) : 0, ts, restarts, oom ? "true" : "false");
    if (!exec_mode) state_write("exit.json", js);
    char extra[96];
    snprintf(extra, sizeof extra, ",\"execDuration\":\"%ld\",\"exitCode\":\"%d\"", (long)(time(NULL) - began), code);
    if (!exec_mode) journal("die", extra);
    /* the third number: 1 when nothing of its network is left for rm (see release_leases) */
    undone = undone && release_leases();
    report("exit %d %d %d\n", code, WIFSIGNALED(st) ? WTERMSIG(st) : 0, undone);
    if (exec_mode || !should_restart(code, restarts)) {
      /* --rm: become `ctr rm` ourselves, so removal happens even when no CLI is
       * left; the report fd stays open until it is done */
      if ((o = plan_find(&plan, OP_ON_EXIT)) && cli_gone_without_cleanup()) {
        char **argv = calloc(o->argc + 1, sizeof(char *));
        for (uint32_t i = 0; i < o->argc; i++) argv[i] = o->argv[i];
        execv(argv[0], argv);
      }
      return exec_mode ? code : 0;
    }
    restarts++;
    if (time(NULL) - began > 10) backoff_ms = 100;
    /* the back-off waits on the signalfd, so a `stop` (SIGTERM to us) cuts it short */
    struct pollfd bp = { sfd, POLLIN, 0 };
    if (poll(&bp, 1, (int)backoff_ms) > 0) {
      struct signalfd_siginfo si;
      while (read(sfd, &si, sizeof si) == sizeof si) {}
    }
    if (backoff_ms < 60000) backoff_ms *= 2;
    /* a `stop` or `rm` during the back-off: the decision to restart no longer holds */
    if (state_exists("stopped")) break;
  }
  return 0;
}
