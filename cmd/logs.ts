import { findContainer } from "../runtime/lifecycle.ts";
import { readLogs } from "../runtime/logs.ts";
import { liveState } from "../runtime/state/status.ts";
import { parseDuration } from "../spec/units.ts";
import { type Verb, parseSimple, usage, write } from "./_shared.ts";

export const LOGS_HELP = `Usage:  ctr logs [OPTIONS] CONTAINER

Fetch the logs of a container

Example:
  ctr logs -f --tail 10 web`;

/** --since: RFC 3339, a unix timestamp, or a duration back from now (10m) */
export function when(s: string): number {
  if (/^\d+(\.\d+)?$/.test(s)) return Number(s) * 1000;
  const t = Date.parse(s);
  if (!Number.isNaN(t)) return t;
  return Date.now() - parseDuration(s) * 1000;
}

const logs: Verb = async (args) => {
  const { opts, positionals } = parseSimple(args, LOGS_FLAGS, LOGS_HELP);
  if (positionals.length !== 1) usage(`"logs" requires exactly 1 argument.`);
  const rec = findContainer(positionals[0]!);
  const tail = opts.tail === undefined || opts.tail === "all" ? undefined : Number(opts.tail);
  if (tail !== undefined && !Number.isInteger(tail)) usage(`invalid value for --tail: ${opts.tail}`);
  await readLogs(rec.logPath, {
    follow: Boolean(opts.follow),
    tail,
    since: typeof opts.since === "string" ? when(opts.since) : undefined,
    until: typeof opts.until === "string" ? when(opts.until) : undefined,
    alive: () => ["running", "paused", "restarting", "created", "creating"].includes(liveState(rec).status),
  }, (e) => {
    const line = opts.timestamps ? `${e.time} ${e.log}` : e.log;
    write(e.stream === "stderr" ? 2 : 1, line);
  });
};
export default logs;

export const LOGS_FLAGS = [
  { name: "follow", short: "f", help: "Follow log output" },
  { name: "tail", short: "n", value: true, help: 'Number of lines to show from the end of the logs (default "all")' },
  { name: "since", value: true, help: "Show logs since timestamp or relative (e.g. 42m)" },
  { name: "until", value: true, help: "Show logs before a timestamp or relative (e.g. 42m)" },
  { name: "timestamps", short: "t", help: "Show timestamps" },
];
