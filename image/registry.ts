// A registry client (OCI Distribution, "registry v2") for pull: manifests by
// tag or digest, manifest lists / OCI indexes with this host's platform
// picked, anonymous bearer tokens, blobs fetched in parallel and each checked
// against its digest before it is stored (putBlob refuses a mismatch).
import { type Descriptor, hostPlatform, MT, parseManifestOrIndex, selectPlatform } from "./manifest.ts";
import { type Credentials, loadCredentials } from "./auth.ts";
import { canonical, familiar, parseReference } from "./reference.ts";
import { emitEvent } from "../runtime/state/events.ts";
import type { PullProgress } from "./progress.ts";
export { type PullProgress, progressLine } from "./progress.ts";
import { closeSync, existsSync, mkdirSync, openSync, renameSync, rmSync, statSync, writeSync } from "node:fs";
import { dirname } from "node:path";
import { addImage, blobPath, hasBlob, ImageError, type ImageRecord, putBlob, sha256, withGcLock } from "./store.ts";

const ACCEPT = [MT.ociIndex, MT.dockerList, MT.ociManifest, MT.dockerManifest].join(", ");
const PARALLEL = 3;

export interface PullOptions {
  /** registries spoken to over plain HTTP (host[:port]); loopback hosts always are, as in Docker */
  insecure?: string[];
  platform?: { architecture: string; os: string };
  /** what docker pull reports: per layer (id) a status, with bytes so far while Downloading */
  progress?: (p: PullProgress) => void;
  /** a login given with the request (the API's X-Registry-Auth), over the one `ctr login` saved */
  credentials?: Credentials;
}

/** How often a layer's byte count is reported while it downloads. */
const PROGRESS_EVERY_MS = 100;

export interface Pulled {
  image: ImageRecord;
  name?: string;
  digest: string;
  /** false when every blob was already here */
  downloaded: boolean;
}

export function endpoint(domain: string, insecure: string[]): string {
  const host = domain === "docker.io" ? "registry-1.docker.io" : domain;
  const bare = host.replace(/:\d+$/, "");
  const plain = insecure.includes(host) || ["localhost", "127.0.0.1", "[::1]"].includes(bare) || bare.startsWith("127.");
  return `${plain ? "http" : "https"}://${host}`;
}

/**
 * fetch with the registry's auth dance: a 401 with a Bearer challenge gets a
 * token (anonymous, or with the saved login) and one retry; a Basic
 * challenge is answered with the saved login.
 */
export class Session {
  private authorization?: string;
  constructor(
    readonly base: string,
    readonly repo: string,
    readonly host: string,
    private readonly creds?: Credentials,
  ) {}

  private basic(): string | undefined {
    return this.creds && `Basic ${Buffer.from(`${this.creds.user}:${this.creds.pass}`).toString("base64")}`;
  }

  async get(path: string, accept?: string, extra: Record<string, string> = {}): Promise<Response> {
    const url = this.repo ? `${this.base}/v2/${this.repo}/${path}` : `${this.base}/v2/`;
    const headers = (): Record<string, string> => ({ ...extra, ...(accept ? { Accept: accept } : {}), ...(this.authorization ? { Authorization: this.authorization } : {}) });
    let res = await this.fetch(url, headers());
    if (res.status === 401 && !this.authorization) {
      const challenge = res.headers.get("www-authenticate") ?? "";
      if (/^bearer /i.test(challenge)) this.authorization = `Bearer ${await this.fetchToken(challenge)}`;
      else if (/^basic /i.test(challenge) && this.creds) this.authorization = this.basic();
      else throw new ImageError(`unauthorized: ${this.host} wants a login: ctr login ${this.host}`);
      res = await this.fetch(url, headers());
    }
    if (res.status === 401) throw new ImageError(`unauthorized: ${this.host} refused ${this.creds ? `the login of ${this.creds.user}` : "anonymous access"}${this.creds ? "" : `: ctr login ${this.host}`}`);
    if (res.status === 404) throw new ImageError(`manifest unknown or blob unknown: ${this.repo}/${path} not found on ${this.base}`);
    if (!res.ok) throw new ImageError(`${url}: ${res.status} ${res.statusText}`);
    return res;
  }

  private async fetch(url: string, headers: Record<string, string>): Promise<Response> {
    try {
      return await fetch(url, { headers, redirect: "follow" });
    } catch (e) {
      throw new ImageError(`${url}: ${(e as Error).message}`);
    }
  }

  private async fetchToken(challenge: string): Promise<string> {
    const params: Record<string, string> = {};
    for (const m of challenge.slice(7).matchAll(/(\w+)="([^"]*)"/g)) params[m[1]!] = m[2]!;
    if (!params.realm) throw new ImageError(`registry ${this.base}: bearer challenge without a realm`);
    const u = new URL(params.realm);
    if (params.service) u.searchParams.set("service", params.service);
    if (params.scope || this.repo) u.searchParams.set("scope", params.scope ?? `repository:${this.repo}:pull`);
    const basic = this.basic();
    const res = await this.fetch(u.toString(), basic ? { Authorization: basic } : {});
    if (res.status === 401) throw new ImageError(`unauthorized: ${this.host} refused ${this.creds ? `the login of ${this.creds.user}` : "anonymous access"}${this.creds ? "" : `: ctr login ${this.host}`}`);
    if (!res.ok) throw new ImageError(`token from ${u.origin}: ${res.status} ${res.statusText}`);
    const body = (await res.json()) as { token?: string; access_token?: string };
    const t = body.token ?? body.access_token;
    if (!t) throw new ImageError(`token from ${u.origin}: no token in the answer`);
    return t;
  }
}

async function getManifest(s: Session, ref: string): Promise<{ bytes: Uint8Array; digest: string }> {
  const res = await s.get(`manifests/${ref}`, ACCEPT);
  const bytes = new Uint8Array(await res.arrayBuffer());
  const digest = sha256(bytes);
  const expected = ref.startsWith("sha256:") ? ref : res.headers.get("docker-content-digest");
  if (expected && expected !== digest) throw new ImageError(`manifest ${ref}: digest mismatch: expected ${expected}, got ${digest}; not stored`);
  return { bytes, digest };
}

const ATTEMPTS = 4;

/**
 * A blob streamed to <blob>.partial while it is hashed, never held whole in
 * memory. A connection that breaks mid-way is resumed with a Range request
 * from the bytes already on disk (as is a .partial a killed pull left); a
 * registry that ignores Range sends it all again. Stored only if size and
 * digest match.
 */
async function download(s: Session, d: Descriptor, retrying: (from: number) => void, bytes: (current: number) => void = () => {}): Promise<void> {
  const partial = `${blobPath(d.digest)}.partial`;
  mkdirSync(dirname(partial), { recursive: true });
  for (let attempt = 1; ; attempt++) {
    const have = existsSync(partial) ? statSync(partial).size : 0;
    const from = have > 0 && have < d.size ? have : 0;
    if (attempt > 1) retrying(from);
    let fd: number | undefined;
    try {
      const res = await s.get(`blobs/${d.digest}`, undefined, from ? { Range: `bytes=${from}-` } : {});
      const resumed = from > 0 && res.status === 206;
      const hash = new Bun.CryptoHasher("sha256");
      if (resumed) for await (const chunk of Bun.file(partial).stream()) hash.update(chunk);
      fd = openSync(partial, resumed ? "a" : "w");
      let size = resumed ? from : 0;
      let shown = 0;
      for await (const chunk of res.body ?? []) {
        size += chunk.length;
        if (size > d.size) throw new ImageError(`blob ${d.digest}: more than the ${d.size} bytes the manifest says; not stored`);
        writeSync(fd, chunk);
        hash.update(chunk);
        if (Date.now() - shown >= PROGRESS_EVERY_MS) {
          shown = Date.now();
          bytes(size);
        }
      }
      closeSync(fd);
      fd = undefined;
      if (size !== d.size) throw new TransferError(`blob ${d.digest}: the connection ended after ${size} of ${d.size} bytes`);
      const got = `sha256:${hash.digest("hex")}`;
      if (got !== d.digest) {
        rmSync(partial, { force: true });
        throw new ImageError(`blob rejected: digest mismatch: expected ${d.digest}, got ${got}; not stored`);
      }
      renameSync(partial, blobPath(d.digest));
      return;
    } catch (e) {
      if (fd !== undefined) closeSync(fd);
      const transient = e instanceof TransferError || !(e instanceof ImageError);
      if (!transient || attempt >= ATTEMPTS) {
        if (e instanceof ImageError) throw e;
        throw new ImageError(`blob ${d.digest}: ${(e as Error).message}`);
      }
    }
  }
}

class TransferError extends Error {}

/** Pulls NAME[:TAG|@DIGEST] into the store and tags it. */
export function pull(refText: string, opts: PullOptions = {}): Promise<Pulled> {
  return withGcLock("shared", () => pullLocked(refText, opts));
}

async function pullLocked(refText: string, opts: PullOptions): Promise<Pulled> {
  const ref = parseReference(refText);
  const say = opts.progress ?? (() => {});
  const s = new Session(endpoint(ref.domain, insecureHosts(opts.insecure)), ref.path, ref.domain, opts.credentials ?? loadCredentials(ref.domain));
  say({ id: ref.digest ?? ref.tag, status: `Pulling from ${ref.path.replace(/^library\//, "")}` });
  let top = await getManifest(s, ref.digest ?? ref.tag!);
  const pending: [Uint8Array, string][] = [[top.bytes, top.digest]];
  let parsed = parseManifestOrIndex(top.bytes);
  if (parsed.kind === "index") {
    const d = selectPlatform(parsed.i, opts.platform ?? hostPlatform());
    top = await getManifest(s, d.digest);
    pending.push([top.bytes, top.digest]);
    parsed = parseManifestOrIndex(top.bytes);
    if (parsed.kind !== "manifest") throw new ImageError(`${d.digest}: an index inside an index is not supported`);
  }
  const m = parsed.m;
  let downloaded = false;
  const fetchBlob = async (d: Descriptor, show: boolean) => {
    const short = d.digest.slice(7, 19);
    if (hasBlob(d.digest)) {
      if (show) say({ id: short, status: "Already exists" });
      return;
    }
    downloaded = true;
    if (show) say({ id: short, status: "Pulling fs layer" });
    await download(s, d, (n) => show && say({ id: short, status: `Retrying from byte ${n}` }), (n) => show && say({ id: short, status: "Downloading", current: n, total: d.size }));
    if (show) say({ id: short, status: "Download complete" });
  };
  await fetchBlob(m.config, false);
  const queue = [...m.layers];
  await Promise.all(Array.from({ length: Math.min(PARALLEL, queue.length) }, async () => {
    for (let d = queue.shift(); d; d = queue.shift()) await fetchBlob(d, true);
  }));
  // manifests last: an image is only recorded once everything it names is here
  for (const [bytes, digest] of pending) putBlob(bytes, digest);
  const name = ref.tag ? canonical(ref) : undefined;
  const image = await addImage(top.digest, name ? [name] : [], `${ref.domain}/${ref.path}@${pending[0]![1]}`);
  for (const l of m.layers) if (downloaded) say({ id: l.digest.slice(7, 19), status: "Pull complete" });
  say({ status: `Digest: ${pending[0]![1]}` });
  emitEvent("image", "pull", name ? familiar(name) : refText, { name: name ? familiar(name) : refText });
  return { image, name, digest: pending[0]![1], downloaded };
}

export const insecureHosts = (extra: string[] = []) => [...extra, ...(process.env.CTR_INSECURE_REGISTRIES ?? "").split(",").filter(Boolean)];

/** `ctr login`: the registry's /v2/ answers these credentials (Basic, or a token got with them). */
export async function checkLogin(domain: string, creds: Credentials, insecure: string[] = []): Promise<void> {
  await new Session(endpoint(domain, insecureHosts(insecure)), "", domain, creds).get("");
}
