import { findContainer, killContainer } from "../runtime/lifecycle.ts";
import { type Verb, out, parseSimple, usage, write } from "./_shared.ts";

const HELP = `Usage:  ctr kill [OPTIONS] CONTAINER [CONTAINER...]

Kill one or more running containers

Example:
  ctr kill -s HUP web`;

const kill: Verb = async (args) => {
  const { opts, positionals } = parseSimple(args, [
    { name: "signal", short: "s", value: true, help: 'Signal to send to the container (default "KILL")' },
  ], HELP);
  if (positionals.length === 0) usage(`"kill" requires at least 1 argument.`);
  let failed = 0;
  for (const ref of positionals) {
    try {
      killContainer(findContainer(ref), typeof opts.signal === "string" ? opts.signal : "SIGKILL");
      out(ref);
    } catch (e) {
      write(2, `Error response from daemon: ${(e as Error).message}\n`);
      failed++;
    }
  }
  return failed ? 1 : 0;
};
export default kill;
