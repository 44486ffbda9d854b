import { EngineError } from "../runtime/errors.ts";
import { findContainer } from "../runtime/lifecycle.ts";
import { liveState } from "../runtime/state/status.ts";
import { DEFAULT_TOP, topProcesses } from "../runtime/top.ts";
import { type Verb, out, usage } from "./_shared.ts";
import { table } from "./_view.ts";

const HELP = `Usage:  ctr top CONTAINER [-o FIELD,FIELD...]

Display the running processes of a container, with host PIDs

Fields: pid ppid uid user comm cmd args command stat s time rss vsz tty stime c

Example:
  ctr top web -o pid,ppid,user,cmd`;

const top: Verb = async (args) => {
  if (args.includes("--help")) return out(HELP);
  const [ref, ...ps] = args;
  if (!ref) usage(`"top" requires at least 1 argument.`);
  let fields = DEFAULT_TOP;
  for (let i = 0; i < ps.length; i++) {
    const a = ps[i]!;
    if (a === "-o" || a === "-eo" || a === "--format") fields = (ps[++i] ?? usage(`flag needs an argument: ${a}`)).split(",");
    else if (a.startsWith("-o")) fields = a.slice(2).split(",");
    else if (a === "-e" || a === "-ef" || a === "aux" || a === "-f") continue; // docker passes ps options; these add nothing here
    else usage(`unsupported ps option "${a}": use -o FIELD,FIELD`);
  }
  const rec = findContainer(ref);
  const st = liveState(rec).status;
  if (st !== "running" && st !== "paused") throw new EngineError(`Container ${rec.id} is not running`, 1);
  const { titles, rows } = topProcesses(rec, fields.map((f) => f.trim().toLowerCase()));
  out(table(titles, rows));
};
export default top;
