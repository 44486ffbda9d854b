// The daemon's HTTP/1.1 server, on Bun.listen rather than Bun.serve: Docker's
// attach and exec start take over the connection after a `101 UPGRADED`
// (api/hijack.ts), which Bun.serve cannot hand out. It parses requests
// (Content-Length and chunked bodies, keep-alive), builds a standard Request
// for the route (api/route.ts), and writes the Response back: with a
// Content-Length when the body is at hand, chunked when it streams (logs
// --follow, stats, wait), headers first in both cases.
import type { Socket, TCPSocketListener, UnixSocketListener } from "bun";
import { Conn, ConnClosed, Timeout, TooLong } from "./conn.ts";
import { hijackOf } from "./hijack.ts";
import { ApiError, errorResponse, match, type Route } from "./route.ts";

export const API_VERSION = "1.45";
export const MIN_API_VERSION = "1.24";

export interface ServerOptions {
  routes: Route[];
  /** from a request's first byte until its headers are complete */
  headerTimeoutMs: number;
  /** an idle keep-alive connection is closed after this */
  idleTimeoutMs: number;
  maxHeaderBytes: number;
  /** a larger body is refused with 413 (the JSON routes cap theirs lower, see readJson) */
  maxBodyBytes: number;
  serverHeader: string;
  /** one line per failed request or connection problem */
  log: (msg: string) => void;
}

export const DEFAULT_SERVER_OPTIONS: Omit<ServerOptions, "routes" | "log" | "serverHeader"> = {
  headerTimeoutMs: 10_000,
  idleTimeoutMs: 120_000,
  maxHeaderBytes: 64 * 1024,
  maxBodyBytes: 1 << 30,
};

const STATUS_TEXT: Record<number, string> = {
  200: "OK", 201: "Created", 204: "No Content", 304: "Not Modified", 400: "Bad Request", 401: "Unauthorized", 403: "Forbidden",
  404: "Not Found", 405: "Method Not Allowed", 408: "Request Timeout", 409: "Conflict", 411: "Length Required", 413: "Payload Too Large",
  414: "URI Too Long", 431: "Request Header Fields Too Large", 500: "Internal Server Error", 501: "Not Implemented", 503: "Service Unavailable",
};

interface Head {
  method: string;
  target: string;
  version: string;
  headers: Headers;
  keepAlive: boolean;
}

const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

function parseHead(raw: Buffer): Head {
  const lines = raw.toString("latin1").split("\r\n");
  const [method = "", target = "", version = "", ...extra] = (lines[0] ?? "").split(" ");
  if (!TOKEN.test(method) || !target.startsWith("/") || !/^HTTP\/1\.[01]$/.test(version) || extra.length) throw new ApiError(400, "malformed request line");
  const headers = new Headers();
  for (const l of lines.slice(1)) {
    if (l === "") continue;
    const c = l.indexOf(":");
    if (c <= 0 || !TOKEN.test(l.slice(0, c))) throw new ApiError(400, "malformed header line");
    try {
      headers.append(l.slice(0, c), l.slice(c + 1).trim());
    } catch {
      throw new ApiError(400, "malformed header value");
    }
  }
  const conn = (headers.get("connection") ?? "").toLowerCase();
  const keepAlive = version === "HTTP/1.1" ? !conn.includes("close") : conn.includes("keep-alive");
  return { method, target, version, headers, keepAlive };
}

/** The request body as a stream pulled from the connection: Content-Length or chunked. */
function bodyOf(conn: Conn, head: Head, max: number): { stream?: ReadableStream<Uint8Array>; done: () => boolean } {
  const te = head.headers.get("transfer-encoding");
  const cl = head.headers.get("content-length");
  if (te && te.toLowerCase() !== "chunked") throw new ApiError(501, `transfer encoding ${te} not supported`);
  if (!te && (cl === null || cl === "0")) return { done: () => true };
  let finished = false;
  if (!te) {
    if (!/^\d+$/.test(cl!)) throw new ApiError(400, "invalid Content-Length");
    let left = Number(cl);
    if (left > max) throw new ApiError(413, `request body of ${left} bytes exceeds the limit of ${max}`);
    const stream = new ReadableStream<Uint8Array>({
      async pull(c) {
        if (left === 0) {
          finished = true;
          return c.close();
        }
        const b = await conn.readSome(Math.min(left, 1 << 20));
        if (!b) return c.error(new ConnClosed("connection closed mid-body"));
        left -= b.length;
        c.enqueue(new Uint8Array(b));
      },
    });
    return { stream, done: () => finished || left === 0 };
  }
  let total = 0;
  let chunkLeft = 0;
  const stream = new ReadableStream<Uint8Array>({
    async pull(c) {
      try {
        if (chunkLeft === 0) {
          const line = (await conn.readUntil("\r\n", 1024)).toString("latin1").trim();
          const size = Number.parseInt(line.split(";")[0]!, 16);
          if (!/^[0-9a-fA-F]+/.test(line) || !Number.isFinite(size)) throw new ApiError(400, "malformed chunk size");
          if (size === 0) {
            // trailers, up to the empty line
            while ((await conn.readUntil("\r\n", 8192)).length > 2) {}
            finished = true;
            return c.close();
          }
          total += size;
          if (total > max) throw new ApiError(413, `request body exceeds the limit of ${max} bytes`);
          chunkLeft = size;
        }
        const b = await conn.readSome(chunkLeft);
        if (!b) throw new ConnClosed("connection closed mid-body");
        chunkLeft -= b.length;
        c.enqueue(new Uint8Array(b));
        if (chunkLeft === 0 && (await conn.readExact(2)).toString() !== "\r\n") throw new ApiError(400, "malformed chunk");
      } catch (e) {
        c.error(e);
      }
    },
  });
  return { stream, done: () => finished };
}

function errorOf(e: unknown): Response {
  if (e instanceof ApiError) return errorResponse(e.status, e.message);
  const err = e as Error;
  // errors of the layers below, by name: the routes map the ones they expect themselves
  if (err?.name === "SpecError") return errorResponse(400, err.message);
  return errorResponse(500, err?.message ?? String(e));
}

/** Client versions above ours are refused, as dockerd does; the prefix is optional. */
function checkVersion(path: string): void {
  const m = /^\/v(\d+)\.(\d+)\//.exec(path);
  if (!m) return;
  const [maj, min] = API_VERSION.split(".").map(Number) as [number, number];
  if (Number(m[1]) > maj || (Number(m[1]) === maj && Number(m[2]) > min)) {
    throw new ApiError(400, `client version ${m[1]}.${m[2]} is too new. Maximum supported API version is ${API_VERSION}`);
  }
}

async function dispatch(opts: ServerOptions, req: Request, path: string): Promise<Response> {
  try {
    checkVersion(path);
    const found = match(opts.routes, req.method, path);
    if (found instanceof ApiError) throw found;
    return await found.route.handle(req, found.m);
  } catch (e) {
    const res = errorOf(e);
    if (res.status >= 500) opts.log(`${req.method} ${path}: ${(e as Error)?.stack ?? e}`);
    return res;
  }
}

function headLines(status: number, headers: Headers, extra: Record<string, string>): string {
  const lines = [`HTTP/1.1 ${status} ${STATUS_TEXT[status] ?? "Status"}`];
  for (const [k, v] of Object.entries(extra)) lines.push(`${k}: ${v}`);
  headers.forEach((v, k) => {
    if (k !== "content-length" && k !== "transfer-encoding" && k !== "connection") lines.push(`${k}: ${v}`);
  });
  return `${lines.join("\r\n")}\r\n\r\n`;
}

const tick = () => new Promise<"pending">((r) => setTimeout(() => r("pending"), 0));

/** Writes a Response: Content-Length if the whole body is there at once, else chunked. */
async function writeResponse(conn: Conn, res: Response, head: Head, common: Record<string, string>): Promise<void> {
  const extra: Record<string, string> = { ...common };
  if (!head.keepAlive) extra.Connection = "close";
  const noBody = head.method === "HEAD" || res.status === 204 || res.status === 304;
  if (!res.body || noBody) {
    if (!noBody) extra["Content-Length"] = "0";
    else if (head.method === "HEAD" && res.headers.get("content-length")) extra["Content-Length"] = res.headers.get("content-length")!;
    res.body?.cancel().catch(() => {});
    return conn.write(headLines(res.status, res.headers, extra));
  }
  const reader = res.body.getReader();
  const parts: Uint8Array[] = [];
  // an in-memory body is all there within a tick; a stream (wait, logs -f)
  // gets its headers now, since clients act on them before the body comes
  for (;;) {
    const next = reader.read();
    const r = await Promise.race([next, tick()]);
    if (r === "pending") {
      extra["Transfer-Encoding"] = "chunked";
      await conn.write(headLines(res.status, res.headers, extra));
      for (const p of parts) await conn.write(chunk(p));
      return streamRest(conn, reader, next);
    }
    if (r.done) break;
    parts.push(r.value);
  }
  const body = Buffer.concat(parts);
  extra["Content-Length"] = String(body.length);
  await conn.write(headLines(res.status, res.headers, extra));
  await conn.write(body);
}

function chunk(b: Uint8Array): Uint8Array {
  return Buffer.concat([Buffer.from(`${b.length.toString(16)}\r\n`), b, Buffer.from("\r\n")]);
}

interface BodyReader {
  read(): Promise<{ done: boolean; value?: Uint8Array }>;
  cancel(): Promise<void>;
}

async function streamRest(conn: Conn, reader: BodyReader, pending: Promise<{ done: boolean; value?: Uint8Array }>): Promise<void> {
  conn.onClose(() => reader.cancel().catch(() => {}));
  try {
    for (let next = pending; ; next = reader.read()) {
      const r = await next;
      if (r.done) break;
      if (r.value?.length) await conn.write(chunk(r.value));
    }
    await conn.write("0\r\n\r\n");
  } catch (e) {
    reader.cancel().catch(() => {});
    throw e;
  }
}

/** One connection: requests one after another until close, error or hijack. */
async function serveConn(opts: ServerOptions, conn: Conn): Promise<void> {
  const common = { "Api-Version": API_VERSION, "Docker-Experimental": "false", Ostype: "linux", Server: opts.serverHeader };
  for (;;) {
    let head: Head;
    try {
      const raw = await conn.readUntil("\r\n\r\n", opts.maxHeaderBytes, opts.headerTimeoutMs, opts.idleTimeoutMs);
      head = parseHead(raw);
    } catch (e) {
      if (e instanceof ConnClosed) return conn.close();
      if (e instanceof Timeout) {
        // idle keep-alive connections just close; a half-sent request hears why
        if (conn.buffered) await sendError(conn, 408, "timed out reading the request headers", common);
        return conn.close();
      }
      if (e instanceof TooLong) await sendError(conn, 431, `request headers exceed ${opts.maxHeaderBytes} bytes`, common);
      else await sendError(conn, (e as ApiError).status ?? 400, (e as Error).message, common);
      return conn.close();
    }
    let body: ReturnType<typeof bodyOf>;
    try {
      body = bodyOf(conn, head, opts.maxBodyBytes);
    } catch (e) {
      await sendError(conn, (e as ApiError).status ?? 400, (e as Error).message, common);
      return conn.close();
    }
    if (body.stream && head.headers.get("expect")?.toLowerCase() === "100-continue") await conn.write("HTTP/1.1 100 Continue\r\n\r\n");
    const q = head.target.indexOf("?");
    const path = q >= 0 ? head.target.slice(0, q) : head.target;
    const req = new Request(`http://ctr${head.target}`, {
      method: head.method,
      headers: head.headers,
      body: body.stream,
      ...(body.stream ? { duplex: "half" } : {}),
    } as RequestInit);
    const res = await dispatch(opts, req, path);
    const hijacked = hijackOf(res);
    if (hijacked) return hijack(conn, head, hijacked, common, opts);
    // a body the route did not read would be taken for the next request
    if (!body.done()) {
      head.keepAlive = false;
    }
    try {
      await writeResponse(conn, res, head, common);
    } catch (e) {
      if (!(e instanceof ConnClosed)) opts.log(`${head.method} ${path}: writing the response: ${(e as Error).message}`);
      return conn.close();
    }
    if (!head.keepAlive) return conn.close();
  }
}

async function sendError(conn: Conn, status: number, message: string, common: Record<string, string>): Promise<void> {
  const body = JSON.stringify({ message });
  const h = new Headers({ "Content-Type": "application/json" });
  await conn.write(headLines(status, h, { ...common, "Content-Length": String(Buffer.byteLength(body)), Connection: "close" }) + body).catch(() => {});
}

async function hijack(conn: Conn, head: Head, handler: NonNullable<ReturnType<typeof hijackOf>>, common: Record<string, string>, opts: ServerOptions): Promise<void> {
  const upgrade = (head.headers.get("upgrade") ?? "").toLowerCase() === "tcp";
  const h = new Headers({ "Content-Type": "application/vnd.docker.raw-stream" });
  // old clients that did not ask for an upgrade get the raw stream after a 200
  const extra = upgrade ? { ...common, Connection: "Upgrade", Upgrade: "tcp" } : { ...common };
  try {
    await conn.write(headLines(upgrade ? 101 : 200, h, extra).replace(/^HTTP\/1\.1 101 \w+/, "HTTP/1.1 101 UPGRADED"));
    await handler({
      write: (b) => conn.write(b),
      read: () => conn.readSome(),
      closeWrite: () => conn.closeWrite(),
      onClose: (fn) => conn.onClose(fn),
      get closed() {
        return conn.closed;
      },
    });
  } catch (e) {
    if (!(e instanceof ConnClosed)) opts.log(`${head.method} ${head.target}: ${(e as Error).message}`);
  } finally {
    conn.close();
  }
}

export type Listener = UnixSocketListener<Conn | undefined> | TCPSocketListener<Conn | undefined>;

export type Where = { unix: string } | { hostname: string; port: number; tls?: Bun.TLSOptions };

/** Listens on a unix socket or TCP (with TLS when given) and serves every connection. */
export function listen(where: Where, opts: ServerOptions): Listener {
  const socket = {
    open(s: Socket<Conn | undefined>) {
      const conn = new Conn(s as Socket<unknown>);
      s.data = conn;
      serveConn(opts, conn).catch((e) => {
        opts.log(`connection: ${(e as Error).message}`);
        conn.close();
      });
    },
    data(s: Socket<Conn | undefined>, d: Buffer) {
      s.data?.push(d);
    },
    end(s: Socket<Conn | undefined>) {
      s.data?.end();
    },
    drain(s: Socket<Conn | undefined>) {
      s.data?.drain();
    },
    close(s: Socket<Conn | undefined>) {
      s.data?.onClosed();
    },
    error(s: Socket<Conn | undefined>, e: Error) {
      opts.log(`socket: ${e.message}`);
      s.data?.onClosed();
    },
  };
  if ("unix" in where) return Bun.listen<Conn | undefined>({ unix: where.unix, socket, allowHalfOpen: true, data: undefined });
  return Bun.listen<Conn | undefined>({ hostname: where.hostname, port: where.port, socket, allowHalfOpen: true, data: undefined, ...(where.tls ? { tls: where.tls } : {}) });
}
