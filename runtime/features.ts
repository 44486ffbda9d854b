// What this kernel offers, read from /proc: shown by `ctr version`.
import { existsSync, readFileSync } from "node:fs";
import { detectMode } from "../cgroup/mode.ts";

const read = (p: string) => {
  try {
    return readFileSync(p, "utf8").trim();
  } catch {
    return "";
  }
};

export function kernelFeatures() {
  const filesystems = read("/proc/filesystems");
  const release = read("/proc/sys/kernel/osrelease");
  return {
    kernel: release,
    cgroupMode: detectMode(),
    userNamespaces: Number(read("/proc/sys/user/max_user_namespaces") || 0) > 0,
    overlayfs: /\boverlay\b/.test(filesystems) || existsSync(`/lib/modules/${release}/kernel/fs/overlayfs`),
    seccomp: read("/proc/self/status").includes("Seccomp:"),
  };
}

/** The capability bounding set this process runs with: all that any container started from here can be given. */
export function hostBoundingSet(): bigint {
  const m = /^CapBnd:\s*([0-9a-f]+)$/m.exec(read("/proc/self/status"));
  return m ? BigInt(`0x${m[1]}`) : ~0n;
}
