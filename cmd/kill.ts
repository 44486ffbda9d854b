import { findContainer, killContainer } from "../runtime/lifecycle.ts";
import { eachContainer, type Verb, parseSimple, usage } from "./_shared.ts";

const HELP = `Usage:  ctr kill [OPTIONS] CONTAINER [CONTAINER...]

Kill one or more running containers

Example:
  ctr kill -s HUP web`;

const kill: Verb = async (args) => {
  const { opts, positionals } = parseSimple(args, [
    { name: "signal", short: "s", value: true, help: 'Signal to send to the container (default "KILL")' },
  ], HELP);
  if (positionals.length === 0) usage(`"kill" requires at least 1 argument.`);
  const sig = typeof opts.signal === "string" ? opts.signal : "SIGKILL";
  return eachContainer(positionals, (ref) => killContainer(findContainer(ref), sig));
};
export default kill;
