// The CLI's side of an attached container: the monitor already holds our
// stdio (it copies the container's output to it); we only put the terminal in
// raw mode for -t, forward signals, and wait for the exit report.
import { getWinsize, isTerminal as isatty } from "../runtime/sys/libc.ts";
import type { Executor } from "../runtime/executor.ts";
import { signal } from "../runtime/remove.ts";
import { trace } from "../runtime/trace.ts";

const FORWARDED: NodeJS.Signals[] = ["SIGINT", "SIGTERM", "SIGHUP", "SIGQUIT", "SIGUSR1", "SIGUSR2"];

export function stty(args: string[]): string {
  const p = Bun.spawnSync(["stty", ...args], { stdin: "inherit", stdout: "pipe", stderr: "ignore" });
  return p.stdout.toString().trim();
}

/** Only asked for with -t; -t without a terminal gets the classic size. */
export function terminalSize(tty: boolean): { rows: number; cols: number } | undefined {
  if (!tty) return undefined;
  return getWinsize(1) ?? { rows: 24, cols: 80 };
}

/** Returns the container's exit status (Docker: its code, or 128+N for signal N). */
export async function attach(ex: Executor, initPid: number, tty: boolean, afterExit?: (netUndone: boolean) => Promise<void>): Promise<number> {
  const saved = tty && isatty(0) ? stty(["-g"]) : undefined;
  if (saved) stty(["raw", "-echo"]);
  const handlers = FORWARDED.map((sig) => {
    const h = () => signal(initPid, sig);
    process.on(sig, h);
    return [sig, h] as const;
  });
  const onWinch = () => signal(ex.monitorPid, "SIGWINCH");
  if (tty) process.on("SIGWINCH", onWinch);
  try {
    for (;;) {
      const r = await ex.nextAsync();
      if (!r) return 125; // the monitor died without reporting an exit
      if (r.kind !== "exit") continue;
      trace("container exited");
      // --rm: removing here saves starting a second ctr; the monitor only
      // cleans up itself if we are gone before this is done
      if (afterExit) await afterExit(r.netUndone);
      trace("removed");
      ex.close();
      return r.code;
    }
  } finally {
    if (saved) stty([saved]);
    for (const [sig, h] of handlers) process.off(sig, h);
    process.off("SIGWINCH", onWinch);
  }
}

/** The argv that removes a container, run by its monitor when it exits (--rm). */
export function removeArgv(root: string): (id: string) => string[] {
  const self = Bun.main.startsWith("/$bunfs/") ? [process.execPath] : [process.execPath, Bun.main];
  return (id) => [...self, "--root", root, "rm", "--force", "--if-exists", id];
}
