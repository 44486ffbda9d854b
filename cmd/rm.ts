import { removeContainer, sweepStaleLocks } from "../runtime/remove.ts";
import { resolveRef } from "../runtime/state/names.ts";
import { type Verb, out, parseSimple, usage, write } from "./_shared.ts";

export const RM_HELP = `Usage:  ctr rm [OPTIONS] CONTAINER [CONTAINER...]

Remove one or more containers

Example:
  ctr rm -f web`;

const rm: Verb = async (args) => {
  const { opts, positionals } = parseSimple(args, RM_FLAGS, RM_HELP);
  if (positionals.length === 0) usage(`"rm" requires at least 1 argument.`);
  let failed = 0;
  for (const ref of positionals) {
    try {
      // by id, not record: a directory without one (a create killed half-way, listed as dead) goes too
      await removeContainer(resolveRef(ref), { force: Boolean(opts.force) });
      if (!opts["if-exists"]) out(ref);
    } catch (e) {
      if (opts["if-exists"]) continue;
      write(2, `Error response from daemon: ${(e as Error).message}\n`);
      failed++;
    }
  }
  sweepStaleLocks();
  return failed ? 1 : 0;
};
export default rm;

export const RM_FLAGS = [
  { name: "force", short: "f", help: "Force the removal of a running container (uses SIGKILL)" },
  { name: "volumes", short: "v", help: "Accepted for compatibility (no anonymous volumes yet)" },
  { name: "if-exists", help: "Say nothing when the container is already gone (used by --rm)" },
];
