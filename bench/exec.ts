// Exec latency (issue 9 item 3): `exec true` into a running container,
// ctr against `runc exec` and `podman exec`.
import { type Ctx, type Row, have, interleave, ociBundle, podman, podmanRunArgs, runcRoot, sh, timeOnce, tryRun } from "./lib.ts";

export function exec(ctx: Ctx): Row[] {
  const name = `bench-exec-${process.pid}`;
  let runcId: string | undefined;
  try {
    sh([ctx.ctr, "run", "-d", "--net", "none", "--name", name, ctx.rootfs, "sleep", "100000"], ctx.ctrEnv);
    const c: Record<string, () => number> = { ctr: () => timeOnce([ctx.ctr, "exec", name, "true"], ctx.ctrEnv) };
    if (have("runc")) {
      const b = ociBundle(ctx, "sleep", ["sleep", "100000"]);
      runcId = name;
      tryRun(["runc", "--root", runcRoot(ctx), "run", "--detach", "--bundle", b, runcId]);
      c.runc = () => timeOnce(["runc", "--root", runcRoot(ctx), "exec", runcId!, "true"]);
    }
    const pm = podman(ctx);
    if (pm) {
      sh([...pm, "run", "-d", "--name", name, ...podmanRunArgs(ctx), "sleep", "100000"]);
      c.podman = () => timeOnce([...pm, "exec", name, "true"]);
    }
    return [{ name: "exec true", unit: "ms", better: "lower", stats: interleave(c, ctx.runs, ctx.warmup) }];
  } finally {
    tryRun([ctx.ctr, "rm", "-f", name], ctx.ctrEnv);
    if (runcId) tryRun(["runc", "--root", runcRoot(ctx), "delete", "--force", runcId]);
    const pm = podman(ctx);
    if (pm) tryRun([...pm, "rm", "-f", "-t", "0", name]);
  }
}
