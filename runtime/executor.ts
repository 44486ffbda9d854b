// Starts the native executor (runtime/native) with a Plan and reads its
// reports. The executor is embedded in the ctr binary and run from a sealed
// memfd: no file a container can reach is ever executed or writable
// (the runc CVE-2019-5736 class).
import { closeSync, read, readFileSync, readSync, writeSync } from "node:fs";
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
  | { kind: "error"; step: number; errno: number }
  | { kind: "exit"; code: number; signal: number };

function parse(line: string): Report | undefined {
  const [k, a = "0", b = "0"] = line.split(" ");
  if (k === "pid" || k === "created") return { kind: k, pid: Number(a) };
  if (k === "error") return { kind: "error", step: Number(a), errno: Number(b) };
  if (k === "exit") return { kind: "exit", code: Number(a), signal: Number(b) };
  return undefined;
}

export class Executor {
  private buf = "";
  private closed = false;
  constructor(
    readonly proc: Bun.Subprocess,
    private readonly fd: number,
  ) {}

  get monitorPid(): number {
    return this.proc.pid;
  }

  /** Blocks until the next report (or EOF: undefined). */
  next(): Report | undefined {
    for (;;) {
      const nl = this.buf.indexOf("\n");
      if (nl >= 0) {
        const line = this.buf.slice(0, nl);
        this.buf = this.buf.slice(nl + 1);
        const r = parse(line);
        if (r) return r;
        continue;
      }
      if (this.closed) return undefined;
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

  /** Same as next(), without blocking the event loop: the read waits in the
   * thread pool, so signal handlers (forwarding to the container) still run. */
  async nextAsync(): Promise<Report | undefined> {
    for (;;) {
      if (this.buf.includes("\n") || this.closed) return this.next();
      const chunk = Buffer.alloc(4096);
      const n = await new Promise<number>((res, rej) => read(this.fd, chunk, 0, chunk.length, null, (e, k) => (e ? rej(e) : res(k))));
      if (n === 0) {
        this.closed = true;
        closeSync(this.fd);
      } else this.buf += chunk.subarray(0, n).toString();
    }
  }

  /** Lets go of the report channel: tells the monitor this CLI is done with it. */
  close(): void {
    if (!this.closed) closeSync(this.fd);
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
}

export async function spawnExecutor(steps: Step[], opts: SpawnOptions): Promise<Executor> {
  const io = opts.pipeStdio ? "pipe" : opts.inheritStdio ? "inherit" : "ignore";
  const proc = Bun.spawn([executorPath()], {
    stdio: [opts.stdinPipe ? "pipe" : io, io, io, "pipe", "pipe", ...(opts.extraFds ?? [])],
    env: {},
  });
  const planFd = proc.stdio[3] as unknown as number;
  const reportFd = proc.stdio[4] as unknown as number;
  const bytes = encodePlan(steps);
  let off = 0;
  while (off < bytes.length) off += writeSync(planFd, bytes, off);
  closeSync(planFd);
  setBlocking(reportFd);
  return new Executor(proc, reportFd);
}
