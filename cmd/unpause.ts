import { findContainer, unpauseContainer } from "../runtime/lifecycle.ts";
import { type Verb, out, parseSimple, usage } from "./_shared.ts";

const HELP = `Usage:  ctr unpause CONTAINER [CONTAINER...]

Unpause all processes within one or more containers (the cgroup freezer)

Example:
  ctr unpause web`;

const unpause: Verb = async (args) => {
  const { positionals } = parseSimple(args, [], HELP);
  if (positionals.length === 0) usage(`"unpause" requires at least 1 argument.`);
  let failed = 0;
  for (const ref of positionals) {
    try {
      await unpauseContainer(findContainer(ref));
      out(ref);
    } catch (e) {
      process.stderr.write(`Error response from daemon: ${(e as Error).message}\n`);
      failed++;
    }
  }
  return failed ? 1 : 0;
};
export default unpause;
