// Starting one of ctr's own helper processes (the port proxy, a network's DNS
// server): the same binary with an internal verb, detached, which binds what
// it needs and then reports one JSON line on stdout. The caller waits for
// that line, so a port or address in use is an error of the run, not a
// silent half-start.
import { readFileSync } from "node:fs";
import { NetError } from "./errors.ts";

export interface HelperReply {
  ok: boolean;
  error?: string;
  [k: string]: unknown;
}

/** Spawns `ctr --root ROOT ...args`; resolves with its pid and report, once it has reported (or failed to within 5 s). */
export async function startHelper(root: string, args: string[], what: string): Promise<{ pid: number; reply: HelperReply }> {
  const self = Bun.main.startsWith("/$bunfs/") ? [process.execPath] : [process.execPath, Bun.main];
  const proc = Bun.spawn([...self, "--root", root, ...args], { stdio: ["ignore", "pipe", "ignore"], detached: true });
  const line = await firstLine(proc.stdout, 5000);
  let reply: HelperReply;
  try {
    reply = JSON.parse(line);
  } catch {
    proc.kill("SIGKILL");
    throw new NetError(`${what} did not start${line ? `: ${line}` : ""}`);
  }
  proc.unref();
  return { pid: proc.pid, reply };
}

async function firstLine(stream: ReadableStream<Uint8Array>, timeoutMs: number): Promise<string> {
  const reader = stream.getReader();
  let text = "";
  const deadline = Date.now() + timeoutMs;
  while (!text.includes("\n") && Date.now() < deadline) {
    const r = await Promise.race([reader.read(), Bun.sleep(deadline - Date.now()).then(() => ({ done: true, value: undefined }))]);
    if (r.done) break;
    text += new TextDecoder().decode(r.value);
  }
  reader.releaseLock();
  return text.split("\n")[0]!.trim();
}

/** Is pid a helper of ours running with these arguments (not a reused pid)? */
export function isHelper(pid: number, args: string[]): boolean {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, "utf8").includes(args.join("\0"));
  } catch {
    return false;
  }
}
