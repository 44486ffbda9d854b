// Mounts from -v, --mount, --tmpfs and [[mounts]], all turned into MountSpec.
// Relative bind sources are kept relative here; the caller resolves them
// (against the TOML file's directory, or the CLI's working directory).

import { SpecError, suggestion } from "./errors.ts";
import { NAME_RE } from "./network.ts";
import type { MountSpec } from "./types.ts";
import { parseBool, parseSize } from "./units.ts";

const PROPAGATION = ["shared", "rshared", "slave", "rslave", "private", "rprivate", "unbindable", "runbindable"];

/** Options a bind or volume mount may carry in MountSpec.options. */
const BIND_OPTIONS = [
  ...PROPAGATION, "bind", "rbind", "nosuid", "suid", "nodev", "dev", "noexec", "exec",
  "noatime", "atime", "relatime", "norelatime", "strictatime", "nostrictatime", "nodiratime", "diratime",
];
const VOLUME_OPTIONS = [...BIND_OPTIONS, "nocopy"];

/** tmpfs options without a value, and the ones that take one (size=, mode=, ...). */
const TMPFS_FLAGS = [
  "nosuid", "suid", "nodev", "dev", "noexec", "exec", "noatime", "atime", "relatime", "norelatime",
  "strictatime", "nostrictatime", "nodiratime", "diratime", "sync", "async", "dirsync", "tmpcopyup", "notmpcopyup",
];
const TMPFS_KEYED = ["size", "mode", "uid", "gid", "nr_inodes", "nr_blocks", "huge", "mpol"];

// Docker-on-Mac consistency hints and SELinux relabel requests: accepted for
// compatibility with existing command lines, and dropped because there is
// nothing here for them to do.
const IGNORED_MODES = ["z", "Z", "consistent", "cached", "delegated"];

/** A bind source is a path: absolute, or relative when it starts with "." (as in Docker 23+). */
export function isPathLike(s: string): boolean {
  return s.startsWith("/") || s === "." || s === ".." || s.startsWith("./") || s.startsWith("../");
}

function checkTarget(target: string, whole: string): string {
  if (target === "") throw new SpecError(`invalid mount ${JSON.stringify(whole)}: the target (path in the container) is missing`);
  if (!target.startsWith("/")) {
    throw new SpecError(`invalid mount ${JSON.stringify(whole)}: the target ${JSON.stringify(target)} must be an absolute path`);
  }
  if (target.replace(/\/+$/, "") === "") throw new SpecError(`invalid mount ${JSON.stringify(whole)}: the target can't be "/"`);
  return target;
}

function checkVolumeName(name: string, whole: string): string {
  if (!NAME_RE.test(name)) {
    throw new SpecError(
      `invalid mount ${JSON.stringify(whole)}: ${JSON.stringify(name)} includes invalid characters for a volume name, only "[a-zA-Z0-9][a-zA-Z0-9_.-]" are allowed; to mount a host directory, start the path with "/" or "./"`,
    );
  }
  return name;
}

/** Validates bind/volume options (ro/rw excluded) and drops the ignorable ones. */
export function checkBindOptions(type: "bind" | "volume", options: readonly string[], whole: string): string[] {
  const allowed = type === "bind" ? BIND_OPTIONS : VOLUME_OPTIONS;
  const out: string[] = [];
  for (const o of options) {
    if (IGNORED_MODES.includes(o)) continue;
    if (!allowed.includes(o)) {
      throw new SpecError(`invalid mount ${JSON.stringify(whole)}: unknown ${type} option ${JSON.stringify(o)}${suggestion(o, allowed)}`);
    }
    if (!out.includes(o)) out.push(o);
  }
  return out;
}

/**
 * Validates tmpfs options, normalising size= to bytes (the kernel takes
 * either, but bytes compare and print reliably). "ro"/"rw" set `readonly`.
 */
export function checkTmpfsOptions(options: readonly string[], whole: string): { options: string[]; readonly: boolean } {
  let readonly = false;
  const out: string[] = [];
  const bad = (detail: string) => new SpecError(`invalid tmpfs ${JSON.stringify(whole)}: ${detail}`);
  for (const raw of options) {
    const o = raw.trim();
    if (o === "") continue;
    if (o === "ro" || o === "rw") {
      readonly = o === "ro";
      continue;
    }
    const eq = o.indexOf("=");
    if (eq < 0) {
      if (!TMPFS_FLAGS.includes(o)) throw bad(`unknown option ${JSON.stringify(o)}${suggestion(o, [...TMPFS_FLAGS, ...TMPFS_KEYED])}`);
      out.push(o);
      continue;
    }
    const key = o.slice(0, eq);
    const value = o.slice(eq + 1);
    if (!TMPFS_KEYED.includes(key)) throw bad(`unknown option ${JSON.stringify(key)}${suggestion(key, TMPFS_KEYED)}`);
    if (key === "size") {
      // The kernel also takes a percentage of RAM.
      out.push(/^\d+%$/.test(value) ? o : `size=${parseSize(value)}`);
    } else if (key === "mode") {
      if (!/^[0-7]{3,4}$/.test(value)) throw bad(`mode ${JSON.stringify(value)} must be octal digits like 1777`);
      out.push(o);
    } else if (key === "uid" || key === "gid") {
      if (!/^\d+$/.test(value)) throw bad(`${key} ${JSON.stringify(value)} must be a number`);
      out.push(o);
    } else if (key === "nr_inodes" || key === "nr_blocks") {
      if (!/^\d+[kmg]?$/i.test(value)) throw bad(`${key} ${JSON.stringify(value)} must be a number with an optional k, m or g`);
      out.push(o);
    } else {
      out.push(o);
    }
  }
  return { options: out, readonly };
}

/**
 * -v / --volume: "src:dst[:opts]", "name:dst[:opts]" or "/dst" (an anonymous
 * volume). opts is a comma list of ro|rw, propagation, nocopy.
 */
export function parseVolume(s: string): MountSpec {
  const parts = s.split(":");
  if (parts.length > 3 || s.trim() === "") {
    throw new SpecError(`invalid volume specification ${JSON.stringify(s)}: expected [source:]target[:options]`);
  }
  if (parts.length === 1) {
    return { type: "volume", target: checkTarget(parts[0] ?? "", s), readonly: false, options: [] };
  }
  const [source = "", target = "", modes = ""] = parts;
  if (source === "") throw new SpecError(`invalid volume specification ${JSON.stringify(s)}: the source is empty`);
  const type = isPathLike(source) ? "bind" : "volume";
  let readonly = false;
  let seenRoRw = false;
  const rest: string[] = [];
  for (const m of modes === "" ? [] : modes.split(",")) {
    if (m === "ro" || m === "rw") {
      if (seenRoRw) throw new SpecError(`invalid volume specification ${JSON.stringify(s)}: invalid mode: ${modes}`);
      seenRoRw = true;
      readonly = m === "ro";
    } else {
      rest.push(m);
    }
  }
  const options = checkBindOptions(type, rest, s);
  return {
    type,
    source: type === "volume" ? checkVolumeName(source, s) : source,
    target: checkTarget(target, s),
    readonly,
    options,
  };
}

const MOUNT_KEYS = [
  "type", "source", "src", "target", "destination", "dst", "readonly", "ro", "bind-propagation",
  "bind-nonrecursive", "volume-nocopy", "tmpfs-size", "tmpfs-mode", "consistency",
];

/** --mount type=bind,source=/a,target=/b,readonly (Docker's comma form; type defaults to volume). */
export function parseMountFlag(s: string): MountSpec {
  let type: MountSpec["type"] = "volume";
  let source: string | undefined;
  let target = "";
  let readonly = false;
  const options: string[] = [];
  const tmpfs: string[] = [];
  const bad = (detail: string) => new SpecError(`invalid mount ${JSON.stringify(s)}: ${detail}`);
  for (const field of s.split(",")) {
    const eq = field.indexOf("=");
    const key = (eq < 0 ? field : field.slice(0, eq)).trim().toLowerCase();
    const value = eq < 0 ? undefined : field.slice(eq + 1);
    const need = (): string => {
      if (value === undefined) throw bad(`${key} needs a value (${key}=...)`);
      return value;
    };
    const flag = (): boolean => (value === undefined ? true : parseBool(value));
    switch (key) {
      case "type": {
        const t = need();
        if (t !== "bind" && t !== "volume" && t !== "tmpfs") throw bad(`type ${JSON.stringify(t)} is not bind, volume or tmpfs`);
        type = t;
        break;
      }
      case "source":
      case "src":
        source = need();
        break;
      case "target":
      case "destination":
      case "dst":
        target = need();
        break;
      case "readonly":
      case "ro":
        readonly = flag();
        break;
      case "bind-propagation": {
        const p = need();
        if (!PROPAGATION.includes(p)) throw bad(`bind-propagation ${JSON.stringify(p)} is not one of ${PROPAGATION.join(", ")}`);
        options.push(p);
        break;
      }
      case "bind-nonrecursive":
        // A plain bind instead of the default recursive one.
        if (flag()) options.push("bind");
        break;
      case "volume-nocopy":
        if (flag()) options.push("nocopy");
        break;
      case "tmpfs-size":
        tmpfs.push(`size=${need()}`);
        break;
      case "tmpfs-mode":
        tmpfs.push(`mode=${need()}`);
        break;
      case "consistency":
        break;
      default:
        throw bad(`unknown field ${JSON.stringify(key)}${suggestion(key, MOUNT_KEYS)}`);
    }
  }
  if (type === "tmpfs") {
    if (source !== undefined) throw bad(`a tmpfs mount takes no source`);
    if (options.length > 0) throw bad(`bind and volume options do not apply to tmpfs`);
    const t = checkTmpfsOptions(tmpfs, s);
    return { type, target: checkTarget(target, s), readonly: readonly || t.readonly, options: t.options };
  }
  if (tmpfs.length > 0) throw bad(`tmpfs-size and tmpfs-mode only apply to type=tmpfs`);
  if (type === "bind") {
    if (source === undefined || source === "") throw bad(`a bind mount needs a source`);
    if (options.includes("nocopy")) throw bad(`volume-nocopy only applies to type=volume`);
  }
  const m: MountSpec = { type, target: checkTarget(target, s), readonly, options: checkBindOptions(type, options, s) };
  if (source !== undefined && source !== "") m.source = type === "volume" ? checkVolumeName(source, s) : source;
  return m;
}

/** --tmpfs /run:size=64m,mode=1777 */
export function parseTmpfs(s: string): MountSpec {
  const colon = s.indexOf(":");
  const target = colon < 0 ? s : s.slice(0, colon);
  const opts = colon < 0 ? [] : s.slice(colon + 1).split(",");
  const t = checkTmpfsOptions(opts, s);
  return { type: "tmpfs", target: checkTarget(target, s), readonly: t.readonly, options: t.options };
}

/** One entry point for the three command-line forms. */
export function parseMount(s: string, form: "volume" | "mount" | "tmpfs" = "volume"): MountSpec {
  if (form === "mount") return parseMountFlag(s);
  if (form === "tmpfs") return parseTmpfs(s);
  return parseVolume(s);
}

/** Adds a mount; one with the same target replaces the earlier one (the flag over the file). */
export function setMount(list: MountSpec[], m: MountSpec): void {
  const norm = (t: string) => t.replace(/\/+$/, "");
  const i = list.findIndex((x) => norm(x.target) === norm(m.target));
  if (i >= 0) list[i] = m;
  else list.push(m);
}
