// What the daemon learns about exits, for wait. A --rm container's record is
// gone once it is removed, so the daemon removes such a container itself
// (as the attached CLI does): it sees the exit, remembers the status, then removes. If the daemon dies first, the
// monitor sees the channel close and removes the container by itself.
import type { Executor } from "../runtime/executor.ts";
import { exitCodeOf } from "../runtime/lifecycle.ts";
import { removeContainer } from "../runtime/remove.ts";
import { loadRecord } from "../runtime/state/record.ts";
import { liveState } from "../runtime/state/status.ts";
import { dropStdin } from "./stdin.ts";

const finalStatus = new Map<string, number>();
const MAX_REMEMBERED = 4096;

export function rememberExit(id: string, code: number): void {
  if (finalStatus.size >= MAX_REMEMBERED) finalStatus.delete(finalStatus.keys().next().value!);
  finalStatus.set(id, code);
}

export function lastExit(id: string): number | undefined {
  return finalStatus.get(id);
}

/**
 * Waits for the monitor's exit report, read as a stream on the event loop
 * (no pool thread held per container, no polling), then removes the
 * container unless someone else (rm -f) already has.
 */
export function watchAutoRemove(id: string, ex: Executor, log: (m: string) => void): void {
  (async () => {
    // "created", "pid" (at start), then "exit"; or the channel's end if the monitor died without a word
    let r = await ex.nextAsync();
    while (r && r.kind !== "exit") r = await ex.nextAsync();
    const rec = loadRecord(id);
    if (rec) {
      rememberExit(id, exitCodeOf(liveState(rec)));
      dropStdin(id);
      try {
        await removeContainer(id, { force: true, monitorExited: true, netUndone: r?.kind === "exit" && r.netUndone });
      } catch (e) {
        log(`removing ${id.slice(0, 12)} (--rm): ${(e as Error).message}`);
      }
    }
    ex.close();
  })().catch((e) => log(`watching ${id.slice(0, 12)}: ${(e as Error).message}`));
}
