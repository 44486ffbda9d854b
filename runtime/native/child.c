/*
 * The container's init, between clone() and execve(): performs the Plan's
 * init steps in order. Any failure is reported as (step index, errno) on the
 * sync socket and the process exits; TypeScript turns that into a message.
 * Nothing here decides anything.
 */
#define _GNU_SOURCE
#include "child.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <net/if.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <time.h>
#include <termios.h>
#include <unistd.h>

#ifndef PR_CAP_AMBIENT
#define PR_CAP_AMBIENT 47
#define PR_CAP_AMBIENT_RAISE 2
#define PR_CAP_AMBIENT_CLEAR_ALL 4
#endif

struct open_how_ {
  uint64_t flags, mode, resolve;
};

static int sync_fd = -1;
static int root_fd = -1;
static char **env_list;
static char **argv_list;
static int fifo_fd = -1;
static int gated; /* the first start of a container whose network the CLI wires: OP_GATE waits */
static int preserve_fds; /* OCI --preserve-fds: the runtime's fds 3.. arrive at PRESERVED_BASE.. */
static int idmapped_root = -1;

static _Noreturn void fail(int step, int err) {
  struct sync_msg m = { SYNC_ERR, step, err };
  (void)!write(sync_fd, &m, sizeof m);
  _exit(1);
}

static int openat2_(int dir, const char *path, int flags, mode_t mode) {
  struct open_how_ how = { (uint64_t)(flags | O_CLOEXEC), mode, RESOLVE_IN_ROOT_ | RESOLVE_NO_MAGICLINKS_ };
  return (int)syscall(SYS_openat2_, dir, path, &how, sizeof how);
}

/* mkdir -p of a path inside the rootfs; symlinks resolve inside the root, so
 * nothing outside it can be created or reached. From the end: a path that is
 * there costs one lookup, a missing leaf under an existing parent three. */
static int mkdir_in_root(const char *path) {
  int fd = openat2_(root_fd, path, O_PATH | O_DIRECTORY, 0);
  if (fd >= 0) { close(fd); return 0; }
  if (errno != ENOENT) return -1;
  char buf[4096];
  size_t len = strlen(path);
  if (len >= sizeof buf) { errno = ENAMETOOLONG; return -1; }
  memcpy(buf, path, len + 1);
  while (len > 1 && buf[len - 1] == '/') buf[--len] = 0;
  char *slash = strrchr(buf, '/');
  if (!slash || !slash[1]) { errno = EINVAL; return -1; }
  *slash = 0;
  const char *parent = *buf ? buf : "/";
  int dir = openat2_(root_fd, parent, O_PATH | O_DIRECTORY, 0);
  if (dir < 0) {
    if (errno != ENOENT || mkdir_in_root(parent) < 0) return -1;
    dir = openat2_(root_fd, parent, O_PATH | O_DIRECTORY, 0);
    if (dir < 0) return -1;
  }
  int r = mkdirat(dir, slash + 1, 0755);
  close(dir);
  return r < 0 && errno != EEXIST ? -1 : 0;
}

static int parent_in_root(const char *path, const char **base) {
  char buf[4096];
  snprintf(buf, sizeof buf, "%s", path);
  char *slash = strrchr(buf, '/');
  if (!slash) { errno = EINVAL; return -1; }
  *base = path + (slash - buf) + 1;
  *slash = 0;
  if (mkdir_in_root(*buf ? buf : "/") < 0) return -1;
  return openat2_(root_fd, *buf ? buf : "/", O_PATH | O_DIRECTORY, 0);
}

/* Opens a mount target inside the rootfs (creating it as asked) as O_PATH. */
static int target_fd(const char *target, const char *create) {
  if (strcmp(create, "dir") == 0) {
    if (mkdir_in_root(target) < 0) return -1;
  } else if (strcmp(create, "file") == 0) {
    const char *base;
    int parent = parent_in_root(target, &base);
    if (parent < 0) return -1;
    int fd = openat(parent, base, O_CREAT | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, 0644);
    int e = errno;
    close(parent);
    if (fd < 0 && e != EISDIR && e != ELOOP) { errno = e; return -1; }
    if (fd >= 0) close(fd);
  }
  return openat2_(root_fd, target, O_PATH, 0);
}

static void fdpath(char *out, size_t n, int fd) { snprintf(out, n, "/proc/self/fd/%d", fd); }

/* mount flags that a bind remount must keep (the kernel refuses to drop locked ones) */
static unsigned long kept_flags(const char *path) {
  struct statvfs s;
  unsigned long f = 0;
  if (statvfs(path, &s) < 0) return 0;
  if (s.f_flag & ST_NOSUID) f |= MS_NOSUID;
  if (s.f_flag & ST_NODEV) f |= MS_NODEV;
  if (s.f_flag & ST_NOEXEC) f |= MS_NOEXEC;
  return f;
}

static int do_mount(const struct op *o) {
  const char *src = o->argv[0], *target = o->argv[1], *fstype = o->argv[2], *data = o->argv[4];
  unsigned long flags = (unsigned long)strtoull(o->argv[3], NULL, 10);
  int fd = target_fd(target, o->argv[5]);
  if (fd < 0) return -1;
  char p[64];
  fdpath(p, sizeof p, fd);
  unsigned long first = flags;
  if (flags & MS_BIND) first = flags & (MS_BIND | MS_REC);
  int r = mount(*src ? src : NULL, p, *fstype ? fstype : NULL, first, *data ? data : NULL);
  close(fd);
  if (r < 0) return -1;
  /* a bind mount takes ro/nosuid/... only through a remount of the new mount */
  if ((flags & MS_BIND) && (flags & (MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC))) {
    fd = openat2_(root_fd, target, O_PATH, 0);
    if (fd < 0) return -1;
    fdpath(p, sizeof p, fd);
    unsigned long keep = kept_flags(p);
    r = mount(NULL, p, NULL, (flags & ~MS_REC) | MS_REMOUNT | keep, NULL);
    close(fd);
    if (r < 0) return -1;
  }
  return 0;
}

static int do_mknod(const struct op *o) {
  const char *base;
  int parent = parent_in_root(o->argv[0], &base);
  if (parent < 0) return -1;
  mode_t type = o->argv[1][0] == 'b' ? S_IFBLK : S_IFCHR;
  dev_t dev = makedev((unsigned)arg_ll(o, 2), (unsigned)arg_ll(o, 3));
  /* O_PATH dirfds work for mknodat only via the fd path */
  char p[64];
  fdpath(p, sizeof p, parent);
  int dfd = open(p, O_DIRECTORY | O_CLOEXEC);
  close(parent);
  if (dfd < 0) return -1;
  int r = mknodat(dfd, base, type | (mode_t)arg_ll(o, 4), dev);
  if (r == 0) r = fchmodat(dfd, base, (mode_t)arg_ll(o, 4), 0);
  if (r == 0) r = fchownat(dfd, base, (uid_t)arg_ll(o, 5), (gid_t)arg_ll(o, 6), AT_SYMLINK_NOFOLLOW);
  int e = errno;
  close(dfd);
  errno = e;
  return r;
}

static int do_symlink(const struct op *o) {
  const char *base;
  int parent = parent_in_root(o->argv[0], &base);
  if (parent < 0) return -1;
  char p[64];
  fdpath(p, sizeof p, parent);
  int dfd = open(p, O_DIRECTORY | O_CLOEXEC);
  close(parent);
  if (dfd < 0) return -1;
  int r = symlinkat(o->argv[1], dfd, base);
  int e = errno;
  close(dfd);
  errno = e;
  return r < 0 && e == EEXIST ? 0 : r;
}

static int do_bind_dev(const struct op *o) {
  int fd = target_fd(o->argv[1], "file");
  if (fd < 0) return -1;
  char p[64];
  fdpath(p, sizeof p, fd);
  int r = mount(o->argv[0], p, NULL, MS_BIND, NULL);
  close(fd);
  return r;
}

/*
 * The mount that holds path: the longest mount point in mountinfo that is a
 * prefix of it (on a component boundary). Mount points with spaces and such
 * come escaped (\040) and are compared as such, which only misses such paths.
 */
static int holding_mount(const char *path, char *out, size_t outlen) {
  int fd = open("/proc/self/mountinfo", O_RDONLY | O_CLOEXEC);
  if (fd < 0) return -1;
  static char buf[1 << 16];
  size_t len = 0;
  ssize_t n;
  while (len < sizeof buf - 1 && (n = read(fd, buf + len, sizeof buf - 1 - len)) > 0) len += (size_t)n;
  close(fd);
  buf[len] = 0;
  size_t best = 0;
  snprintf(out, outlen, "/");
  for (char *line = buf; line && *line;) {
    char *next = strchr(line, '\n');
    if (next) *next++ = 0;
    /* id parent major:minor root mountpoint ... */
    char *f = line;
    for (int i = 0; i < 4 && f; i++) f = strchr(f + 1, ' ');
    if (f) {
      f++;
      char *end = strchr(f, ' ');
      size_t l = end ? (size_t)(end - f) : strlen(f);
      int prefix = l == 1 ? 1 : strncmp(path, f, l) == 0 && (path[l] == '/' || path[l] == 0);
      if (prefix && l >= best && l < outlen) {
        best = l;
        memcpy(out, f, l);
        out[l] = 0;
      }
    }
    line = next;
  }
  return 0;
}

/* the propagation the tree was given before the rootfs (OP_PROPAGATION without a path) */
static unsigned long tree_propagation = MS_SLAVE | MS_REC;

static int do_rootfs(const struct op *o) {
  /* with a shared tree (rootfsPropagation shared, an rshared volume) the
   * mount holding the rootfs goes private (in this namespace only), as runc
   * does: a bind below a shared parent would propagate, and pivot_root
   * refuses a shared parent. A slave or private tree needs no such step. */
  if (tree_propagation & MS_SHARED) {
    char parent[4096];
    if (holding_mount(o->argv[0], parent, sizeof parent) < 0) return -1;
    if (mount(NULL, parent, NULL, MS_PRIVATE, NULL) < 0) return -1;
  }
  if (idmapped_root >= 0) {
    /* the monitor's idmapped clone of the rootfs: attach it over the path */
    if (syscall(SYS_move_mount_, idmapped_root, "", AT_FDCWD, o->argv[0], 0x4 /* MOVE_MOUNT_F_EMPTY_PATH */) < 0) return -1;
    close(idmapped_root);
    idmapped_root = -1;
  } else if (mount(o->argv[0], o->argv[0], NULL, MS_BIND | MS_REC, NULL) < 0) {
    return -1;
  }
  /* pivot_root refuses a shared new root */
  if (mount(NULL, o->argv[0], NULL, MS_PRIVATE, NULL) < 0) return -1;
  root_fd = open(o->argv[0], O_PATH | O_DIRECTORY | O_CLOEXEC);
  return root_fd < 0 ? -1 : 0;
}

static int do_pivot(void) {
  int old = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (old < 0) return -1;
  if (fchdir(root_fd) < 0) return -1;
  /* pivot_root(".", ".") stacks the old root on top of the new one; detaching
   * it leaves only the new root, without needing a put_old directory */
  if (syscall(SYS_pivot_root_, ".", ".") < 0) return -1;
  /* the old tree goes rslave first, so that detaching it unmounts nothing on
   * the host (it may hold the host's shared peers). Through the fd: mount(2)
   * on "." would reach the new root and turn the container's own tree slave,
   * undoing an rshared volume */
  struct { uint64_t attr_set, attr_clr, propagation, userns_fd; } attr = { 0, 0, MS_SLAVE, 0 };
  if (syscall(SYS_mount_setattr_, old, "", 0x1000 /* AT_EMPTY_PATH */ | 0x8000 /* AT_RECURSIVE */, &attr, sizeof attr) < 0) return -1;
  close(old);
  if (umount2(".", MNT_DETACH) < 0) return -1;
  if (chdir("/") < 0) return -1;
  close(root_fd);
  root_fd = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
  return 0;
}

static int do_mask(const char *path) {
  struct stat st;
  if (stat(path, &st) < 0) return errno == ENOENT ? 0 : -1;
  if (S_ISDIR(st.st_mode)) return mount("tmpfs", path, "tmpfs", MS_RDONLY, "size=0k");
  return mount("/dev/null", path, NULL, MS_BIND, NULL);
}

static int do_readonly(const char *path) {
  struct stat st;
  if (stat(path, &st) < 0) return errno == ENOENT ? 0 : -1;
  if (mount(path, path, NULL, MS_BIND | MS_REC, NULL) < 0) return -1;
  return mount(NULL, path, NULL, MS_BIND | MS_REMOUNT | MS_RDONLY | kept_flags(path), NULL);
}

static int do_lo_up(void) {
  int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (s < 0) return -1;
  struct ifreq ifr;
  memset(&ifr, 0, sizeof ifr);
  strcpy(ifr.ifr_name, "lo");
  int r = ioctl(s, SIOCGIFFLAGS, &ifr);
  if (r == 0) {
    ifr.ifr_flags |= IFF_UP;
    r = ioctl(s, SIOCSIFFLAGS, &ifr);
  }
  int e = errno;
  close(s);
  errno = e;
  return r;
}

static int do_sysctl(const struct op *o) {
  char path[512];
  snprintf(path, sizeof path, "/proc/sys/%s", o->argv[0]);
  return write_file(path, o->argv[1], strlen(o->argv[1]));
}

static int do_rlimit(const struct op *o) {
  struct rlimit r;
  long long soft = arg_ll(o, 1), hard = arg_ll(o, 2);
  r.rlim_cur = soft < 0 ? RLIM_INFINITY : (rlim_t)soft;
  r.rlim_max = hard < 0 ? RLIM_INFINITY : (rlim_t)hard;
  return setrlimit((int)arg_ll(o, 0), &r);
}

static int do_user(const struct op *o) {
  gid_t groups[256];
  int ng = 0;
  char *s = o->argv[2];
  while (*s && ng < 256) {
    groups[ng++] = (gid_t)strtoul(s, &s, 10);
    if (*s == ',') s++;
  }
  if (setgroups((size_t)ng, groups) < 0) return -1;
  /* keep the permitted set across setuid; OP_CAPSET then says what stays */
  if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0) return -1;
  gid_t gid = (gid_t)arg_ll(o, 1);
  uid_t uid = (uid_t)arg_ll(o, 0);
  if (setresgid(gid, gid, gid) < 0) return -1;
  if (setresuid(uid, uid, uid) < 0) return -1;
  return 0;
}

static int do_bounding(const struct op *o) {
  unsigned long long keep = arg_hex(o, 0);
  for (int c = 0; c < 64; c++) {
    if (keep & (1ULL << c)) continue;
    if (prctl(PR_CAPBSET_DROP, c, 0, 0, 0) < 0) {
      if (errno == EINVAL) break; /* past the kernel's last capability */
      return -1;
    }
  }
  return 0;
}

static int do_capset(const struct op *o) {
  struct { uint32_t version; int pid; } hdr = { 0x20080522, 0 }; /* _LINUX_CAPABILITY_VERSION_3 */
  struct { uint32_t effective, permitted, inheritable; } data[2];
  unsigned long long e = arg_hex(o, 0), p = arg_hex(o, 1), i = arg_hex(o, 2), a = arg_hex(o, 3);
  data[0].effective = (uint32_t)e; data[1].effective = (uint32_t)(e >> 32);
  data[0].permitted = (uint32_t)p; data[1].permitted = (uint32_t)(p >> 32);
  data[0].inheritable = (uint32_t)i; data[1].inheritable = (uint32_t)(i >> 32);
  if (syscall(SYS_capset_, &hdr, data) < 0) return -1;
  if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 && errno != EINVAL) return -1;
  for (int c = 0; c < 64; c++)
    if ((a & (1ULL << c)) && prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, c, 0, 0) < 0) return -1;
  return 0;
}

static int do_seccomp(const struct op *o) {
  struct { unsigned short len; void *filter; } prog = { (unsigned short)(o->lens[0] / 8), o->argv[0] };
  /* SECCOMP_SET_MODE_FILTER = 1, flag TSYNC not needed: single threaded */
  return (int)syscall(SYS_seccomp_, 1, 0, &prog);
}

static int do_pty(const struct op *o) {
  int master = open("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (master < 0) return -1;
  int unlock = 0, n;
  if (ioctl(master, TIOCSPTLCK, &unlock) < 0 || ioctl(master, TIOCGPTN, &n) < 0) return -1;
  char path[64];
  snprintf(path, sizeof path, "/dev/pts/%d", n);
  int slave = open(path, O_RDWR | O_NOCTTY);
  if (slave < 0) return -1;
  if (o->argc > 0 && strcmp(o->argv[0], "console") == 0) {
    int fd = open("/dev/console", O_CREAT | O_WRONLY | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd >= 0) close(fd);
    if (mount(path, "/dev/console", NULL, MS_BIND, NULL) < 0) return -1;
  }
  if (send_fd(sync_fd, SYNC_PTY, master) < 0) return -1;
  close(master);
  if (ioctl(slave, TIOCSCTTY, 0) < 0) return -1;
  for (int i = 0; i < 3; i++)
    if (dup2(slave, i) < 0) return -1;
  if (slave > 2) close(slave);
  return 0;
}

/*
 * OCI createContainer/startContainer hooks, run by the init in the
 * container's namespaces: the hook gets the state JSON on stdin, with the pid
 * as /proc/self names it (the host's before pivot_root, the container's after),
 * and must finish within its timeout. A failure is reported as the hook step
 * with errno HOOK_FAILED + exit status (or ETIMEDOUT), decoded in runtime/errors.ts.
 */
#define HOOK_FAILED 0x10000
static const struct op *start_hooks[64];
static int start_hook_steps[64];
static int n_start_hooks;

static int run_hook(const struct op *o) {
  if (o->argc < 6) { errno = EINVAL; return -1; }
  unsigned nargs = (unsigned)atoi(o->argv[5]);
  if (6 + nargs > o->argc) { errno = EINVAL; return -1; }
  char *const *args = &o->argv[6];
  char **env = calloc(o->argc - 6 - nargs + 1, sizeof(char *));
  for (unsigned i = 6 + nargs; i < o->argc; i++) env[i - 6 - nargs] = o->argv[i];
  /* the hook's args start with its argv[0], as execve's; none at all: the path alone */
  char **argv = calloc(nargs + 2, sizeof(char *));
  argv[0] = o->argv[1];
  for (unsigned i = 0; i < nargs; i++) argv[i] = args[i];
  char self[32] = "";
  ssize_t sl = readlink("/proc/self", self, sizeof self - 1);
  self[sl > 0 ? sl : 0] = 0;
  int in[2];
  if (pipe2(in, O_CLOEXEC) < 0) return -1;
  pid_t pid = fork();
  if (pid < 0) return -1;
  if (pid == 0) {
    if (dup2(in[0], 0) < 0) _exit(127);
    execve(o->argv[1], argv, env);
    _exit(127);
  }
  close(in[0]);
  dprintf(in[1], "%s%s%s", o->argv[3], sl > 0 ? self : "0", o->argv[4]);
  close(in[1]);
  long timeout = atol(o->argv[2]);
  struct timespec start, now, tick = { 0, 5 * 1000 * 1000 };
  clock_gettime(CLOCK_MONOTONIC, &start);
  for (;;) {
    int st;
    pid_t r = waitpid(pid, &st, timeout > 0 ? WNOHANG : 0);
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) return -1;
    if (r == pid) {
      if (WIFEXITED(st) && WEXITSTATUS(st) == 0) return 0;
      errno = HOOK_FAILED + (WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st));
      return -1;
    }
    clock_gettime(CLOCK_MONOTONIC, &now);
    if (now.tv_sec - start.tv_sec >= timeout) {
      kill(pid, SIGKILL);
      waitpid(pid, NULL, 0);
      errno = ETIMEDOUT;
      return -1;
    }
    nanosleep(&tick, NULL);
  }
}

/* The CLI (and the monitor, for it) wires the container's network while we
 * set up the rootfs; the command runs only once the monitor says it is done.
 * Anything else, or the monitor gone: ECANCELED, reported as this step. */
static int do_gate(void) {
  if (!gated) return 0;
  struct sync_msg m;
  int fd = -1;
  ssize_t n = sync_recv(sync_fd, &m, &fd);
  if (fd >= 0) close(fd);
  if (n == sizeof m && m.kind == SYNC_GATE) return 0;
  errno = ECANCELED;
  return -1;
}

static int hook_step(const struct op *o, int idx) {
  if (strcmp(o->argv[0], "startContainer") != 0) return run_hook(o);
  /* kept for OP_EXEC: they run once `start` has opened the exec fifo */
  if (n_start_hooks == 64) { errno = E2BIG; return -1; }
  start_hooks[n_start_hooks] = o;
  start_hook_steps[n_start_hooks++] = idx;
  return 0;
}

static char **collect(const struct op *o) {
  char **v = calloc(o->argc + 1, sizeof(char *));
  for (uint32_t i = 0; i < o->argc; i++) v[i] = o->argv[i];
  return v;
}

static const char *env_get(const char *key) {
  size_t kl = strlen(key);
  for (char **e = env_list; e && *e; e++)
    if (strncmp(*e, key, kl) == 0 && (*e)[kl] == '=') return *e + kl + 1;
  return NULL;
}

/* execvpe with the container's PATH: ENOENT means "not found" (127),
 * EACCES anywhere on the path means "cannot execute" (126), like a shell */
static int do_exec(void) {
  if (!argv_list || !argv_list[0]) { errno = ENOENT; return -1; }
  /* the fds the caller asked to pass (--preserve-fds) go back to 3.. (each
   * source lies above its target, so in order none is overwritten early) */
  for (int i = 0; i < preserve_fds; i++)
    if (dup2(PRESERVED_BASE + i, 3 + i) < 0) return -1;
  /* nothing else the container is not given crosses execve (cf. CVE-2024-21626) */
  if (syscall(SYS_close_range_, 3 + preserve_fds, ~0U, CLOSE_RANGE_CLOEXEC) < 0) return -1;
  const char *file = argv_list[0];
  if (strchr(file, '/')) {
    execve(file, argv_list, env_list);
    return -1;
  }
  const char *path = env_get("PATH");
  if (!path) path = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
  int seen_eacces = 0, last = ENOENT;
  char buf[4096];
  for (const char *p = path;; p++) {
    const char *end = strchrnul(p, ':');
    size_t dl = (size_t)(end - p);
    snprintf(buf, sizeof buf, "%.*s%s%s", (int)dl, p, dl ? "/" : "", file);
    execve(buf, argv_list, env_list);
    if (errno == EACCES) seen_eacces = 1;
    else if (errno != ENOENT && errno != ENOTDIR) last = errno;
    if (!*end) break;
    p = end;
  }
  errno = seen_eacces ? EACCES : last;
  return -1;
}

static int setns_path(const struct op *o) {
  int fd = open(o->argv[1], O_RDONLY | O_CLOEXEC);
  if (fd < 0) return -1;
  int r = setns(fd, 0);
  int e = errno;
  close(fd);
  errno = e;
  return r;
}

static int step(const struct op *o, int idx) {
  switch (o->kind) {
  case OP_SETNS_CHILD: return setns_path(o);
  case OP_UNSHARE: return unshare((int)arg_ll(o, 0));
  case OP_PROPAGATION:
    if (o->argc == 1) tree_propagation = (unsigned long)arg_ll(o, 0);
    return mount(NULL, o->argc > 1 ? o->argv[1] : "/", NULL, (unsigned long)arg_ll(o, 0), NULL);
  case OP_ROOTFS: return do_rootfs(o);
  case OP_MOUNT: return do_mount(o);
  case OP_MKNOD: return do_mknod(o);
  case OP_BIND_DEV: return do_bind_dev(o);
  case OP_SYMLINK: return do_symlink(o);
  case OP_PIVOT_ROOT: return do_pivot();
  case OP_MASK: return do_mask(o->argv[0]);
  case OP_READONLY: return do_readonly(o->argv[0]);
  case OP_ROOT_READONLY: return mount(NULL, "/", NULL, MS_BIND | MS_REMOUNT | MS_RDONLY | kept_flags("/"), NULL);
  case OP_HOSTNAME: return sethostname(o->argv[0], strlen(o->argv[0]));
  case OP_DOMAINNAME: return setdomainname(o->argv[0], strlen(o->argv[0]));
  case OP_LO_UP: return do_lo_up();
  case OP_SYSCTL: return do_sysctl(o);
  case OP_RLIMIT: return do_rlimit(o);
  case OP_CHDIR: return chdir(o->argv[0]);
  case OP_USER: return do_user(o);
  case OP_CAP_BOUNDING: return do_bounding(o);
  case OP_CAPSET: return do_capset(o);
  case OP_NO_NEW_PRIVS: return prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
  case OP_SECCOMP: return do_seccomp(o);
  case OP_ENV: env_list = collect(o); return 0;
  case OP_ARGV: argv_list = collect(o); return 0;
  case OP_PTY: return do_pty(o);
  case OP_PRESERVE_FDS: preserve_fds = (int)arg_ll(o, 0); return 0;
  case OP_HOOK: return hook_step(o, idx);
  case OP_GATE: return do_gate();
  case OP_EXEC: {
    if (fifo_fd >= 0) {
      /* create/start: say we are ready, then block until `start` opens the
       * fifo (reached through the fd taken before pivot_root, as runc does) */
      struct sync_msg m = { SYNC_READY, idx, 0 };
      if (write(sync_fd, &m, sizeof m) < 0) return -1;
      char p[64];
      fdpath(p, sizeof p, fifo_fd);
      int fd = open(p, O_WRONLY | O_CLOEXEC);
      if (fd < 0) return -1;
      if (write(fd, "0", 1) < 0) return -1;
      close(fd);
    }
    for (int h = 0; h < n_start_hooks; h++)
      if (run_hook(start_hooks[h]) < 0) fail(start_hook_steps[h], errno);
    return do_exec();
  }
  default: return 0; /* monitor-level ops */
  }
}

_Noreturn void child_main(const struct plan *p, int sync, const struct child_stdio *io, const char *fifo) {
  sync_fd = sync;
  gated = io->gate >= 0;
  if (gated) close(io->gate); /* the monitor reads it */
  /* until execve (which resets it) nothing in a namespace we join may look
   * at or through this process: /proc/PID/exe, fd, mem (runc does the same) */
  prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
  /* the monitor blocks and ignores signals; none of that may reach the
   * container (ignored dispositions survive execve) */
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, NULL);
  for (int s = 1; s < 32; s++) signal(s, SIG_DFL);
  struct sync_msg go;
  /* wait until the monitor has written id maps and joined us to the cgroup */
  for (;;) {
    int fd = -1;
    ssize_t n = sync_recv(sync_fd, &go, &fd);
    if (n != sizeof go) _exit(1);
    if (go.kind == SYNC_ROOTFS) { idmapped_root = fd; continue; }
    if (go.kind == SYNC_GO) break;
    _exit(1);
  }
  if (setsid() < 0) fail(-1, errno);
  if (fifo && (fifo_fd = open(fifo, O_PATH | O_CLOEXEC)) < 0) fail(-1, errno);
  if (io->in >= 0 && dup2(io->in, 0) < 0) fail(-1, errno);
  if (io->out >= 0 && dup2(io->out, 1) < 0) fail(-1, errno);
  if (io->err >= 0 && dup2(io->err, 2) < 0) fail(-1, errno);
  if (io->userns && (setresgid(0, 0, 0) < 0 || setresuid(0, 0, 0) < 0)) fail(-1, errno);
  for (size_t i = 0; i < p->n; i++)
    if (step(&p->ops[i], (int)i) < 0) fail((int)i, errno);
  fail(-1, ENOEXEC); /* a plan without OP_EXEC */
}
