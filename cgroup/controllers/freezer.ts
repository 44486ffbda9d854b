// freezer: v1 freezer.state (THAWED -> FREEZING -> FROZEN), v2 cgroup.freeze
// with the outcome in cgroup.events ("frozen 1"). Writing the request is not
// enough: a cgroup is paused only once the kernel says every task stopped.
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";

export class FreezeError extends Error {}

export type FreezerState = "THAWED" | "FREEZING" | "FROZEN";

const read = (f: string) => readFileSync(f, "utf8");

/** "frozen 1" in a cgroup.events text */
export function eventsFrozen(events: string): boolean {
  return /^frozen 1$/m.test(events);
}

export function freezerState(dir: string, version: 1 | 2): FreezerState {
  if (version === 1) return read(join(dir, "freezer.state")).trim() as FreezerState;
  if (read(join(dir, "cgroup.freeze")).trim() !== "1") return "THAWED";
  return eventsFrozen(read(join(dir, "cgroup.events"))) ? "FROZEN" : "FREEZING";
}

function request(dir: string, version: 1 | 2, freeze: boolean) {
  if (version === 1) writeFileSync(join(dir, "freezer.state"), freeze ? "FROZEN" : "THAWED");
  else writeFileSync(join(dir, "cgroup.freeze"), freeze ? "1" : "0");
}

/** Asks, then waits until the kernel reports the wanted state (or gives up after timeoutMs). */
function settle(dir: string, version: 1 | 2, freeze: boolean, timeoutMs: number): boolean {
  const want = freeze ? "FROZEN" : "THAWED";
  const end = Date.now() + timeoutMs;
  for (let i = 0; ; i++) {
    // v1 can stay FREEZING when a task was busy at the first request; asking
    // again retries the tasks that were missed (runc does the same)
    if (i % 50 === 0) request(dir, version, freeze);
    if (freezerState(dir, version) === want) return true;
    if (Date.now() > end) return false;
    Bun.sleepSync(1);
  }
}

export function freeze(dir: string, version: 1 | 2, timeoutMs = 5000): void {
  if (settle(dir, version, true, timeoutMs)) return;
  settle(dir, version, false, 1000);
  throw new FreezeError(`freezing ${dir} did not complete within ${timeoutMs / 1000}s; left it running`);
}

export function thaw(dir: string, version: 1 | 2, timeoutMs = 5000): void {
  if (!settle(dir, version, false, timeoutMs)) throw new FreezeError(`thawing ${dir} did not complete within ${timeoutMs / 1000}s`);
}

/** Which file marks a directory as freezable, for status checks that do not know the hierarchy. */
export function freezerVersion(dir: string): 1 | 2 | undefined {
  if (existsSync(join(dir, "freezer.state"))) return 1;
  if (existsSync(join(dir, "cgroup.freeze"))) return 2;
  return undefined;
}
