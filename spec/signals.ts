// Signal names and numbers as on Linux x86_64 (and arm64, which agrees for
// 1-31). Containers are Linux processes, so these are the only numbers that
// matter, whatever machine the CLI runs on.

import { SpecError, suggestion } from "./errors.ts";

/** Canonical name -> number. Real-time signals are listed as kill -l prints them. */
export const SIGNALS: Readonly<Record<string, number>> = Object.freeze(buildSignalTable());

// Old names the kernel headers still define, accepted on input only.
const ALIASES: Readonly<Record<string, string>> = { SIGIOT: "SIGABRT", SIGPOLL: "SIGIO", SIGCLD: "SIGCHLD" };

const BY_NUMBER = new Map<number, string>(Object.entries(SIGNALS).map(([name, n]) => [n, name]));

function buildSignalTable(): Record<string, number> {
  const table: Record<string, number> = {
    SIGHUP: 1, SIGINT: 2, SIGQUIT: 3, SIGILL: 4, SIGTRAP: 5, SIGABRT: 6, SIGBUS: 7, SIGFPE: 8,
    SIGKILL: 9, SIGUSR1: 10, SIGSEGV: 11, SIGUSR2: 12, SIGPIPE: 13, SIGALRM: 14, SIGTERM: 15,
    SIGSTKFLT: 16, SIGCHLD: 17, SIGCONT: 18, SIGSTOP: 19, SIGTSTP: 20, SIGTTIN: 21, SIGTTOU: 22,
    SIGURG: 23, SIGXCPU: 24, SIGXFSZ: 25, SIGVTALRM: 26, SIGPROF: 27, SIGWINCH: 28, SIGIO: 29,
    SIGPWR: 30, SIGSYS: 31,
  };
  // glibc reserves 32 and 33 for itself; user-visible real-time signals are 34..64.
  table.SIGRTMIN = 34;
  for (let i = 1; i <= 15; i++) table[`SIGRTMIN+${i}`] = 34 + i;
  for (let i = 14; i >= 1; i--) table[`SIGRTMAX-${i}`] = 64 - i;
  table.SIGRTMAX = 64;
  return table;
}

/** "TERM", "sigterm", "SIGTERM" or "15" -> "SIGTERM". */
export function parseSignal(s: string): string {
  const t = s.trim();
  if (/^\d+$/.test(t)) {
    const name = BY_NUMBER.get(Number(t));
    if (name === undefined) throw new SpecError(`invalid signal ${JSON.stringify(s)}: no signal has that number (1-64)`);
    return name;
  }
  let name = t.toUpperCase();
  if (!name.startsWith("SIG")) name = `SIG${name}`;
  name = ALIASES[name] ?? name;
  if (SIGNALS[name] !== undefined) return name;
  // RTMIN+20 is a valid way to say RTMAX-10; fold it onto the canonical name.
  const rt = /^SIGRT(MIN|MAX)([+-]\d+)$/.exec(name);
  if (rt) {
    const n = (rt[1] === "MIN" ? 34 : 64) + Number(rt[2]);
    const canonical = BY_NUMBER.get(n);
    if (n >= 34 && n <= 64 && canonical !== undefined) return canonical;
  }
  throw new SpecError(`invalid signal ${JSON.stringify(s)}${suggestion(name, Object.keys(SIGNALS))}`);
}

/** The number of a canonical (or any accepted) signal name. */
export function signalNumber(s: string): number {
  const n = SIGNALS[parseSignal(s)];
  if (n === undefined) throw new SpecError(`invalid signal ${JSON.stringify(s)}`);
  return n;
}
