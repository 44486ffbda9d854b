import { createContainer } from "../runtime/create.ts";
import { isTerminal as isatty } from "../runtime/sys/libc.ts";
import { EngineError } from "../runtime/errors.ts";
import { removeContainer } from "../runtime/remove.ts";
import { trace } from "../runtime/trace.ts";
import { stateRoot } from "../runtime/state/paths.ts";
import { formatFlagHelp } from "../spec/argv.ts";
import { buildRunSpec, parseRunArgv, RUN_FLAGS } from "../spec/flags.ts";
import { type Verb, out } from "./_shared.ts";
import { warn } from "./_log.ts";
import { attach, removeArgv, terminalSize } from "./_attach.ts";

export const RUN_HELP = (verb: string, what: string) => `Usage:  ctr ${verb} [OPTIONS] ROOTFS|IMAGE [COMMAND] [ARG...]
        ctr ${verb} -f FILE.toml [OPTIONS] [ROOTFS|IMAGE] [COMMAND] [ARG...]

${what}

A ROOTFS is a directory (a path: ./rootfs, /srv/rootfs); flags override the TOML file.

Examples:
  ctr ${verb} --rm --net none ./rootfs echo hello
  ctr ${verb} -d --name web --memory 64m --net host ./rootfs httpd -f -p 8080
  ctr ${verb} -f examples/minimal.toml

Options:
${formatFlagHelp(RUN_FLAGS)}`;

const run: Verb = async (argv) => {
  const args = parseRunArgv(argv);
  if (args.help) return out(RUN_HELP("run", "Create and run a new container"));
  const { spec, warnings } = buildRunSpec(args, { env: process.env, cwd: process.cwd() });
  trace("spec built");
  for (const w of warnings) warn(w);
  if (spec.interactive && spec.tty && !isatty(0) && !spec.detach) throw new EngineError("the input device is not a TTY", 1);
  const c = await createContainer(spec, {
    attach: !spec.detach,
    waitForStart: false,
    removeArgv: removeArgv(stateRoot()),
    winsize: terminalSize(spec.tty),
  });
  if (spec.detach) {
    c.executor.release();
    return out(c.record.id);
  }
  const rm = spec.autoRemove ? (netUndone: boolean) => removeContainer(c.record.id, { force: true, monitorExited: true, netUndone }) : undefined;
  return attach(c.executor, c.pid, spec.tty, rm);
};
export default run;
