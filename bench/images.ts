// Images (issue 9 item 7): pull + unpack of the same image from a local
// registry against skopeo+umoci or podman pull. Until `ctr pull` exists
// (issue 6), what can be measured is `ctr image load` of the busybox rootfs
// as an OCI layout tar; no peer here loads one without a daemon or podman,
// so that row stands alone. Image verbs are young: a failure is a note, not
// a failed bench.
import { join } from "node:path";
import { type Ctx, type Row, have, interleave, sh, timeOnce, tryRun } from "./lib.ts";

export function images(ctx: Ctx): Row[] {
  const ok = (argv: string[]) => Bun.spawnSync(argv, { env: { ...process.env, ...ctx.ctrEnv }, stdout: "ignore", stderr: "ignore" }).exitCode === 0;
  if (!ok([ctx.ctr, "image", "--help"])) {
    ctx.notes.push("images: not yet: images are issue 6 (no `ctr image` verbs in this build)");
    return [];
  }
  const peers = ["skopeo", "umoci", "podman"].filter((b) => !have(b));
  const pull = ok([ctx.ctr, "pull", "--help"]) ? "`ctr pull` exists but its benchmark (local registry) is not written yet" : "pull: not yet (issue 6)";
  ctx.notes.push(`images: ${pull}; ${peers.length ? `${peers.join(", ")} not installed (apt-get install ${peers.join(" ")})` : "peers present but not run"}`);
  const ref = `bench/busybox:${process.pid}`;
  const tar = join(ctx.work, "busybox-rootfs.tar");
  const oci = join(ctx.work, "busybox-oci.tar");
  try {
    sh(["tar", "-C", ctx.rootfs, "-cf", tar, "."]);
    sh([ctx.ctr, "image", "import", tar, ref], ctx.ctrEnv);
    sh([ctx.ctr, "image", "save", "-o", oci, ref], ctx.ctrEnv);
    sh([ctx.ctr, "image", "rm", ref], ctx.ctrEnv);
    const s = interleave({
      ctr: () => {
        const ms = timeOnce([ctx.ctr, "image", "load", "-i", oci], ctx.ctrEnv);
        sh([ctx.ctr, "image", "rm", ref], ctx.ctrEnv);
        return ms;
      },
    }, ctx.runs, ctx.warmup);
    const mib = Bun.file(oci).size / (1024 * 1024);
    return [{ name: `image load -i (busybox as an OCI layout tar, ${mib.toFixed(1)} MiB)`, unit: "ms", better: "lower", stats: s, data: { bytes: Bun.file(oci).size } }];
  } catch (e) {
    ctx.notes.push(`images: ctr image load could not be measured: ${(e as Error).message.split("\n")[0]}`);
    return [];
  } finally {
    tryRun([ctx.ctr, "image", "rm", "-f", ref], ctx.ctrEnv);
  }
}
