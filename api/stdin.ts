// The stdin of the daemon's -i containers: a pipe into the monitor (which
// copies it to the container, or to its pty), held here so an attach can
// write the client's bytes into it. It lives as long as this daemon: after a
// restart those containers have seen EOF on stdin, and attaching stdin says so.
import type { FileSink } from "bun";

interface Stdin {
  sink: FileSink;
  /** Docker's StdinOnce: the first attached client's EOF closes the container's stdin */
  once: boolean;
  attached: boolean;
}

const stdins = new Map<string, Stdin>();

export function keepStdin(id: string, sink: FileSink, once: boolean): void {
  stdins.set(id, { sink, once, attached: false });
}

export function dropStdin(id: string): void {
  const s = stdins.get(id);
  stdins.delete(id);
  try {
    s?.sink.end();
  } catch {}
}

export class StdinGone extends Error {}

/** Copies the client's bytes into the container's stdin until the client half-closes or leaves. */
export async function pumpStdin(id: string, read: () => Promise<Uint8Array | null>): Promise<void> {
  const s = stdins.get(id);
  if (!s) throw new StdinGone();
  s.attached = true;
  try {
    for (;;) {
      const b = await read();
      if (b === null) break;
      s.sink.write(b);
      await s.sink.flush();
    }
  } catch {
    // the container (and its monitor) ended: nothing to write to
  } finally {
    s.attached = false;
    if (s.once) dropStdin(id);
  }
}

export function hasStdin(id: string): boolean {
  return stdins.has(id);
}
