import { findContainer } from "../runtime/lifecycle.ts";
import { restoreInPlace } from "../runtime/restore.ts";
import { type Verb, out, parseSimple, usage } from "./_shared.ts";

const HELP = `Usage:  ctr restore [OPTIONS] CONTAINER

Restore a checkpointed container with CRIU: its processes come back with the
same PIDs inside, under a new monitor, with their log continuing.

Example:
  ctr restore web`;

const restore: Verb = async (args) => {
  const { opts, positionals } = parseSimple(args, [
    { name: "criu", value: true, help: "The criu binary (or a wrapper that execs it)" },
  ], HELP);
  const criu = opts.criu as string | undefined;
  if (positionals.length !== 1) usage(`"restore" requires exactly 1 argument.`);
  await restoreInPlace(findContainer(positionals[0]!), { criu });
  out(positionals[0]!);
};
export default restore;
