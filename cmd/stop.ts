import { findContainer, stopContainer } from "../runtime/lifecycle.ts";
import { eachContainer, type Verb, parseSimple, usage } from "./_shared.ts";

export const STOP_HELP = `Usage:  ctr stop [OPTIONS] CONTAINER [CONTAINER...]

Stop one or more running containers: the stop signal (SIGTERM), then SIGKILL after the timeout

Example:
  ctr stop -t 2 web`;

const stop: Verb = async (args) => {
  const { opts, positionals } = parseSimple(args, STOP_FLAGS, STOP_HELP);
  if (positionals.length === 0) usage(`"stop" requires at least 1 argument.`);
  const t = opts.time === undefined ? undefined : Number(opts.time);
  if (t !== undefined && !Number.isFinite(t)) usage(`invalid argument "${opts.time}" for "-t, --time" flag`);
  return eachContainer(positionals, (ref) => {
    const rec = findContainer(ref);
    if (typeof opts.signal === "string") rec.spec.stopSignal = opts.signal;
    return stopContainer(rec, t);
  });
};
export default stop;

export const STOP_FLAGS = [
  { name: "time", short: "t", value: true, help: "Seconds to wait before killing the container" },
  { name: "signal", short: "s", value: true, help: "Signal to send to the container" },
];
