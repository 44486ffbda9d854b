// What must hold on a pure cgroup-v2 host and on this hybrid one alike:
// tests/vm/run.ts boots a v2-only guest under qemu and runs this file there
// (with CTR_VM_EXPECT_MODE=v2 and CTR_TEST_DISK=/dev/vda, a blank virtio
// disk); on the host `bun test` runs it as any other file, with a loop device
// of its own as the disk. A ctr call costs ~2 s in the emulated guest, so
// each container answers several questions. Files are looked up among the
// container's own cgroup paths, v1 name first, else v2.
import { afterAll, expect, test } from "bun:test";
import { existsSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { detectMode } from "../../cgroup/mode.ts";
import { rootfsEntries } from "../fixtures/image.ts";
import { writeTar } from "../../image/tar.ts";
import { withNetlink } from "../../net/netlink/client.ts";
import { join, leftoverCgroups, ROOTFS, testRoot, uniqueName } from "../integration/harness.ts";

const { root, ctr: ctrRaw } = testRoot("vm");
const MiB = 1024 * 1024;
// every container of this file lives under a parent of its own, which ctr makes and must remove again
const PARENT = `ctrvm-${process.pid}`;
const NONE = ["--net", "none", "--cgroup-parent", PARENT];

// a bridge and subnet of this file's own (CTR_CONFIG), never the host's ctr0
const BRIDGE = `ctrv${process.pid % 100000}`;
const X = 200 + (process.pid % 50);
writeFileSync(`${root}/ctr.toml`, `[network]\nbridge = "${BRIDGE}"\nsubnet = "10.${X}.0.0/24"\npool = "10.${X}.0.0/16"\n`);
const ctr = (args: string[]) => ctrRaw(args, { env: { CTR_CONFIG: `${root}/ctr.toml` } });
afterAll(() => withNetlink((nl) => nl.deleteLink(BRIDGE)));

/** The disk the block I/O and --device checks write to: the guest's blank virtio disk, or a loop device made here. */
const DISK = process.env.CTR_TEST_DISK ?? loopDisk();
function loopDisk(): string {
  const file = `/var/tmp/ctr-vm-disk-${process.pid}`;
  writeFileSync(file, "");
  Bun.spawnSync(["truncate", "-s", "16M", file]);
  const p = Bun.spawnSync(["losetup", "-f", "--show", file]);
  if (p.exitCode !== 0) throw new Error(`losetup: ${p.stderr.toString().trim()}`);
  const dev = p.stdout.toString().trim();
  afterAll(() => {
    Bun.spawnSync(["losetup", "-d", dev]);
    rmSync(file, { force: true });
  });
  return dev;
}
const rdev = statSync(DISK).rdev;
const [MAJ, MIN] = [Math.floor(rdev / 256) & 0xfff, (rdev & 0xff) | ((rdev >> 12) & ~0xff)];

const inspect = (name: string) => JSON.parse(ctr(["inspect", name]).stdout)[0];
function cg(dirs: string[], v1: string, v2: string): string {
  for (const f of [v1, v2]) {
    const d = dirs.find((p) => existsSync(join(p, f)));
    if (d) return readFileSync(join(d, f), "utf8").trim();
  }
  throw new Error(`neither ${v1} nor ${v2} in ${dirs.join(", ")}`);
}
/** CPU time the cgroup accounted, in ns */
function cpuNs(dirs: string[]): number {
  const v1 = dirs.find((p) => existsSync(join(p, "cpuacct.usage")));
  if (v1) return Number(readFileSync(join(v1, "cpuacct.usage"), "utf8"));
  return Number(/usage_usec (\d+)/.exec(cg(dirs, "-", "cpu.stat"))![1]) * 1000;
}
function waitFor(cond: () => boolean, ms = 10_000): boolean {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) return false;
    Bun.sleepSync(50);
  }
  return true;
}
function ok(args: string[]): string {
  const r = ctr(args);
  if (r.code !== 0) throw new Error(`ctr ${args.join(" ")}: exit ${r.code}: ${r.stderr}`);
  return r.stdout;
}
/** rm -f leaves no cgroup directory of the container anywhere */
function removeAndCheck(name: string, id: string) {
  ok(["rm", "-f", name]);
  expect(leftoverCgroups(id)).toEqual([]);
}

test("the cgroup layout is the one this run is for", () => {
  const mode: string = detectMode();
  expect(["v1", "v2", "hybrid"]).toContain(mode);
  if (process.env.CTR_VM_EXPECT_MODE) expect(mode).toBe(process.env.CTR_VM_EXPECT_MODE);
  if (mode === "v2") expect(readFileSync("/proc/self/mountinfo", "utf8")).not.toMatch(/ - cgroup /);
}, 120_000);

test("memory: --memory 32m and 64 MiB allocated: OOM-killed, exit 137, OOMKilled true", () => {
  const name = uniqueName("oom");
  const r = ctr(["run", ...NONE, "--name", name, "--memory", "32m", ROOTFS, "dd", "if=/dev/zero", "of=/dev/null", "bs=64M", "count=1"]);
  expect(r.code).toBe(137);
  const { State: st, Id } = inspect(name);
  expect([st.OOMKilled, st.ExitCode, st.Status]).toEqual([true, 137, "exited"]);
  removeAndCheck(name, Id);
}, 120_000);

test("one container under memory, pids, cpu, cpuset and io limits: each lands and holds; stats, pause/unpause, rm", () => {
  const name = uniqueName("lim");
  // forks sleeps until the pids limit stops the subshell, then spins
  const sh = "(for i in $(seq 40); do sleep 1000 & done) 2>/dev/null; while :; do :; done";
  const id = ok(["run", "-d", ...NONE, "--name", name, "--memory", "64m", "--pids-limit", "20", "--cpus", "0.5", "--cpuset-cpus", "0",
    "--device-read-bps", `${DISK}:1mb`, ROOTFS, "sh", "-c", sh]).trim();
  const info = inspect(name);
  const dirs: string[] = info.Ctr.CgroupPaths;
  expect(cg(dirs, "memory.limit_in_bytes", "memory.max")).toBe(String(64 * MiB));
  expect(cg(dirs, "cpu.cfs_quota_us", "cpu.max")).toMatch(/^50000( 100000)?$/);
  expect(cg(dirs, "cpuset.cpus", "cpuset.cpus")).toBe("0");
  expect(cg(dirs, "blkio.throttle.read_bps_device", "io.max")).toMatch(new RegExp(`^${MAJ}:${MIN} (rbps=)?${MiB}( |$)`, "m"));
  const pid = info.State.Pid;
  expect(readFileSync(`/proc/${pid}/status`, "utf8")).toMatch(/^Cpus_allowed_list:\s+0$/m);

  // pids: the fork loop hit the limit and stays there
  expect(waitFor(() => /max [1-9]/.test(cg(dirs, "pids.events", "pids.events")))).toBe(true);
  expect(Number(cg(dirs, "pids.current", "pids.current"))).toBeLessThanOrEqual(20);

  // cpu: the spinning shell gets at most its half CPU (the guest's vCPUs may get less from a busy host)
  const [c0, t0] = [cpuNs(dirs), performance.now()];
  Bun.sleepSync(2000);
  const rate = (cpuNs(dirs) - c0) / 1e6 / (performance.now() - t0);
  expect(rate).toBeGreaterThan(0.05);
  expect(rate).toBeLessThan(0.7);

  const [pids, mem, cpu] = ok(["stats", "--no-stream", "--format", "{{.PIDs}}|{{.MemUsage}}|{{.CPUPerc}}", name]).trim().split("|");
  expect(Number(pids)).toBe(Number(cg(dirs, "pids.current", "pids.current")));
  expect(mem!.split(" / ")[1]).toBe("64MiB");
  expect(Number(cpu!.replace("%", ""))).toBeGreaterThan(0);

  // the freezer: v1 freezer.state or v2 cgroup.freeze; the kernel's word that it holds, and the CPU clock stops
  ok(["pause", name]);
  expect(cg(dirs, "freezer.state", "cgroup.events")).toMatch(/^FROZEN$|^frozen 1$/m);
  const f0 = cpuNs(dirs);
  Bun.sleepSync(500);
  expect(cpuNs(dirs)).toBe(f0);
  expect(ok(["ps", "--format", "{{.Names}} {{.State}}"])).toContain(`${name} paused`);
  ok(["unpause", name]);
  expect(waitFor(() => cpuNs(dirs) > f0)).toBe(true);
  removeAndCheck(name, id);
}, 120_000);

test("block I/O on a disk given with --device: weight and write limit land, the limit holds, stats count the bytes; the cgroup namespace is the container's own", () => {
  const name = uniqueName("io");
  // timed inside the container (/proc/uptime): a ctr call alone takes seconds in the guest
  const sh = "cat /proc/self/cgroup; a=$(cut -d' ' -f1 /proc/uptime); dd if=/dev/zero of=/dev/xdisk bs=1M count=4 oflag=direct 2>/dev/null || echo dd-failed; b=$(cut -d' ' -f1 /proc/uptime); echo took $a $b; exec sleep 1000";
  const id = ok(["run", "-d", ...NONE, "--name", name, "--device", `${DISK}:/dev/xdisk`, "--device-write-bps", `${DISK}:2mb`, "--blkio-weight", "300", ROOTFS, "sh", "-c", sh]).trim();
  const info = inspect(name);
  const dirs: string[] = info.Ctr.CgroupPaths;
  expect(cg(dirs, "blkio.throttle.write_bps_device", "io.max")).toMatch(new RegExp(`^${MAJ}:${MIN} (rbps=max )?(wbps=)?${2 * MiB}( |$)`, "m"));
  // v1 blkio.weight or BFQ's on the v1 scale; v2 io.weight on its own (OCI's conversion of 300)
  const weight = ["blkio.weight", "blkio.bfq.weight", "io.bfq.weight", "io.weight"].map((f) => dirs.map((d) => join(d, f)).find(existsSync)).find(Boolean);
  expect(readFileSync(weight!, "utf8").trim()).toMatch(/^(default )?(300|2930)$/);
  const log: string = info.LogPath;
  const lines = () => (existsSync(log) ? readFileSync(log, "utf8").split("\n").filter(Boolean).map((l) => JSON.parse(l).log.trim()) : []);
  expect(waitFor(() => lines().some((l) => l.startsWith("took")), 60_000)).toBe(true);
  const out = lines();
  const took = /^took (\S+) (\S+)$/.exec(out.find((l) => l.startsWith("took"))!)!;
  expect(out).not.toContain("dd-failed");
  expect(Number(took[2]) - Number(took[1])).toBeGreaterThan(1.2);
  // a private cgroup namespace is rooted at the container's cgroup: v2 shows exactly 0::/
  const cgroupLines = out.filter((l) => /^\d+:/.test(l));
  if (detectMode() === "v2") expect(cgroupLines).toEqual(["0::/"]);
  else expect(cgroupLines).toContain("0::/");
  // docker's units: 4 MiB written is 4.19MB
  const [, written] = ok(["stats", "--no-stream", "--format", "{{.BlockIO}}", name]).trim().split(" / ");
  expect(written).toMatch(/^4\.\d+MB$/);
  removeAndCheck(name, id);
}, 120_000);

test("the device allow-list: the defaults open, the disk's node is refused unless given, and :r allows reads only", () => {
  const probe = [
    "echo x > /dev/null && head -c 4 /dev/zero | wc -c && head -c 4 /dev/urandom | wc -c",
    `mknod /dev/d b ${MAJ} ${MIN} && echo made`,
    "if head -c 512 /dev/d >/dev/null 2>&1; then echo opened; else echo refused; fi",
  ].join("; ");
  expect(ok(["run", "--rm", ...NONE, ROOTFS, "sh", "-c", probe]).split("\n").map((l) => l.trim())).toEqual(["4", "4", "made", "refused", ""]);
  const ro = "head -c 512 /dev/ro | wc -c; if dd if=/dev/zero of=/dev/ro bs=512 count=1 2>/dev/null; then echo written; else echo write-refused; fi";
  expect(ok(["run", "--rm", ...NONE, "--device", `${DISK}:/dev/ro:r`, ROOTFS, "sh", "-c", ro]).split("\n").map((l) => l.trim())).toEqual(["512", "write-refused", ""]);
}, 120_000);

test("a bridge-networked container serves another over the bridge", () => {
  const web = uniqueName("web");
  const id = ok(["run", "-d", "--cgroup-parent", PARENT, "--name", web, ROOTFS, "httpd", "-f", "-p", "80", "-h", "/var/www"]).trim();
  const ip = inspect(web).NetworkSettings.IPAddress;
  expect(ip).toStartWith(`10.${X}.0.`);
  expect(ok(["run", "--rm", "--cgroup-parent", PARENT, ROOTFS, "wget", "-qO-", `http://${ip}/`])).toBe("hello from ctr\n");
  removeAndCheck(web, id);
}, 120_000);

test("--net host: the host's interfaces, and still a cgroup mount of the container's own (v2: was EBUSY)", () => {
  const out = ok(["run", "--rm", "--net", "host", "--cgroup-parent", PARENT, ROOTFS, "sh", "-c", "ls /sys/class/net; echo --; grep -c ':/$' /proc/self/cgroup; grep -vc ':/$' /proc/self/cgroup; true"]);
  const [nets, counts] = out.split("--\n");
  expect(nets!.split("\n")).toContain("lo");
  // every line of /proc/self/cgroup is rooted at the container's cgroup
  expect(counts!.split("\n").map(Number).slice(0, 2)).toEqual([readFileSync("/proc/self/cgroup", "utf8").trim().split("\n").length, 0]);
}, 120_000);

test("an image container runs on an overlayfs rootfs", () => {
  const tar = join(root, "rootfs.tar");
  writeFileSync(tar, writeTar(rootfsEntries(ROOTFS)));
  ok(["import", tar, "vmtest:1"]);
  const out = ok(["run", "--rm", ...NONE, "vmtest:1", "sh", "-c", "grep ' / ' /proc/mounts | cut -d' ' -f3; cat /var/www/index.html"]);
  expect(out).toBe("overlay\nhello from ctr\n");
}, 120_000);

test("removal left nothing: not a container's cgroup, not the parent ctr made for them", () => {
  const mounts = readFileSync("/proc/self/mountinfo", "utf8").split("\n").filter((l) => / - cgroup2? /.test(l)).map((l) => l.split(" ")[4]!);
  expect(mounts.length).toBeGreaterThan(0);
  expect(mounts.filter((m) => existsSync(join(m, PARENT)))).toEqual([]);
}, 120_000);
