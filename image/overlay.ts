// A container's rootfs from an image: overlayfs with the image's unpacked
// layers as lowerdirs (shared, never written) and the container's own upper
// and work dirs beside it. Mounted by TS in the host mount namespace before
// the executor starts (DESIGN.md rule 1); the executor bind-mounts and
// pivots into it like any rootfs directory.
//
//   <container dir>/rootfs   the overlay mount point
//   <container dir>/upper    what the container writes
//   <container dir>/work     overlayfs's scratch space
import { mkdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { SysError } from "../runtime/sys/errno.ts";
import { mount, umount2 } from "../runtime/sys/libc.ts";
import { copyLayers } from "./copy.ts";

const MNT_DETACH = 2;

export const overlayRootfs = (containerDir: string) => join(containerDir, "rootfs");

/**
 * layers bottom first, as the config lists them. Returns the mount point, or
 * a copy of the layers where overlayfs is refused (ENODEV: no overlay in this
 * kernel; EINVAL/EOPNOTSUPP: a filesystem it cannot stack on) or where
 * CTR_ROOTFS=copy asks for one.
 */
export function mountOverlay(containerDir: string, layers: string[], opts: { copy?: boolean } = {}): string {
  if (opts.copy || process.env.CTR_ROOTFS === "copy") return copyLayers(containerDir, layers);
  try {
    return mountLayers(containerDir, layers);
  } catch (e) {
    if (!(e instanceof SysError) || ![19, 22, 95].includes(e.errno)) throw e;
    rmSync(join(containerDir, "rootfs"), { recursive: true, force: true });
    return copyLayers(containerDir, layers);
  }
}

function mountLayers(containerDir: string, layers: string[]): string {
  const [target, upper, work] = ["rootfs", "upper", "work"].map((d) => join(containerDir, d)) as [string, string, string];
  for (const d of [target, upper, work]) mkdirSync(d, { recursive: true, mode: 0o755 });
  // overlayfs lists the top layer first; an image with no layers still needs one lowerdir
  const lower = layers.length ? [...layers].reverse() : [join(containerDir, "empty")];
  if (!layers.length) mkdirSync(lower[0]!, { recursive: true });
  const opts = `lowerdir=${lower.join(":")},upperdir=${upper},workdir=${work}`;
  if (opts.length > 4000) throw new SysError("mount overlay", 7 /* E2BIG */, `${layers.length} layers`);
  mount("overlay", target, "overlay", 0, opts);
  return target;
}

/** Unmounts (lazily: a process still inside keeps its view) and removes upper and work. Idempotent. */
export function unmountOverlay(containerDir: string): void {
  const target = join(containerDir, "rootfs");
  for (;;) {
    try {
      umount2(target, MNT_DETACH);
    } catch (e) {
      // EINVAL: not a mount point (any more); ENOENT: never made
      if (e instanceof SysError && (e.errno === 22 || e.errno === 2)) break;
      throw e;
    }
  }
  rmSync(join(containerDir, "upper"), { recursive: true, force: true });
  rmSync(join(containerDir, "work"), { recursive: true, force: true });
}
