// Per-container and per-namespace locks (flock): every mutation of a
// container holds its lock; released when the process exits, even by kill -9.
//
// flock excludes open files, not processes: in a long-lived process (the
// daemon) two requests on one container open the lock file twice, and the
// second flock would block the whole event loop while the first holder
// awaits. So withLock first queues on an in-process promise chain per path,
// and only then takes the flock that excludes other processes.
import { closeSync, mkdirSync, openSync } from "node:fs";
import { dirname } from "node:path";
import { flock, LOCK_EX, LOCK_UN } from "../sys/libc.ts";

export interface Lock {
  release(): void;
}

export function lockFile(path: string): Lock {
  mkdirSync(dirname(path), { recursive: true });
  const fd = openSync(path, "a");
  flock(fd, LOCK_EX, path);
  return {
    release() {
      flock(fd, LOCK_UN, path);
      closeSync(fd);
    },
  };
}

const queues = new Map<string, Promise<void>>();

export async function withLock<T>(path: string, fn: () => T | Promise<T>): Promise<T> {
  const before = queues.get(path);
  let done!: () => void;
  const mine = new Promise<void>((r) => (done = r));
  queues.set(path, mine);
  if (before) await before;
  try {
    const l = lockFile(path);
    try {
      return await fn();
    } finally {
      l.release();
    }
  } finally {
    done();
    if (queues.get(path) === mine) queues.delete(path);
  }
}
