import { isTerminal as isatty } from "../runtime/sys/libc.ts";
import { EngineError } from "../runtime/errors.ts";
import { execInContainer } from "../runtime/exec.ts";
import { findContainer } from "../runtime/lifecycle.ts";
import { formatFlagHelp } from "../spec/argv.ts";
import { EXEC_FLAGS, parseExecArgv } from "../spec/exec-flags.ts";
import { type Verb, out } from "./_shared.ts";
import { attach, terminalSize } from "./_attach.ts";

export const EXEC_HELP = `Usage:  ctr exec [OPTIONS] CONTAINER COMMAND [ARG...]

Run a command in a running container: its namespaces, cgroup, capabilities and seccomp filter

Examples:
  ctr exec web ps
  ctr exec -it -u nobody -w /tmp web sh

Options:
${formatFlagHelp(EXEC_FLAGS)}`;

const exec: Verb = async (argv) => {
  const p = parseExecArgv(argv, process.env);
  if (p.help) return out(EXEC_HELP);
  const e = p.exec;
  if (e.interactive && e.tty && !isatty(0) && !e.detach) throw new EngineError("the input device is not a TTY", 1);
  const rec = findContainer(e.container);
  const { executor, pid } = await execInContainer(rec, {
    argv: e.command,
    env: Object.entries(e.env).map(([k, v]) => `${k}=${v}`),
    user: e.user,
    workdir: e.workdir,
    tty: e.tty,
    interactive: e.interactive,
    detach: e.detach,
    privileged: e.privileged,
    winsize: terminalSize(e.tty),
  });
  if (e.detach) {
    executor.release();
    return 0;
  }
  return attach(executor, pid, e.tty);
};
export default exec;
