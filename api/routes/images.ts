// Docker Engine API, images: list, inspect, pull (POST /images/create, a
// stream of progress lines), load, tag, delete. Each is a few lines over
// image/, which the CLI uses too, so both answer alike.
import { importRootfs, loadArchive, resolveForSave, saveArchive } from "../../image/archive.ts";
import { ImageConflict, NoSuchImage, removeImage, tagImage } from "../../image/names.ts";
import { progressBar, type PullProgress } from "../../image/progress.ts";
import { familiar, parseReference, ReferenceError as BadReference } from "../../image/reference.ts";
import { findImage, ImageError, type ImageRecord, readIndex } from "../../image/store.ts";
import { imageInspect, imageSummary } from "../../image/view.ts";
import { ManifestError } from "../../image/manifest.ts";
import { listIds, loadRecord } from "../../runtime/state/record.ts";
import { ApiError, json, mapErrors, queryBool, type Route } from "../route.ts";
import { globRegex, labelsMatch, parseFilters, parseTimestamp } from "./_filters.ts";

const enc = new TextEncoder();
const param = (m: RegExpExecArray, i = 1) => decodeURIComponent(m[i]!);

/** image/'s errors as Docker's statuses; anything else is the server's 500. */
function apiError(e: unknown): unknown {
  if (e instanceof ApiError) return e;
  if (e instanceof NoSuchImage) return new ApiError(404, e.message);
  if (e instanceof ImageConflict) return new ApiError(409, e.message);
  if (e instanceof BadReference) return new ApiError(400, e.message);
  if (e instanceof ImageError && /not found|unknown/.test(e.message)) return new ApiError(404, e.message);
  // a registry's "unauthorized" stays the server's 500, as dockerd's: a 401 would make the Docker CLI prompt for a Docker Hub login
  return e;
}

const mapped = <T>(fn: () => T | Promise<T>): Promise<T> => mapErrors(apiError, fn);

function find(ref: string): ImageRecord {
  const rec = findImage(ref);
  if (!rec) throw new ApiError(404, `No such image: ${ref}`);
  return rec;
}

function list(req: Request): Response {
  const q = new URL(req.url).searchParams;
  const f = parseFilters(q, ["dangling", "label", "reference", "before", "since", "until"]);
  const ix = readIndex();
  const used = new Map<string, number>();
  for (const id of listIds()) {
    const img = loadRecord(id)?.image?.id;
    if (img) used.set(img, (used.get(img) ?? 0) + 1);
  }
  const dangling = f.get("dangling")?.[0];
  const refs = (f.get("reference") ?? []).map(globRegex);
  const before = f.get("before")?.map((r) => find(r).created);
  const since = f.get("since")?.map((r) => find(r).created);
  // until: created before a time (unix seconds or RFC 3339), in whole seconds as Created is
  const until = f.get("until")?.map((t) => parseTimestamp(t, "until") / 1_000_000_000n);
  const out = Object.values(ix.images)
    .map((rec) => imageSummary(rec, used.get(rec.id) ?? 0, ix))
    .filter((s) => {
      if (dangling !== undefined && (s.RepoTags.length === 0) !== (dangling === "true" || dangling === "1")) return false;
      if (!labelsMatch(f, s.Labels)) return false;
      // reference matches a name with or without its tag (busybox, busybox:1.36, 127.0.0.1:5000/b*); only the names that match are listed
      if (refs.length) {
        s.RepoTags = s.RepoTags.filter((t) => refs.some((r) => r.test(t) || r.test(t.slice(0, t.lastIndexOf(":")))));
        s.RepoDigests = s.RepoDigests.filter((d) => refs.some((r) => r.test(d) || r.test(d.slice(0, d.indexOf("@")))));
        if (s.RepoTags.length === 0 && s.RepoDigests.length === 0) return false;
      }
      const created = ix.images[s.Id]!.created;
      if (before && !before.every((b) => created < b)) return false;
      if (since && !since.every((b) => created > b)) return false;
      if (until && !until.every((t) => BigInt(s.Created) <= t)) return false;
      return true;
    })
    .sort((a, b) => b.Created - a.Created);
  return json(out);
}

function inspect(_req: Request, m: RegExpExecArray): Response {
  const ref = param(m);
  return json(imageInspect(find(ref)));
}

/** X-Registry-Auth: base64url JSON {username, password}; absent or empty means anonymous (or `ctr login`'s). */
function registryAuth(req: Request): { user: string; pass: string } | undefined {
  const h = req.headers.get("x-registry-auth");
  if (!h) return undefined;
  try {
    const v = JSON.parse(Buffer.from(h, "base64url").toString()) as { username?: string; password?: string };
    return v.username ? { user: v.username, pass: v.password ?? "" } : undefined;
  } catch {
    throw new ApiError(400, "X-Registry-Auth: not base64url-encoded JSON");
  }
}

function progressMessage(p: PullProgress): object {
  if (p.current !== undefined) return { status: p.status, progressDetail: { current: p.current, total: p.total }, progress: progressBar(p.current, p.total ?? 0), id: p.id };
  if (p.id && p.status.startsWith("Pulling from")) return { status: p.status, id: p.id };
  return p.id ? { status: p.status, progressDetail: {}, id: p.id } : { status: p.status };
}

/**
 * A stream of JSON lines that becomes the response only once the operation
 * has got somewhere: a failure before that (no such image, no registry) is a
 * plain HTTP error, as Docker's; one after is an error line in the stream.
 */
class JsonStream {
  private controller!: ReadableStreamDefaultController<Uint8Array>;
  private closed = false;
  readonly body = new ReadableStream<Uint8Array>({
    start: (c) => {
      this.controller = c;
    },
    cancel: () => {
      this.closed = true;
    },
  });

  send(v: object): void {
    if (this.closed) return;
    try {
      this.controller.enqueue(enc.encode(`${JSON.stringify(v)}\n`));
    } catch {
      this.closed = true;
    }
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    try {
      this.controller.close();
    } catch {}
  }

  fail(e: unknown): void {
    const message = (e as Error).message ?? String(e);
    this.send({ errorDetail: { message }, error: message });
    this.close();
  }
}

/** The reference fromImage and tag name: tag is a tag or a digest (the Docker CLI sends the name without either). */
function pullRef(fromImage: string, tag: string | null): string {
  if (!tag) return fromImage;
  return tag.startsWith("sha256:") ? `${fromImage}@${tag}` : `${fromImage}:${tag}`;
}

async function create(req: Request): Promise<Response> {
  const q = new URL(req.url).searchParams;
  const from = q.get("fromImage");
  if (!from) {
    if (q.get("fromSrc") === "-") return importBody(req, q);
    throw new ApiError(400, "fromImage (or fromSrc=-) is required");
  }
  const ref = pullRef(from, q.get("tag"));
  try {
    parseReference(ref);
  } catch (e) {
    throw apiError(e);
  }
  let platform: { os: string; architecture: string } | undefined;
  const pq = q.get("platform");
  if (pq) {
    const [os, architecture] = pq.split("/");
    if (!os || !architecture) throw new ApiError(400, `invalid platform ${pq}: give os/arch`);
    platform = { os, architecture };
  }
  const credentials = registryAuth(req);
  const out = new JsonStream();
  let started!: () => void;
  const begun = new Promise<void>((r) => (started = r));
  const { pull } = await import("../../image/registry.ts");
  const done = pull(ref, {
    platform,
    credentials,
    progress(p) {
      out.send(progressMessage(p));
      // "Pulling from" comes before the manifest is fetched: only what follows shows the image exists
      if (!p.status.startsWith("Pulling from")) started();
    },
  });
  const first = await Promise.race([begun.then(() => "streaming" as const), done.then(() => "done" as const, (e) => e as Error)]);
  if (first instanceof Error) {
    out.close();
    throw apiError(first);
  }
  done.then(
    (r) => {
      const shown = r.name ? familiar(r.name) : ref;
      out.send({ status: `Status: ${r.downloaded ? "Downloaded newer image" : "Image is up to date"} for ${shown}` });
      out.close();
    },
    (e) => out.fail(e),
  );
  return new Response(out.body, { headers: { "Content-Type": "application/json" } });
}

/** POST /images/create?fromSrc=-&repo=&tag=: the body is a rootfs tarball, made a one-layer image. */
async function importBody(req: Request, q: URLSearchParams): Promise<Response> {
  const bytes = new Uint8Array(await req.arrayBuffer());
  if (bytes.length === 0) throw new ApiError(400, "fromSrc=-: the request body (a rootfs tarball) is empty");
  const repo = q.get("repo");
  const name = repo ? pullRef(repo, q.get("tag")) : undefined;
  const rec = await mapped(() => importRootfs(bytes, name));
  return json({ status: rec.id });
}

async function load(req: Request): Promise<Response> {
  const bytes = new Uint8Array(await req.arrayBuffer());
  if (bytes.length === 0) throw new ApiError(400, "no archive in the request body: send a docker save or OCI layout tar");
  let loaded;
  try {
    loaded = await loadArchive("request body", bytes);
  } catch (e) {
    const m = apiError(e);
    throw m instanceof ImageError || m instanceof ManifestError || (m as Error).name === "TarError" ? new ApiError(400, (m as Error).message) : m;
  }
  const lines = loaded.flatMap((l) => (l.names.length ? l.names.map((n) => `Loaded image: ${familiar(n)}\n`) : [`Loaded image ID: ${l.id}\n`]));
  return new Response(lines.map((s) => `${JSON.stringify({ stream: s })}\n`).join(""), { headers: { "Content-Type": "application/json" } });
}

async function remove(req: Request, m: RegExpExecArray): Promise<Response> {
  const q = new URL(req.url).searchParams;
  const removed = await mapped(() => removeImage(param(m), queryBool(q, "force")));
  return json(removed);
}

async function tag(req: Request, m: RegExpExecArray): Promise<Response> {
  const q = new URL(req.url).searchParams;
  const repo = q.get("repo");
  if (!repo) throw new ApiError(400, "repo is required");
  const t = q.get("tag");
  if (t?.startsWith("sha256:")) throw new ApiError(400, "refusing to create a tag with a digest reference");
  await mapped(() => tagImage(param(m), t ? `${repo}:${t}` : repo));
  return new Response(null, { status: 201 });
}

/** GET /images/get?names=A&names=B and /images/{name}/get: docker save's tar (an OCI layout with docker's manifest.json). */
async function save(req: Request, m: RegExpExecArray): Promise<Response> {
  const names = m[1] ? [param(m)] : new URL(req.url).searchParams.getAll("names");
  if (names.length === 0) throw new ApiError(400, "names is required");
  const tar = await mapped(() => {
    try {
      return saveArchive(resolveForSave(names, findImage));
    } catch (e) {
      // resolveForSave's "reference does not exist"
      if (e instanceof ImageError && /does not exist/.test(e.message)) throw new ApiError(404, e.message);
      throw e;
    }
  });
  return new Response(tar, { headers: { "Content-Type": "application/x-tar" } });
}

export const routes: Route[] = [
  { method: "GET", path: /^\/images\/json$/, handle: list },
  { method: "POST", path: /^\/images\/create$/, handle: create },
  { method: "POST", path: /^\/images\/load$/, handle: load },
  { method: "GET", path: /^\/images\/get$()/, handle: save },
  { method: "GET", path: /^\/images\/(.+)\/json$/, handle: inspect },
  { method: "GET", path: /^\/images\/(.+)\/get$/, handle: save },
  { method: "POST", path: /^\/images\/(.+)\/tag$/, handle: tag },
  { method: "DELETE", path: /^\/images\/(.+)$/, handle: remove },
];

