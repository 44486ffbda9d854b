// The ctr CLI as a client of a daemon (`ctr -H URI`, CTR_HOST): typed calls
// over the same Docker Engine API the daemon serves, with fetch (its `unix`
// option for unix sockets). Container verbs add their calls here.
//
//   unix:///run/ctr/ctr.sock   a unix socket (also a bare absolute path)
//   tcp://127.0.0.1:2375       plain HTTP (https:// for TLS)
import type { ImageInspect, ImageSummary } from "../image/view.ts";
import { CTR_RUN_ARGV } from "./route.ts";
import type { PullProgress } from "../image/progress.ts";
import type { NetworkView } from "../net/view.ts";

export const CLIENT_API_VERSION = "1.45";

/** A refusal or failure the daemon reported, with its status; shown as Docker shows it. */
export class DaemonError extends Error {
  override name = "EngineError";
  readonly exitCode = 1;
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export interface Endpoint {
  base: string;
  unix?: string;
}

export function parseHost(uri: string): Endpoint {
  if (uri.startsWith("/")) return { base: "http://localhost", unix: uri };
  const m = /^(unix|tcp|http|https):\/\/(.*)$/.exec(uri);
  if (!m) throw new DaemonError(0, `invalid daemon address ${JSON.stringify(uri)}: use unix:///path/to.sock or tcp://host:port`);
  const [, scheme, rest] = m;
  if (scheme === "unix") {
    if (!rest!.startsWith("/")) throw new DaemonError(0, `invalid daemon address ${uri}: the socket path must be absolute`);
    return { base: "http://localhost", unix: rest };
  }
  if (!rest || rest.includes("/")) throw new DaemonError(0, `invalid daemon address ${uri}: give host:port`);
  return { base: `${scheme === "https" ? "https" : "http"}://${rest}` };
}

type Query = Record<string, string | undefined>;

export interface RequestOptions {
  query?: Query;
  json?: unknown;
  body?: string | Uint8Array;
  headers?: Record<string, string>;
}

export class ApiClient {
  readonly endpoint: Endpoint;
  constructor(readonly uri: string) {
    this.endpoint = parseHost(uri);
  }

  /** A response with a 2xx status; anything else is the daemon's {"message"} as a DaemonError. */
  async request(method: string, path: string, o: RequestOptions = {}): Promise<Response> {
    const q = new URLSearchParams();
    for (const [k, v] of Object.entries(o.query ?? {})) if (v !== undefined) q.set(k, v);
    const url = `${this.endpoint.base}/v${CLIENT_API_VERSION}${path}${q.size ? `?${q}` : ""}`;
    const headers: Record<string, string> = { ...o.headers };
    let body: string | Uint8Array | undefined = o.body;
    if (o.json !== undefined) {
      body = JSON.stringify(o.json);
      headers["Content-Type"] = "application/json";
    }
    let res: Response;
    try {
      res = await fetch(url, { method, headers, body, ...(this.endpoint.unix ? { unix: this.endpoint.unix } : {}) } as RequestInit);
    } catch (e) {
      throw new DaemonError(0, `Cannot connect to the ctr daemon at ${this.uri} (${(e as Error).message.replace(/[.?\s]+$/, "")}): is 'ctr daemon' running?`);
    }
    if (res.status >= 400) {
      const text = await res.text();
      let message = text.trim() || `${res.status} ${res.statusText}`;
      try {
        message = (JSON.parse(text) as { message?: string }).message ?? message;
      } catch {}
      throw new DaemonError(res.status, message);
    }
    return res;
  }

  async json<T>(method: string, path: string, o: RequestOptions = {}): Promise<T> {
    return (await (await this.request(method, path, o)).json()) as T;
  }

  /** A stream of JSON lines (pull, load, events), message by message; an {"error"} line is thrown. */
  async *lines<T extends { error?: string }>(res: Response): AsyncGenerator<T> {
    const dec = new TextDecoder();
    let buf = "";
    for await (const chunk of res.body ?? []) {
      buf += dec.decode(chunk as Uint8Array, { stream: true });
      for (let nl = buf.indexOf("\n"); nl >= 0; nl = buf.indexOf("\n")) {
        const line = buf.slice(0, nl).trim();
        buf = buf.slice(nl + 1);
        if (!line) continue;
        const msg = JSON.parse(line) as T;
        if (msg.error) throw new DaemonError(500, msg.error);
        yield msg;
      }
    }
  }

  // --- images ---

  images(): Promise<ImageSummary[]> {
    return this.json("GET", "/images/json");
  }

  inspectImage(ref: string): Promise<ImageInspect> {
    return this.json("GET", `/images/${ref}/json`);
  }

  /** Pulls NAME[:TAG|@DIGEST], reporting Docker's progress messages as they come. */
  async pull(ref: { name: string; tag?: string; digest?: string }, progress: (p: PullProgress) => void, platform?: string): Promise<void> {
    const res = await this.request("POST", "/images/create", { query: { fromImage: ref.name, tag: ref.digest ?? ref.tag, platform } });
    type Msg = { status?: string; id?: string; progressDetail?: { current?: number; total?: number }; error?: string };
    for await (const m of this.lines<Msg>(res)) {
      if (!m.status) continue;
      const d = m.progressDetail;
      progress({ id: m.id, status: m.status, ...(d?.current !== undefined ? { current: d.current, total: d.total } : {}) });
    }
  }

  async removeImage(ref: string, force: boolean): Promise<{ Untagged?: string; Deleted?: string }[]> {
    return this.json("DELETE", `/images/${ref}`, { query: { force: force ? "1" : undefined } });
  }

  /** TARGET as Docker's CLI sends it: the repository in full, and the tag. */
  async tagImage(source: string, target: { repo: string; tag?: string }): Promise<void> {
    await this.request("POST", `/images/${source}/tag`, { query: { repo: target.repo, tag: target.tag } });
  }

  /** A docker save or OCI layout tar; what the daemon reports, line by line ("Loaded image: ..."). */
  async load(tar: Uint8Array): Promise<string[]> {
    const res = await this.request("POST", "/images/load", { body: tar, headers: { "Content-Type": "application/x-tar" }, query: { quiet: "1" } });
    const out: string[] = [];
    for await (const m of this.lines<{ stream?: string; error?: string }>(res)) if (m.stream) out.push(m.stream.replace(/\n$/, ""));
    return out;
  }

  // --- networks ---

  networks(): Promise<NetworkView[]> {
    return this.json("GET", "/networks");
  }

  inspectNetwork(ref: string): Promise<NetworkView> {
    return this.json("GET", `/networks/${encodeURIComponent(ref)}`);
  }

  createNetwork(body: { Name: string; Driver?: string; Internal?: boolean; IPAM?: { Config: { Subnet?: string; Gateway?: string }[] }; Options?: Record<string, string>; Labels?: Record<string, string> }): Promise<{ Id: string; Warning?: string }> {
    return this.json("POST", "/networks/create", { json: body });
  }

  async removeNetwork(ref: string): Promise<void> {
    await this.request("DELETE", `/networks/${encodeURIComponent(ref)}`);
  }

  async connectNetwork(ref: string, container: string, aliases: string[], ip?: string): Promise<void> {
    await this.request("POST", `/networks/${encodeURIComponent(ref)}/connect`, {
      json: { Container: container, EndpointConfig: { Aliases: aliases, ...(ip ? { IPAMConfig: { IPv4Address: ip } } : {}) } },
    });
  }

  async disconnectNetwork(ref: string, container: string): Promise<void> {
    await this.request("POST", `/networks/${encodeURIComponent(ref)}/disconnect`, { json: { Container: container } });
  }

  // --- containers ---

  /** A POST whose answer carries nothing (pause, unpause, rename) */
  async post(path: string, query: Record<string, string> = {}): Promise<void> {
    await this.request("POST", path, { query });
  }

  /** Docker's /containers/json entries */
  containers(all: boolean): Promise<ContainerSummary[]> {
    return this.json("GET", "/containers/json", { query: { all: all ? "1" : undefined } });
  }

  inspectContainer(ref: string): Promise<Record<string, unknown>> {
    return this.json("GET", `/containers/${encodeURIComponent(ref)}/json`);
  }

  /**
   * ctr's own create: the `run`/`create` argv as the ctr CLI takes it (flags,
   * a TOML file, a rootfs path or an image), parsed and checked by the daemon
   * exactly as the local CLI would; paths are the daemon host's.
   */
  createFromArgv(argv: string[], cwd: string, env: Record<string, string>, consoleSize?: { rows: number; cols: number }): Promise<{ Id: string; Warnings: string[] }> {
    const body = { argv, cwd, env, ...(consoleSize ? { consoleSize: [consoleSize.rows, consoleSize.cols] } : {}) };
    return this.json("POST", "/containers/create", { body: JSON.stringify(body), headers: { "Content-Type": CTR_RUN_ARGV } });
  }

  async startContainer(ref: string): Promise<void> {
    await this.request("POST", `/containers/${encodeURIComponent(ref)}/start`);
  }

  async stopContainer(ref: string, t?: number, signal?: string): Promise<void> {
    await this.request("POST", `/containers/${encodeURIComponent(ref)}/stop`, { query: { t: t === undefined ? undefined : String(t), signal } });
  }

  async killContainer(ref: string, signal: string): Promise<void> {
    await this.request("POST", `/containers/${encodeURIComponent(ref)}/kill`, { query: { signal } });
  }

  async removeContainer(ref: string, force: boolean): Promise<void> {
    await this.request("DELETE", `/containers/${encodeURIComponent(ref)}`, { query: { force: force ? "1" : undefined } });
  }

  /** The exit status once the condition holds (the response's headers come at once, its body at the exit). */
  async waitContainer(ref: string, condition: "not-running" | "next-exit" | "removed" = "not-running"): Promise<Response> {
    return this.request("POST", `/containers/${encodeURIComponent(ref)}/wait`, { query: { condition } });
  }

  top(ref: string, psArgs: string): Promise<{ Titles: string[]; Processes: string[][] }> {
    return this.json("GET", `/containers/${encodeURIComponent(ref)}/top`, { query: { ps_args: psArgs || undefined } });
  }

  // --- exec ---

  async execCreate(ref: string, body: { Cmd: string[]; Env: string[]; User?: string; WorkingDir?: string; Privileged: boolean; AttachStdin: boolean; Tty: boolean }): Promise<string> {
    const r = await this.json<{ Id: string }>("POST", `/containers/${encodeURIComponent(ref)}/exec`, {
      json: { ...body, AttachStdout: true, AttachStderr: true },
    });
    return r.Id;
  }

  async execStartDetached(id: string): Promise<void> {
    await this.request("POST", `/exec/${id}/start`, { json: { Detach: true, Tty: false } });
  }

  /** The exec's exit code once it has ended (the stream can end a moment before the daemon has reaped it). */
  async execExitCode(id: string): Promise<number> {
    for (;;) {
      const r = await this.json<{ Running: boolean; ExitCode: number | null }>("GET", `/exec/${id}/json`);
      if (!r.Running && r.ExitCode !== null) return r.ExitCode;
      await Bun.sleep(10);
    }
  }

  /**
   * A POST with Docker's `Upgrade: tcp` (exec start, attach): fetch cannot
   * follow a `101 UPGRADED`, so this speaks HTTP/1.1 on a socket of its own.
   * Once the daemon has answered, the connection is the stream both ways:
   * its bytes (the output) until the daemon closes it, and the client's
   * (stdin), ended by a half-close. A refusal (any status but 101 or 200) is
   * the daemon's message.
   */
  async hijack(path: string, json: unknown): Promise<Hijacked> {
    const body = JSON.stringify(json);
    const head = `POST /v${CLIENT_API_VERSION}${path} HTTP/1.1\r\nHost: ctr\r\nContent-Type: application/json\r\n` +
      `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n\r\n${body}`;
    const chunks: Uint8Array[] = [];
    let ended = false;
    let failure: Error | undefined;
    let wake = () => {};
    const socket = {
      data: (_s: unknown, d: Uint8Array) => { chunks.push(new Uint8Array(d)); wake(); },
      close: () => { ended = true; wake(); },
      error: (_s: unknown, e: Error) => { failure = e; ended = true; wake(); },
    };
    const ep = this.endpoint;
    let sock: { write(b: string | Uint8Array): number; end(): void; shutdown(halfClose?: boolean): void; flush(): void };
    try {
      if (ep.unix) sock = await Bun.connect({ unix: ep.unix, socket });
      else {
        const u = new URL(ep.base);
        sock = await Bun.connect({ hostname: u.hostname, port: Number(u.port || (u.protocol === "https:" ? 443 : 80)), tls: u.protocol === "https:", socket });
      }
    } catch (e) {
      throw new DaemonError(0, `Cannot connect to the ctr daemon at ${this.uri} (${(e as Error).message}): is 'ctr daemon' running?`);
    }
    sock.write(head);
    const next = async (): Promise<Uint8Array | null> => {
      while (chunks.length === 0 && !ended) await new Promise<void>((r) => (wake = r));
      if (chunks.length) return chunks.shift()!;
      if (failure) throw new DaemonError(0, `the connection to the daemon failed: ${failure.message}`);
      return null;
    };
    // the response head; what follows it is the stream
    let buf = Buffer.alloc(0);
    let end = -1;
    while ((end = buf.indexOf("\r\n\r\n")) < 0) {
      const c = await next();
      if (!c) throw new DaemonError(0, "the daemon closed the connection before answering");
      buf = Buffer.concat([buf, c]);
    }
    const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(buf.subarray(0, end).toString("latin1"))?.[1] ?? 0);
    let rest: Uint8Array = buf.subarray(end + 4);
    if (status !== 101 && status !== 200) {
      for (let c = await next(); c; c = await next()) rest = Buffer.concat([rest, c]);
      sock.end();
      let message = Buffer.from(rest).toString().trim();
      try {
        message = (JSON.parse(message) as { message?: string }).message ?? message;
      } catch {}
      throw new DaemonError(status, message || `status ${status}`);
    }
    async function* output(): AsyncGenerator<Uint8Array> {
      try {
        if (rest.length) yield rest;
        for (let c = await next(); c; c = await next()) yield c;
      } finally {
        sock.end();
      }
    }
    return {
      output: output(),
      write: (b) => {
        if (!ended) sock.write(b);
      },
      closeWrite: () => {
        // a FIN: no more stdin, while the output keeps coming
        if (!ended) sock.shutdown();
      },
    };
  }

  async resize(what: "containers" | "exec", id: string, rows: number, cols: number): Promise<void> {
    await this.request("POST", `/${what}/${encodeURIComponent(id)}/resize`, { query: { h: String(rows), w: String(cols) } });
  }

  /** The log as Docker's stream: multiplexed frames, or raw bytes for a container with a terminal. */
  logs(ref: string, q: { follow?: boolean; tail?: string; since?: string; until?: string; timestamps?: boolean }): Promise<Response> {
    return this.request("GET", `/containers/${encodeURIComponent(ref)}/logs`, {
      query: {
        stdout: "1", stderr: "1", follow: q.follow ? "1" : undefined, tail: q.tail, since: q.since, until: q.until,
        timestamps: q.timestamps ? "1" : undefined,
      },
    });
  }
}

/** A hijacked connection: the daemon's bytes, and ours (stdin) until closeWrite. */
export interface Hijacked {
  output: AsyncGenerator<Uint8Array>;
  write(b: Uint8Array): void;
  closeWrite(): void;
}


export interface ContainerSummary {
  Id: string;
  Names: string[];
  Image: string;
  Command: string;
  Created: number;
  Ports: { IP?: string; PrivatePort: number; PublicPort?: number; Type: string }[];
  Labels: Record<string, string>;
  State: string;
  Status: string;
}
