// /containers/{id}/exec, /exec/{id}/start|json|resize: Docker's two-step
// exec. The exec's monitor (the executor in exec mode) holds the process's
// stdio and hands it to the daemon through pipes; start relays them over the
// hijacked connection (multiplexed without a TTY). An exec lives in memory
// only: it is a request's worth of state, as in dockerd.
import { EngineError } from "../../runtime/errors.ts";
import { execInContainer } from "../../runtime/exec.ts";
import { loadRecord } from "../../runtime/state/record.ts";
import { resizeTty } from "../../runtime/tty.ts";
import { newId } from "../../runtime/state/names.ts";
import { frame, hijack, type RawStream } from "../hijack.ts";
import { apiLog } from "../log.ts";
import { ApiError, json, readJson, type Route } from "../route.ts";
import { lookup } from "./containers.ts";

interface ExecConfig {
  Detach?: boolean;
  AttachStdin?: boolean;
  AttachStdout?: boolean;
  AttachStderr?: boolean;
  DetachKeys?: string;
  Tty?: boolean;
  Env?: string[] | null;
  Cmd?: string[];
  Privileged?: boolean;
  User?: string;
  WorkingDir?: string;
  ConsoleSize?: [number, number] | null;
}

interface Exec {
  id: string;
  containerId: string;
  config: ExecConfig;
  running: boolean;
  started: boolean;
  exitCode: number | null;
  pid: number;
}

const execs = new Map<string, Exec>();
const MAX_EXECS = 4096;

const CONFIG_KEYS = ["Detach", "AttachStdin", "AttachStdout", "AttachStderr", "DetachKeys", "Tty", "Env", "Cmd", "Privileged", "User", "WorkingDir", "ConsoleSize"];

function checkConfig(b: unknown): ExecConfig {
  if (typeof b !== "object" || b === null || Array.isArray(b)) throw new ApiError(400, "the request body must be a JSON object");
  for (const k of Object.keys(b)) if (!CONFIG_KEYS.includes(k)) throw new ApiError(400, `unknown field ${JSON.stringify(k)}`);
  const c = b as ExecConfig;
  if (!Array.isArray(c.Cmd) || c.Cmd.length === 0 || c.Cmd.some((x) => typeof x !== "string")) throw new ApiError(400, "No exec command specified");
  if (c.Env && (!Array.isArray(c.Env) || c.Env.some((x) => typeof x !== "string"))) throw new ApiError(400, "Env: expected a list of strings");
  return c;
}

async function create(req: Request, m: RegExpExecArray): Promise<Response> {
  const rec = lookup(m[1]!);
  const config = checkConfig(await readJson<unknown>(req));
  const st = (await import("../../runtime/state/status.ts")).liveState(rec).status;
  if (st === "paused") throw new ApiError(409, `Container ${rec.id} is paused, unpause the container before exec`);
  if (st !== "running") throw new ApiError(409, `Container ${rec.id} is not running`);
  if (execs.size >= MAX_EXECS) {
    // forget finished execs first, oldest first
    for (const [k, e] of execs) if (!e.running && execs.size >= MAX_EXECS) execs.delete(k);
  }
  const id = newId();
  execs.set(id, { id, containerId: rec.id, config, running: false, started: false, exitCode: null, pid: 0 });
  return json({ Id: id }, 201);
}

function find(raw: string): Exec {
  const e = execs.get(raw);
  if (!e) throw new ApiError(404, `No such exec instance: ${raw}`);
  return e;
}

async function start(req: Request, m: RegExpExecArray): Promise<Response> {
  const ex = find(m[1]!);
  const body = (await readJson<{ Detach?: boolean; Tty?: boolean; ConsoleSize?: [number, number] | null }>(req)) ?? {};
  if (ex.started) throw new ApiError(409, `exec ${ex.id} has already been started`);
  const rec = loadRecord(ex.containerId);
  if (!rec) throw new ApiError(404, `No such container: ${ex.containerId}`);
  const c = ex.config;
  const tty = body.Tty ?? c.Tty ?? false;
  const detach = body.Detach ?? false;
  const size = body.ConsoleSize ?? c.ConsoleSize;
  ex.started = true;
  let started;
  try {
    started = await execInContainer(rec, {
      argv: c.Cmd!,
      env: c.Env ?? [],
      ...(c.User ? { user: c.User } : {}),
      ...(c.WorkingDir ? { workdir: c.WorkingDir } : {}),
      tty,
      interactive: !!c.AttachStdin,
      detach,
      privileged: !!c.Privileged,
      pipes: true,
      ...(tty && size && size[0] > 0 && size[1] > 0 ? { winsize: { rows: size[0], cols: size[1] } } : {}),
    });
  } catch (e) {
    ex.exitCode = e instanceof EngineError ? e.exitCode : 126;
    if (e instanceof EngineError && /not running|paused/.test(e.message)) throw new ApiError(409, e.message);
    if (detach) throw new ApiError(e instanceof EngineError && (e.exitCode === 126 || e.exitCode === 127) ? 400 : 500, (e as Error).message);
    // as dockerd: the failure is the stream's output and the exec's exit code (126, 127), which the CLI reads after
    const msg = new TextEncoder().encode(`ctr: exec failed: ${(e as Error).message}\n`);
    return hijack(async (raw) => {
      await raw.write(tty ? msg : frame(2, msg));
      await raw.closeWrite();
    });
  }
  const { executor, pid } = started;
  ex.running = true;
  ex.pid = pid;
  // the exec's monitor exits with the process's status (128+N for a signal)
  const exited = executor.proc.exited.then((code) => {
    ex.running = false;
    ex.exitCode = code;
    executor.close();
  });
  if (detach) {
    executor.release();
    return new Response(null, { status: 200 });
  }
  return hijack((raw) => relay(raw, executor.proc as Bun.Subprocess<"pipe", "pipe", "pipe">, tty, c, exited));
}

async function relay(raw: RawStream, proc: Bun.Subprocess<"pipe", "pipe", "pipe">, tty: boolean, c: ExecConfig, exited: Promise<void>): Promise<void> {
  const copy = async (src: ReadableStream<Uint8Array>, kind: 1 | 2, wanted: boolean) => {
    for await (const b of src) if (wanted && !raw.closed) await raw.write(tty ? b : frame(kind, b)).catch(() => {});
  };
  if (c.AttachStdin) {
    (async () => {
      for (;;) {
        const b = await raw.read();
        if (b === null) break;
        proc.stdin.write(b);
        await proc.stdin.flush();
      }
      proc.stdin.end();
    })().catch((e) => apiLog(`exec stdin: ${(e as Error).message}`));
  } else {
    proc.stdin.end();
    // drain what the client sends anyway, so its FIN is noticed
    (async () => {
      while ((await raw.read()) !== null) {}
    })().catch(() => {});
  }
  await Promise.all([copy(proc.stdout, 1, c.AttachStdout !== false), copy(proc.stderr, 2, c.AttachStderr !== false), exited]);
  if (!raw.closed) await raw.closeWrite();
}

function inspect(_req: Request, m: RegExpExecArray): Response {
  const e = find(m[1]!);
  const c = e.config;
  return json({
    ID: e.id,
    Running: e.running,
    ExitCode: e.exitCode,
    ProcessConfig: { tty: !!c.Tty, entrypoint: c.Cmd![0], arguments: c.Cmd!.slice(1), privileged: !!c.Privileged, user: c.User ?? "" },
    OpenStdin: !!c.AttachStdin,
    OpenStderr: !!c.AttachStderr,
    OpenStdout: !!c.AttachStdout,
    CanRemove: false,
    ContainerID: e.containerId,
    DetachKeys: c.DetachKeys ?? "",
    Pid: e.pid,
  });
}

/** ?h=ROWS&w=COLS for a running exec with a TTY. */
function resize(req: Request, m: RegExpExecArray): Response {
  const e = find(m[1]!);
  if (!e.running || !e.pid) throw new ApiError(409, `exec ${e.id} is not running`);
  const p = new URL(req.url).searchParams;
  try {
    resizeTty(e.pid, Number(p.get("h")), Number(p.get("w")));
  } catch (err) {
    // gone in between, or no terminal: nothing to resize
    if (err instanceof EngineError) throw new ApiError(/invalid/.test(err.message) ? 400 : 409, err.message);
    throw err;
  }
  return new Response(null, { status: 200 });
}

export const routes: Route[] = [
  { method: "POST", path: /^\/containers\/([^/]+)\/exec$/, handle: create },
  { method: "POST", path: /^\/exec\/([0-9a-f]{64})\/start$/, handle: start },
  { method: "POST", path: /^\/exec\/([0-9a-f]{64})\/resize$/, handle: resize },
  { method: "GET", path: /^\/exec\/([0-9a-f]{64})\/json$/, handle: inspect },
];
