// Unpacks one layer into its own directory, in the form overlayfs reads:
// whiteouts become 0:0 character devices, opaque directories carry
// trusted.overlay.opaque=y. Every entry is checked before it touches disk:
// no absolute path, no `..`, no write through a symlink (the layer's own or
// one it made a moment ago), no hard link to anything outside the layer.
// A hostile entry rejects the whole layer; the caller removes the directory.
import { chmodSync, existsSync, linkSync, lchownSync, lstatSync, mkdirSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { lsetxattr, mkfifo, mkWhiteout } from "../runtime/sys/libc.ts";
import type { SysError } from "../runtime/sys/errno.ts";
import { readTar, readTarStream, type TarEntry, XATTR } from "./tar.ts";

export class LayerError extends Error {
  override name = "EngineError";
  readonly exitCode = 125;
}

const WH = ".wh.";
const OPAQUE = ".wh..wh..opq";

/** Path components inside the layer, or a LayerError for one that would leave it. */
export function layerPath(name: string, what = "entry"): string[] {
  if (name.startsWith("/")) throw new LayerError(`layer rejected: ${what} ${JSON.stringify(name)} is an absolute path`);
  const parts = name.split("/").filter((p) => p !== "" && p !== ".");
  if (parts.includes("..")) throw new LayerError(`layer rejected: ${what} ${JSON.stringify(name)} leaves the layer (..)`);
  if (parts.some((p) => p.includes("\0"))) throw new LayerError(`layer rejected: ${what} ${JSON.stringify(name)} has a NUL byte`);
  return parts;
}

function lstat(p: string) {
  try {
    return lstatSync(p);
  } catch {
    return undefined;
  }
}

/** Makes (or checks) the directories above an entry: none may be a symlink or a non-directory. */
function parentDir(root: string, parts: string[], name: string, create: boolean): string {
  let dir = root;
  for (const p of parts.slice(0, -1)) {
    dir = join(dir, p);
    const st = lstat(dir);
    if (!st) {
      if (!create) throw new LayerError(`layer rejected: hard link ${JSON.stringify(name)} points to a missing file`);
      mkdirSync(dir, { mode: 0o755 });
    } else if (st.isSymbolicLink()) {
      throw new LayerError(`layer rejected: ${JSON.stringify(name)} would be written through the symlink ${JSON.stringify(parts.slice(0, parts.indexOf(p) + 1).join("/"))}`);
    } else if (!st.isDirectory()) {
      throw new LayerError(`layer rejected: ${JSON.stringify(name)}: ${p} is not a directory`);
    }
  }
  return dir;
}

export interface UnpackStats {
  entries: number;
  /** device nodes are not made from layers: containers get their /dev from ctr */
  skippedDevices: number;
  /** xattrs the filesystem refused (ENOTSUP, EPERM) */
  skippedXattrs: number;
}

export function unpackLayer(tar: Uint8Array, root: string): UnpackStats {
  mkdirSync(root, { recursive: true });
  const stats: UnpackStats = { entries: 0, skippedDevices: 0, skippedXattrs: 0 };
  for (const e of readTar(tar)) unpackEntry(root, e, stats);
  return stats;
}

/** The same from a stream of tar bytes (a layer as it is decompressed): one entry in memory at a time. */
export async function unpackLayerStream(source: AsyncIterator<Uint8Array>, root: string): Promise<UnpackStats> {
  mkdirSync(root, { recursive: true });
  const stats: UnpackStats = { entries: 0, skippedDevices: 0, skippedXattrs: 0 };
  for await (const e of readTarStream(source)) unpackEntry(root, e, stats);
  return stats;
}

function unpackEntry(root: string, e: TarEntry, stats: UnpackStats): void {
  stats.entries++;
  const parts = layerPath(e.name);
  if (parts.length === 0) {
    if (e.type === "dir") chmodSync(root, e.mode);
    return;
  }
  const dir = parentDir(root, parts, e.name, true);
  const base = parts.at(-1)!;
  if (base === OPAQUE) {
    lsetxattr(dir, "trusted.overlay.opaque", "y");
    return;
  }
  if (base.startsWith(WH)) {
    const target = join(dir, base.slice(WH.length));
    layerPath(base.slice(WH.length));
    rmSync(target, { recursive: true, force: true });
    mkWhiteout(target);
    return;
  }
  const path = join(dir, base);
  const st = lstat(path);
  if (st && !(e.type === "dir" && st.isDirectory())) rmSync(path, { recursive: true, force: true });
  if (!writeEntry(root, e, path, stats)) return;
  if (e.type !== "hardlink") lchownSync(path, e.uid, e.gid);
  if (e.type !== "symlink" && e.type !== "hardlink") chmodSync(path, e.mode); // after chown, which clears set-id bits
  if (e.type !== "symlink" && e.type !== "hardlink") applyXattrs(e, path, stats); // after chown, which clears file capabilities
}

/** A layer's xattrs, as GNU/star tar (SCHILY.xattr.NAME, raw bytes) or bsdtar (LIBARCHIVE.xattr.NAME%-escaped, base64) write them. */
export function layerXattrs(pax: Record<string, string>): [name: string, value: Uint8Array][] {
  const out: [string, Uint8Array][] = [];
  for (const [k, v] of Object.entries(pax)) {
    if (k.startsWith(XATTR)) out.push([k.slice(XATTR.length), Buffer.from(v, "latin1")]);
    else if (k.startsWith(LIBARCHIVE_XATTR)) out.push([decodeURIComponent(k.slice(LIBARCHIVE_XATTR.length)), Buffer.from(v, "base64")]);
  }
  return out;
}
const LIBARCHIVE_XATTR = "LIBARCHIVE.xattr.";

/**
 * Every attribute a layer carries is applied, as Docker's unpacker does:
 * file capabilities, user.*, security.*, trusted.*, ACLs. trusted.overlay.*
 * would let a layer forge overlayfs's own metadata (opaque, redirect): the
 * layer is rejected. One the filesystem will not take (ENOTSUP, EPERM) is
 * counted in the stats and skipped, as Docker warns and goes on.
 */
function applyXattrs(e: TarEntry, path: string, stats: UnpackStats): void {
  for (const [name, value] of layerXattrs(e.pax)) {
    if (name.startsWith("trusted.overlay.")) throw new LayerError(`layer rejected: ${JSON.stringify(e.name)} carries the overlayfs attribute ${name}`);
    try {
      lsetxattr(path, name, value);
    } catch (err) {
      const code = (err as SysError).code;
      if (code !== "EOPNOTSUPP" && code !== "ENOTSUP" && code !== "EPERM") throw err;
      stats.skippedXattrs++;
    }
  }
}

function writeEntry(root: string, e: TarEntry, path: string, stats: UnpackStats): boolean {
  switch (e.type) {
    case "dir":
      if (!existsSync(path)) mkdirSync(path, { mode: 0o755 });
      return true;
    case "file":
      writeFileSync(path, e.data, { flag: "wx", mode: 0o600 });
      return true;
    case "symlink":
      // where it points is resolved in the container's root, never by us
      symlinkSync(e.linkname, path);
      return true;
    case "hardlink": {
      const lp = layerPath(e.linkname, "hard link target");
      const target = join(parentDir(root, lp, e.linkname, false), lp.at(-1) ?? "");
      const st = lstat(target);
      if (!st || lp.length === 0) throw new LayerError(`layer rejected: hard link ${JSON.stringify(e.name)} -> ${JSON.stringify(e.linkname)}: the target is not in this layer`);
      if (st.isDirectory()) throw new LayerError(`layer rejected: hard link ${JSON.stringify(e.name)} to a directory`);
      linkSync(target, path);
      return true;
    }
    case "fifo":
      mkfifo(path, e.mode);
      return true;
    case "char":
    case "block":
      stats.skippedDevices++;
      return false;
  }
}
