// Images in and out of files: `import` (a flat rootfs tar becomes a one-layer
// image), `load` (docker save archives and OCI image layouts, as a directory
// or a tar) and `save` (an OCI layout tar that also carries docker's
// manifest.json, so `docker load` reads it too). Every blob goes through
// putBlob, which refuses one whose bytes do not match its digest.
import { lstatSync, readFileSync } from "node:fs";
import { join, posix } from "node:path";
import { hostPlatform, type ImageConfig, type Index, type Manifest, MT, parseConfig, parseManifestOrIndex, selectPlatform } from "./manifest.ts";
import { canonical, familiar, parseReference } from "./reference.ts";
import { emitEvent } from "../runtime/state/events.ts";
import { addImage, getBlob, ImageError, type ImageRecord, loadManifest, putBlob, readIndex, sha256, tagsOf, withGcLock } from "./store.ts";
import { decompress, readTar, writeTar, type WriteEntry } from "./tar.ts";

const enc = new TextEncoder();
const dec = new TextDecoder();
const jsonBytes = (v: unknown) => enc.encode(JSON.stringify(v));

function layerMediaType(b: Uint8Array): string {
  if (b[0] === 0x1f && b[1] === 0x8b) return MT.ociLayerGzip;
  if (b[0] === 0x28 && b[1] === 0xb5) return MT.ociLayerZstd;
  return MT.ociLayer;
}

/** The full name for NAME[:TAG], as the index keys it. */
export const fullName = (ref: string) => canonical(parseReference(ref));

/** A flat rootfs tar (plain, gzip or zstd) as a one-layer image. */
export function importRootfs(tar: Uint8Array, name: string | undefined, changes: ImageConfig["config"] = {}): Promise<ImageRecord> {
  return withGcLock("shared", () => importLocked(tar, name, changes));
}

async function importLocked(tar: Uint8Array, name: string | undefined, changes: ImageConfig["config"]): Promise<ImageRecord> {
  const layer = putBlob(tar);
  const created = new Date().toISOString();
  const { architecture, os } = hostPlatform();
  const config: ImageConfig = {
    architecture,
    os,
    created,
    config: { Env: ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"], ...changes },
    rootfs: { type: "layers", diff_ids: [sha256(decompress(tar))] },
    history: [{ created, created_by: "ctr image import", comment: "Imported from tarball" }],
  };
  const cfg = jsonBytes(config);
  const manifest: Manifest = {
    schemaVersion: 2,
    mediaType: MT.ociManifest,
    config: { mediaType: MT.ociConfig, digest: putBlob(cfg), size: cfg.length },
    layers: [{ mediaType: layerMediaType(tar), digest: layer, size: tar.length }],
  };
  const rec = await addImage(putBlob(jsonBytes(manifest)), name ? [fullName(name)] : []);
  emitEvent("image", "import", rec.id, { name: name ? familiar(fullName(name)) : rec.id });
  return rec;
}

/** Files of an archive by path: a directory read from disk, or a tar's entries (symlinks followed inside it). */
interface Files {
  get(path: string): Uint8Array | undefined;
}

function dirFiles(root: string): Files {
  return {
    get(p) {
      const norm = posix.normalize(p).replace(/^(\.\/)+/, "");
      if (norm.startsWith("../") || norm.startsWith("/")) throw new ImageError(`archive path ${p} leaves the archive`);
      try {
        return readFileSync(join(root, norm));
      } catch {
        return undefined;
      }
    },
  };
}

function tarFiles(bytes: Uint8Array): Files {
  const files = new Map<string, Uint8Array>();
  const links = new Map<string, string>();
  for (const e of readTar(decompress(bytes))) {
    const name = posix.normalize(e.name).replace(/^(\.\/)+/, "");
    if (e.type === "file") files.set(name, e.data);
    else if (e.type === "symlink") links.set(name, posix.normalize(posix.join(posix.dirname(name), e.linkname)));
    else if (e.type === "hardlink") links.set(name, posix.normalize(e.linkname));
  }
  return {
    get(p) {
      let name = posix.normalize(p).replace(/^(\.\/)+/, "");
      for (let hops = 0; hops < 8 && !files.has(name) && links.has(name); hops++) name = links.get(name)!;
      return files.get(name);
    },
  };
}

export interface Loaded {
  id: string;
  names: string[];
}

/** `load -i`: a docker save tar, an OCI layout tar, or an OCI layout directory; or the tar's bytes (`load` from stdin). */
export function loadArchive(path: string, bytes?: Uint8Array): Promise<Loaded[]> {
  return withGcLock("shared", async () => {
    const loaded = await loadLocked(path, bytes);
    for (const l of loaded) {
      if (l.names.length === 0) emitEvent("image", "load", l.id, { name: l.id });
      for (const n of l.names) emitEvent("image", "load", familiar(n), { name: familiar(n) });
    }
    return loaded;
  });
}

async function loadLocked(path: string, bytes?: Uint8Array): Promise<Loaded[]> {
  let files: Files;
  try {
    files = bytes ? tarFiles(bytes) : lstatSync(path).isDirectory() ? dirFiles(path) : tarFiles(readFileSync(path));
  } catch (e) {
    if (e instanceof ImageError || (e as Error).name === "TarError") throw new ImageError(`${path}: ${(e as Error).message}`);
    throw new ImageError(`open ${path}: no such file or directory`);
  }
  const index = files.get("index.json");
  if (index && files.get("oci-layout")) return loadOci(files, index);
  const dm = files.get("manifest.json");
  if (dm) return loadDocker(files, dm);
  throw new ImageError(`${path}: neither an OCI image layout (index.json, oci-layout) nor a docker save archive (manifest.json)`);
}

/** A blob of the archive, checked against its descriptor; stored only once the whole image checked out. */
function blob(files: Files, digest: string, size: number | undefined, pending: Map<string, Uint8Array>): Uint8Array {
  const b = files.get(`blobs/sha256/${digest.slice(7)}`);
  if (!b) throw new ImageError(`archive is missing blob ${digest}`);
  const got = sha256(b);
  if (got !== digest) throw new ImageError(`blob rejected: digest mismatch: expected ${digest}, got ${got}; not stored`);
  if (size !== undefined && b.length !== size) throw new ImageError(`blob ${digest}: size ${b.length}, the descriptor says ${size}; not stored`);
  pending.set(digest, b);
  return b;
}

async function loadOci(files: Files, indexBytes: Uint8Array): Promise<Loaded[]> {
  const top = parseManifestOrIndex(indexBytes);
  if (top.kind !== "index") throw new ImageError("index.json is not an image index");
  const out: Loaded[] = [];
  for (const d of top.i.manifests) {
    const ann = d.annotations ?? {};
    const names: string[] = [];
    const cname = ann["io.containerd.image.name"];
    const rname = ann["org.opencontainers.image.ref.name"];
    if (cname) names.push(fullName(cname));
    else if (rname && /[/:]/.test(rname)) names.push(fullName(rname));
    const pending = new Map<string, Uint8Array>();
    let desc = d;
    let parsed = parseManifestOrIndex(blob(files, d.digest, d.size, pending));
    // a multi-platform image: this host's manifest
    if (parsed.kind === "index") {
      desc = selectPlatform(parsed.i as Index);
      parsed = parseManifestOrIndex(blob(files, desc.digest, desc.size, pending));
    }
    if (parsed.kind !== "manifest") throw new ImageError(`${desc.digest}: nested index is not supported`);
    const m = parsed.m;
    blob(files, m.config.digest, m.config.size, pending);
    for (const l of m.layers) blob(files, l.digest, l.size, pending);
    for (const [digest, b] of pending) putBlob(b, digest);
    const rec = await addImage(desc.digest, names);
    out.push({ id: rec.id, names });
  }
  return out;
}

interface DockerEntry {
  Config: string;
  RepoTags?: string[] | null;
  Layers: string[];
}

async function loadDocker(files: Files, manifestBytes: Uint8Array): Promise<Loaded[]> {
  let entries: DockerEntry[];
  try {
    entries = JSON.parse(dec.decode(manifestBytes));
  } catch {
    throw new ImageError("manifest.json is not valid JSON");
  }
  const out: Loaded[] = [];
  for (const e of entries) {
    const cfg = files.get(e.Config);
    if (!cfg) throw new ImageError(`archive is missing the image config ${e.Config}`);
    const config = parseConfig(cfg);
    // docker names configs by their digest: a mismatch means a damaged archive
    const named = /([a-f0-9]{64})(\.json)?$/.exec(e.Config)?.[1];
    const cfgDigest = putBlob(cfg, named ? `sha256:${named}` : undefined);
    const layers = e.Layers.map((p) => {
      const b = files.get(p);
      if (!b) throw new ImageError(`archive is missing layer ${p}`);
      return { mediaType: b[0] === 0x1f && b[1] === 0x8b ? MT.dockerLayer : "application/vnd.docker.image.rootfs.diff.tar", digest: putBlob(b), size: b.length };
    });
    if (layers.length !== config.rootfs.diff_ids.length) throw new ImageError(`manifest.json lists ${layers.length} layers, the config ${config.rootfs.diff_ids.length}`);
    const m: Manifest = { schemaVersion: 2, mediaType: MT.dockerManifest, config: { mediaType: MT.dockerConfig, digest: cfgDigest, size: cfg.length }, layers };
    const names = (e.RepoTags ?? []).map(fullName);
    const rec = await addImage(putBlob(jsonBytes(m)), names);
    out.push({ id: rec.id, names });
  }
  return out;
}

/** `save -o`: the images (by name or id) as one OCI layout tar, with docker's manifest.json beside. */
export function saveArchive(images: { rec: ImageRecord; names: string[] }[]): Uint8Array {
  const blobs = new Map<string, Uint8Array>();
  const add = (d: string) => blobs.set(d, getBlob(d));
  const index: Index & { mediaType: string } = { schemaVersion: 2, mediaType: MT.ociIndex, manifests: [] };
  const docker: DockerEntry[] = [];
  for (const { rec, names } of images) {
    const m = loadManifest(rec.manifest);
    add(rec.manifest);
    add(m.config.digest);
    for (const l of m.layers) add(l.digest);
    const size = getBlob(rec.manifest).length;
    const desc = { mediaType: m.mediaType ?? MT.ociManifest, digest: rec.manifest, size };
    if (names.length === 0) index.manifests.push(desc);
    for (const n of names) {
      const r = parseReference(n);
      index.manifests.push({ ...desc, annotations: { "io.containerd.image.name": n, "org.opencontainers.image.ref.name": r.tag ?? "latest" } });
    }
    docker.push({ Config: `blobs/sha256/${m.config.digest.slice(7)}`, RepoTags: names.map((n) => n.replace(/^docker\.io\/(library\/)?/, "")), Layers: m.layers.map((l) => `blobs/sha256/${l.digest.slice(7)}`) });
  }
  const entries: WriteEntry[] = [
    { name: "oci-layout", type: "file", data: jsonBytes({ imageLayoutVersion: "1.0.0" }) },
    { name: "blobs", type: "dir" },
    { name: "blobs/sha256", type: "dir" },
    ...[...blobs].sort(([a], [b]) => a.localeCompare(b)).map(([d, data]): WriteEntry => ({ name: `blobs/sha256/${d.slice(7)}`, type: "file", data })),
    { name: "index.json", type: "file", data: jsonBytes(index) },
    { name: "manifest.json", type: "file", data: jsonBytes(docker) },
  ];
  return writeTar(entries);
}

/** What `save` writes for a list of refs: names that were asked for, or all of an image's tags when asked by id. */
export function resolveForSave(refs: string[], find: (ref: string) => ImageRecord | undefined): { rec: ImageRecord; names: string[] }[] {
  const ix = readIndex();
  const byId = new Map<string, { rec: ImageRecord; names: string[] }>();
  for (const ref of refs) {
    const rec = find(ref);
    if (!rec) throw new ImageError(`reference does not exist: ${ref}`, 1);
    const e = byId.get(rec.id) ?? { rec, names: [] };
    byId.set(rec.id, e);
    let name: string | undefined;
    try {
      const r = parseReference(ref);
      if (!/^[a-f0-9]{12,64}$/.test(ref.replace(/^sha256:/, "")) && !r.digest) name = canonical(r);
    } catch {}
    for (const n of name ? [name] : tagsOf(rec.id, ix)) if (!e.names.includes(n)) e.names.push(n);
  }
  return [...byId.values()];
}

