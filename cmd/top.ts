import { EngineError } from "../runtime/errors.ts";
import { findContainer } from "../runtime/lifecycle.ts";
import { liveState } from "../runtime/state/status.ts";
import { psFields, TopError, topProcesses } from "../runtime/top.ts";
import { type Verb, out, usage } from "./_shared.ts";
import { table } from "./_view.ts";

export const TOP_HELP = `Usage:  ctr top CONTAINER [-o FIELD,FIELD...]

Display the running processes of a container, with host PIDs

Fields: pid ppid uid user comm cmd args command stat s time rss vsz tty stime c

Example:
  ctr top web -o pid,ppid,user,cmd`;

const top: Verb = async (args) => {
  if (args.includes("--help")) return out(TOP_HELP);
  const [ref, ...ps] = args;
  if (!ref) usage(`"top" requires at least 1 argument.`);
  const fields = usageOf(() => psFields(ps));
  const rec = findContainer(ref);
  const st = liveState(rec).status;
  if (st !== "running" && st !== "paused") throw new EngineError(`Container ${rec.id} is not running`, 1);
  const { titles, rows } = topProcesses(rec, fields);
  out(table(titles, rows));
};

/** A bad ps option is the user's mistake: a usage error, as before. */
export function usageOf<T>(f: () => T): T {
  try {
    return f();
  } catch (e) {
    if (e instanceof TopError) usage(e.message);
    throw e;
  }
}
export default top;
