// The only place that talks to libc through bun:ffi. Everything above takes
// these functions (or fakes of them in tests) and never imports bun:ffi.
import { dlopen, FFIType, ptr, read } from "bun:ffi";
import { SysError } from "./errno.ts";

const SYS_memfd_create = 319;
const F_ADD_SEALS = 1033;
const F_SEAL_SEAL = 1, F_SEAL_SHRINK = 2, F_SEAL_GROW = 4, F_SEAL_WRITE = 8;
const MFD_CLOEXEC = 1, MFD_ALLOW_SEALING = 2;
export const LOCK_SH = 1, LOCK_EX = 2, LOCK_NB = 4, LOCK_UN = 8;

// Two tables: binding a symbol costs bun:ffi a compile (~0.03 ms each), and
// every `ctr run` needs only the first (locks, the executor's memfd, exit).
let core: ReturnType<typeof openCore> | undefined;
let more: ReturnType<typeof openMore> | undefined;
function openCore() {
  return dlopen("libc.so.6", {
    syscall: { args: [FFIType.i64, FFIType.i64, FFIType.i64, FFIType.i64], returns: FFIType.i64 },
    fcntl: { args: [FFIType.i32, FFIType.i32, FFIType.i64], returns: FFIType.i32 },
    flock: { args: [FFIType.i32, FFIType.i32], returns: FFIType.i32 },
    write: { args: [FFIType.i32, FFIType.ptr, FFIType.u64], returns: FFIType.i64 },
    _exit: { args: [FFIType.i32], returns: FFIType.void },
    __errno_location: { args: [], returns: FFIType.ptr },
    isatty: { args: [FFIType.i32], returns: FFIType.i32 },
    ioctl: { args: [FFIType.i32, FFIType.u64, FFIType.ptr], returns: FFIType.i32 },
  });
}
function openMore() {
  return dlopen("libc.so.6", {
    umount2: { args: [FFIType.ptr, FFIType.i32], returns: FFIType.i32 },
    mknod: { args: [FFIType.ptr, FFIType.u32, FFIType.u64], returns: FFIType.i32 },
    lsetxattr: { args: [FFIType.ptr, FFIType.ptr, FFIType.ptr, FFIType.u64, FFIType.i32], returns: FFIType.i32 },
    lgetxattr: { args: [FFIType.ptr, FFIType.ptr, FFIType.ptr, FFIType.u64], returns: FFIType.i64 },
    llistxattr: { args: [FFIType.ptr, FFIType.ptr, FFIType.u64], returns: FFIType.i64 },
    socket: { args: [FFIType.i32, FFIType.i32, FFIType.i32], returns: FFIType.i32 },
    bind: { args: [FFIType.i32, FFIType.ptr, FFIType.u32], returns: FFIType.i32 },
    setsockopt: { args: [FFIType.i32, FFIType.i32, FFIType.i32, FFIType.ptr, FFIType.u32], returns: FFIType.i32 },
    sendto: { args: [FFIType.i32, FFIType.ptr, FFIType.u64, FFIType.i32, FFIType.ptr, FFIType.u32], returns: FFIType.i64 },
    recv: { args: [FFIType.i32, FFIType.ptr, FFIType.u64, FFIType.i32], returns: FFIType.i64 },
    close: { args: [FFIType.i32], returns: FFIType.i32 },
    unshare: { args: [FFIType.i32], returns: FFIType.i32 },
    setns: { args: [FFIType.i32, FFIType.i32], returns: FFIType.i32 },
    mount: { args: [FFIType.ptr, FFIType.ptr, FFIType.ptr, FFIType.u64, FFIType.ptr], returns: FFIType.i32 },
  });
}
function libc() {
  return (core ??= openCore()).symbols;
}
function libcMore() {
  return (more ??= openMore()).symbols;
}

function errno(): number {
  return read.i32(libc().__errno_location()!, 0);
}

function check(r: number | bigint, call: string, path?: string): number {
  if (Number(r) < 0) throw new SysError(call, errno(), path);
  return Number(r);
}

const cstr = (s: string) => Buffer.from(`${s}\0`);

/** A sealed, close-on-exec memfd holding `bytes`: nothing can change it once made. */
export function sealedMemfd(name: string, bytes: Uint8Array): number {
  const n = cstr(name);
  const fd = check(libc().syscall(SYS_memfd_create, ptr(n), MFD_CLOEXEC | MFD_ALLOW_SEALING, 0, 0), "memfd_create");
  let off = 0;
  while (off < bytes.length) {
    off += check(libc().write(fd, ptr(bytes.subarray(off)), bytes.length - off), "write", `memfd ${name}`);
  }
  check(libc().fcntl(fd, F_ADD_SEALS, F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE), "fcntl(F_ADD_SEALS)");
  return fd;
}

export function flock(fd: number, op: number, path?: string): boolean {
  const r = libc().flock(fd, op);
  if (r < 0) {
    const e = errno();
    if (e === 11 && op & LOCK_NB) return false; // EWOULDBLOCK
    throw new SysError("flock", e, path);
  }
  return true;
}

export function umount2(target: string, flags: number): void {
  check(libcMore().umount2(ptr(cstr(target)), flags), "umount2", target);
}

/** Clears O_NONBLOCK so reads wait for data instead of spinning. */
export function setBlocking(fd: number): void {
  const F_GETFL = 3, F_SETFL = 4, O_NONBLOCK = 0o4000;
  const fl = check(libc().fcntl(fd, F_GETFL, 0), "fcntl(F_GETFL)");
  if (fl & O_NONBLOCK) check(libc().fcntl(fd, F_SETFL, fl & ~O_NONBLOCK), "fcntl(F_SETFL)");
}

export function mkfifo(path: string, mode: number): void {
  const S_IFIFO = 0o010000;
  check(libcMore().mknod(ptr(cstr(path)), S_IFIFO | mode, 0), "mknod", path);
}

/** An overlayfs whiteout: a character device 0:0 (image layers unpacked for overlay). */
export function mkWhiteout(path: string): void {
  const S_IFCHR = 0o020000;
  check(libcMore().mknod(ptr(cstr(path)), S_IFCHR, 0), "mknod", path);
}

/** Sets an extended attribute on the path itself (never through a symlink). */
export function lsetxattr(path: string, name: string, value: string | Uint8Array): void {
  const [p, n, v] = [cstr(path), cstr(name), typeof value === "string" ? Buffer.from(value) : Buffer.from(value)];
  check(libcMore().lsetxattr(ptr(p), ptr(n), v.length ? ptr(v) : null, v.length, 0), "lsetxattr", `${name} on ${path}`);
}

/** An extended attribute of the path itself, or undefined when it has none of that name (ENODATA). */
export function lgetxattr(path: string, name: string): Uint8Array | undefined {
  const [p, n] = [cstr(path), cstr(name)];
  const buf = new Uint8Array(65536);
  const r = Number(libcMore().lgetxattr(ptr(p), ptr(n), ptr(buf), buf.length));
  if (r < 0) {
    const e = errno();
    if (e === 61) return undefined; // ENODATA
    throw new SysError("lgetxattr", e, `${name} on ${path}`);
  }
  return buf.slice(0, r);
}

/** The names of the path's own extended attributes (none where the filesystem keeps none). */
export function llistxattr(path: string): string[] {
  const p = cstr(path);
  const buf = new Uint8Array(65536);
  const r = Number(libcMore().llistxattr(ptr(p), ptr(buf), buf.length));
  if (r < 0) {
    const e = errno();
    if (e === 95) return []; // EOPNOTSUPP
    throw new SysError("llistxattr", e, path);
  }
  return new TextDecoder().decode(buf.subarray(0, r)).split("\0").filter(Boolean);
}

/**
 * Ends the process at once, skipping the runtime's teardown (~8 ms here).
 * Only for the CLI's last step, after every write went out with writeSync.
 */
export function exitNow(code: number): never {
  libc()._exit(code);
  throw new Error("unreachable");
}

const TIOCGWINSZ = 0x5413, TIOCSWINSZ = 0x5414;

/** Whether fd is a terminal: libc's isatty, since node:tty costs ~8 ms to load in every run. */
export function isTerminal(fd: number): boolean {
  return libc().isatty(fd) === 1;
}

/** A terminal's size, or undefined when fd is not one (process.stdout's getters build a stream: ~10 ms). */
export function getWinsize(fd: number): { rows: number; cols: number } | undefined {
  const ws = new Uint16Array(4);
  if (libc().ioctl(fd, TIOCGWINSZ, ptr(ws)) < 0 || ws[0] === 0) return undefined;
  return { rows: ws[0]!, cols: ws[1]! };
}

/** Sets a terminal's size (either side of a pty); the kernel sends SIGWINCH to its foreground group. */
export function setWinsize(fd: number, rows: number, cols: number, what?: string): void {
  const ws = new Uint16Array([rows, cols, 0, 0]);
  check(libc().ioctl(fd, TIOCSWINSZ, ptr(ws)), "ioctl(TIOCSWINSZ)", what);
}

// --- sockets (netlink) and network namespaces: used by net/ ---

export function socket(domain: number, type: number, protocol: number): number {
  return check(libcMore().socket(domain, type, protocol), "socket");
}

export function bind(fd: number, addr: Uint8Array): void {
  check(libcMore().bind(fd, ptr(addr), addr.length), "bind");
}

export function setsockoptInt(fd: number, level: number, opt: number, value: number): void {
  const v = new Int32Array([value]);
  check(libcMore().setsockopt(fd, level, opt, ptr(v), 4), "setsockopt");
}

export function sendto(fd: number, buf: Uint8Array, addr: Uint8Array): number {
  return check(libcMore().sendto(fd, ptr(buf), buf.length, 0, ptr(addr), addr.length), "sendto");
}

/** Blocking receive into buf; returns the byte count (retries EINTR). */
export function recv(fd: number, buf: Uint8Array, flags = 0): number {
  for (;;) {
    const r = Number(libcMore().recv(fd, ptr(buf), buf.length, flags));
    if (r >= 0) return r;
    const e = errno();
    if (e !== 4) throw new SysError("recv", e);
  }
}

export function close(fd: number): void {
  check(libcMore().close(fd), "close");
}

/** unshare(2) on the calling (JS) thread only. */
export function unshare(flags: number): void {
  check(libcMore().unshare(flags), "unshare");
}

export function setns(fd: number, nstype: number, what?: string): void {
  check(libcMore().setns(fd, nstype), "setns", what);
}

export function mount(source: string | null, target: string, fstype: string | null, flags: number, data: string | null = null): void {
  // keep the buffers referenced until the call returns
  const [src, tgt, fs, dat] = [source, target, fstype, data].map((s) => (s === null ? null : cstr(s)));
  const p = (b: Buffer | null) => (b === null ? null : ptr(b));
  check(libcMore().mount(p(src!), ptr(tgt!), p(fs!), flags, p(dat!)), "mount", `${source ?? ""} on ${target}`);
}

const SYS_bpf = 321;
const BPF_PROG_LOAD = 5, BPF_PROG_ATTACH = 8;
const BPF_PROG_TYPE_CGROUP_DEVICE = 15, BPF_CGROUP_DEVICE = 6, BPF_F_ALLOW_MULTI = 2;

/**
 * Loads a BPF_PROG_TYPE_CGROUP_DEVICE program and attaches it to the cgroup
 * v2 directory `cgroupDir`; the attachment lives as long as the cgroup.
 */
export function attachDeviceFilter(cgroupDir: string, insns: Uint8Array): void {
  const license = cstr("GPL");
  const log = new Uint8Array(4096);
  const load = new Uint8Array(128); // union bpf_attr, the PROG_LOAD part; the rest zero
  const v = new DataView(load.buffer);
  v.setUint32(0, BPF_PROG_TYPE_CGROUP_DEVICE, true);
  v.setUint32(4, insns.length / 8, true);
  v.setBigUint64(8, BigInt(ptr(insns)), true);
  v.setBigUint64(16, BigInt(ptr(license)), true);
  let prog = Number(libc().syscall(SYS_bpf, BPF_PROG_LOAD, ptr(load), load.length));
  if (prog < 0) {
    // again with the verifier's log, for the one line that says why
    v.setUint32(24, 1, true);
    v.setUint32(28, log.length, true);
    v.setBigUint64(32, BigInt(ptr(log)), true);
    prog = Number(libc().syscall(SYS_bpf, BPF_PROG_LOAD, ptr(load), load.length));
  }
  if (prog < 0) {
    const e = errno();
    const why = Buffer.from(log).toString().replace(/\0.*$/s, "").trim().split("\n").pop();
    throw new SysError(`bpf(BPF_PROG_LOAD)${why ? ` [${why}]` : ""}`, e);
  }
  const dir = Number(libc().syscall(SYS_open, ptr(cstr(cgroupDir)), O_RDONLY_DIRECTORY, 0, 0));
  if (dir < 0) {
    const e = errno();
    libcMore().close(prog);
    throw new SysError("open", e, cgroupDir);
  }
  const attach = new Uint8Array(20);
  const a = new DataView(attach.buffer);
  a.setUint32(0, dir, true);
  a.setUint32(4, prog, true);
  a.setUint32(8, BPF_CGROUP_DEVICE, true);
  a.setUint32(12, BPF_F_ALLOW_MULTI, true);
  const r = Number(libc().syscall(SYS_bpf, BPF_PROG_ATTACH, ptr(attach), attach.length));
  const e = errno();
  libcMore().close(prog);
  libcMore().close(dir);
  if (r < 0) throw new SysError("bpf(BPF_PROG_ATTACH)", e, cgroupDir);
}
const SYS_open = 2, O_RDONLY_DIRECTORY = 0o200000 | 0o2000000; // O_DIRECTORY | O_CLOEXEC
