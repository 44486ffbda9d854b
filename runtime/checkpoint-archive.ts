// checkpoint --export / restore --import: a checkpoint as one zstd-compressed
// tar that another host (or this one, after `rm`) turns back into a running
// container:
//
//   checkpoint/   CRIU's images and ctr.json (the container's record, its
//                 stdio, external mounts, network address)
//   upper/        for a container from an image: its overlay upper dir (what
//                 it wrote); the image itself must be on the importing host.
//                 A container on a rootfs directory finds that directory at
//                 the same path.
//
// The tar is GNU tar's (--xattrs, numeric owners): an upper dir holds
// overlayfs whiteouts (0:0 character devices) and trusted.overlay.* xattrs,
// which it keeps as they are.
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { createCgroup } from "../cgroup/cgroup.ts";
import { isManagedMode } from "../net/modes.ts";
import { checkpointDir } from "./checkpoint.ts";
import { findCriu } from "./criu/binary.ts";
import { readTar } from "../image/tar.ts";
import { EngineError } from "./errors.ts";
import { removeContainer } from "./remove.ts";
import { readMeta, runRestore } from "./restore.ts";
import { claimName, newId } from "./state/names.ts";
import { containerDir, stateRoot } from "./state/paths.ts";
import { type ContainerRecord, saveRecord } from "./state/record.ts";

const TAR_FLAGS = ["--xattrs", "--xattrs-include=*", "--numeric-owner"];

function tar(args: string[], stdin?: Uint8Array): Uint8Array {
  if (!Bun.which("tar")) throw new EngineError("checkpoint archives need GNU tar on PATH (apt-get install tar)");
  const p = Bun.spawnSync(["tar", ...args], { stdin: stdin ?? "ignore", stdout: "pipe", stderr: "pipe" });
  if (p.exitCode !== 0) throw new EngineError(`tar ${args[0]}: ${p.stderr.toString().trim().split("\n").pop()}`);
  return p.stdout;
}

/** The archive's directory must exist (checked before the dump, so a typo costs nothing). */
export function checkExportPath(file: string): void {
  const parent = dirname(resolve(file));
  if (!existsSync(parent) || !statSync(parent).isDirectory()) throw new EngineError(`--export ${file}: no such directory ${parent}`, 1);
  if (existsSync(file) && statSync(file).isDirectory()) throw new EngineError(`--export ${file}: is a directory`, 1);
}

/** Writes the container's checkpoint (and its rootfs changes) to FILE; the checkpoint stays in the container's directory. */
export function exportCheckpoint(id: string, file: string): void {
  const dir = containerDir(id);
  if (!existsSync(checkpointDir(id))) throw new EngineError("no checkpoint to export");
  const parts = ["checkpoint"];
  const meta = readMeta(checkpointDir(id));
  if (meta.record.image) {
    if (!existsSync(join(dir, "upper"))) throw new EngineError(`container ${meta.record.name} has a copied rootfs (no overlay upper dir): exporting it is not supported yet`);
    parts.push("upper");
  }
  let body: Uint8Array;
  try {
    body = tar(["-c", "-C", dir, "--format=posix", ...TAR_FLAGS, ...parts]);
  } catch (e) {
    throw new EngineError(`the checkpoint is kept in ${checkpointDir(id)} (ctr restore ${meta.record.name}); exporting it failed: ${(e as Error).message}`);
  }
  const out = resolve(file);
  const tmp = `${out}.tmp${process.pid}`;
  try {
    writeFileSync(tmp, Bun.zstdCompressSync(body as Uint8Array<ArrayBuffer>));
    renameSync(tmp, out);
  } finally {
    rmSync(tmp, { force: true });
  }
}

export interface ImportOptions {
  name?: string;
  criu?: string;
}

/** A new container from an exported checkpoint, restored: its name (or NAME), rootfs changes, limits and address. */
export async function importCheckpoint(file: string, opts: ImportOptions): Promise<ContainerRecord> {
  if (!existsSync(file)) throw new EngineError(`${file}: no such file`, 1);
  const criu = findCriu(opts.criu);
  const id = newId();
  const dir = containerDir(id);
  let rec: ContainerRecord | undefined;
  try {
    mkdirSync(dir, { recursive: true });
    let body: Uint8Array;
    try {
      body = Bun.zstdDecompressSync(readFileSync(file) as Uint8Array<ArrayBuffer>);
    } catch {
      throw new EngineError(`${file}: not a checkpoint archive (zstd-compressed tar)`, 1);
    }
    const upper = checkEntries(file, body);
    tar(["-x", "-C", dir, ...TAR_FLAGS, "--same-permissions", "--same-owner", "checkpoint", ...(upper ? ["upper"] : [])], body);
    const meta = readMeta(checkpointDir(id));
    const old = meta.record;
    const name = opts.name ?? old.name;
    rec = {
      ...old, id, name, created: new Date().toISOString(), logPath: join(dir, `${id}-json.log`),
      monitorPid: undefined, monitorStart: undefined, started: true,
    };
    rec.spec = { ...old.spec, name };
    const cgroupRel = join(dirname(relCgroup(old)), id);
    rec.cgroup = { paths: old.cgroup.mounts.map((m) => join(m, cgroupRel)), mounts: old.cgroup.mounts };
    // the record first, so that rm -f (below, on failure) finds all that follows
    saveRecord(rec);
    claimName(name, id);
    if (old.image) rec.rootfs = await mountImage(old, dir);
    else if (!existsSync(rec.rootfs)) throw new EngineError(`the container's rootfs ${rec.rootfs} is not on this host`, 1);
    rec.cgroup = createCgroup(cgroupRel, { ...old.spec.resources, devicesAllowAll: old.spec.security.privileged });
    saveRecord(rec);
    if (isManagedMode(old.spec.network.mode)) {
      const { netContext, setupContainerNet } = await import("../net/container.ts");
      const n = old.spec.network;
      await setupContainerNet(netContext(stateRoot()), {
        id, name, hostname: rec.hostname, mode: n.mode, networks: n.networks, aliases: n.aliases,
        ip: meta.ip ?? n.ip, mac: n.mac, dns: n.dns, dnsSearch: n.dnsSearch, extraHosts: n.extraHosts,
      });
    }
    await runRestore(rec, meta, checkpointDir(id), criu, `/${cgroupRel}`);
    rec.restoredFrom = { checkpoint: resolve(file), created: meta.created, restoredAt: new Date().toISOString(), from: old.name };
    saveRecord(rec);
    return rec;
  } catch (e) {
    if (rec) await removeContainer(id, { force: true, quiet: true });
    else rmSync(dir, { recursive: true, force: true });
    throw e;
  }
}

/**
 * Every entry checked before GNU tar writes anything: only checkpoint/ and
 * upper/, no absolute path or "..", no entry below one of the archive's own
 * symlinks (a write through it would land outside), no hard link out of the
 * archive's tree. Returns whether it has an upper dir.
 */
function checkEntries(file: string, body: Uint8Array): boolean {
  const bad = (why: string, name: string) => new EngineError(`${file}: not a ctr checkpoint archive: ${why}: ${name}`, 1);
  const links: string[] = [];
  let upper = false;
  for (const e of readTar(body)) {
    const name = e.name.replace(/^\.\//, "").replace(/\/+$/, "");
    const parts = name.split("/");
    if (name.startsWith("/") || parts.includes("..")) throw bad("a path out of the archive", e.name);
    if (parts[0] !== "checkpoint" && parts[0] !== "upper") throw bad("an entry that is neither checkpoint/ nor upper/", e.name);
    if (links.some((l) => name.startsWith(`${l}/`))) throw bad("an entry below a symlink", e.name);
    if (e.type === "symlink") links.push(name);
    if (e.type === "hardlink" && (e.linkname.startsWith("/") || e.linkname.split("/").includes(".."))) throw bad("a hard link out of the archive", e.linkname);
    if (parts[0] === "upper") upper = true;
  }
  return upper;
}

/** The cgroup path below the hierarchy's mount, as the record's first path has it. */
function relCgroup(rec: ContainerRecord): string {
  const p = rec.cgroup.paths[0]!;
  const m = rec.cgroup.mounts.find((x) => p.startsWith(`${x}/`)) ?? rec.cgroup.mounts[0]!;
  return p.slice(m.length + 1);
}

async function mountImage(old: ContainerRecord, dir: string): Promise<string> {
  const store = await import("../image/store.ts");
  const img = store.findImage(old.image!.id);
  if (!img) throw new EngineError(`the container's image ${old.image!.name} (${old.image!.id}) is not on this host: load or pull it first`, 1);
  const layers = await store.unpackLayers(store.loadManifest(img.manifest), store.loadConfig(img));
  const { mountOverlay } = await import("../image/overlay.ts");
  return mountOverlay(dir, layers);
}
