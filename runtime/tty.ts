// Resizing a container's (or an exec's) terminal from outside: the monitor
// holds the pty master, but the process's own stdin is the pty's other side,
// reachable through /proc/PID/fd/0; TIOCSWINSZ there resizes the pair, as
// the master would, and the kernel sends SIGWINCH to the foreground group.
import { closeSync, constants, openSync, readlinkSync } from "node:fs";
import { EngineError } from "./errors.ts";
import { setWinsize } from "./sys/libc.ts";

export function resizeTty(pid: number, rows: number, cols: number): void {
  if (!Number.isInteger(rows) || !Number.isInteger(cols) || rows < 1 || cols < 1 || rows > 65535 || cols > 65535) {
    throw new EngineError(`invalid terminal size ${rows}x${cols}`, 1);
  }
  const path = `/proc/${pid}/fd/0`;
  let target: string;
  try {
    target = readlinkSync(path);
  } catch {
    throw new EngineError(`process ${pid} is gone`, 1);
  }
  if (!target.startsWith("/dev/pts/")) throw new EngineError("the process has no terminal (it was not started with a TTY)", 1);
  const fd = openSync(path, constants.O_RDWR | constants.O_NOCTTY | constants.O_NONBLOCK);
  try {
    setWinsize(fd, rows, cols, path);
  } finally {
    closeSync(fd);
  }
}
