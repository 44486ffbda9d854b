import { findContainer, releaseCreated } from "../runtime/lifecycle.ts";
import { startAgain } from "../runtime/restart.ts";
import { stateRoot } from "../runtime/state/paths.ts";
import { liveState } from "../runtime/state/status.ts";
import { type Verb, out, parseSimple, usage } from "./_shared.ts";
import { removeArgv } from "./_attach.ts";

export const START_HELP = `Usage:  ctr start CONTAINER [CONTAINER...]

Start one or more created or exited containers (an exited one runs again,
with the same name, rootfs and addresses)

Example:
  ctr create --name job ./rootfs sh -c 'echo hi' && ctr start job`;

const start: Verb = async (args) => {
  const { positionals } = parseSimple(args, [], START_HELP);
  if (positionals.length === 0) usage(`"start" requires at least 1 argument.`);
  for (const ref of positionals) {
    const rec = findContainer(ref);
    const st = liveState(rec).status;
    if (st === "exited" || st === "dead") (await startAgain(rec, removeArgv(stateRoot()))).close();
    else if (st === "created") releaseCreated(rec);
    // otherwise running already (or between two runs): nothing to do, as docker start
    out(ref);
  }
};
export default start;
