// What `run IMAGE` takes from the image: its layers as an overlay rootfs and
// its config (Entrypoint, Cmd, Env, WorkingDir, User, Labels, StopSignal,
// ExposedPorts) under whatever the flags and the TOML file say.
import { writeSync } from "node:fs";
import type { ContainerSpec } from "../spec/types.ts";
import type { ImageConfig } from "./manifest.ts";
import { mountOverlay } from "./overlay.ts";
import { canonical, familiar, parseReference } from "./reference.ts";
import { findImage, gcLockAsync, ImageError, loadConfig, loadManifest, unpackLayers } from "./store.ts";

export interface ImageRootfs {
  /** the spec with the image's config under it */
  spec: ContainerSpec;
  rootfs: string;
  image: { id: string; name: string; exposedPorts?: string[] };
  /** lets rmi and prune go on: call once the container's record names the image */
  release: () => void;
}

export function applyImageConfig(spec: ContainerSpec, config: ImageConfig): ContainerSpec {
  const c = config.config ?? {};
  const env: Record<string, string> = {};
  for (const kv of c.Env ?? []) {
    const eq = kv.indexOf("=");
    if (eq > 0) env[kv.slice(0, eq)] = kv.slice(eq + 1);
  }
  return {
    ...spec,
    entrypoint: spec.entrypoint ?? c.Entrypoint ?? undefined,
    // --entrypoint drops the image's Cmd, as in Docker
    command: spec.command ?? (spec.entrypoint !== undefined ? undefined : (c.Cmd ?? undefined)),
    env: { ...env, ...spec.env },
    workdir: spec.workdir ?? (c.WorkingDir || undefined),
    user: spec.user ?? (c.User || undefined),
    labels: { ...(c.Labels ?? {}), ...spec.labels },
    // SIGTERM is also the spec's default: an image's StopSignal wins over it
    stopSignal: spec.stopSignal === "SIGTERM" && c.StopSignal ? c.StopSignal : spec.stopSignal,
  };
}

/**
 * Finds the image (pulling it when it is not here, as docker run does; the
 * pull's lines go to stderr), applies its config and mounts its overlay
 * under the container's directory.
 */
export async function imageRootfs(spec: ContainerSpec, containerDir: string): Promise<ImageRootfs> {
  const lock = await gcLockAsync("shared");
  try {
    return { ...(await findAndMount(spec, containerDir)), release: lock.release };
  } catch (e) {
    lock.release();
    throw e;
  }
}

async function findAndMount(spec: ContainerSpec, containerDir: string): Promise<Omit<ImageRootfs, "release">> {
  const ref = spec.image!;
  const policy = spec.pull ?? "missing";
  let rec = policy === "always" ? undefined : findImage(ref);
  if (!rec) {
    let shown = ref;
    try {
      shown = familiar(canonical(parseReference(ref)));
    } catch {}
    if (policy === "never") throw new ImageError(`No such image: ${shown} (--pull never)`);
    const say = (line: string) => writeSync(2, `${line}\n`);
    if (policy === "missing") say(`Unable to find image '${shown}' locally`);
    const { pull, progressLine } = await import("./registry.ts");
    let r;
    try {
      r = await pull(ref, { progress: (p) => { const l = progressLine(p); if (l) say(l); } });
    } catch (e) {
      throw new ImageError(`pulling ${shown}: ${(e as Error).message}`);
    }
    rec = r.image;
    say(`Status: ${r.downloaded ? "Downloaded newer image" : "Image is up to date"} for ${shown}`);
  }
  const config = loadConfig(rec);
  const layers = await unpackLayers(loadManifest(rec.manifest), config);
  // a remapped user namespace sees the rootfs through an idmapped mount, which
  // overlayfs refuses (EINVAL): such a container gets a copy of the layers
  const rootfs = mountOverlay(containerDir, layers, { copy: spec.namespaces.user?.mode === "private" });
  const exposed = Object.keys(config.config?.ExposedPorts ?? {});
  return {
    spec: { ...applyImageConfig(spec, config), rootfs },
    rootfs,
    image: { id: rec.id, name: ref, ...(exposed.length ? { exposedPorts: exposed } : {}) },
  };
}
