import { findContainer, unpauseContainer } from "../runtime/lifecycle.ts";
import { eachContainer, type Verb, parseSimple, usage } from "./_shared.ts";

export const UNPAUSE_HELP = `Usage:  ctr unpause CONTAINER [CONTAINER...]

Unpause all processes within one or more containers (the cgroup freezer)

Example:
  ctr unpause web`;

const unpause: Verb = async (args) => {
  const { positionals } = parseSimple(args, [], UNPAUSE_HELP);
  if (positionals.length === 0) usage(`"unpause" requires at least 1 argument.`);
  return eachContainer(positionals, (ref) => unpauseContainer(findContainer(ref)));
};
export default unpause;
