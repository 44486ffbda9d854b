// errno numbers of x86_64 Linux and their names, so errors say "EPERM", not "1".
export const ERRNO: Record<number, string> = {
  1: "EPERM", 2: "ENOENT", 3: "ESRCH", 4: "EINTR", 5: "EIO", 6: "ENXIO", 7: "E2BIG", 8: "ENOEXEC",
  9: "EBADF", 10: "ECHILD", 11: "EAGAIN", 12: "ENOMEM", 13: "EACCES", 14: "EFAULT", 15: "ENOTBLK",
  16: "EBUSY", 17: "EEXIST", 18: "EXDEV", 19: "ENODEV", 20: "ENOTDIR", 21: "EISDIR", 22: "EINVAL",
  23: "ENFILE", 24: "EMFILE", 25: "ENOTTY", 26: "ETXTBSY", 27: "EFBIG", 28: "ENOSPC", 29: "ESPIPE",
  30: "EROFS", 31: "EMLINK", 32: "EPIPE", 34: "ERANGE", 36: "ENAMETOOLONG", 38: "ENOSYS",
  39: "ENOTEMPTY", 40: "ELOOP", 71: "EPROTO", 75: "EOVERFLOW", 85: "ERESTART", 95: "EOPNOTSUPP", 98: "EADDRINUSE",
  93: "EPROTONOSUPPORT", 97: "EAFNOSUPPORT", 99: "EADDRNOTAVAIL", 100: "ENETDOWN", 101: "ENETUNREACH",
  105: "ENOBUFS", 110: "ETIMEDOUT", 111: "ECONNREFUSED", 113: "EHOSTUNREACH"
};

export function errnoName(n: number): string {
  return ERRNO[n] || `errno ${n}`;
}

/** A failed system call: which call, which errno, on what. */
export class SysError extends Error {
  constructor(
    readonly syscall: string,
    readonly errno: number,
    readonly path?: string,
  ) {
    super(`${syscall}${path ? ` ${path}` : ""}: ${errnoName(errno)}`);
    this.name = "SysError";
  }
  get code(): string {
    return errnoName(this.errno);
  }
}
