// Images (issue 9 item 7): pull + unpack of the same image (the busybox
// rootfs as one gzipped layer) from a local registry (Debian's
// docker-registry on 127.0.0.1, started here), `ctr pull` against
// `podman pull` and `skopeo copy` + `umoci unpack`, where installed. Each run
// pulls into a store without the image (removed after each, untimed). Also
// `ctr image load` of the same image as an OCI layout tar, with no peer.
// Image verbs are young: a failure is a note, not a failed bench.
import { join } from "node:path";
import type { Registry } from "../tests/fixtures/registry.ts";
import { type Ctx, type Row, have, interleave, ociBundle, podman, runcRoot, sh, timeOnce, tryRun } from "./lib.ts";

const ok = (ctx: Ctx, argv: string[]) => Bun.spawnSync(argv, { env: { ...process.env, ...ctx.ctrEnv }, stdout: "ignore", stderr: "ignore" }).exitCode === 0;

async function pullBench(ctx: Ctx): Promise<Row[]> {
  if (!ok(ctx, [ctx.ctr, "pull", "--help"])) {
    ctx.notes.push("images: pull: not yet (issue 6: no `ctr pull` in this build)");
    return [];
  }
  if (!have("docker-registry")) {
    ctx.notes.push("images: pull not measured: no local registry (apt-get install docker-registry)");
    return [];
  }
  let reg: Registry | undefined;
  const pm = podman(ctx);
  if (!pm) ctx.notes.push("images: podman missing, so `ctr pull` stands alone (apt-get install podman)");
  const skopeo = have("skopeo") && have("umoci");
  if (!skopeo) ctx.notes.push("images: skopeo + umoci not installed (apt-get install skopeo umoci)");
  try {
    // loaded here, not at the top: a change in image/ or the test fixtures costs this row, not the whole bench
    const { writeTar } = await import("../image/tar.ts");
    const { gz, imageOf, rootfsEntries } = await import("../tests/fixtures/image.ts");
    const { pushImage, startRegistry } = await import("../tests/fixtures/registry.ts");
    reg = await startRegistry(join(ctx.work, "registry"));
    const layer = gz(writeTar(rootfsEntries(ctx.rootfs)));
    const img = imageOf([layer], { Cmd: ["sh"] });
    await pushImage(reg.host, "bench/busybox", "1", img.config, img.layers);
    const ref = `${reg.host}/bench/busybox:1`;
    const c: Record<string, () => number> = {
      ctr: () => {
        const ms = timeOnce([ctx.ctr, "pull", "-q", ref], ctx.ctrEnv);
        sh([ctx.ctr, "rmi", ref], ctx.ctrEnv);
        return ms;
      },
    };
    if (pm) {
      c.podman = () => {
        const ms = timeOnce([...pm, "pull", "-q", "--tls-verify=false", ref]);
        sh([...pm, "rmi", "-f", ref]);
        return ms;
      };
    }
    if (skopeo) {
      const oci = join(ctx.work, "skopeo-oci");
      const bundle = join(ctx.work, "umoci-bundle");
      c["skopeo + umoci"] = () => {
        const ms = timeOnce(["sh", "-c", `skopeo copy -q --src-tls-verify=false docker://${ref} oci:${oci}:busybox && umoci unpack --image ${oci}:busybox ${bundle} >/dev/null`]);
        sh(["rm", "-rf", oci, bundle]);
        return ms;
      };
    }
    const s = interleave(c, ctx.runs, ctx.warmup);
    const rows: Row[] = [{ name: `pull + unpack from a local registry (busybox, 1 layer, ${(layer.length / 1048576).toFixed(1)} MiB gzipped)`, unit: "ms", better: "lower", stats: s, data: { layerBytes: layer.length } }];
    // then a container from the pulled image (overlayfs of its layer, its config)
    // against runc on the same files unpacked as a bundle, as issue 6 asks
    sh([ctx.ctr, "pull", "-q", ref], ctx.ctrEnv);
    try {
      const r: Record<string, () => number> = {
        ctr: () => timeOnce([ctx.ctr, "run", "--rm", "--net", "none", "--pull", "never", ref, "true"], ctx.ctrEnv),
      };
      if (have("runc")) {
        const b = ociBundle(ctx, "true", ["true"]);
        let seq = 0;
        r.runc = () => timeOnce(["runc", "--root", runcRoot(ctx), "run", "--bundle", b, `img${seq++}`]);
      }
      rows.push({ name: "run --rm --net none true from the pulled image (runc: the same files as a bundle)", unit: "ms", better: "lower", stats: interleave(r, ctx.runs, ctx.warmup) });
    } finally {
      tryRun([ctx.ctr, "rmi", "-f", ref], ctx.ctrEnv);
    }
    return rows;
  } catch (e) {
    ctx.notes.push(`images: pull could not be measured: ${(e as Error).message.split("\n")[0]}`);
    return [];
  } finally {
    await reg?.stop();
  }
}

function loadBench(ctx: Ctx): Row[] {
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

export async function images(ctx: Ctx): Promise<Row[]> {
  if (!ok(ctx, [ctx.ctr, "image", "--help"])) {
    ctx.notes.push("images: not yet: images are issue 6 (no `ctr image` verbs in this build)");
    return [];
  }
  return [...(await pullBench(ctx)), ...loadBench(ctx)];
}
