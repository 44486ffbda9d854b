import { findContainer, killContainer } from "../runtime/lifecycle.ts";
import { eachContainer, type Verb, parseSimple, usage } from "./_shared.ts";

export const KILL_HELP = `Usage:  ctr kill [OPTIONS] CONTAINER [CONTAINER...]

Kill one or more running containers

Example:
  ctr kill -s HUP web`;

const kill: Verb = async (args) => {
  const { opts, positionals } = parseSimple(args, KILL_FLAGS, KILL_HELP);
  if (positionals.length === 0) usage(`"kill" requires at least 1 argument.`);
  const sig = typeof opts.signal === "string" ? opts.signal : "SIGKILL";
  return eachContainer(positionals, (ref) => killContainer(findContainer(ref), sig));
};
export default kill;

export const KILL_FLAGS = [{ name: "signal", short: "s", value: true, help: 'Signal to send to the container (default "KILL")' }];
