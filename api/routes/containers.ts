// /containers/...: Docker's container endpoints over ctr's runtime. The
// daemon holds no state of its own: every answer is read from the state
// directory, so a restarted daemon serves the containers an earlier one made.
import { familiar, canonical, parseReference } from "../../image/reference.ts";
import { findImage } from "../../image/store.ts";
import { createContainer } from "../../runtime/create.ts";
import { EngineError } from "../../runtime/errors.ts";
import { inspectContainer } from "../../runtime/inspect.ts";
import { exitCodeOf, killContainer, pauseContainer, releaseCreated, stopContainer, unpauseContainer } from "../../runtime/lifecycle.ts";
import { removeContainer, sweepStaleLocks } from "../../runtime/remove.ts";
import { startAgain } from "../../runtime/restart.ts";
import { resizeTty } from "../../runtime/tty.ts";
import { computeStats, sample } from "../../runtime/stats.ts";
import { NameError, NAME_RE, NoSuchContainer, resolveRef } from "../../runtime/state/names.ts";
import { stateRoot } from "../../runtime/state/paths.ts";
import { type ContainerRecord, listContainers, loadRecord } from "../../runtime/state/record.ts";
import { liveState, type Status } from "../../runtime/state/status.ts";
import { psFields, TopError, topProcesses } from "../../runtime/top.ts";
import { specFromCreateBody } from "../../spec/docker-api.ts";
import { buildRunSpec, parseRunArgv } from "../../spec/flags.ts";
import type { ContainerSpec } from "../../spec/types.ts";
import { SpecError } from "../../spec/errors.ts";
import type { FileSink } from "bun";
import { lastExit, watchAutoRemove } from "../exits.ts";
import { dropStdin, hasStdin, keepStdin, pumpStdin } from "../stdin.ts";
import { frame, hijack } from "../hijack.ts";
import { apiLog } from "../log.ts";
import { LogReader } from "../../runtime/logs.ts";
import { ApiError, CTR_RUN_ARGV, json, mapErrors, queryBool, readJson, type Route } from "../route.ts";

const ID = "([^/]+)";
const q = (req: Request) => new URL(req.url).searchParams;
const noContent = () => new Response(null, { status: 204 });

/** A name, an id or an id prefix, as the path gives it; anything else (../x) is refused before it reaches a file name. */
function decodeRef(raw: string): string {
  let ref: string;
  try {
    ref = decodeURIComponent(raw).replace(/^\//, "");
  } catch {
    throw new ApiError(400, `invalid container reference ${JSON.stringify(raw)}`);
  }
  if (!NAME_RE.test(ref)) throw new ApiError(400, `invalid container name or id ${JSON.stringify(ref)}`);
  return ref;
}

/** The container's id, or undefined when there is none by that reference. */
function resolveId(ref: string): string | undefined {
  try {
    return resolveRef(ref);
  } catch (e) {
    if (e instanceof NameError) throw new ApiError(400, e.message);
    if (!(e instanceof NoSuchContainer)) throw e;
    return undefined;
  }
}

export function lookup(raw: string): ContainerRecord {
  const ref = decodeRef(raw);
  const id = resolveId(ref);
  const rec = id && loadRecord(id);
  if (rec) return rec;
  throw new ApiError(404, `No such container: ${ref}`);
}

/** Engine errors about a container's state are conflicts (409), as Docker's. */
function engine<T>(f: () => T): T {
  try {
    return f();
  } catch (e) {
    throw toApi(e);
  }
}

function toApi(e: unknown): unknown {
  if (e instanceof ApiError) return e;
  if (e instanceof NameError) return new ApiError(/already in use/.test(e.message) ? 409 : 400, e.message);
  if (e instanceof SpecError) return new ApiError(400, e.message);
  if (e instanceof EngineError && /invalid terminal size|no terminal/.test(e.message)) return new ApiError(400, e.message);
  if (e instanceof EngineError && /not running|is paused|already paused|not paused|cannot remove|You cannot remove|created state|already in use|same name/.test(e.message)) return new ApiError(409, e.message);
  return e;
}

const engineAsync = <T>(f: () => Promise<T>): Promise<T> => mapErrors(toApi, f);

/** The argv that removes a container, run by its monitor at exit if the daemon is not there to (--rm). */
function removeArgv(id: string): string[] {
  const self = Bun.main.startsWith("/$bunfs/") ? [process.execPath] : [process.execPath, Bun.main];
  return [...self, "--root", stateRoot(), "rm", "--force", "--if-exists", id];
}

function imageName(ref: string): string {
  try {
    return familiar(canonical(parseReference(ref)));
  } catch {
    return ref;
  }
}

async function create(req: Request): Promise<Response> {
  const body = await readJson<unknown>(req);
  const { spec, warnings, consoleSize, stdinOnce } = req.headers.get("content-type") === CTR_RUN_ARGV
    ? engine(() => specFromRunArgv(body))
    : { ...engine(() => specFromCreateBody(body, q(req).get("name"))), stdinOnce: (body as { StdinOnce?: unknown }).StdinOnce === true };
  // a missing image is a 404 naming it: the docker CLI pulls it then and tries again
  if (!spec.rootfs && !findImage(spec.image!)) throw new ApiError(404, `No such image: ${imageName(spec.image!)}`);
  const c = await engineAsync(() =>
    createContainer({ ...spec, pull: "never" }, {
      attach: false,
      waitForStart: true,
      removeArgv,
      stdinPipe: spec.interactive,
      ...(consoleSize && spec.tty ? { winsize: consoleSize } : {}),
    }),
  );
  if (spec.interactive) keepStdin(c.record.id, c.executor.proc.stdin as FileSink, stdinOnce);
  if (spec.autoRemove) watchAutoRemove(c.record.id, c.executor, apiLog);
  else c.executor.close();
  return json({ Id: c.record.id, Warnings: warnings }, 201);
}

/**
 * ctr's own create body (api/client.ts createFromArgv): the CLI's run argv,
 * parsed and checked here as the local CLI would, against the client's cwd and
 * the variables it passed for `-e NAME`. The container is created detached;
 * an attached client attaches before it starts, and for `-i` its end of
 * stdin closes the container's (Docker's StdinOnce).
 */
function specFromRunArgv(body: unknown): { spec: ContainerSpec; warnings: string[]; consoleSize?: { rows: number; cols: number }; stdinOnce: boolean } {
  const b = body as { argv?: unknown; cwd?: unknown; env?: unknown; consoleSize?: unknown };
  if (!Array.isArray(b?.argv) || !b.argv.every((a) => typeof a === "string") || typeof b.cwd !== "string" || typeof b.env !== "object" || b.env === null)
    throw new ApiError(400, "a ctr create body is {argv: string[], cwd: string, env: {}}");
  const { spec, warnings } = buildRunSpec(parseRunArgv(b.argv), { env: b.env as Record<string, string>, cwd: b.cwd });
  // the client's terminal size, so a -t container's pty has it from the first command on
  const size = Array.isArray(b.consoleSize) && b.consoleSize.length === 2 && b.consoleSize.every((n) => Number.isInteger(n) && n > 0 && n < 65536)
    ? { rows: b.consoleSize[0] as number, cols: b.consoleSize[1] as number } : undefined;
  return { spec: { ...spec, detach: true }, warnings, stdinOnce: !spec.detach, ...(size ? { consoleSize: size } : {}) };
}

async function start(_req: Request, m: RegExpExecArray): Promise<Response> {
  const rec = lookup(m[1]!);
  const st = liveState(rec).status;
  if (st === "running" || st === "paused" || st === "restarting") return new Response(null, { status: 304 });
  if (st === "created") engine(() => releaseCreated(rec));
  else if (st === "exited" || st === "dead") (await engineAsync(() => startAgain(rec))).close();
  else throw new ApiError(409, `container ${rec.name} is ${st}`);
  return noContent();
}

/** stop (if it runs), then start again; a created container just starts */
async function restart(req: Request, m: RegExpExecArray): Promise<Response> {
  const rec = lookup(m[1]!);
  const t = q(req).get("t");
  if (t !== null && !/^-?\d+$/.test(t)) throw new ApiError(400, `invalid timeout ${JSON.stringify(t)}`);
  const st = liveState(rec).status;
  if (st === "created") {
    engine(() => releaseCreated(rec));
    return noContent();
  }
  if (st === "running" || st === "paused" || st === "restarting") await engineAsync(() => stopContainer(rec, t === null ? undefined : Math.max(0, Number(t))));
  (await engineAsync(() => startAgain(rec))).close();
  return noContent();
}

async function stop(req: Request, m: RegExpExecArray): Promise<Response> {
  const rec = lookup(m[1]!);
  const p = q(req);
  const st = liveState(rec).status;
  if (!["running", "paused", "restarting", "created"].includes(st)) return new Response(null, { status: 304 });
  const t = p.get("t");
  if (t !== null && !/^-?\d+$/.test(t)) throw new ApiError(400, `invalid timeout ${JSON.stringify(t)}`);
  const sig = p.get("signal");
  if (sig) rec.spec.stopSignal = sig;
  await engineAsync(() => stopContainer(rec, t === null ? undefined : Math.max(0, Number(t))));
  return noContent();
}

async function kill(req: Request, m: RegExpExecArray): Promise<Response> {
  const rec = lookup(m[1]!);
  const sig = q(req).get("signal") || "SIGKILL";
  engine(() => killContainer(rec, /^\d+$/.test(sig) ? sig : sig.toUpperCase().startsWith("SIG") ? sig.toUpperCase() : `SIG${sig.toUpperCase()}`));
  return noContent();
}

async function remove(req: Request, m: RegExpExecArray): Promise<Response> {
  // a directory without a record (listed as dead): nothing runs, it just goes
  const id = resolveId(decodeRef(m[1]!));
  if (id && !loadRecord(id)) {
    await engineAsync(() => removeContainer(id, { force: true }));
    return noContent();
  }
  const rec = lookup(m[1]!);
  // as Docker: a created container (its init waiting to exec) goes without force
  const created = ["created", "creating"].includes(liveState(rec).status);
  await engineAsync(() => removeContainer(rec.id, { force: queryBool(q(req), "force") || created }));
  dropStdin(rec.id);
  sweepStaleLocks();
  return noContent();
}

async function pause(_req: Request, m: RegExpExecArray): Promise<Response> {
  await engineAsync(() => pauseContainer(lookup(m[1]!)));
  return noContent();
}

async function unpause(_req: Request, m: RegExpExecArray): Promise<Response> {
  await engineAsync(() => unpauseContainer(lookup(m[1]!)));
  return noContent();
}

const inspect = (_req: Request, m: RegExpExecArray) => json(inspectContainer(lookup(m[1]!)));

// ---- list ----

function ago(iso: string | undefined): string {
  const s = Math.max(0, (Date.now() - Date.parse(iso ?? "")) / 1000);
  if (!Number.isFinite(s)) return "";
  if (s < 1) return "Less than a second";
  const unit = (n: number, u: string) => `${n} ${u}${n === 1 ? "" : "s"}`;
  if (s < 60) return unit(Math.floor(s), "second");
  if (s < 3600) return unit(Math.floor(s / 60), "minute");
  if (s < 86400) return unit(Math.floor(s / 3600), "hour");
  return unit(Math.floor(s / 86400), "day");
}

function statusText(st: Status, live: ReturnType<typeof liveState>): string {
  switch (st) {
    case "running": return `Up ${ago(live.init?.startedAt)}`;
    case "paused": return `Up ${ago(live.init?.startedAt)} (Paused)`;
    case "exited": return `Exited (${live.exit?.exitCode ?? 0}) ${ago(live.exit?.finishedAt)} ago`;
    case "restarting": return `Restarting (${live.exit?.exitCode ?? 0}) ${ago(live.exit?.finishedAt)} ago`;
    case "created": case "creating": return "Created";
    default: return "Dead";
  }
}

const LIST_FILTERS = ["id", "name", "status", "label", "ancestor", "exited"];

function parseFilters(raw: string | null): Record<string, string[]> {
  if (!raw) return {};
  let f: unknown;
  try {
    f = JSON.parse(raw);
  } catch {
    throw new ApiError(400, "invalid filters: not JSON");
  }
  if (typeof f !== "object" || f === null || Array.isArray(f)) throw new ApiError(400, "invalid filters: expected an object");
  const out: Record<string, string[]> = {};
  for (const [k, v] of Object.entries(f as Record<string, unknown>)) {
    if (!LIST_FILTERS.includes(k)) throw new ApiError(400, `invalid filter '${k}'`);
    // {"name": ["x"]} or the older {"name": {"x": true}}
    out[k] = Array.isArray(v) ? v.map(String) : Object.keys(v as object);
  }
  return out;
}

function list(req: Request): Response {
  const p = q(req);
  const all = queryBool(p, "all");
  const filters = parseFilters(p.get("filters"));
  const limit = Number(p.get("limit") ?? -1);
  const rows = [];
  const any = (k: string, test: (v: string) => boolean) => !filters[k] || filters[k]!.some(test);
  for (const { id, created, rec } of listContainers()) {
    if (!rec) {
      // a directory without a record (a create killed half-way): dead, as Docker lists what it could not finish
      const shown = (all || filters.status) && any("id", (v) => id.startsWith(v)) && any("status", (v) => v === "dead") && ["name", "ancestor", "label", "exited"].every((k) => !filters[k]);
      if (shown) {
        rows.push({ Id: id, Names: [], Image: "", ImageID: "", Command: "", Created: Math.floor(Date.parse(created) / 1000), Ports: [], Labels: {}, State: "dead", Status: "Dead" });
      }
      continue;
    }
    const live = liveState(rec);
    const st = live.status === "creating" ? "created" : live.status;
    const running = st === "running" || st === "paused" || st === "restarting";
    if (!all && !running && !filters.status) continue;
    if (!any("id", (v) => rec.id.startsWith(v))) continue;
    if (!any("name", (v) => rec.name.includes(v.replace(/^\//, "")))) continue;
    if (!any("status", (v) => v === st)) continue;
    if (!any("exited", (v) => st === "exited" && String(live.exit?.exitCode) === v)) continue;
    if (!any("ancestor", (v) => rec.spec.image === v || rec.image?.name === v || rec.image?.id === v)) continue;
    if (!any("label", (v) => (v.includes("=") ? rec.spec.labels[v.slice(0, v.indexOf("="))] === v.slice(v.indexOf("=") + 1) : v in rec.spec.labels))) continue;
    const insp = inspectContainer(rec);
    rows.push({
      Id: rec.id,
      Names: [`/${rec.name}`],
      Image: rec.image?.name ?? rec.spec.image ?? rec.rootfs,
      ImageID: rec.image?.id ?? "",
      Command: rec.argv.map((a) => (a.includes(" ") ? JSON.stringify(a) : a)).join(" "),
      Created: Math.floor(Date.parse(rec.created) / 1000),
      // published ports with their host side, exposed ones (null in inspect) without, as Docker lists them
      Ports: Object.entries(insp.NetworkSettings.Ports).flatMap(([k, binds]) => {
        const [port, type] = k.split("/");
        if (!binds) return [{ PrivatePort: Number(port), Type: type! }];
        return binds.map((b) => ({ IP: b.HostIp || "0.0.0.0", PrivatePort: Number(port), PublicPort: Number(b.HostPort), Type: type! }));
      }),
      Labels: rec.spec.labels,
      State: st,
      Status: statusText(st, live),
      HostConfig: { NetworkMode: rec.spec.network.mode },
      NetworkSettings: { Networks: insp.NetworkSettings.Networks },
      Mounts: insp.Mounts,
    });
  }
  return json(limit > 0 ? rows.slice(0, limit) : rows);
}

// ---- wait ----

/** Polls the state directory until the condition holds; the body comes then (headers went out at once). */
function wait(req: Request, m: RegExpExecArray): Response {
  const rec = lookup(m[1]!);
  const cond = q(req).get("condition") || "not-running";
  if (!["not-running", "next-exit", "removed"].includes(cond)) throw new ApiError(400, `invalid condition: ${JSON.stringify(cond)}`);
  const firstExit = liveState(rec).exit?.finishedAt;
  let cancelled = false;
  const body = new ReadableStream<Uint8Array>({
    async pull(c) {
      let code = lastExit(rec.id) ?? 0;
      for (; !cancelled; await Bun.sleep(20)) {
        const cur = loadRecord(rec.id);
        if (!cur) {
          code = lastExit(rec.id) ?? code;
          break;
        }
        const live = liveState(cur);
        const done = live.status === "exited" || live.status === "dead";
        if (done) code = exitCodeOf(live);
        if (cond === "not-running" && (done || live.status === "created")) break;
        if (cond === "next-exit" && done && live.exit?.finishedAt !== firstExit) break;
        if (cond === "next-exit" && done && !live.monitorAlive && firstExit !== undefined && live.exit?.finishedAt === firstExit) {
          // it had exited already when asked: Docker answers with that exit
          break;
        }
      }
      c.enqueue(new TextEncoder().encode(`${JSON.stringify({ StatusCode: code, Error: null })}\n`));
      c.close();
    },
    cancel() {
      cancelled = true;
    },
  });
  return new Response(body, { headers: { "Content-Type": "application/json" } });
}

// ---- logs and attach ----

const enc = new TextEncoder();
const ACTIVE: Status[] = ["created", "creating", "running", "paused", "restarting"];
const stillActive = (id: string) => {
  const r = loadRecord(id);
  return r !== undefined && ACTIVE.includes(liveState(r).status);
};

function since(v: string | null): number | undefined {
  if (v === null || v === "" || v === "0") return undefined;
  const n = Number(v);
  if (!Number.isFinite(n)) throw new ApiError(400, `invalid time ${JSON.stringify(v)}`);
  return n * 1000;
}

function logs(req: Request, m: RegExpExecArray): Response {
  const rec = lookup(m[1]!);
  const p = q(req);
  const out = queryBool(p, "stdout");
  const err = queryBool(p, "stderr");
  if (!out && !err) throw new ApiError(400, "Bad parameters: you must choose at least one stream");
  const tailRaw = p.get("tail");
  const tail = tailRaw === null || tailRaw === "" || tailRaw === "all" ? undefined : Number(tailRaw);
  if (tail !== undefined && !Number.isInteger(tail)) throw new ApiError(400, `invalid tail ${JSON.stringify(tailRaw)}`);
  const from = since(p.get("since"));
  const until = since(p.get("until"));
  const timestamps = queryBool(p, "timestamps");
  const follow = queryBool(p, "follow");
  const tty = rec.spec.tty;
  let cancelled = false;
  const body = new ReadableStream<Uint8Array>({
    async start(c) {
      const reader = new LogReader(rec.logPath, false);
      const keep = (e: { stream: string; time: string }) => {
        const t = Date.parse(e.time);
        return (e.stream === "stderr" ? err : out) && (from === undefined || t >= from) && (until === undefined || t <= until);
      };
      const encode = (e: { log: string; stream: string; time: string }) => {
        const text = enc.encode(timestamps ? `${e.time} ${e.log}` : e.log);
        return tty ? text : frame(e.stream === "stderr" ? 2 : 1, text);
      };
      try {
        // the tail is of what is there now (read back from the end); what follows comes as it is written
        const first = tail !== undefined ? reader.last(Math.max(tail, 0), keep) : reader.readNew().filter(keep);
        for (const e of first) c.enqueue(encode(e));
        if (follow) for await (const e of reader.follow(() => stillActive(rec.id), () => cancelled)) if (keep(e)) c.enqueue(encode(e));
        if (!cancelled) c.close();
      } catch (e) {
        if (!cancelled) c.error(e);
      } finally {
        reader.close();
      }
    },
    cancel() {
      cancelled = true;
    },
  });
  return new Response(body, { headers: { "Content-Type": tty ? "application/vnd.docker.raw-stream" : "application/vnd.docker.multiplexed-stream" } });
}

/**
 * attach: the container's output from the moment of attach until it exits,
 * read from the log the monitor writes (the monitor, not the daemon, holds
 * the container's stdio, so attaching needs nothing from the monitor and a
 * daemon restart loses nothing). logs=1 replays the log first.
 */
function attach(req: Request, m: RegExpExecArray): Response {
  const rec = lookup(m[1]!);
  const p = q(req);
  const wantStdin = queryBool(p, "stdin") && rec.spec.interactive;
  if (wantStdin && !hasStdin(rec.id)) {
    throw new ApiError(409, `the stdin of container ${rec.name} is closed (it was attached once, or the daemon that created it has exited)`);
  }
  const out = queryBool(p, "stdout");
  const err = queryBool(p, "stderr");
  const replay = queryBool(p, "logs");
  const stream = queryBool(p, "stream");
  const tty = rec.spec.tty;
  // attached to a container that has exited (docker start -a attaches, then
  // starts): the stream waits for the next run and follows it to its end
  const runAtAttach = liveState(rec).init?.startedAt;
  const following = () => {
    const r = loadRecord(rec.id);
    if (!r) return false;
    const live = liveState(r);
    return ACTIVE.includes(live.status) || live.init?.startedAt === runAtAttach;
  };
  return hijack(async (raw) => {
    let gone = false;
    raw.onClose(() => (gone = true));
    if (wantStdin) pumpStdin(rec.id, () => raw.read()).catch(() => {});
    else {
      // a client may send bytes anyway: read and drop them, so its FIN is seen
      (async () => {
        while ((await raw.read()) !== null) {}
      })().catch(() => {});
    }
    const reader = new LogReader(rec.logPath, !replay);
    const send = (e: { log: string; stream: string }) => {
      if (!(e.stream === "stderr" ? err : out)) return;
      const text = enc.encode(e.log);
      return raw.write(tty ? text : frame(e.stream === "stderr" ? 2 : 1, text));
    };
    try {
      for (const e of reader.readNew()) await send(e);
      if (stream) for await (const e of reader.follow(following, () => gone)) await send(e);
    } finally {
      reader.close();
    }
    if (!gone) await raw.closeWrite();
  });
}

// ---- top and stats ----

function top(req: Request, m: RegExpExecArray): Response {
  const rec = lookup(m[1]!);
  const st = liveState(rec).status;
  if (st !== "running" && st !== "paused") throw new ApiError(409, `Container ${rec.id} is not running`);
  const args = (q(req).get("ps_args") ?? "").trim().split(/\s+/).filter(Boolean);
  try {
    const t = topProcesses(rec, psFields(args));
    return json({ Titles: t.titles, Processes: t.rows });
  } catch (e) {
    if (e instanceof TopError) throw new ApiError(400, e.message);
    throw e;
  }
}

function statsJson(rec: ContainerRecord, pre: ReturnType<typeof sample> | undefined, cur: ReturnType<typeof sample>, preRead: string) {
  const s = computeStats(pre, cur);
  const cpu = (x: ReturnType<typeof sample> | undefined) => ({
    cpu_usage: { total_usage: x?.cpuNs ?? 0, usage_in_kernelmode: 0, usage_in_usermode: 0 },
    system_cpu_usage: x?.systemNs ?? 0,
    online_cpus: x?.onlineCpus ?? 0,
    throttling_data: { periods: 0, throttled_periods: 0, throttled_time: 0 },
  });
  return {
    name: `/${rec.name}`,
    id: rec.id,
    read: new Date().toISOString(),
    preread: preRead,
    pids_stats: { current: s.pids },
    blkio_stats: {
      io_service_bytes_recursive: [
        { major: 0, minor: 0, op: "read", value: s.blkRead },
        { major: 0, minor: 0, op: "write", value: s.blkWrite },
      ],
    },
    num_procs: 0,
    cpu_stats: cpu(cur),
    precpu_stats: cpu(pre),
    memory_stats: { usage: s.memUsage, limit: s.memLimit, stats: {} },
    networks: { eth0: { rx_bytes: s.netRx, tx_bytes: s.netTx, rx_packets: 0, tx_packets: 0, rx_errors: 0, tx_errors: 0, rx_dropped: 0, tx_dropped: 0 } },
  };
}

async function statsOnce(rec: ContainerRecord, oneShot: boolean): Promise<Response> {
  if (oneShot) return json(statsJson(rec, undefined, sample(rec), "0001-01-01T00:00:00Z"));
  // CPU % needs two samples: one second apart, as dockerd takes them
  const pre = sample(rec);
  const at = new Date().toISOString();
  await Bun.sleep(1000);
  return json(statsJson(rec, pre, sample(rec), at));
}

function stats(req: Request, m: RegExpExecArray): Response | Promise<Response> {
  const rec = lookup(m[1]!);
  const p = q(req);
  const streaming = p.get("stream") === null ? true : queryBool(p, "stream");
  const oneShot = queryBool(p, "one-shot");
  if (!streaming) return statsOnce(rec, oneShot);
  let cancelled = false;
  const body = new ReadableStream<Uint8Array>({
    async start(c) {
      let pre: ReturnType<typeof sample> | undefined;
      let preAt = "0001-01-01T00:00:00Z";
      while (!cancelled) {
        const cur = sample(rec);
        c.enqueue(enc.encode(`${JSON.stringify(statsJson(rec, pre, cur, preAt))}\n`));
        pre = cur;
        preAt = new Date().toISOString();
        // as dockerd: a stopped container streams zeros until it runs again; a removed one ends the stream
        if (!loadRecord(rec.id)) break;
        await Bun.sleep(1000);
      }
      if (!cancelled) c.close();
    },
    cancel() {
      cancelled = true;
    },
  });
  return new Response(body, { headers: { "Content-Type": "application/json" } });
}

async function rename(req: Request, m: RegExpExecArray): Promise<Response> {
  const rec = lookup(m[1]!);
  const name = q(req).get("name");
  if (!name) throw new ApiError(400, "a new name is required (?name=)");
  const { renameContainer } = await import("../../runtime/rename.ts");
  await engineAsync(() => renameContainer(rec.id, name));
  return noContent();
}

/** ?h=ROWS&w=COLS: the container's pty takes the client's terminal size (the CLI sends it at attach and on SIGWINCH). */
function resize(req: Request, m: RegExpExecArray): Response {
  const rec = lookup(m[1]!);
  const live = liveState(rec);
  if (live.status !== "running" && live.status !== "paused") throw new ApiError(409, `Container ${rec.id} is not running`);
  if (!rec.spec.tty) return new Response(null, { status: 200 }); // no terminal: nothing to size, as dockerd
  const p = q(req);
  engine(() => resizeTty(live.pid, Number(p.get("h")), Number(p.get("w"))));
  return new Response(null, { status: 200 });
}

export const routes: Route[] = [
  { method: "GET", path: /^\/containers\/json$/, handle: list },
  { method: "POST", path: /^\/containers\/create$/, handle: create },
  { method: "GET", path: new RegExp(`^/containers/${ID}/json$`), handle: inspect },
  { method: "POST", path: new RegExp(`^/containers/${ID}/start$`), handle: start },
  { method: "POST", path: new RegExp(`^/containers/${ID}/stop$`), handle: stop },
  { method: "POST", path: new RegExp(`^/containers/${ID}/restart$`), handle: restart },
  { method: "POST", path: new RegExp(`^/containers/${ID}/kill$`), handle: kill },
  { method: "POST", path: new RegExp(`^/containers/${ID}/wait$`), handle: wait },
  { method: "POST", path: new RegExp(`^/containers/${ID}/pause$`), handle: pause },
  { method: "POST", path: new RegExp(`^/containers/${ID}/unpause$`), handle: unpause },
  { method: "POST", path: new RegExp(`^/containers/${ID}/attach$`), handle: attach },
  { method: "POST", path: new RegExp(`^/containers/${ID}/resize$`), handle: resize },
  { method: "POST", path: new RegExp(`^/containers/${ID}/rename$`), handle: rename },
  { method: "GET", path: new RegExp(`^/containers/${ID}/logs$`), handle: logs },
  { method: "GET", path: new RegExp(`^/containers/${ID}/top$`), handle: top },
  { method: "GET", path: new RegExp(`^/containers/${ID}/stats$`), handle: stats },
  { method: "DELETE", path: new RegExp(`^/containers/${ID}$`), handle: remove },
];
