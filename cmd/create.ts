import { createContainer } from "../runtime/create.ts";
import { stateRoot } from "../runtime/state/paths.ts";
import { buildRunSpec, parseRunArgv } from "../spec/flags.ts";
import { type Verb, out } from "./_shared.ts";
import { warn } from "./_log.ts";
import { removeArgv } from "./_attach.ts";
import { RUN_HELP } from "./run.ts";

const create: Verb = async (argv) => {
  const args = parseRunArgv(argv);
  if (args.help) return out(RUN_HELP("create", "Create a new container; `ctr start` runs it"));
  const { spec, warnings } = buildRunSpec(args, { env: process.env, cwd: process.cwd() });
  for (const w of warnings) warn(w);
  // a created container runs detached once started: its output goes to the log
  const c = await createContainer({ ...spec, detach: true }, { attach: false, waitForStart: true, removeArgv: removeArgv(stateRoot()) });
  c.executor.release();
  out(c.record.id);
};
export default create;
