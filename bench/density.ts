// Density (issue 9 item 5): N idle containers (`run -d --net none sleep`);
// host memory per container = the monitor's resident memory (VmRSS of
// .Ctr.MonitorPid) + what the kernel charges to the container's memory cgroup
// (memory.usage_in_bytes on v1, memory.current on v2). Also, host-wide and
// divided by N: the growth of the kernel's unreclaimable memory and the drop
// of MemAvailable, which catch what no cgroup is charged for (namespaces,
// mounts, page tables) but move with whatever else the host does, so they are
// a note, not a row.
// Target: at most 1.5 MiB. The peer is Podman's conmon, where podman runs:
// `podman run -d --rootfs` of the same rootfs, conmon's VmRSS + the memory
// cgroup its container's init is in.
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { type Ctx, type Row, podman, podmanRunArgs, removeAll, sh, stats } from "./lib.ts";

/** MemAvailable, and the kernel's unreclaimable memory: SUnreclaim + KernelStack + PageTables + Shmem (bytes). */
function meminfo(): { available: number; kernel: number } {
  const m = readFileSync("/proc/meminfo", "utf8");
  const kb = (k: string) => Number(new RegExp(`^${k}:\\s+(\\d+)`, "m").exec(m)?.[1] ?? 0) * 1024;
  return { available: kb("MemAvailable"), kernel: kb("SUnreclaim") + kb("KernelStack") + kb("PageTables") + kb("Shmem") };
}
const MiB = 1024 * 1024;

function cgroupBytes(paths: string[]): number {
  for (const p of paths) {
    if (existsSync(join(p, "memory.usage_in_bytes"))) return Number(readFileSync(join(p, "memory.usage_in_bytes"), "utf8"));
    if (existsSync(join(p, "memory.current"))) return Number(readFileSync(join(p, "memory.current"), "utf8"));
  }
  return 0;
}

/** Memory charged to the memory cgroup a process is in (v1 memory line, else the v2 one). */
function cgroupOfPid(pid: number): string[] {
  const lines = readFileSync(`/proc/${pid}/cgroup`, "utf8").trim().split("\n").map((l) => l.split(":"));
  const v1 = lines.find((l) => l[1]!.split(",").includes("memory"));
  if (v1) return [`/sys/fs/cgroup/memory${v1[2]}`];
  const v2 = lines.find((l) => l[0] === "0");
  return v2 ? [`/sys/fs/cgroup${v2[2]}`, `/sys/fs/cgroup/unified${v2[2]}`] : [];
}

interface Engine {
  run(name: string): string[];
  env?: Record<string, string>;
  /** per container: the monitor's pid and the container's cgroup directories */
  inspect(names: string[]): { monitor: number; cgroups: string[] }[];
  rm(names: string[]): string[];
}

interface Measured { monitor: number[]; cgroup: number[]; total: number[]; kernelPer: number; availPer: number }

async function measure(names: string[], e: Engine): Promise<Measured> {
  try {
    const before = meminfo();
    // started a few at a time: this measures memory, not start-up
    for (let i = 0; i < names.length; i += 4) {
      await Promise.all(names.slice(i, i + 4).map(async (name) => {
        const p = Bun.spawn(e.run(name), { env: { ...process.env, ...e.env }, stdout: "ignore", stderr: "pipe" });
        if ((await p.exited) !== 0) throw new Error(`${e.run(name).join(" ")} failed: ${(await new Response(p.stderr).text()).trim()}`);
      }));
    }
    await Bun.sleep(1000);
    const after = meminfo();
    const m: Measured = { monitor: [], cgroup: [], total: [], kernelPer: (after.kernel - before.kernel) / names.length / MiB, availPer: (before.available - after.available) / names.length / MiB };
    for (const c of e.inspect(names)) {
      const rss = Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${c.monitor}/status`, "utf8"))?.[1] ?? 0) * 1024;
      const cg = cgroupBytes(c.cgroups);
      m.monitor.push(rss / MiB);
      m.cgroup.push(cg / MiB);
      m.total.push((rss + cg) / MiB);
    }
    return m;
  } finally {
    await removeAll(e.rm, names, e.env);
  }
}

export async function density(ctx: Ctx): Promise<Row[]> {
  const n = ctx.quick ? 20 : 200;
  const ids = (prefix: string) => Array.from({ length: n }, (_, i) => `${prefix}-${process.pid}-${i}`);
  const results: Record<string, Measured> = {};
  results.ctr = await measure(ids("density"), {
    run: (name) => [ctx.ctr, "run", "-d", "--net", "none", "--name", name, ctx.rootfs, "sleep", "100000"],
    env: ctx.ctrEnv,
    inspect: (names) => (JSON.parse(sh([ctx.ctr, "inspect", ...names], ctx.ctrEnv)) as { State: { Running: boolean }; Ctr: { MonitorPid: number; CgroupPaths: string[] } }[]).map((c) => {
      if (!c.State.Running) throw new Error("density: a ctr container stopped while idle");
      return { monitor: c.Ctr.MonitorPid, cgroups: c.Ctr.CgroupPaths };
    }),
    rm: (names) => [ctx.ctr, "rm", "-f", ...names],
  });
  const pm = podman(ctx);
  if (pm) {
    results["podman (conmon)"] = await measure(ids("pdensity"), {
      run: (name) => [...pm, "run", "-d", "--name", name, ...podmanRunArgs(ctx), "sleep", "100000"],
      inspect: (names) => sh([...pm, "inspect", "--format", "{{.State.ConmonPid}} {{.State.Pid}}", ...names]).trim().split("\n").map((l) => {
        const [conmon, pid] = l.split(" ").map(Number);
        if (!pid) throw new Error("density: a podman container stopped while idle");
        return { monitor: conmon!, cgroups: cgroupOfPid(pid) };
      }),
      rm: (names) => [...pm, "rm", "-f", "-t", "0", ...names],
    });
  } else ctx.notes.push("density: Podman's conmon is not installed here (apt-get install podman), so ctr's figure stands alone");
  for (const [k, m] of Object.entries(results)) {
    ctx.notes.push(`density, ${k}: host-wide meanwhile, per container: unreclaimable kernel memory (SUnreclaim+KernelStack+PageTables+Shmem) ${m.kernelPer >= 0 ? "+" : "-"}${Math.abs(m.kernelPer).toFixed(2)} MiB, MemAvailable ${m.availPer >= 0 ? "-" : "+"}${Math.abs(m.availPer).toFixed(2)} MiB (whole host: other work moves both)`);
  }
  const split = Object.entries(results).map(([k, m]) => `${k} ${stats(m.monitor).median.toFixed(2)} + ${stats(m.cgroup).median.toFixed(2)}`).join("; ");
  return [{
    name: `density: ${n} idle containers, monitor RSS + memory cgroup (medians: ${split})`, unit: "MiB/container", better: "lower",
    stats: Object.fromEntries(Object.entries(results).map(([k, m]) => [k, stats(m.total)])),
    data: { containers: n, ...Object.fromEntries(Object.entries(results).map(([k, m]) => [k, { monitorRssMiB: stats(m.monitor), cgroupMiB: stats(m.cgroup), kernelPerContainerMiB: m.kernelPer, memAvailableDropPerContainerMiB: m.availPer }])) },
  }];
}
