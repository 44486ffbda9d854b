// Starts the native executor (runtime/native) with a Plan and reads its
// reports. The executor is embedded in the ctr binary and run from a sealed
// memfd: no file a container can reach is ever executed or writable
// (the runc CVE-2019-5736 class).
import { closeSync, readFileSync, readSync, writeSync } from "node:fs";
import executorFile from "./native/build/executor" with { type: "file" };
import { encodePlan, type Step } from "./plan-wire.ts";
import { sealedMemfd, setBlocking } from "./sys/libc.ts";

let memfd: number | undefined;

function executorPath(): string {
  // read synchronously: an async read starts the runtime's thread pool (~1 ms)
  if (memfd === undefined) memfd = sealedMemfd("ctr-executor", readFileSync(executorFile));
  // the parent's fd path stays valid while the child closes its own fds
  return `/proc/${process.pid}/fd/${memfd}`;
}

/** One line from the executor: what happened, with numbers. */
export type Report =
  | { kind: "pid"; pid: number }
  | { kind: "created"; pid: number }
  /** the monitor wired the network plan (Executor.sendNetPlan) */
  | { kind: "wired" }
  /** a step of the network plan failed */
  | { kind: "neterror"; step: number; errno: number }
  | { kind: "error"; step: number; errno: number }
  /** netUndone: the monitor of a --rm container left nothing of its network for rm (main.c release_leases) */
  | { kind: "exit"; code: number; signal: number; netUndone: boolean };

function parse(line: string): Report | undefined {
  const [k, a = "0", b = "0", c = "0"] = line.split(" ");
  if (k === "pid" || k === "created") return { kind: k, pid: Number(a) };
  if (k === "wired") return { kind: k };
  if (k === "neterror") return { kind: k, step: Number(a), errno: Number(b) };
  if (k === "error") return { kind: "error", step: Number(a), errno: Number(b) };
  if (k === "exit") return { kind: "exit", code: Number(a), signal: Number(b), netUndone: c === "1" };
  return undefined;
}

export class Executor {
  private buf = "";
  private closed = false;
  /** the report pipe read through the event loop, once nextAsync was used */
  private reader?: { read(): Promise<{ done: boolean; value?: Uint8Array }>; cancel(): Promise<void> };
  constructor(
    readonly proc: Bun.Subprocess,
    private readonly fd: number,
    /** our end of the init's gate (SpawnOptions.gate), until opened or closed */
    private gate?: number,
  ) {}

  /** The network plan (net/wire-plan.ts), for the monitor to run while the init prepares its rootfs. */
  sendNetPlan(steps: Step[]): void {
    if (this.gate === undefined) throw new Error("sendNetPlan: no gate");
    const body = encodePlan(steps);
    const framed = new Uint8Array(4 + body.length);
    new DataView(framed.buffer).setUint32(0, body.length, true);
    framed.set(body, 4);
    for (let off = 0; off < framed.length; ) off += writeSync(this.gate, framed, off);
  }

  /** Lets the init go on to exec (its network is ready). */
  openGate(): void {
    if (this.gate === undefined) return;
    try {
      writeSync(this.gate, "1");
    } catch {
      // the init failed before its gate (EPIPE): its report says why
    }
    this.closeGate();
  }

  /** The init gives up at its gate: it sees EOF, and the executor reports that step as failed. */
  closeGate(): void {
    if (this.gate !== undefined) closeSync(this.gate);
    this.gate = undefined;
  }

  get monitorPid(): number {
    return this.proc.pid;
  }

  /** A whole report line from what was read, if there is one. */
  private take(): Report | undefined {
    for (let nl = this.buf.indexOf("\n"); nl >= 0; nl = this.buf.indexOf("\n")) {
      const r = parse(this.buf.slice(0, nl));
      this.buf = this.buf.slice(nl + 1);
      if (r) return r;
    }
    return undefined;
  }

  /** Blocks until the next report (or EOF: undefined). Not after nextAsync. */
  next(): Report | undefined {
    for (;;) {
      const r = this.take();
      if (r || this.closed) return r;
      const chunk = Buffer.alloc(4096);
      // the fd was made blocking in spawnExecutor: a read waits for the executor
      const n = readSync(this.fd, chunk);
      if (n === 0) {
        this.closed = true;
        closeSync(this.fd);
        continue;
      }
      this.buf += chunk.subarray(0, n).toString();
    }
  }

  /** Same as next(), without blocking the event loop, so signal handlers
   * (forwarding to the container) still run. The pipe is read as a stream,
   * which waits in the event loop: fs.read's thread pool cost ~2.5 ms to start. */
  async nextAsync(): Promise<Report | undefined> {
    for (;;) {
      const r = this.take();
      if (r || this.closed) return r;
      this.reader ??= Bun.file(this.fd).stream().getReader();
      const { value, done } = await this.reader.read();
      if (done || !value) this.closed = true;
      else this.buf += Buffer.from(value).toString();
    }
  }

  /** Lets go of the report channel: tells the monitor this CLI is done with it. */
  close(): void {
    this.reader?.cancel().catch(() => {});
    if (!this.closed) {
      try {
        closeSync(this.fd);
      } catch {
        // the stream closed it already
      }
    }
    this.closed = true;
    this.proc.unref();
  }

  /** The executor stays behind as the monitor: let the CLI exit without it. */
  release(): void {
    this.proc.unref();
  }
}

export interface SpawnOptions {
  /** the CLI's own stdio handed to the monitor for an attached container */
  inheritStdio: boolean;
  /** the CLI's fds handed on as the executor's 5.. (OCI --preserve-fds) */
  extraFds?: number[];
  /** pipes to the caller instead (the daemon relays an exec's stdio over the API) */
  pipeStdio?: boolean;
  /** only stdin is a pipe from the caller (the daemon's -i container) */
  stdinPipe?: boolean;
  /** one more socket after extraFds, at the executor's gateFd(extraFds): the network plan, then the init's gate (plan step GATE) */
  gate?: boolean;
}

/** Where the executor finds the gate: after the plan (3), report (4) and preserved fds. */
export const gateFd = (extraFds: number) => 5 + extraFds;

export async function spawnExecutor(steps: Step[], opts: SpawnOptions): Promise<Executor> {
  const io = opts.pipeStdio ? "pipe" : opts.inheritStdio ? "inherit" : "ignore";
  const proc = Bun.spawn([executorPath()], {
    stdio: [opts.stdinPipe ? "pipe" : io, io, io, "pipe", "pipe", ...(opts.extraFds ?? []), ...(opts.gate ? ["pipe" as const] : [])],
    env: {},
  });
  const planFd = proc.stdio[3] as unknown as number;
  const reportFd = proc.stdio[4] as unknown as number;
  const bytes = encodePlan(steps);
  let off = 0;
  while (off < bytes.length) off += writeSync(planFd, bytes, off);
  closeSync(planFd);
  setBlocking(reportFd);
  const gate = opts.gate ? (proc.stdio[gateFd(opts.extraFds?.length ?? 0)] as unknown as number) : undefined;
  return new Executor(proc, reportFd, gate);
}
