// The event journal: what happened to containers, images and networks, one
// JSON line per event in Docker's shape, in <state root>/events.log.
//
// ctr has no daemon that sees every action (the CLI acts on its own, the
// monitor records exits), so every actor appends here: a line is one
// O_APPEND write, which the kernel never interleaves with another's. The
// monitor appends `start` and `die` itself (plan op EVENTS), so a short-lived
// container's die never comes before its start. The file is bounded:
// past MAX_BYTES it is renamed to events.log.1 (one generation kept), under a
// lock so two writers never rotate twice. `GET /events` replays both files and
// then follows the live one.
//
// A journal that cannot be written must not fail what it records: errors are
// dropped here (the action itself happened and says so).
import { closeSync, existsSync, fstatSync, mkdirSync, openSync, readSync, renameSync, statSync, writeSync } from "node:fs";
import { join } from "node:path";
import { flock, LOCK_EX } from "../sys/libc.ts";
import { namesDir, stateRoot } from "./paths.ts";
import type { ContainerRecord } from "./record.ts";

export type EventType = "container" | "image" | "network";

export interface EngineEvent {
  Type: EventType;
  Action: string;
  Actor: { ID: string; Attributes: Record<string, string> };
  scope: "local";
  time: number;
  /** nanoseconds since the epoch: past 2^53, so kept exact as text in the file (see nanoOf) */
  timeNano: number;
}

export const MAX_BYTES = 1 << 20;
export const eventsPath = (root = stateRoot()) => join(root, "events.log");
const rotatedPath = (root = stateRoot()) => join(root, "events.log.1");

/** Now, in nanoseconds since the epoch (microsecond resolution). */
export function nowNano(): bigint {
  return BigInt(Math.round((performance.timeOrigin + performance.now()) * 1000)) * 1000n;
}

/** One journal line; timeNano written exactly (JSON numbers past 2^53 lose digits in JS). */
export function eventLine(type: EventType, action: string, id: string, attributes: Record<string, string>, nano = nowNano()): string {
  return `${eventHead(type, action, id, attributes)},"time":${nano / 1_000_000_000n},"timeNano":${nano}}\n`;
}

/** A journal line up to its times, for a writer that adds them when it happens (the monitor: OP_NET_RELEASE). */
export function eventHead(type: EventType, action: string, id: string, attributes: Record<string, string>): string {
  return JSON.stringify({ Type: type, Action: action, Actor: { ID: id, Attributes: attributes }, scope: "local" }).slice(0, -1);
}

/** The exact timeNano of a journal line. */
export function nanoOf(line: string): bigint {
  const m = /"timeNano":(\d+)\}\s*$/.exec(line);
  return m ? BigInt(m[1]!) : 0n;
}

export function emitEvent(type: EventType, action: string, id: string, attributes: Record<string, string> = {}, root = stateRoot()): void {
  try {
    mkdirSync(root, { recursive: true });
    const fd = openSync(eventsPath(root), "a", 0o640);
    try {
      writeSync(fd, eventLine(type, action, id, attributes));
      if (fstatSync(fd).size > MAX_BYTES) rotate(root);
    } finally {
      closeSync(fd);
    }
  } catch {}
}

function rotate(root: string): void {
  const lock = join(root, "events.lock");
  const fd = openSync(lock, "a");
  try {
    flock(fd, LOCK_EX, lock);
    // another writer may have rotated while we waited
    if (statSync(eventsPath(root)).size > MAX_BYTES) renameSync(eventsPath(root), rotatedPath(root));
  } finally {
    closeSync(fd);
  }
}

/** Docker's attributes of a container event: its labels, image and name. */
export function containerAttributes(rec: Pick<ContainerRecord, "name" | "spec" | "image">): Record<string, string> {
  return { ...(rec.spec.labels ?? {}), image: rec.image?.name ?? rec.spec.image ?? rec.spec.rootfs ?? "", name: rec.name };
}

export function containerEvent(rec: Pick<ContainerRecord, "id" | "name" | "spec" | "image">, action: string, extra: Record<string, string> = {}): void {
  // a bundle run for containerd or Podman (ctr as runc): their engines keep the events, and the root is theirs
  if (rec.spec.oci) return;
  emitEvent("container", action, rec.id, { ...containerAttributes(rec), ...extra });
}

/**
 * What the monitor needs to write the lines it appends itself (`start` of an
 * init it runs at once or restarts, `die`): the actor as a JSON fragment left
 * open after the attributes, without the name (`"Actor":{"ID":"...",
 * "Attributes":{...`), and where to find the name the container has when it
 * writes (a rename changes it: names/<name> holds the id). The monitor adds
 * the name, its own attributes (exitCode, execDuration) and the time. Labels
 * are left out if they would make the line too long for one write.
 */
export function monitorEvents(rec: Pick<ContainerRecord, "id" | "name" | "spec" | "image">): { path: string; actor: string; namesDir: string; id: string; name: string } {
  let { name: _, ...attrs } = containerAttributes(rec);
  if (JSON.stringify(attrs).length > 2048) attrs = { image: attrs.image!.slice(0, 512) };
  const actor = JSON.stringify({ Actor: { ID: rec.id, Attributes: attrs } });
  // {"Actor":{...,"Attributes":{...}}} -> "Actor":{...,"Attributes":{...
  return { path: eventsPath(), actor: actor.slice(1, -3), namesDir: namesDir(), id: rec.id, name: rec.name };
}

/** Lines of the journal (rotated generation first) from a byte offset of each file on. */
export interface JournalCursor {
  ino: number;
  offset: number;
}

/** Every line so far, oldest first, and where the live file ends. */
export function readJournal(root = stateRoot()): { lines: string[]; cursor: JournalCursor } {
  const lines: string[] = [];
  const rotated = readFrom(rotatedPath(root), 0);
  lines.push(...rotated.lines);
  const live = readFrom(eventsPath(root), 0);
  lines.push(...live.lines);
  return { lines, cursor: { ino: live.ino, offset: live.offset } };
}

/** Lines appended since the cursor; follows a rotation (the rest of the old file, then the new one). */
export function readSince(c: JournalCursor, root = stateRoot()): { lines: string[]; cursor: JournalCursor } {
  const ino = inode(eventsPath(root));
  if (ino === c.ino || ino === 0) {
    const r = readFrom(eventsPath(root), c.offset);
    return { lines: r.lines, cursor: { ino: r.ino || c.ino, offset: r.offset } };
  }
  const lines: string[] = [];
  if (inode(rotatedPath(root)) === c.ino) lines.push(...readFrom(rotatedPath(root), c.offset).lines);
  const r = readFrom(eventsPath(root), 0);
  lines.push(...r.lines);
  return { lines, cursor: { ino: r.ino, offset: r.offset } };
}

function inode(path: string): number {
  try {
    return statSync(path).ino;
  } catch {
    return 0;
  }
}

/** Complete lines from offset on; a line still being written (no newline yet) waits for the next read. */
function readFrom(path: string, offset: number): { lines: string[]; ino: number; offset: number } {
  if (!existsSync(path)) return { lines: [], ino: 0, offset: 0 };
  let fd: number;
  try {
    fd = openSync(path, "r");
  } catch {
    return { lines: [], ino: 0, offset: 0 };
  }
  try {
    const st = fstatSync(fd);
    if (st.size <= offset) return { lines: [], ino: st.ino, offset: Math.min(offset, st.size) };
    const buf = Buffer.alloc(st.size - offset);
    let n = 0;
    while (n < buf.length) {
      const got = readSync(fd, buf, n, buf.length - n, offset + n);
      if (got <= 0) break;
      n += got;
    }
    const text = buf.subarray(0, n).toString("utf8");
    const end = text.lastIndexOf("\n") + 1;
    const lines = text.slice(0, end).split("\n").filter(Boolean);
    return { lines, ino: st.ino, offset: offset + Buffer.byteLength(text.slice(0, end)) };
  } finally {
    closeSync(fd);
  }
}
