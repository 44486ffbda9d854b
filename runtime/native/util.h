/* Small helpers shared by the executor's parts, and the constants musl's
 * headers lack (we do not depend on kernel headers being installed). */
#ifndef CTR_UTIL_H
#define CTR_UTIL_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC (1U << 2)
#endif
#define SYS_openat2_ 437
#define SYS_close_range_ 436
#define SYS_pivot_root_ 155
#define SYS_seccomp_ 317
#define SYS_capset_ 126
#define SYS_open_tree_ 428
#define SYS_move_mount_ 429
#define SYS_mount_setattr_ 442
#define RESOLVE_NO_MAGICLINKS_ 0x02
#define RESOLVE_IN_ROOT_ 0x10

/* sync messages, init -> monitor (SOCK_SEQPACKET keeps them whole) */
/* SYNC_GATE (monitor -> init): the network is wired and the CLI is done, go on to exec */
enum sync_kind { SYNC_GO = 1, SYNC_ERR = 2, SYNC_READY = 3, SYNC_PTY = 4, SYNC_ROOTFS = 5, SYNC_GATE = 6 };
struct sync_msg {
  int32_t kind;
  int32_t step;
  int32_t err;
};

int write_full(int fd, const void *buf, size_t len);
int write_file(const char *path, const char *data, size_t len);
int write_file_atomic(const char *path, const char *data, size_t len);
int send_with_fd(int sock, const void *data, size_t len, int fd);
int send_fd(int sock, int kind, int fd);
void fmt_time(char *out, size_t n);
ssize_t sync_recv(int sock, struct sync_msg *m, int *fd);
unsigned long long proc_starttime(pid_t pid);

#endif
