// The guest's kernel and initramfs, built from Debian packages and cached by
// package version, so a second run boots at once and a clean machine builds
// them from nothing:
//
//   apt-get download linux-image-<abi>-amd64   (never installed on the host)
//   dpkg-deb -x; depmod -b                      (the .deb ships no modules.dep)
//   modprobe -d --show-depends                  (the ~20 modules the guest needs, in load order)
//   busybox-static + those modules + init.sh -> initramfs.cpio.gz
//
// Debian builds cgroups, namespaces, seccomp and BPF device control into the
// kernel; virtio, 9p, overlayfs, veth and bridge are modules, loaded by init.sh.
import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { basename, join } from "node:path";

export const CACHE = process.env.CTR_VM_CACHE ?? "/var/cache/ctr-vm";

/** What the guest loads: virtio PCI, block and console, 9p over virtio, overlayfs, veth and bridge. */
// nf_tables and the expressions ctr's rules use (net/firewall.ts): NAT and
// published ports on a bridge network, as on a real v2 host
const MODULES = [
  "virtio_pci", "virtio_blk", "9p", "9pnet_virtio", "overlay", "veth", "bridge",
  "nf_tables", "nft_chain_nat", "nft_nat", "nft_masq", "nft_fib_ipv4",
];

export interface GuestAssets {
  kernel: string;
  initramfs: string;
  /** e.g. linux-image-6.1.0-56-amd64_6.1.192-2 */
  key: string;
}

const PACKAGE: Record<string, string> = { "apt-get": "apt", "apt-cache": "apt", "dpkg-deb": "dpkg", depmod: "kmod", modprobe: "kmod", cpio: "cpio" };

/** A host tool by full path (depmod lives in /usr/sbin, off some PATHs), or which package to install. */
function tool(bin: string): string {
  const p = Bun.which(bin, { PATH: `${process.env.PATH ?? ""}:/usr/sbin:/sbin:/usr/bin:/bin` });
  if (!p) throw new Error(`${bin} is missing: apt-get install ${PACKAGE[bin] ?? bin}`);
  return p;
}

function sh(argv: string[], cwd?: string): string {
  const p = Bun.spawnSync([tool(argv[0]!), ...argv.slice(1)], { cwd, stdout: "pipe", stderr: "pipe" });
  if (p.exitCode !== 0) throw new Error(`${argv.join(" ")}: exit ${p.exitCode}: ${p.stderr.toString().trim().split("\n").pop()}`);
  return p.stdout.toString();
}

/** The kernel package linux-image-amd64 points at, and its version, from apt's lists. */
export function kernelPackage(): { pkg: string; version: string } {
  const meta = process.env.CTR_VM_KERNEL_PACKAGE ?? "linux-image-amd64";
  const dep = /Depends: (linux-image-[^\s]+)/.exec(sh(["apt-cache", "depends", meta]))?.[1];
  if (!dep) throw new Error(`apt-cache knows no ${meta}: run apt-get update first`);
  const version = /Candidate: (\S+)/.exec(sh(["apt-cache", "policy", dep]))?.[1];
  if (!version || version === "(none)") throw new Error(`apt has no candidate version of ${dep}: run apt-get update first`);
  return { pkg: dep, version };
}

/** vmlinuz and the modules init.sh loads, under CACHE/<pkg>_<version>/. */
function kernelDir(pkg: string, version: string): string {
  const dir = join(CACHE, `${pkg}_${version}`.replaceAll(/[^A-Za-z0-9._+-]/g, "_"));
  // built for this module list: the list is kept beside what it produced
  const want = `${MODULES.join("\n")}\n`;
  if (existsSync(join(dir, "modules", "order")) && existsSync(join(dir, "modules", "wanted")) && readFileSync(join(dir, "modules", "wanted"), "utf8") === want) return dir;
  mkdirSync(CACHE, { recursive: true });
  const work = mkdtempSync(join(CACHE, ".build-"));
  try {
    // apt's sandbox user cannot write to a root-only dir: download where it may, as root
    chmodSync(work, 0o755);
    sh(["apt-get", "download", "-q", `${pkg}=${version}`], work);
    const deb = readdirSync(work).find((f) => f.endsWith(".deb"));
    if (!deb) throw new Error(`apt-get download ${pkg}=${version} left no .deb`);
    const tree = join(work, "tree");
    sh(["dpkg-deb", "-x", join(work, deb), tree]);
    const abi = readdirSync(join(tree, "lib/modules"))[0]!;
    sh(["depmod", "-b", tree, abi]);
    const out = join(work, "out");
    mkdirSync(join(out, "modules"), { recursive: true });
    copyFileSync(join(tree, "boot", `vmlinuz-${abi}`), join(out, "vmlinuz"));
    // --show-depends lists each module after what it needs: that is the load order
    const order: string[] = [];
    for (const m of MODULES) {
      for (const line of sh(["modprobe", "-d", tree, "-S", abi, "--show-depends", m]).split("\n")) {
        const ko = /^insmod (\S+)/.exec(line)?.[1];
        if (!ko || order.includes(basename(ko))) continue;
        copyFileSync(ko, join(out, "modules", basename(ko)));
        order.push(basename(ko));
      }
    }
    writeFileSync(join(out, "modules", "order"), `${order.join("\n")}\n`);
    writeFileSync(join(out, "modules", "wanted"), want);
    writeFileSync(join(out, "abi"), `${abi}\n`);
    rmSync(dir, { recursive: true, force: true });
    try {
      renameSync(out, dir);
    } catch (e) {
      // another run built the same version meanwhile: theirs is as good
      if (!existsSync(join(dir, "modules", "wanted"))) throw e;
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  return dir;
}

/** A gzipped newc cpio of busybox-static, the modules and init.sh; cached by the hash of what went in. */
function initramfs(kdir: string): string {
  const init = readFileSync(join(import.meta.dir, "init.sh"));
  const busybox = "/bin/busybox";
  if (!existsSync(busybox)) throw new Error(`${busybox} is missing: apt-get install busybox-static`);
  const h = new Bun.CryptoHasher("sha256").update(init).update(readFileSync(join(kdir, "modules", "order"))).update(readFileSync(busybox)).digest("hex").slice(0, 16);
  const file = join(kdir, `initramfs-${h}.cpio.gz`);
  if (existsSync(file)) return file;
  const work = mkdtempSync(join(kdir, ".initramfs-"));
  try {
    const root = join(work, "root");
    for (const d of ["bin", "dev", "proc", "sys", "host", "upper", "newroot", "modules"]) mkdirSync(join(root, d), { recursive: true });
    copyFileSync(busybox, join(root, "bin/busybox"));
    chmodSync(join(root, "bin/busybox"), 0o755);
    symlinkSync("busybox", join(root, "bin/sh"));
    copyFileSync(join(import.meta.dir, "init.sh"), join(root, "init"));
    chmodSync(join(root, "init"), 0o755);
    for (const f of readdirSync(join(kdir, "modules"))) copyFileSync(join(kdir, "modules", f), join(root, "modules", f));
    const list = sh(["find", ".", "-mindepth", "1"], root);
    const cpio = Bun.spawnSync([tool("cpio"), "-o", "-H", "newc", "--quiet"], { cwd: root, stdin: new Blob([list]), stdout: "pipe", stderr: "pipe" });
    if (cpio.exitCode !== 0) throw new Error(`cpio: ${cpio.stderr.toString().trim()}`);
    writeFileSync(join(work, "out"), Bun.gzipSync(new Uint8Array(cpio.stdout)));
    renameSync(join(work, "out"), file);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  return file;
}

export function guestAssets(): GuestAssets {
  const { pkg, version } = kernelPackage();
  const kdir = kernelDir(pkg, version);
  return { kernel: join(kdir, "vmlinuz"), initramfs: initramfs(kdir), key: `${pkg}_${version}` };
}

if (import.meta.main) console.log(guestAssets());
