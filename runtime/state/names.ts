// Container names and ids. A name is claimed by creating names/<name> with
// O_EXCL: two parallel `ctr run --name x` cannot both win.
import { existsSync, linkSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { listIds } from "./record.ts";
import { containerDir, namesDir } from "./paths.ts";

export class NameError extends Error {}

const ADJ = ["brave", "calm", "eager", "fond", "gentle", "happy", "jolly", "keen", "lucid", "merry", "nifty", "proud", "quiet", "sharp", "tender", "vivid", "witty", "zen"];
const NOUN = ["babbage", "curie", "darwin", "euler", "fermi", "galois", "hopper", "knuth", "lovelace", "noether", "pascal", "ritchie", "shannon", "turing", "wozniak"];

export const NAME_RE = /^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/;

export function newId(): string {
  const b = new Uint8Array(32);
  crypto.getRandomValues(b);
  return Buffer.from(b).toString("hex");
}

export function randomName(): string {
  const pick = (a: string[]) => a[Math.floor(Math.random() * a.length)]!;
  return `${pick(ADJ)}_${pick(NOUN)}${Math.floor(Math.random() * 100)}`;
}

/**
 * Claims names/<name> for id. The claim is published whole: the id is written
 * to a file of this id's own, then linked into place (link fails on a taken
 * name, as O_EXCL does), so a create killed half-way leaves either no claim
 * or a complete one that its record's `rm` releases, never an empty file.
 */
export function claimName(name: string, id: string, retry = true): void {
  if (!NAME_RE.test(name)) throw new NameError(`Invalid container name (${name}), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed`);
  mkdirSync(namesDir(), { recursive: true });
  const pending = pendingClaim(id);
  writeFileSync(pending, id);
  try {
    linkSync(pending, join(namesDir(), name));
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
    const owner = nameOwner(name);
    // a claim whose container is gone (a create killed half-way): take it over
    // (empty: a half-written claim of an older ctr, which wrote in place)
    if (owner !== undefined && owner !== id && (owner === "" || !existsSync(containerDir(owner))) && retry) {
      rmSync(join(namesDir(), name), { force: true });
      return claimName(name, id, false);
    }
    throw new NameError(
      `Conflict. The container name "/${name}" is already in use by container "${owner ?? "?"}". You have to remove (or rename) that container to be able to reuse that name.`,
    );
  } finally {
    rmSync(pending, { force: true });
  }
}

/** Where a claim is written before it is linked into place (a dot file: not a name). */
const pendingClaim = (id: string) => join(namesDir(), `.claim-${id}`);

export function nameOwner(name: string): string | undefined {
  try {
    return readFileSync(join(namesDir(), name), "utf8");
  } catch {
    return undefined;
  }
}

export function releaseName(name: string, id: string): void {
  if (nameOwner(name) === id) rmSync(join(namesDir(), name), { force: true });
  // a create killed between writing its claim and linking it
  rmSync(pendingClaim(id), { force: true });
}

/** Full id, name, or unique id prefix -> id, as Docker resolves them. */
export function resolveRef(ref: string): string {
  const byName = nameOwner(ref.replace(/^\//, ""));
  if (byName) return byName;
  const ids = listIds();
  if (ids.includes(ref)) return ref;
  const matches = ref.length > 0 ? ids.filter((i) => i.startsWith(ref)) : [];
  if (matches.length === 1) return matches[0]!;
  if (matches.length > 1) throw new NameError(`multiple IDs found with provided prefix: ${ref}`);
  throw new NoSuchContainer(ref);
}

export class NoSuchContainer extends Error {
  constructor(readonly ref: string) {
    super(`No such container: ${ref}`);
  }
}
