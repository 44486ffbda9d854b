// Per-container and per-namespace locks (flock): every mutation of a
// container holds its lock; released when the process exits, even by kill -9.
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

export async function withLock<T>(path: string, fn: () => T | Promise<T>): Promise<T> {
  const l = lockFile(path);
  try {
    return await fn();
  } finally {
    l.release();
  }
}
