import { findContainer, stopContainer } from "../runtime/lifecycle.ts";
import { type Verb, out, parseSimple, usage, write } from "./_shared.ts";

const HELP = `Usage:  ctr stop [OPTIONS] CONTAINER [CONTAINER...]

Stop one or more running containers: the stop signal (SIGTERM), then SIGKILL after the timeout

Example:
  ctr stop -t 2 web`;

const stop: Verb = async (args) => {
  const { opts, positionals } = parseSimple(args, [
    { name: "time", short: "t", value: true, help: "Seconds to wait before killing the container" },
    { name: "signal", short: "s", value: true, help: "Signal to send to the container" },
  ], HELP);
  if (positionals.length === 0) usage(`"stop" requires at least 1 argument.`);
  const t = opts.time === undefined ? undefined : Number(opts.time);
  if (t !== undefined && !Number.isFinite(t)) usage(`invalid argument "${opts.time}" for "-t, --time" flag`);
  let failed = 0;
  for (const ref of positionals) {
    try {
      const rec = findContainer(ref);
      if (typeof opts.signal === "string") rec.spec.stopSignal = opts.signal;
      await stopContainer(rec, t);
      out(ref);
    } catch (e) {
      write(2, `Error response from daemon: ${(e as Error).message}\n`);
      failed++;
    }
  }
  return failed ? 1 : 0;
};
export default stop;
