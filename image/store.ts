// The content store under the data root (runtime/state/paths.ts dataRoot):
//
//   blobs/sha256/<hex>   manifests, configs, layers as they came; verified on write
//   layers/<hex>/        a layer unpacked for overlayfs, named by its diff id
//                        (the sha256 of the uncompressed tar), shared by images
//   images.json          { images: {id: ImageRecord}, tags: {name: id} }, changed under lock
//
// An image's id is its config's digest, as Docker's. Tags are full names
// (docker.io/library/busybox:latest; reference.ts).
import { closeSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, readSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { withLock } from "../runtime/state/lock.ts";
import { flock, LOCK_EX, LOCK_SH, LOCK_UN } from "../runtime/sys/libc.ts";
import { dataRoot } from "../runtime/state/paths.ts";
import { type ImageConfig, type Manifest, ManifestError, parseConfig, parseManifestOrIndex } from "./manifest.ts";
import { canonical, parseReference } from "./reference.ts";
import { unpackLayerStream } from "./unpack.ts";

export class ImageError extends Error {
  override name = "EngineError";
  constructor(
    message: string,
    readonly exitCode = 125,
  ) {
    super(message);
  }
}

export interface ImageRecord {
  id: string;
  manifest: string;
  /** size of the layers as stored (compressed) plus the config */
  size: number;
  created: string;
  added: string;
  /** repository@digest it was pulled as (the digest the registry has: an index's, for a multi-platform image) */
  repoDigests?: string[];
}

interface Index {
  images: Record<string, ImageRecord>;
  tags: Record<string, string>;
}

export const sha256 = (b: Uint8Array) => `sha256:${new Bun.CryptoHasher("sha256").update(b).digest("hex")}`;
const hex = (digest: string) => digest.slice("sha256:".length);

export const blobPath = (digest: string) => join(dataRoot(), "blobs", "sha256", hex(digest));
export const layerDir = (diffId: string) => join(dataRoot(), "layers", hex(diffId));
const indexPath = () => join(dataRoot(), "images.json");
const lockPath = () => join(dataRoot(), "images.lock");

/** Stores bytes by their digest; refused (and nothing written) if they are not what `expected` names. */
export function putBlob(bytes: Uint8Array, expected?: string): string {
  const digest = sha256(bytes);
  if (expected && expected !== digest) throw new ImageError(`blob rejected: digest mismatch: expected ${expected}, got ${digest}; not stored`);
  const path = blobPath(digest);
  if (existsSync(path)) return digest;
  mkdirSync(join(dataRoot(), "blobs", "sha256"), { recursive: true });
  const tmp = `${path}.tmp${process.pid}`;
  writeFileSync(tmp, bytes);
  renameSync(tmp, path);
  return digest;
}

export function hasBlob(digest: string): boolean {
  return existsSync(blobPath(digest));
}

export function getBlob(digest: string): Uint8Array {
  try {
    return readFileSync(blobPath(digest));
  } catch {
    throw new ImageError(`blob ${digest} is missing from the content store`);
  }
}

export function readIndex(): Index {
  try {
    return JSON.parse(readFileSync(indexPath(), "utf8")) as Index;
  } catch {
    return { images: {}, tags: {} };
  }
}

function writeIndex(ix: Index): void {
  mkdirSync(dataRoot(), { recursive: true });
  const tmp = `${indexPath()}.tmp${process.pid}`;
  writeFileSync(tmp, `${JSON.stringify(ix, null, 2)}\n`);
  renameSync(tmp, indexPath());
}

export async function updateIndex<T>(fn: (ix: Index) => T): Promise<T> {
  mkdirSync(dataRoot(), { recursive: true });
  return withLock(lockPath(), () => {
    const ix = readIndex();
    const r = fn(ix);
    writeIndex(ix);
    return r;
  });
}

export function loadManifest(digest: string): Manifest {
  const p = parseManifestOrIndex(getBlob(digest));
  if (p.kind !== "manifest") throw new ImageError(`${digest} is an index, not an image manifest`);
  return p.m;
}

export function loadConfig(img: ImageRecord): ImageConfig {
  return parseConfig(getBlob(img.id));
}

/**
 * Unpacks every layer not yet unpacked, as a stream: the blob is read,
 * decompressed, hashed and unpacked chunk by chunk, so memory holds one tar
 * entry, not the layer. The diff id is checked at the end; a mismatch removes
 * what was unpacked (into a temporary directory) and fails.
 */
export async function unpackLayers(m: Manifest, config: ImageConfig): Promise<string[]> {
  if (m.layers.length !== config.rootfs.diff_ids.length) throw new ManifestError(`manifest has ${m.layers.length} layers, its config ${config.rootfs.diff_ids.length} diff ids`);
  mkdirSync(join(dataRoot(), "layers"), { recursive: true });
  const dirs: string[] = [];
  for (const [i, l] of m.layers.entries()) {
    const diffId = config.rootfs.diff_ids[i]!;
    const dir = layerDir(diffId);
    dirs.push(dir);
    if (existsSync(dir)) continue;
    if (!hasBlob(l.digest)) throw new ImageError(`blob ${l.digest} is missing from the store`);
    const tmp = `${dir}.tmp${process.pid}`;
    rmSync(tmp, { recursive: true, force: true });
    try {
      const hasher = new Bun.CryptoHasher("sha256");
      const source = hashed(decompressStream(blobPath(l.digest)), hasher);
      await unpackLayerStream(source, tmp);
      while (!(await source.next()).done); // the rest (end-of-archive blocks) counts in the digest
      const got = `sha256:${hasher.digest("hex")}`;
      if (got !== diffId) throw new ImageError(`layer ${l.digest}: uncompressed digest ${got} does not match the config's diff id ${diffId}`);
      renameSync(tmp, dir);
    } catch (e) {
      rmSync(tmp, { recursive: true, force: true });
      // a parallel run or load unpacked the same layer first: theirs is as good
      if (!existsSync(dir)) throw e;
    }
  }
  return dirs;
}

/** A blob file's bytes, decompressed as its magic says (gzip, zstd or plain). */
function decompressStream(path: string): ReadableStream<Uint8Array> {
  const fd = openSync(path, "r");
  const magic = Buffer.alloc(4);
  readSync(fd, magic, 0, 4, 0);
  closeSync(fd);
  const raw = Bun.file(path).stream();
  if (magic[0] === 0x1f && magic[1] === 0x8b) return raw.pipeThrough(new DecompressionStream("gzip"));
  // Bun decompresses zstd natively; the DOM typings know only gzip and deflate
  if (magic.readUInt32LE(0) === 0xfd2fb528) return raw.pipeThrough(new DecompressionStream("zstd" as "gzip"));
  return raw;
}

async function* hashed(stream: ReadableStream<Uint8Array>, hasher: Bun.CryptoHasher): AsyncGenerator<Uint8Array> {
  for await (const chunk of stream) {
    hasher.update(chunk);
    yield chunk;
  }
}

/**
 * Adds a stored manifest as an image (unpacking its layers) and points the
 * given names at it; a name moves off whichever image had it.
 */
export async function addImage(manifestDigest: string, names: string[], repoDigest?: string): Promise<ImageRecord> {
  const m = loadManifest(manifestDigest);
  const cfgBytes = getBlob(m.config.digest);
  const config = parseConfig(cfgBytes);
  await unpackLayers(m, config);
  const rec: ImageRecord = {
    id: m.config.digest,
    manifest: manifestDigest,
    size: m.layers.reduce((n, l) => n + l.size, cfgBytes.length),
    created: config.created ?? new Date(0).toISOString(),
    added: new Date().toISOString(),
  };
  return updateIndex((ix) => {
    const had = ix.images[rec.id];
    const repoDigests = [...new Set([...(had?.repoDigests ?? []), ...(repoDigest ? [repoDigest] : [])])];
    ix.images[rec.id] = { ...rec, added: had?.added ?? rec.added, ...(repoDigests.length ? { repoDigests } : {}) };
    for (const n of names) ix.tags[n] = rec.id;
    return ix.images[rec.id]!;
  });
}

/** A name, a full or short id (sha256:... or 12+ hex), or name@digest: the image, if present. */
export function findImage(ref: string, ix = readIndex()): ImageRecord | undefined {
  const idLike = ref.replace(/^sha256:/, "");
  if (/^[a-f0-9]{4,64}$/.test(idLike)) {
    const hits = Object.values(ix.images).filter((i) => hex(i.id).startsWith(idLike));
    if (hits.length === 1) return hits[0];
    if (hits.length > 1) throw new ImageError(`short id ${ref} is ambiguous: give more of it`, 1);
  }
  let name: string;
  try {
    const r = parseReference(ref);
    if (r.digest) {
      const rd = `${r.domain}/${r.path}@${r.digest}`;
      return Object.values(ix.images).find((i) => i.manifest === r.digest || i.repoDigests?.includes(rd));
    }
    name = canonical(r);
  } catch {
    return undefined;
  }
  const id = ix.tags[name];
  return id ? ix.images[id] : undefined;
}

export function tagsOf(id: string, ix = readIndex()): string[] {
  return Object.entries(ix.tags)
    .filter(([, v]) => v === id)
    .map(([k]) => k)
    .sort();
}

/**
 * Garbage collection against work in flight: load, import, pull and run hold
 * this shared while they have blobs or layers no image record names yet (or
 * an image no container record names yet); rmi and prune hold it exclusive
 * while they decide what is unused and delete it.
 */
export function gcLock(mode: "shared" | "exclusive"): { release(): void } {
  mkdirSync(dataRoot(), { recursive: true });
  const path = join(dataRoot(), "gc.lock");
  const fd = openSync(path, "a");
  flock(fd, mode === "shared" ? LOCK_SH : LOCK_EX, path);
  let held = true;
  return {
    release() {
      if (!held) return;
      held = false;
      flock(fd, LOCK_UN, path);
      closeSync(fd);
    },
  };
}

// flock excludes open files, not callers in one process: in the daemon a
// pull (shared, held across awaits) and an rmi (exclusive) are two requests
// of one process, and a blocking flock would stop its event loop for good.
// So callers first pass an in-process gate with the same rule, then flock.
let sharedHere = 0;
let exclusiveHere = false;
let waiting: (() => void)[] = [];

async function enterGate(mode: "shared" | "exclusive"): Promise<void> {
  while (mode === "shared" ? exclusiveHere : exclusiveHere || sharedHere > 0) await new Promise<void>((r) => waiting.push(r));
  if (mode === "shared") sharedHere++;
  else exclusiveHere = true;
}

function leaveGate(mode: "shared" | "exclusive"): void {
  if (mode === "shared") sharedHere--;
  else exclusiveHere = false;
  const w = waiting;
  waiting = [];
  for (const f of w) f();
}

/** gcLock for async callers: safe when several run in one process (the daemon). */
export async function gcLockAsync(mode: "shared" | "exclusive"): Promise<{ release(): void }> {
  await enterGate(mode);
  let l: { release(): void };
  try {
    l = gcLock(mode);
  } catch (e) {
    leaveGate(mode);
    throw e;
  }
  let held = true;
  return {
    release() {
      if (!held) return;
      held = false;
      l.release();
      leaveGate(mode);
    },
  };
}

export async function withGcLock<T>(mode: "shared" | "exclusive", fn: () => T | Promise<T>): Promise<T> {
  const l = await gcLockAsync(mode);
  try {
    return await fn();
  } finally {
    l.release();
  }
}

/** Blobs and unpacked layers no image refers to any more (call under gcLock("exclusive")). */
export function collectGarbage(ix: Index): { blobs: number; layers: number } {
  const blobs = new Set<string>();
  const layers = new Set<string>();
  for (const img of Object.values(ix.images)) {
    blobs.add(hex(img.manifest));
    blobs.add(hex(img.id));
    try {
      const m = loadManifest(img.manifest);
      for (const l of m.layers) blobs.add(hex(l.digest));
      for (const d of loadConfig(img).rootfs.diff_ids) layers.add(hex(d));
    } catch {}
  }
  let nb = 0;
  let nl = 0;
  const bdir = join(dataRoot(), "blobs", "sha256");
  for (const f of existsSync(bdir) ? readdirSync(bdir) : []) {
    if (!blobs.has(f)) {
      rmSync(join(bdir, f), { force: true });
      nb++;
    }
  }
  const ldir = join(dataRoot(), "layers");
  for (const f of existsSync(ldir) ? readdirSync(ldir) : []) {
    if (!layers.has(f)) {
      rmSync(join(ldir, f), { recursive: true, force: true });
      nl++;
    }
  }
  return { blobs: nb, layers: nl };
}

export function blobSize(digest: string): number {
  return statSync(blobPath(digest)).size;
}
