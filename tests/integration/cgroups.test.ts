// Cgroups on this host's real kernel: each limit lands in the container's own
// cgroup files and holds (memory -> OOM kill, pids -> fork bomb contained,
// cpu quota measured from the cgroup's accounting, block I/O throttled), the
// freezer pauses for real, stats reports what the kernel counts, and rm
// leaves no directory behind. Files are looked up among the container's own
// cgroup paths, so the same checks hold on v1, hybrid and v2 hosts.
import { afterAll, describe, expect, test } from "bun:test";
import { existsSync, mkdirSync, readdirSync, readFileSync, realpathSync, rmdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { parseShownSize } from "../../cmd/_units.ts";
import { leftoverCgroups, ROOTFS, testRoot, uniqueName } from "./harness.ts";

const { root, ctr } = testRoot("cg");
const NONE = ["--net", "none"];
const MiB = 1024 * 1024;

const inspect = (name: string) => JSON.parse(ctr(["inspect", name]).stdout)[0];
const cgroupPaths = (name: string): string[] => inspect(name).Ctr.CgroupPaths;

/** The container's cgroup file of that name, wherever its controller lives (v1 hierarchy or the v2 directory). */
function cgFile(name: string, file: string): string {
  const p = cgroupPaths(name).find((d) => existsSync(join(d, file)));
  if (!p) throw new Error(`no ${file} in the cgroups of ${name}`);
  return join(p, file);
}
const cg = (name: string, file: string) => readFileSync(cgFile(name, file), "utf8").trim();
const has = (name: string, file: string) => cgroupPaths(name).some((p) => existsSync(join(p, file)));
/** v1 file if the host has it, else the v2 one */
const cg12 = (name: string, v1: string, v2: string) => cg(name, has(name, v1) ? v1 : v2);

/** CPU time the cgroup accounted, in ns: v1 cpuacct.usage, v2 cpu.stat. */
function cpuNs(name: string): number {
  const d = cgroupPaths(name);
  const v1 = d.find((p) => existsSync(join(p, "cpuacct.usage")));
  if (v1) return Number(readFileSync(join(v1, "cpuacct.usage"), "utf8"));
  return Number(/usage_usec (\d+)/.exec(readFileSync(cgFile(name, "cpu.stat"), "utf8"))![1]) * 1000;
}

function runD(name: string, flags: string[], ...cmd: string[]) {
  const r = ctr(["run", "-d", ...NONE, "--name", name, ...flags, ROOTFS, ...cmd]);
  if (r.code !== 0) throw new Error(`run ${name}: ${r.stderr}`);
  return r.stdout.trim();
}

/** rm -f, then nothing of it in any hierarchy */
function removeAndCheck(name: string, id: string) {
  expect(ctr(["rm", "-f", name]).code).toBe(0);
  expect(leftoverCgroups(id)).toEqual([]);
}

function waitFor(cond: () => boolean, ms = 5000): boolean {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) return false;
    Bun.sleepSync(20);
  }
  return true;
}

/** The whole disk holding the rootfs, e.g. /dev/vda: throttles take whole disks only. */
function rootfsDisk(): string {
  const dev = statSync(ROOTFS).dev;
  const mm = `${Math.floor(dev / 256) & 0xfff}:${(dev & 0xff) | ((dev >> 12) & ~0xff)}`;
  let sys = realpathSync(`/sys/dev/block/${mm}`);
  if (existsSync(join(sys, "partition"))) sys = join(sys, "..");
  const disk = `/dev/${sys.split("/").pop()}`;
  if (!statSync(disk).isBlockDevice()) throw new Error(`${disk} is not a block device`);
  return disk;
}

describe("memory", () => {
  test("--memory 32m and 64 MiB allocated: OOM-killed, OOMKilled true, exit 137", () => {
    const name = uniqueName("oom");
    // dd holds one 64 MiB buffer and fills it from /dev/zero
    const r = ctr(["run", ...NONE, "--name", name, "--memory", "32m", ROOTFS, "dd", "if=/dev/zero", "of=/dev/null", "bs=64M", "count=1"]);
    expect(r.code).toBe(137);
    const st = inspect(name).State;
    expect([st.OOMKilled, st.ExitCode, st.Status]).toEqual([true, 137, "exited"]);
    expect(Number(cg12(name, "memory.limit_in_bytes", "memory.max"))).toBe(32 * MiB);
    removeAndCheck(name, inspect(name).Id);
  });

  test("a container that stays under its limit, or is killed by a user, is not OOMKilled", () => {
    const name = uniqueName("nooom");
    expect(ctr(["run", ...NONE, "--name", name, "--memory", "32m", ROOTFS, "true"]).code).toBe(0);
    expect(inspect(name).State.OOMKilled).toBe(false);
    const killed = uniqueName("killed");
    runD(killed, ["--memory", "32m"], "sleep", "1000");
    ctr(["kill", killed]);
    expect(ctr(["wait", killed]).stdout.trim()).toBe("137");
    expect(inspect(killed).State.OOMKilled).toBe(false);
    ctr(["rm", name, killed]);
  });

  test("reservation and swap land in the v1 files", () => {
    const name = uniqueName("memfiles");
    const id = runD(name, ["--memory", "64m", "--memory-reservation", "32m", "--memory-swap", "96m"], "sleep", "1000");
    if (has(name, "memory.limit_in_bytes")) {
      expect(cg(name, "memory.soft_limit_in_bytes")).toBe(String(32 * MiB));
      expect(cg(name, "memory.memsw.limit_in_bytes")).toBe(String(96 * MiB));
    }
    expect(inspect(name).HostConfig.MemoryReservation).toBe(32 * MiB);
    removeAndCheck(name, id);
  });

  test("--kernel-memory is refused, not silently dropped", () => {
    const r = ctr(["run", "--rm", ...NONE, "--kernel-memory", "64m", ROOTFS, "true"]);
    if (r.code === 0) return; // a v1 kernel before 6.1 enforces it
    expect(r.code).toBe(125);
    expect(r.stderr).toContain("--kernel-memory");
    expect(ctr(["ps", "-aq"]).stdout).toBe("");
  });
});

describe("pids", () => {
  test("--pids-limit 20: a fork bomb stays at 20 and the host is unaffected", () => {
    const name = uniqueName("bomb");
    const id = runD(name, ["--pids-limit", "20"], "sh", "-c", "f() { f | f & }; f; sleep 1000");
    expect(cg(name, "pids.max")).toBe("20");
    waitFor(() => Number(cg(name, "pids.current")) >= 20, 3000);
    Bun.sleepSync(300);
    expect(Number(cg(name, "pids.current"))).toBeLessThanOrEqual(20);
    expect(cg(name, "pids.events")).toMatch(/max [1-9]/);
    // the host still forks
    expect(Bun.spawnSync(["true"]).exitCode).toBe(0);
    removeAndCheck(name, id);
  });
});

describe("cpu", () => {
  test("--cpus 0.5: a busy loop gets 0.35-0.65 CPU-seconds per second by the cgroup's accounting", () => {
    const name = uniqueName("cpus");
    const id = runD(name, ["--cpus", "0.5"], "sh", "-c", "while :; do :; done");
    expect(cg12(name, "cpu.cfs_quota_us", "cpu.max")).toMatch(/^50000( 100000)?$/);
    Bun.sleepSync(300);
    const [c0, t0] = [cpuNs(name), performance.now()];
    Bun.sleepSync(2000);
    const rate = (cpuNs(name) - c0) / 1e6 / (performance.now() - t0);
    expect(rate).toBeGreaterThan(0.35);
    expect(rate).toBeLessThan(0.65);
    removeAndCheck(name, id);
  });

  test("--cpu-shares and --cpu-quota/--cpu-period land", () => {
    const name = uniqueName("shares");
    const id = runD(name, ["--cpu-shares", "512", "--cpu-quota", "25000", "--cpu-period", "50000"], "sleep", "1000");
    if (has(name, "cpu.shares")) {
      expect([cg(name, "cpu.shares"), cg(name, "cpu.cfs_quota_us"), cg(name, "cpu.cfs_period_us")]).toEqual(["512", "25000", "50000"]);
    } else {
      expect([cg(name, "cpu.weight"), cg(name, "cpu.max")]).toEqual(["20", "25000 50000"]);
    }
    removeAndCheck(name, id);
  });

  test("--cpuset-cpus 0: the container's own view says 0", () => {
    const r = ctr(["run", "--rm", ...NONE, "--cpuset-cpus", "0", "--cpuset-mems", "0", ROOTFS, "grep", "Cpus_allowed_list", "/proc/self/status"]);
    expect(r.code).toBe(0);
    expect(r.stdout.trim()).toBe("Cpus_allowed_list:\t0");
  });
});

describe("block I/O", () => {
  test("weight and per-device rates land under the device's major:minor", () => {
    const disk = rootfsDisk();
    const rdev = statSync(disk).rdev;
    const mm = `${Math.floor(rdev / 256) & 0xfff}:${(rdev & 0xff) | ((rdev >> 12) & ~0xff)}`;
    const name = uniqueName("blkio");
    const id = runD(name, ["--blkio-weight", "300", "--device-read-bps", `${disk}:1mb`, "--device-write-bps", `${disk}:2mb`], "sleep", "1000");
    if (has(name, "blkio.throttle.read_bps_device")) {
      const weight = has(name, "blkio.weight") ? "blkio.weight" : "blkio.bfq.weight";
      expect(cg(name, weight)).toBe("300");
      expect(cg(name, "blkio.throttle.read_bps_device")).toBe(`${mm} ${MiB}`);
      expect(cg(name, "blkio.throttle.write_bps_device")).toBe(`${mm} ${2 * MiB}`);
    } else {
      expect(cg(name, "io.max")).toContain(`${mm} rbps=${MiB} wbps=${2 * MiB}`);
    }
    expect(inspect(name).HostConfig.BlkioWeight).toBe(300);
    removeAndCheck(name, id);
  });

  test("--device-write-bps holds: 4 MiB of direct writes at 2 MiB/s take over a second", () => {
    const disk = rootfsDisk();
    const f = `/tmp/wbps-${process.pid}`;
    const t0 = performance.now();
    const r = ctr(["run", "--rm", ...NONE, "--device-write-bps", `${disk}:2mb`, ROOTFS, "sh", "-c", `dd if=/dev/zero of=${f} bs=1M count=4 oflag=direct 2>/dev/null; rm -f ${f}`]);
    expect(r.code).toBe(0);
    expect(performance.now() - t0).toBeGreaterThan(1200);
  });

  test("a device that is not there, or not a block device, is refused by name", () => {
    const missing = ctr(["run", "--rm", ...NONE, "--device-read-bps", "/dev/nosuchdisk:1mb", ROOTFS, "true"]);
    expect(missing.code).toBe(125);
    expect(missing.stderr).toContain("--device-read-bps /dev/nosuchdisk:1048576: no such device on this host");
    const chr = ctr(["run", "--rm", ...NONE, "--device-write-bps", "/dev/null:1mb", ROOTFS, "true"]);
    expect(chr.stderr).toContain("/dev/null:1048576: not a block device");
    expect(ctr(["ps", "-aq"]).stdout).toBe("");
  });
});

describe("pause and unpause", () => {
  // on the container's own /dev/shm: the busybox rootfs is shared by the tests
  const counter = "i=0; while :; do i=$((i+1)); echo $i > /dev/shm/count; done";
  const count = (pid: number) => Number(readFileSync(`/proc/${pid}/root/dev/shm/count`, "utf8").trim() || 0);

  test("a counter stops while paused and goes on after unpause; ps, inspect and exec agree", () => {
    const name = uniqueName("pause");
    const id = runD(name, [], "sh", "-c", counter);
    const pid = inspect(name).State.Pid;
    expect(waitFor(() => existsSync(`/proc/${pid}/root/dev/shm/count`) && count(pid) > 0)).toBe(true);
    expect(ctr(["pause", name]).code).toBe(0);
    // the kernel's own word: v1 FROZEN, or v2 "frozen 1"
    expect(has(name, "freezer.state") ? cg(name, "freezer.state") === "FROZEN" : /^frozen 1$/m.test(cg(name, "cgroup.events"))).toBe(true);
    const a = count(pid);
    Bun.sleepSync(300);
    expect(count(pid)).toBe(a);
    expect(ctr(["ps", "--format", "{{.Names}} {{.State}} {{.Status}}"]).stdout).toMatch(new RegExp(`${name} paused Up .* \\(Paused\\)`));
    const st = inspect(name).State;
    expect([st.Status, st.Paused, st.Running]).toEqual(["paused", true, true]);
    const ex = ctr(["exec", name, "true"]);
    expect(ex.code).toBe(1);
    expect(ex.stderr).toContain("is paused, unpause the container before exec");
    expect(ctr(["pause", name]).stderr).toContain("is already paused");
    expect(ctr(["unpause", name]).code).toBe(0);
    expect(waitFor(() => count(pid) > a, 2000)).toBe(true);
    expect(inspect(name).State.Status).toBe("running");
    expect(ctr(["unpause", name]).stderr).toContain("is not paused");
    removeAndCheck(name, id);
  });

  test("as Docker: kill (SIGKILL) and stop end a paused container; another signal waits for unpause", () => {
    const killed = uniqueName("pkill");
    runD(killed, [], "sleep", "1000");
    ctr(["pause", killed]);
    expect(ctr(["kill", killed]).code).toBe(0);
    expect(ctr(["wait", killed]).stdout.trim()).toBe("137");

    const stopped = uniqueName("pstop");
    runD(stopped, [], "sh", "-c", "trap 'exit 3' TERM; while :; do sleep 0.1; done");
    Bun.sleepSync(100);
    ctr(["pause", stopped]);
    expect(ctr(["stop", "-t", "5", stopped]).code).toBe(0);
    expect(inspect(stopped).State.ExitCode).toBe(3);

    const hup = uniqueName("phup");
    runD(hup, [], "sh", "-c", "trap 'exit 7' HUP; while :; do sleep 0.1; done");
    Bun.sleepSync(100);
    ctr(["pause", hup]);
    expect(ctr(["kill", "-s", "HUP", hup]).code).toBe(0);
    Bun.sleepSync(300);
    expect(inspect(hup).State.Status).toBe("paused");
    ctr(["unpause", hup]);
    expect(ctr(["wait", hup]).stdout.trim()).toBe("7");

    const removed = uniqueName("prm");
    const id = runD(removed, [], "sleep", "1000");
    ctr(["pause", removed]);
    removeAndCheck(removed, id);
    ctr(["rm", killed, stopped, hup]);
  });

  test("pause needs a running container", () => {
    const name = uniqueName("pdone");
    ctr(["run", ...NONE, "--name", name, ROOTFS, "true"]);
    const r = ctr(["pause", name]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("is not running");
    ctr(["rm", name]);
  });
});

describe("stats", () => {
  test("--no-stream --format: memory within 10% of what the container holds, one pid, no network", () => {
    const name = uniqueName("stats");
    // 64 MiB written to a tmpfs is charged to the container and stays there
    const id = runD(name, ["--memory", "256m", "--tmpfs", "/data"], "sh", "-c", "dd if=/dev/zero of=/data/f bs=1M count=64 2>/dev/null; exec sleep 1000");
    // dd is done when only the sleep is left
    expect(waitFor(() => cg(name, "pids.current") === "1")).toBe(true);
    const r = ctr(["stats", "--no-stream", "--format", "{{.Name}}|{{.MemUsage}}|{{.MemPerc}}|{{.PIDs}}|{{.NetIO}}|{{.CPUPerc}}", name]);
    expect(r.code).toBe(0);
    const [n, mem, perc, pids, net, cpu] = r.stdout.trim().split("|");
    expect(n).toBe(name);
    const [used, limit] = mem!.split(" / ");
    const usedBytes = parseShownSize(used!);
    expect(usedBytes).toBeGreaterThan(64 * MiB * 0.9);
    expect(usedBytes).toBeLessThan(64 * MiB * 1.1);
    expect(limit).toBe("256MiB");
    expect(Number(perc!.replace("%", ""))).toBeCloseTo((usedBytes / (256 * MiB)) * 100, 0);
    expect(pids).toBe("1");
    expect(net).toBe("0B / 0B");
    expect(cpu).toMatch(/^\d+\.\d\d%$/);
    removeAndCheck(name, id);
  });

  test("the default table, --format json, -a with a stopped container, a busy container's CPU %", () => {
    const busy = uniqueName("busy");
    const id = runD(busy, ["--cpus", "0.5"], "sh", "-c", "while :; do :; done");
    const done = uniqueName("done");
    ctr(["run", ...NONE, "--name", done, ROOTFS, "true"]);
    const table = ctr(["stats", "--no-stream"]).stdout.split("\n");
    expect(table[0]).toMatch(/^CONTAINER ID\s+NAME\s+CPU %\s+MEM USAGE \/ LIMIT\s+MEM %\s+NET I\/O\s+BLOCK I\/O\s+PIDS$/);
    expect(table.some((l) => l.includes(busy))).toBe(true);
    expect(table.some((l) => l.includes(done))).toBe(false);
    const rows = ctr(["stats", "--no-stream", "-a", "--format", "json"]).stdout.trim().split("\n").map((l) => JSON.parse(l));
    expect(Object.keys(rows[0]).sort()).toEqual(["BlockIO", "CPUPerc", "Container", "ID", "MemPerc", "MemUsage", "Name", "NetIO", "PIDs"]);
    const b = rows.find((x) => x.Name === busy);
    const cpu = Number(b.CPUPerc.replace("%", ""));
    expect(cpu).toBeGreaterThan(35);
    expect(cpu).toBeLessThan(65);
    expect(rows.find((x) => x.Name === done)).toMatchObject({ CPUPerc: "0.00%", MemUsage: "0B / 0B", PIDs: "0" });
    expect(ctr(["stats", "--no-stream", "nosuch"]).code).toBe(1);
    removeAndCheck(busy, id);
    ctr(["rm", done]);
  });

  test("streaming redraws once a second until interrupted", async () => {
    const name = uniqueName("stream");
    const id = runD(name, [], "sleep", "1000");
    const q = Bun.spawn([join(import.meta.dir, "../../dist/ctr"), "stats", "--format", "{{.Name}} {{.PIDs}}", name], { env: { ...process.env, CTR_ROOT: root }, stdout: "pipe" });
    await Bun.sleep(2600);
    q.kill("SIGINT");
    await q.exited;
    const text = await new Response(q.stdout).text();
    const frames = text.split("\x1b[2J\x1b[H").filter(Boolean);
    expect(frames.length).toBeGreaterThanOrEqual(2);
    expect(frames.at(-1)!.trim()).toBe(`${name} 1`);
    removeAndCheck(name, id);
  });
});

describe("--cgroup-parent", () => {
  const hierarchyRoots = () => {
    const mounts = readFileSync("/proc/self/mountinfo", "utf8").split("\n").filter((l) => / - cgroup2? /.test(l)).map((l) => l.split(" ")[4]!);
    return mounts;
  };
  const theirs = `ctr-test-theirs-${process.pid}`;
  afterAll(() => {
    for (const m of hierarchyRoots()) {
      try {
        rmdirSync(join(m, theirs));
      } catch {}
    }
  });

  test("a parent that was there stays after rm; the container lived under it", () => {
    for (const m of hierarchyRoots()) mkdirSync(join(m, theirs), { recursive: true });
    const name = uniqueName("parent");
    const id = runD(name, ["--cgroup-parent", theirs, "--memory", "32m"], "sleep", "1000");
    const paths = cgroupPaths(name);
    expect(paths.every((p) => p.endsWith(`/${theirs}/${id}`))).toBe(true);
    expect(paths.every(existsSync)).toBe(true);
    expect(cg12(name, "memory.limit_in_bytes", "memory.max")).toBe(String(32 * MiB));
    expect(inspect(name).HostConfig.CgroupParent).toBe(theirs);
    removeAndCheck(name, id);
    for (const m of hierarchyRoots()) expect(readdirSync(join(m, theirs)).some((f) => /^[0-9a-f]{64}$/.test(f))).toBe(false);
    for (const m of hierarchyRoots()) expect(existsSync(join(m, theirs))).toBe(true);
  });

  test("parents ctr had to make go with the container", () => {
    const made = `ctr-test-made-${process.pid}/a/b`;
    const name = uniqueName("made");
    const id = runD(name, ["--cgroup-parent", `/${made}`], "sleep", "1000");
    expect(cgroupPaths(name).every((p) => p.endsWith(`/${made}/${id}`))).toBe(true);
    removeAndCheck(name, id);
    for (const m of hierarchyRoots()) expect(existsSync(join(m, `ctr-test-made-${process.pid}`))).toBe(false);
  });

  test("a parent cannot climb out of the hierarchy", () => {
    const r = ctr(["run", "--rm", ...NONE, "--cgroup-parent", "../../x", ROOTFS, "true"]);
    expect(r.code).toBe(125);
    expect(r.stderr).toContain("invalid cgroup path");
  });
});
