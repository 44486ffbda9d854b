// Images (issue 9 item 7): pull + unpack of the same image from a local
// registry against skopeo+umoci or podman pull. Waits for `ctr image` (issue 6).
import type { Ctx, Row } from "./lib.ts";

export function images(ctx: Ctx): Row[] {
  const p = Bun.spawnSync([ctx.ctr, "image", "--help"], { stdout: "ignore", stderr: "ignore" });
  ctx.notes.push(p.exitCode === 0
    ? "images: skipped, `ctr image` exists but the pull benchmark (local registry, against skopeo+umoci or podman pull) is not written yet"
    : "images: not yet: images are issue 6 (no `ctr image` verbs in this build)");
  return [];
}
