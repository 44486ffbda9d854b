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
 * Polls rather than reads the report channel: a read would hold one of the
 * runtime's pool threads per container for its whole life.
 */
export function watchAutoRemove(id: string, ex: Executor, log: (m: string) => void): void {
  (async () => {
    for (;;) {
      const rec = loadRecord(id);
      if (!rec) break; // removed by someone else (rm -f)
      const live = liveState(rec);
      if (live.status === "exited" || live.status === "dead") {
        rememberExit(id, exitCodeOf(live));
        dropStdin(id);
        try {
          await removeContainer(id, { force: true, monitorExited: true });
        } catch (e) {
          log(`removing ${id.slice(0, 12)} (--rm): ${(e as Error).message}`);
        }
        break;
      }
      await Bun.sleep(25);
    }
    ex.close();
  })().catch((e) => log(`watching ${id.slice(0, 12)}: ${(e as Error).message}`));
}
