// Naming and removing images: tag, rmi. Shared by the CLI (cmd/image.ts)
// and the API (api/routes/images.ts), so both refuse and report alike; each
// change is written to the event journal.
import { emitEvent } from "../runtime/state/events.ts";
import { listIds, loadRecord } from "../runtime/state/record.ts";
import { fullName } from "./archive.ts";
import { familiar } from "./reference.ts";
import { collectGarbage, findImage, ImageError, type ImageRecord, readIndex, tagsOf, updateIndex, withGcLock } from "./store.ts";

/** The image is not in the store (the API's 404). */
export class NoSuchImage extends ImageError {
  constructor(ref: string) {
    super(`No such image: ${ref}`, 1);
  }
}

/** The image cannot go as asked (the API's 409). */
export class ImageConflict extends ImageError {
  constructor(message: string) {
    super(message, 1);
  }
}

export const shortId = (id: string) => id.slice(7, 19);

export function findOrFail(ref: string): ImageRecord {
  const rec = findImage(ref);
  if (!rec) throw new NoSuchImage(ref);
  return rec;
}

/** Containers (any state) made from this image id. */
export function usersOf(id: string): string[] {
  return listIds().filter((c) => loadRecord(c)?.image?.id === id);
}

/** TARGET names the image SOURCE names; the name moves off whichever image had it. */
export async function tagImage(source: string, target: string): Promise<string> {
  const rec = findOrFail(source);
  const name = fullName(target);
  await updateIndex((ix) => (ix.tags[name] = rec.id));
  emitEvent("image", "tag", rec.id, { name: familiar(name) });
  return name;
}

export interface Removed {
  Untagged?: string;
  Deleted?: string;
}

/** Removes one name or a whole image, as rmi: what Docker reports, entry by entry. No image is taken into use meanwhile. */
export function removeImage(ref: string, force: boolean): Promise<Removed[]> {
  return withGcLock("exclusive", () => removeLocked(ref, force));
}

async function removeLocked(ref: string, force: boolean): Promise<Removed[]> {
  const rec = findOrFail(ref);
  const out: Removed[] = [];
  let byName: string | undefined;
  try {
    const n = fullName(ref);
    if (readIndex().tags[n] === rec.id) byName = n;
  } catch {}
  const tags = tagsOf(rec.id);
  // one of several names: only that name goes
  if (byName && tags.length > 1) {
    await updateIndex((ix) => delete ix.tags[byName]);
    emitEvent("image", "untag", rec.id, { name: familiar(byName) });
    return [{ Untagged: familiar(byName) }];
  }
  if (!byName && tags.length > 1 && !force) throw new ImageConflict(`conflict: unable to delete ${shortId(rec.id)} (must be forced) - image is referenced in multiple repositories`);
  const users = usersOf(rec.id);
  if (users.length) throw new ImageConflict(`conflict: unable to remove repository reference "${ref}" (must force) - container ${users[0]!.slice(0, 12)} is using its referenced image ${shortId(rec.id)}`);
  await updateIndex((ix) => {
    for (const t of tagsOf(rec.id, ix)) {
      delete ix.tags[t];
      out.push({ Untagged: familiar(t) });
    }
    delete ix.images[rec.id];
    out.push({ Deleted: rec.id });
    collectGarbage(ix);
  });
  for (const r of out) emitEvent("image", r.Untagged ? "untag" : "delete", rec.id, { name: r.Untagged ?? rec.id });
  return out;
}
