// Start latency (issue 9 items 1, 2 and 8): a container that does nothing.
//  - `ctr run --rm --net none true` against `runc run` and `crun run` on the
//    same bundle, `podman run --rm --rootfs`, and the kernel's own floor: `unshare` of the same namespaces.
//  - `ctr run --rm true` in bridge mode (ctr's default) against ctr's own
//    --net none: the difference is what the network costs (target <= 5 ms).
import { join } from "node:path";
import { type Ctx, type Row, have, interleave, ociBundle, podman, podmanRunArgs, runcRoot, timeOnce } from "./lib.ts";

const UNSHARE = ["unshare", "--fork", "--pid", "--mount", "--uts", "--ipc", "--net", "true"];

/** crun refuses hybrid hosts whose cgroup2 mount has no controllers; find out once. */
function crunWorks(ctx: Ctx, bundle: string): string | null {
  const p = Bun.spawnSync(["crun", "--root", join(ctx.work, "crun"), "run", "--bundle", bundle, "bench-crun-probe"], { stdout: "ignore", stderr: "pipe" });
  Bun.spawnSync(["crun", "--root", join(ctx.work, "crun"), "delete", "--force", "bench-crun-probe"], { stdout: "ignore", stderr: "ignore" });
  return p.exitCode === 0 ? null : p.stderr.toString().trim().split("\n").at(-1) ?? `exit ${p.exitCode}`;
}

export function start(ctx: Ctx): Row[] {
  const rows: Row[] = [];
  let seq = 0;
  const c: Record<string, () => number> = {
    ctr: () => timeOnce([ctx.ctr, "run", "--rm", "--net", "none", ctx.rootfs, "true"], ctx.ctrEnv),
  };
  if (have("runc")) {
    const b = ociBundle(ctx, "true", ["true"]);
    c.runc = () => timeOnce(["runc", "--root", runcRoot(ctx), "run", "--bundle", b, `bench${seq++}`]);
    if (have("crun")) {
      const why = crunWorks(ctx, b);
      if (why) ctx.notes.push(`crun: refuses this host (${why})`);
      else c.crun = () => timeOnce(["crun", "--root", join(ctx.work, "crun"), "run", "--bundle", b, `bench${seq++}`]);
    }
  }
  const pm = podman(ctx);
  if (pm) c.podman = () => timeOnce([...pm, "run", "--rm", ...podmanRunArgs(ctx), "true"]);
  if (have("unshare")) c["unshare (floor)"] = () => timeOnce(UNSHARE);
  rows.push({ name: "run --rm --net none true", unit: "ms", better: "lower", stats: interleave(c, ctx.runs, ctx.warmup) });

  // bridge mode against ctr's own --net none: what the network adds
  const b = interleave({
    ctr: () => timeOnce([ctx.ctr, "run", "--rm", ctx.rootfs, "true"], ctx.ctrEnv),
    "ctr --net none": () => timeOnce([ctx.ctr, "run", "--rm", "--net", "none", ctx.rootfs, "true"], ctx.ctrEnv),
  }, ctx.runs, ctx.warmup);
  rows.push({ name: "run --rm true (bridge)", unit: "ms", better: "lower", stats: b, compare: "diff" });
  return rows;
}
