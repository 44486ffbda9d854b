// `ctr check`: what this host offers ctr, and whether a real container with
// limits and a network works on it. The kernel part reads /proc and the
// cgroup mounts; the container part is a probe script run in a container by
// the CLI (cmd/check.ts), whose output is judged here. A check is required
// when ctr's default `run` cannot work without it.
import { chmodSync, closeSync, existsSync, mkdirSync, openSync, readFileSync, readSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { detectMode, type Hierarchy, readHierarchies } from "../cgroup/mode.ts";
import { kernelFeatures } from "./features.ts";

export interface Check {
  name: string;
  ok: boolean;
  /** a missing required feature makes `ctr check` exit non-zero */
  required: boolean;
  detail: string;
}

const NAMESPACES = ["pid", "mnt", "uts", "ipc", "net", "cgroup"];
/** v1 name -> v2 name of the controllers ctr's limits use; the first three are required */
const CONTROLLERS: [string, string][] = [["memory", "memory"], ["pids", "pids"], ["cpu", "cpu"], ["cpuset", "cpuset"], ["blkio", "io"]];

function kernelAtLeast(release: string, major: number, minor: number): boolean {
  const [a = 0, b = 0] = release.split(/[.-]/).map(Number);
  return a > major || (a === major && b >= minor);
}

export function kernelChecks(hs: Hierarchy[] = readHierarchies()): Check[] {
  const f = kernelFeatures();
  const mode = detectMode(hs);
  const v1 = new Set(hs.filter((h) => h.version === 1).flatMap((h) => h.controllers));
  const v2 = new Set(hs.filter((h) => h.version === 2).flatMap((h) => h.controllers));
  const has = ([a, b]: [string, string]) => v1.has(a) || v2.has(b);
  const out: Check[] = [
    { name: "kernel", ok: true, required: false, detail: f.kernel },
    { name: "cgroup mode", ok: mode !== "none", required: true, detail: mode === "none" ? "no cgroup filesystem is mounted" : `${mode}${mode === "hybrid" ? " (v1 controllers and a cgroup2 mount)" : ""}` },
  ];
  CONTROLLERS.forEach((c, i) => {
    const name = mode === "v2" ? c[1] : c[0];
    out.push({ name: `cgroup controller ${name}`, ok: has(c), required: i < 3, detail: has(c) ? "available" : `missing: the limits that need ${name} are refused` });
  });
  const freezer = v1.has("freezer") || (v2.size > 0 && kernelAtLeast(f.kernel, 5, 2));
  out.push({ name: "cgroup freezer", ok: freezer, required: false, detail: freezer ? (v1.has("freezer") ? "v1 freezer" : "cgroup.freeze") : "missing: pause and unpause fail" });
  const missingNs = NAMESPACES.filter((n) => !existsSync(`/proc/self/ns/${n}`));
  out.push({ name: "namespaces", ok: missingNs.length === 0, required: true, detail: missingNs.length ? `missing: ${missingNs.join(", ")}` : NAMESPACES.join(" ") });
  out.push({ name: "user namespaces", ok: f.userNamespaces, required: false, detail: f.userNamespaces ? "enabled" : "disabled: --userns-remap fails" });
  out.push({ name: "seccomp", ok: f.seccomp, required: true, detail: f.seccomp ? "filter mode" : "missing: Docker's default profile cannot be applied" });
  out.push({ name: "overlayfs", ok: f.overlayfs, required: false, detail: f.overlayfs ? "available" : "missing: image containers copy their layers instead (slower)" });
  return out;
}

/**
 * Run in the container by a busybox (or any POSIX) shell: one "key value"
 * line per answer. Limits are read through the container's own cgroup mount
 * (v2 file first, then v1), the device list is tried with a node that is
 * not on it (/dev/kmsg, c 1:11), the network by pinging the gateway.
 */
export const PROBE = [
  // in a private cgroup namespace every line ends in ":/" (v2: just 0::/)
  `echo "cgroupns $(grep -vc ':/$' /proc/self/cgroup)"`,
  `echo "memory $(cat /sys/fs/cgroup/memory.max /sys/fs/cgroup/memory/memory.limit_in_bytes 2>/dev/null | head -n1)"`,
  `echo "pids $(cat /sys/fs/cgroup/pids.max /sys/fs/cgroup/pids/pids.max 2>/dev/null | head -n1)"`,
  `echo "cpu $(cat /sys/fs/cgroup/cpu.max /sys/fs/cgroup/cpu/cpu.cfs_quota_us 2>/dev/null | head -n1)"`,
  `if echo x >/dev/null && head -c1 /dev/zero >/dev/null; then echo "devnull ok"; fi`,
  `mknod /dev/ctr-check-kmsg c 1 11 2>/dev/null; if timeout 2 head -c1 /dev/ctr-check-kmsg >/dev/null 2>&1; then echo "kmsg opened"; else echo "kmsg refused"; fi`,
  `if [ -e /sys/class/net/eth0 ]; then gw=$(ip route | awk '/^default/ {print $3}'); echo "ip $(ip -4 -o addr show eth0 | awk '{print $4}')"; if ping -c1 -W3 "$gw" >/dev/null 2>&1; then echo "ping $gw ok"; else echo "ping $gw failed"; fi; fi`,
].join("; ");

export const PROBE_LIMITS = { memory: 64 * 1024 * 1024, pids: 64, cpus: 0.5 };

/** The probe's answers judged; net says whether a network was asked for. */
export function judgeProbe(code: number, stdout: string, stderr: string, net: boolean): Check[] {
  const line = (k: string) => new RegExp(`^${k} (.*)$`, "m").exec(stdout)?.[1]?.trim() ?? "";
  const ran = code === 0 && line("cgroupns") !== "";
  const out: Check[] = [{ name: "container", ok: ran, required: true, detail: ran ? "started and exited 0" : `failed (exit ${code}): ${stderr.trim().split("\n").pop() || stdout.trim().split("\n").pop() || "no output"}` }];
  if (!ran) return out;
  const want = (name: string, got: string, expect: RegExp, what: string) =>
    out.push({ name, ok: expect.test(got), required: true, detail: expect.test(got) ? `${what} seen inside` : `expected ${what}, the container saw ${JSON.stringify(got)}` });
  want("memory limit", line("memory"), new RegExp(`^${PROBE_LIMITS.memory}$`), `${PROBE_LIMITS.memory / 1024 / 1024} MiB`);
  want("pids limit", line("pids"), new RegExp(`^${PROBE_LIMITS.pids}$`), String(PROBE_LIMITS.pids));
  want("cpu quota", line("cpu"), /^50000( 100000)?$/, "50000 of 100000 us");
  want("cgroup namespace", line("cgroupns"), /^0$/, "its own cgroup as /");
  out.push({ name: "device allow-list", ok: line("devnull") === "ok" && line("kmsg") === "refused", required: true,
    detail: line("devnull") !== "ok" ? "/dev/null or /dev/zero unusable" : line("kmsg") === "refused" ? "default devices open, others refused" : "a device off the list (/dev/kmsg) could be opened" });
  if (net) {
    const ip = line("ip");
    const ping = /^(\S+) ok$/.exec(line("ping"));
    out.push({ name: "bridge network", ok: ip !== "" && !!ping, required: true, detail: !ip ? "no IPv4 address on eth0" : ping ? `eth0 ${ip}, gateway ${ping[1]} answers` : `eth0 ${ip}, but the gateway does not answer (${line("ping")})` });
  }
  return out;
}

/** True for an ELF executable without an interpreter (it runs in an empty rootfs). */
export function isStaticElf(path: string): boolean {
  let fd: number;
  try {
    fd = openSync(path, "r");
  } catch {
    return false;
  }
  try {
    const h = Buffer.alloc(64);
    readSync(fd, h, 0, 64, 0);
    if (h.readUInt32BE(0) !== 0x7f454c46 || h[4] !== 2) return false; // ELF64 only
    const [phoff, phentsize, phnum] = [Number(h.readBigUInt64LE(32)), h.readUInt16LE(54), h.readUInt16LE(56)];
    const ph = Buffer.alloc(phentsize * phnum);
    readSync(fd, ph, 0, ph.length, phoff);
    for (let i = 0; i < phnum; i++) if (ph.readUInt32LE(i * phentsize) === 3) return false; // PT_INTERP
    return true;
  } finally {
    closeSync(fd);
  }
}

const APPLETS = ["sh", "cat", "echo", "grep", "head", "mknod", "timeout", "ip", "awk", "ping"];

/** A throwaway rootfs of the host's static busybox and the applets the probe uses. */
export function busyboxRootfs(dir: string, busybox = "/bin/busybox"): string {
  if (!isStaticElf(busybox)) throw new Error(`no static busybox at ${busybox} to build a probe rootfs: install busybox-static, or name a rootfs or image (ctr check IMAGE)`);
  for (const d of ["bin", "etc", "proc", "sys", "dev", "tmp"]) mkdirSync(join(dir, d), { recursive: true });
  writeFileSync(join(dir, "bin/busybox"), readFileSync(busybox));
  chmodSync(join(dir, "bin/busybox"), 0o755);
  for (const a of APPLETS) symlinkSync("busybox", join(dir, "bin", a));
  writeFileSync(join(dir, "etc/passwd"), "root:x:0:0:root:/root:/bin/sh\n");
  writeFileSync(join(dir, "etc/group"), "root:x:0:\n");
  return dir;
}
