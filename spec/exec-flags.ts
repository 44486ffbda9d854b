// `ctr exec [flags] CONTAINER COMMAND [ARG...]`: the flags Docker's exec has
// that make sense here, parsed with the same rules as `run`.

import { applyFlagUses, type FlagDef, parseArgv } from "./argv.ts";
import { addEnvEntry, type HostEnv } from "./env.ts";
import { SpecError } from "./errors.ts";
import { parseUser, parseWorkdir } from "./process.ts";

/** What `exec` asks for: a process to start in a running container. */
export interface ExecSpec {
  container: string;
  command: string[];
  detach: boolean;
  interactive: boolean;
  tty: boolean;
  /** added to the container's environment */
  env: Record<string, string>;
  /** undefined = the container's user */
  user?: string;
  /** undefined = the container's working directory */
  workdir?: string;
  privileged: boolean;
}

interface ExecContext {
  env: HostEnv;
}

type ExecFlag = FlagDef<ExecSpec, ExecContext>;

export const EXEC_FLAGS: readonly ExecFlag[] = [
  { kind: "bool", name: "detach", short: "d", description: "Detached mode: run command in the background", apply: (s, v) => (s.detach = v) },
  { kind: "bool", name: "interactive", short: "i", description: "Keep STDIN open even if not attached", apply: (s, v) => (s.interactive = v) },
  { kind: "bool", name: "tty", short: "t", description: "Allocate a pseudo-TTY", apply: (s, v) => (s.tty = v) },
  {
    kind: "list", name: "env", short: "e", value: "list", description: "Set environment variables",
    apply: (s, v, ctx) => addEnvEntry(s.env, v, ctx.env),
  },
  {
    kind: "string", name: "user", short: "u", value: "string", description: "Username or UID (format: <name|uid>[:<group|gid>])",
    apply: (s, v) => (s.user = parseUser(v)),
  },
  {
    kind: "string", name: "workdir", short: "w", value: "string", description: "Working directory inside the container",
    apply: (s, v) => (s.workdir = parseWorkdir(v)),
  },
  { kind: "bool", name: "privileged", description: "Give extended privileges to the command", apply: (s, v) => (s.privileged = v) },
];

/**
 * Parses `exec` arguments; `env` supplies values for `-e NAME`. Returns
 * `help: true` (and no spec) for --help.
 */
export function parseExecArgv(argv: readonly string[], env: HostEnv = {}): { help: true } | { help: false; exec: ExecSpec } {
  const p = parseArgv(EXEC_FLAGS, argv);
  if (p.help) return { help: true };
  const [container, ...command] = p.positionals;
  if (container === undefined || command.length === 0) {
    throw new SpecError('"ctr exec" requires at least 2 arguments: CONTAINER COMMAND [ARG...]');
  }
  const exec: ExecSpec = { container, command, detach: false, interactive: false, tty: false, env: {}, privileged: false };
  applyFlagUses(exec, p.uses, { env });
  return { help: false, exec };
}
