import { prepareRun } from "../runtime/create.ts";
import { buildRunPlan } from "../runtime/plan.ts";
import { formatPlan } from "../runtime/plan-wire.ts";
import { buildRunSpec, parseRunArgv } from "../spec/flags.ts";
import { type Verb, out, usage } from "./_shared.ts";

const HELP = `Usage:  ctr debug plan [RUN OPTIONS] ROOTFS [COMMAND] [ARG...]

Print the Plan (every step the executor would take) for a container, without running it

Example:
  ctr debug plan --net none --read-only ./rootfs sh`;

const debug: Verb = async (argv) => {
  const [sub, ...rest] = argv;
  if (sub === "--help" || sub === undefined) return out(HELP);
  if (sub !== "plan") usage(`ctr debug: unknown subcommand "${sub}"`);
  const { spec } = buildRunSpec(parseRunArgv(rest), { env: process.env, cwd: process.cwd() });
  const { input } = await prepareRun(spec, { attach: !spec.detach, waitForStart: false }, "0".repeat(64));
  out(formatPlan(buildRunPlan(input)));
};
export default debug;
