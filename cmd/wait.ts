import { finalExitCode, findContainer, waitExited } from "../runtime/lifecycle.ts";
import { type Verb, out, parseSimple, usage } from "./_shared.ts";

export const WAIT_HELP = `Usage:  ctr wait CONTAINER [CONTAINER...]

Block until one or more containers stop, then print their exit codes

Example:
  ctr wait web`;

const wait: Verb = async (args) => {
  const { positionals } = parseSimple(args, [], WAIT_HELP);
  if (positionals.length === 0) usage(`"wait" requires at least 1 argument.`);
  for (const ref of positionals) {
    const rec = findContainer(ref);
    out(String(finalExitCode(rec.id, await waitExited(rec))));
  }
};
export default wait;
