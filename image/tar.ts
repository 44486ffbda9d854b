// A tar reader (over bytes in memory or a stream) and writer (ustar, GNU long
// names, PAX headers). Reading only parses: what an entry may do on disk is decided by
// unpack.ts.

export type EntryType = "file" | "dir" | "symlink" | "hardlink" | "char" | "block" | "fifo";

export interface TarEntry {
  name: string;
  type: EntryType;
  mode: number;
  uid: number;
  gid: number;
  mtime: number;
  linkname: string;
  devmajor: number;
  devminor: number;
  data: Uint8Array;
  /** PAX records (xattrs arrive as SCHILY.xattr.NAME) */
  pax: Record<string, string>;
}

export class TarError extends Error {
  override name = "TarError";
}

const TYPES: Record<string, EntryType> = { "0": "file", "\0": "file", "7": "file", "1": "hardlink", "2": "symlink", "3": "char", "4": "block", "5": "dir", "6": "fifo" };
const dec = new TextDecoder();

function str(b: Uint8Array, off: number, len: number): string {
  const s = b.subarray(off, off + len);
  const end = s.indexOf(0);
  return dec.decode(end < 0 ? s : s.subarray(0, end));
}

function num(b: Uint8Array, off: number, len: number): number {
  // base-256 (GNU) for large values
  if (b[off]! & 0x80) {
    let v = b[off]! & 0x7f;
    for (let i = 1; i < len; i++) v = v * 256 + b[off + i]!;
    return v;
  }
  const s = str(b, off, len).trim();
  if (!s) return 0;
  const v = parseInt(s, 8);
  if (Number.isNaN(v)) throw new TarError(`invalid number in tar header: ${JSON.stringify(s)}`);
  return v;
}

/** PAX key prefix of extended attributes; their values are latin1 strings holding the raw bytes */
export const XATTR = "SCHILY.xattr.";

function paxRecords(data: Uint8Array): Record<string, string> {
  const out: Record<string, string> = {};
  let i = 0;
  while (i < data.length) {
    const sp = data.indexOf(0x20, i);
    if (sp < 0) break;
    const len = parseInt(dec.decode(data.subarray(i, sp)), 10);
    if (!(len > 0) || i + len > data.length) throw new TarError("malformed PAX header");
    const rec = data.subarray(sp + 1, i + len - 1);
    const eq = rec.indexOf(0x3d);
    if (eq > 0) {
      const key = dec.decode(rec.subarray(0, eq));
      // xattr values are bytes (security.capability is a binary struct): kept byte for byte as latin1
      out[key] = key.startsWith(XATTR) ? Buffer.from(rec.subarray(eq + 1)).toString("latin1") : dec.decode(rec.subarray(eq + 1));
    }
    i += len;
  }
  return out;
}

/**
 * The reading state across headers: GNU long names and links and PAX records
 * describe the entry that follows them.
 */
class TarState {
  private longName?: string;
  private longLink?: string;
  private pax: Record<string, string> = {};
  private global: Record<string, string> = {};

  /** Checks a header block; its type flag and the size of the data that follows (a PAX size wins). */
  begin(h: Uint8Array, off: number): { flag: string; size: number } {
    let sum = 0;
    for (let i = 0; i < 512; i++) sum += i >= 148 && i < 156 ? 32 : h[i]!;
    if (sum !== num(h, 148, 8)) throw new TarError(`tar header checksum mismatch at offset ${off}`);
    const ext = { ...this.global, ...this.pax };
    return { flag: String.fromCharCode(h[156]!), size: ext.size !== undefined ? Number(ext.size) : num(h, 124, 12) };
  }

  /** The entry, or undefined for the metadata entries that shape the next one. */
  finish(h: Uint8Array, flag: string, data: Uint8Array): TarEntry | undefined {
    if (flag === "L") this.longName = str(data, 0, data.length);
    else if (flag === "K") this.longLink = str(data, 0, data.length);
    else if (flag === "x") this.pax = paxRecords(data);
    else if (flag === "g") this.global = paxRecords(data);
    if ("LKxg".includes(flag)) return undefined;
    const ext = { ...this.global, ...this.pax };
    const type = TYPES[flag];
    if (!type) throw new TarError(`unsupported tar entry type '${flag}' for ${str(h, 0, 100)}`);
    const magic = str(h, 257, 6);
    const prefix = magic.startsWith("ustar") ? str(h, 345, 155) : "";
    let name = ext.path ?? this.longName ?? (prefix ? `${prefix}/${str(h, 0, 100)}` : str(h, 0, 100));
    // old tars mark directories only by a trailing slash
    const isDir = type === "dir" || ((flag === "0" || flag === "\0") && name.endsWith("/"));
    while (name.length > 1 && name.endsWith("/")) name = name.slice(0, -1);
    const entry: TarEntry = {
      name,
      type: isDir ? "dir" : type,
      mode: num(h, 100, 8) & 0o7777,
      uid: ext.uid !== undefined ? Number(ext.uid) : num(h, 108, 8),
      gid: ext.gid !== undefined ? Number(ext.gid) : num(h, 116, 8),
      mtime: ext.mtime !== undefined ? Number(ext.mtime) : num(h, 136, 12),
      linkname: ext.linkpath ?? this.longLink ?? str(h, 157, 100),
      devmajor: num(h, 329, 8),
      devminor: num(h, 337, 8),
      data,
      pax: ext,
    };
    this.longName = this.longLink = undefined;
    this.pax = {};
    return entry;
  }
}

const isZeroBlock = (h: Uint8Array) => h.every((x) => x === 0);

/** Every entry of an uncompressed tar; `data` views into `buf`. */
export function* readTar(buf: Uint8Array): Generator<TarEntry> {
  const st = new TarState();
  let off = 0;
  while (off + 512 <= buf.length) {
    const h = buf.subarray(off, off + 512);
    if (isZeroBlock(h)) return;
    const { flag, size } = st.begin(h, off);
    const start = off + 512;
    if (start + size > buf.length) throw new TarError("tar truncated: an entry runs past the end of the archive");
    off = start + Math.ceil(size / 512) * 512;
    const e = st.finish(h, flag, buf.subarray(start, start + size));
    if (e) yield e;
  }
}

/**
 * The same, from a stream of chunks (a layer as it is decompressed): only one
 * entry's data is held at a time. Stops at the end-of-archive block; the
 * caller may go on reading the source (to hash its rest).
 */
export async function* readTarStream(source: AsyncIterator<Uint8Array>): AsyncGenerator<TarEntry> {
  const st = new TarState();
  const chunks: Uint8Array[] = [];
  let have = 0;
  let off = 0;
  const need = async (n: number) => {
    while (have < n) {
      const r = await source.next();
      if (r.done) return false;
      chunks.push(r.value);
      have += r.value.length;
    }
    return true;
  };
  const take = (n: number): Uint8Array => {
    // an empty file's header may end a chunk: nothing may be left to look at
    if (n === 0) return new Uint8Array(0);
    const out = chunks[0]!.length >= n ? chunks[0]!.slice(0, n) : new Uint8Array(n);
    if (chunks[0]!.length < n) {
      let o = 0;
      while (o < n) {
        const c = chunks[0]!;
        const k = Math.min(c.length, n - o);
        out.set(c.subarray(0, k), o);
        o += k;
        if (k === c.length) chunks.shift();
        else chunks[0] = c.subarray(k);
      }
    } else if (chunks[0]!.length === n) chunks.shift();
    else chunks[0] = chunks[0]!.subarray(n);
    have -= n;
    off += n;
    return out;
  };
  for (;;) {
    if (!(await need(512))) return;
    const at = off;
    const h = take(512);
    if (isZeroBlock(h)) return;
    const { flag, size } = st.begin(h, at);
    const padded = Math.ceil(size / 512) * 512;
    if (!(await need(padded))) throw new TarError("tar truncated: an entry runs past the end of the archive");
    const e = st.finish(h, flag, take(padded).subarray(0, size));
    if (e) yield e;
  }
}

// ---- writer ----

export interface WriteEntry {
  name: string;
  type: EntryType;
  mode?: number;
  uid?: number;
  gid?: number;
  mtime?: number;
  linkname?: string;
  data?: Uint8Array;
  xattrs?: Record<string, Uint8Array>;
}

const enc = new TextEncoder();
const FLAGS: Record<EntryType, string> = { file: "0", hardlink: "1", symlink: "2", char: "3", block: "4", dir: "5", fifo: "6" };

function header(name: string, flag: string, size: number, e: WriteEntry): Uint8Array {
  const h = new Uint8Array(512);
  const put = (off: number, len: number, s: string) => h.set(enc.encode(s).subarray(0, len), off);
  const oct = (off: number, len: number, v: number) => put(off, len, `${v.toString(8).padStart(len - 1, "0")}\0`);
  put(0, 100, name);
  oct(100, 8, e.mode ?? (e.type === "dir" ? 0o755 : 0o644));
  oct(108, 8, e.uid ?? 0);
  oct(116, 8, e.gid ?? 0);
  oct(124, 12, size);
  oct(136, 12, Math.floor(e.mtime ?? 0));
  h[156] = flag.charCodeAt(0);
  put(157, 100, e.linkname ?? "");
  put(257, 8, "ustar\x0000");
  h.fill(32, 148, 156);
  let sum = 0;
  for (const x of h) sum += x;
  put(148, 8, `${sum.toString(8).padStart(6, "0")}\0 `);
  return h;
}

function paxHeader(records: Record<string, string | Uint8Array>): Uint8Array {
  const parts: Uint8Array[] = [];
  for (const [k, v] of Object.entries(records)) {
    const val = typeof v === "string" ? enc.encode(v) : v;
    const rec = enc.encode(` ${k}=`).length + val.length + 1;
    let len = rec + 1;
    while (String(len).length + rec !== len) len = String(len).length + rec;
    parts.push(enc.encode(`${len} ${k}=`), val, enc.encode("\n"));
  }
  return Buffer.concat(parts);
}

const pad = (n: number) => new Uint8Array((512 - (n % 512)) % 512);

/** A complete tar (with its two zero blocks); names or links over 100 bytes get a PAX header. */
export function writeTar(entries: Iterable<WriteEntry>): Uint8Array {
  const parts: Uint8Array[] = [];
  for (const e of entries) {
    const name = e.type === "dir" && !e.name.endsWith("/") ? `${e.name}/` : e.name;
    const data = e.type === "file" ? (e.data ?? new Uint8Array()) : new Uint8Array();
    const long: Record<string, string | Uint8Array> = {};
    for (const [k, v] of Object.entries(e.xattrs ?? {})) long[`${XATTR}${k}`] = v;
    if (enc.encode(name).length > 100) long.path = name;
    if (e.linkname && enc.encode(e.linkname).length > 100) long.linkpath = e.linkname;
    if (Object.keys(long).length) {
      const body = paxHeader(long);
      parts.push(header("PaxHeader", "x", body.length, { name: "", type: "file" }), body, pad(body.length));
    }
    parts.push(header(name, FLAGS[e.type], data.length, e), data, pad(data.length));
  }
  parts.push(new Uint8Array(1024));
  return Buffer.concat(parts);
}

/** Gzip, zstd or plain: by the magic bytes, as layers and archives come. */
export function decompress(b: Uint8Array): Uint8Array {
  if (b[0] === 0x1f && b[1] === 0x8b) return Bun.gunzipSync(b as unknown as Uint8Array<ArrayBuffer>);
  if (b[0] === 0x28 && b[1] === 0xb5 && b[2] === 0x2f && b[3] === 0xfd) return Bun.zstdDecompressSync(b as unknown as Uint8Array<ArrayBuffer>);
  return b;
}
