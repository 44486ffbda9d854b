import { findContainer, pauseContainer } from "../runtime/lifecycle.ts";
import { eachContainer, type Verb, parseSimple, usage } from "./_shared.ts";

export const PAUSE_HELP = `Usage:  ctr pause CONTAINER [CONTAINER...]

Pause all processes within one or more containers (the cgroup freezer)

Example:
  ctr pause web`;

const pause: Verb = async (args) => {
  const { positionals } = parseSimple(args, [], PAUSE_HELP);
  if (positionals.length === 0) usage(`"pause" requires at least 1 argument.`);
  return eachContainer(positionals, (ref) => pauseContainer(findContainer(ref)));
};
export default pause;
