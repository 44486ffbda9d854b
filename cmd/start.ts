import { releaseCreated } from "../runtime/create.ts";
import { findContainer } from "../runtime/lifecycle.ts";
import { type Verb, out, parseSimple, usage } from "./_shared.ts";

const HELP = `Usage:  ctr start CONTAINER [CONTAINER...]

Start one or more created containers

Example:
  ctr create --name job ./rootfs sh -c 'echo hi' && ctr start job`;

const start: Verb = async (args) => {
  const { positionals } = parseSimple(args, [], HELP);
  if (positionals.length === 0) usage(`"start" requires at least 1 argument.`);
  for (const ref of positionals) {
    releaseCreated(findContainer(ref));
    out(ref);
  }
};
export default start;
