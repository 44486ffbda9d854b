// ctr image ls|inspect|import|load|save|rm|tag|prune, and Docker's
// top-level spellings (images, rmi, tag, load, save, import) through `alias`.
import { readFileSync, writeFileSync } from "node:fs";
import { isTerminal } from "../runtime/sys/libc.ts";
import { fullName, importRootfs, loadArchive, resolveForSave, saveArchive } from "../image/archive.ts";
import { collectGarbage, findImage, ImageError, readIndex, tagsOf, updateIndex, withGcLock } from "../image/store.ts";
import { imageInspect } from "../image/view.ts";
import { findOrFail as find, type Removed, removeImage, shortId, tagImage } from "../image/names.ts";
import { familiar, splitRepoTag } from "../image/reference.ts";
import { listIds, loadRecord } from "../runtime/state/record.ts";
import { last, parseNamed, type Verb, out, usage, write } from "./_shared.ts";
import { expandEscapes, renderTemplate } from "./_template.ts";
import { ago, formatRows, listedTime, table } from "./_view.ts";

const HELP = `Usage:  ctr image COMMAND

Manage images

Commands:
  ls          [-a] [-q] [--no-trunc] [REPOSITORY[:TAG]]   List images (also: ctr images)
  inspect     [-f FORMAT] IMAGE...                         Display detailed information on images
  import      FILE [REPOSITORY[:TAG]]                      A rootfs tarball as a one-layer image (also: ctr import)
  load        [-i FILE]                                    docker save archive or OCI layout, dir or tar; stdin without -i (also: ctr load)
  save        [-o FILE] IMAGE...                           As an OCI layout tar; stdout without -o (also: ctr save)
  rm          [-f] IMAGE...                                Remove images (also: ctr rmi)
  tag         SOURCE TARGET                                Add a name (also: ctr tag)
  prune       [-a] [-f]                                    Remove dangling images (-a: every unused one)

Example:
  ctr image load -i busybox.tar && ctr run --rm --net none busybox echo hi`;

const parse = (args: string[], values: string[], bools: string[]) => parseNamed(args, values, bools, HELP);

function human(n: number): string {
  const units = ["B", "kB", "MB", "GB", "TB"];
  let i = 0;
  while (n >= 1000 && i < units.length - 1) {
    n /= 1000;
    i++;
  }
  return `${i === 0 ? n : n.toFixed(n < 10 ? 2 : n < 100 ? 1 : 0)}${units[i]}`;
}

/** An image as `images` lists it: names in full (docker.io/library/busybox:latest). */
export interface ImageRow {
  id: string;
  created: string;
  size: number;
  names: string[];
}

/** `images [-q] [--no-trunc] [REPOSITORY[:TAG]]` over rows from this host or from a daemon (cmd/remote.ts). */
export function printImages(images: ImageRow[], args: string[]): void {
  const { v, b, pos } = parse(args, ["--format", "--filter", "-f"], ["-a", "--all", "-q", "--quiet", "--no-trunc", "--digests"]);
  let only: string | undefined;
  if (pos[0]) only = pos[0].includes(":") ? fullName(pos[0]) : fullName(pos[0]).replace(/:latest$/, ":");
  const keep = imageFilter([...(v["--filter"] ?? []), ...(v["-f"] ?? [])]);
  const rows: { repo: string; tag: string; img: ImageRow }[] = [];
  for (const img of images) {
    if (img.names.length === 0 && !only) rows.push({ repo: "<none>", tag: "<none>", img });
    for (const t of [...img.names].sort()) {
      if (only && !(only.endsWith(":") ? t.startsWith(only) : t === only)) continue;
      const [repo, tag] = splitRepoTag(t);
      rows.push({ repo, tag, img });
    }
  }
  const shown = rows.filter(keep);
  // by the second, as the API reports Created: local and daemon lists come out alike
  const secs = (r: ImageRow) => Math.floor(Date.parse(r.created) / 1000) || 0;
  shown.sort((x, y) => secs(y.img) - secs(x.img) || x.repo.localeCompare(y.repo));
  const id = (r: ImageRow) => (b.has("--no-trunc") ? r.id : shortId(r.id));
  if (b.has("-q") || b.has("--quiet")) {
    out([...new Set(shown.map((r) => id(r.img)))].join("\n"));
    return;
  }
  const format = last(v, "--format");
  if (format) {
    // the fields `docker images --format` offers
    const fields = shown.map((r) => ({
      ID: id(r.img), Repository: r.repo, Tag: r.tag, Digest: "<none>", CreatedAt: listedTime(r.img.created), CreatedSince: `${ago(r.img.created)} ago`, Size: human(r.img.size),
    }));
    out(format === "json" ? fields.map((f) => JSON.stringify(f)).join("\n") : formatRows(format, fields, { ID: "IMAGE ID" }));
    return;
  }
  out(table(["REPOSITORY", "TAG", "IMAGE ID", "CREATED", "SIZE"], shown.map((r) => [r.repo, r.tag, id(r.img), `${ago(r.img.created)} ago`, human(r.img.size)])));
}

/** --filter dangling=true|false and reference=PATTERN (* and ? within a name part), as docker images has them; others are refused. */
function imageFilter(specs: string[]): (r: { repo: string; tag: string }) => boolean {
  const tests = specs.map((f) => {
    const [k, val = ""] = [f.slice(0, f.indexOf("=")), f.slice(f.indexOf("=") + 1)];
    if (k === "dangling") {
      if (val !== "true" && val !== "false") usage(`invalid filter 'dangling=${val}': true or false`);
      return (r: { repo: string }) => (r.repo === "<none>") === (val === "true");
    }
    if (k === "reference") {
      const re = new RegExp(`^${val.replace(/[.+^${}()|[\]\\]/g, "\\$&").replace(/\*/g, "[^/]*").replace(/\?/g, "[^/]")}$`);
      // the REPOSITORY column's name (familiar: busybox, not docker.io/library/busybox), with or without its tag
      return (r: { repo: string; tag: string }) => re.test(r.repo) || re.test(`${r.repo}:${r.tag}`);
    }
    return usage(`invalid filter '${f}': dangling or reference`);
  });
  return (r) => tests.every((t) => t(r));
}

/** Where the subcommands act: this host's store, or a daemon's API (cmd/remote.ts); printed the same way. */
export interface ImageBackend {
  /** import, save and prune exist only on this host for now */
  local: boolean;
  list(): Promise<ImageRow[]>;
  inspect(ref: string): Promise<object>;
  /** a file's path (this host may also load a directory) or the bytes read from stdin */
  load(path: string, bytes?: Uint8Array): Promise<{ id: string; names: string[] }[]>;
  remove(ref: string, force: boolean): Promise<Removed[]>;
  tag(source: string, target: string): Promise<void>;
}

export const localImages: ImageBackend = {
  local: true,
  async list() {
    const ix = readIndex();
    return Object.values(ix.images).map((rec) => ({ id: rec.id, created: rec.created, size: rec.size, names: tagsOf(rec.id, ix) }));
  },
  inspect: async (ref) => imageInspect(find(ref)),
  load: (path, bytes) => loadArchive(path, bytes),
  remove: (ref, force) => removeImage(ref, force),
  tag: (source, target) => tagImage(source, target).then(() => {}),
};

const localOnly = (be: ImageBackend, what: string) => {
  if (!be.local) usage(`ctr ${what} is not available against a daemon yet (-H): images, image inspect, load, rmi and tag are`);
};

const SUB: Record<string, (be: ImageBackend, args: string[]) => Promise<number | void>> = {
  async ls(be, args) {
    printImages(await be.list(), args);
  },

  async inspect(be, args) {
    const { v, pos } = parse(args, ["-f", "--format", "--type"], []);
    if (pos.length === 0) usage(`"image inspect" requires at least 1 argument.`);
    const views: unknown[] = [];
    let failed = 0;
    for (const ref of pos) {
      try {
        views.push(await be.inspect(ref));
      } catch (e) {
        write(2, `Error: ${(e as Error).message}\n`);
        failed++;
      }
    }
    const fmt = last(v, "-f", "--format");
    if (fmt) for (const x of views) out(renderTemplate(expandEscapes(fmt), x));
    else out(JSON.stringify(views, null, 4));
    return failed ? 1 : 0;
  },

  async import(be, args) {
    localOnly(be, "import");
    const { pos } = parse(args, ["-c", "--change", "-m", "--message"], []);
    if (pos.length < 1 || pos.length > 2) usage(`"import" requires 1 or 2 arguments: FILE [REPOSITORY[:TAG]]`);
    let bytes: Uint8Array;
    try {
      bytes = pos[0] === "-" ? new Uint8Array(await Bun.stdin.arrayBuffer()) : readFileSync(pos[0]!);
    } catch {
      throw new ImageError(`open ${pos[0]}: no such file or directory`, 1);
    }
    const rec = await importRootfs(bytes, pos[1]);
    out(rec.id);
  },

  async load(be, args) {
    const { v, b } = parse(args, ["-i", "--input"], ["-q", "--quiet"]);
    const file = last(v, "-i", "--input");
    let bytes: Uint8Array | undefined;
    if (file === undefined) {
      if (process.stdin.isTTY) throw new ImageError("requested load from stdin, but stdin is a terminal: give a file with -i or redirect one", 1);
      bytes = new Uint8Array(await Bun.stdin.arrayBuffer());
      if (bytes.length === 0) throw new ImageError("requested load from stdin, but stdin is empty", 1);
    }
    for (const l of await be.load(file ?? "stdin", bytes)) {
      if (b.has("-q")) continue;
      if (l.names.length === 0) out(`Loaded image ID: ${l.id}`);
      for (const n of l.names) out(`Loaded image: ${familiar(n)}`);
    }
  },

  async save(be, args) {
    localOnly(be, "save");
    const { v, pos } = parse(args, ["-o", "--output"], []);
    const file = last(v, "-o", "--output");
    if (pos.length === 0) usage(`"save" requires at least 1 argument.`);
    if (file === undefined && isTerminal(1)) throw new ImageError("cowardly refusing to save to a terminal. Use the -o flag or redirect", 1);
    const tar = saveArchive(resolveForSave(pos, findImage));
    if (file === undefined) write(1, tar);
    else writeFileSync(file, tar);
  },

  async rm(be, args) {
    const { b, pos } = parse(args, [], ["-f", "--force", "--no-prune"]);
    if (pos.length === 0) usage(`"rmi" requires at least 1 argument.`);
    let failed = 0;
    for (const ref of pos) {
      try {
        for (const r of await be.remove(ref, b.has("-f") || b.has("--force"))) out(r.Untagged ? `Untagged: ${r.Untagged}` : `Deleted: ${r.Deleted}`);
      } catch (e) {
        write(2, `Error response from daemon: ${(e as Error).message}\n`);
        failed++;
      }
    }
    return failed ? 1 : 0;
  },

  async tag(be, args) {
    const { pos } = parse(args, [], []);
    if (pos.length !== 2) usage(`"tag" requires exactly 2 arguments: SOURCE_IMAGE[:TAG] TARGET_IMAGE[:TAG]`);
    await be.tag(pos[0]!, pos[1]!);
  },

  async prune(be, args) {
    localOnly(be, "image prune");
    const { b } = parse(args, ["--filter"], ["-a", "--all", "-f", "--force"]);
    const all = b.has("-a") || b.has("--all");
    const lines: string[] = [];
    let reclaimed = 0;
    await withGcLock("exclusive", () => updateIndex((ix) => {
      const used = new Set(listIds().map((c) => loadRecord(c)?.image?.id).filter(Boolean));
      for (const rec of Object.values(ix.images)) {
        const tags = tagsOf(rec.id, ix);
        if (used.has(rec.id) || (tags.length && !all)) continue;
        for (const t of tags) {
          delete ix.tags[t];
          lines.push(`untagged: ${familiar(t)}`);
        }
        delete ix.images[rec.id];
        lines.push(`deleted: ${rec.id}`);
        reclaimed += rec.size;
      }
      collectGarbage(ix);
    }));
    if (lines.length) out(`Deleted Images:\n${lines.join("\n")}\n`);
    out(`Total reclaimed space: ${human(reclaimed)}`);
  },
};

/** `ctr image` against a backend: this host's (the verb) or a daemon's (ctr -H). */
export const imageVerb = (be: ImageBackend): Verb => async (args) => {
  const [sub, ...rest] = args;
  if (!sub || sub === "--help") {
    out(HELP);
    return sub ? 0 : 1;
  }
  const name = sub === "list" ? "ls" : sub === "remove" || sub === "rmi" ? "rm" : sub;
  const fn = SUB[name];
  if (!fn) usage(`unknown image command: ${sub}`);
  return fn(be, rest);
};
export default imageVerb(localImages);

/** Docker's top-level spellings: `ctr images` is `ctr image ls`, and so on. */
export const alias = (sub: string, be = localImages): Verb => (args) => SUB[sub]!(be, args);
