// rename: claim the new name first (O_EXCL), then rewrite the record, then
// let go of the old name, under the container's lock.
import { EngineError } from "./errors.ts";
import { findContainer } from "./lifecycle.ts";
import { claimName, NameError, releaseName } from "./state/names.ts";
import { containerLock } from "./state/paths.ts";
import { withLock } from "./state/lock.ts";
import { loadRecord, saveRecord } from "./state/record.ts";
import { containerEvent } from "./state/events.ts";

export async function renameContainer(ref: string, newName: string): Promise<void> {
  const rec = findContainer(ref);
  const name = newName.replace(/^\//, "");
  if (name === rec.name) throw new EngineError(`Renaming a container with the same name as its current name`, 1);
  await withLock(containerLock(rec.id), () => {
    const cur = loadRecord(rec.id);
    if (!cur) throw new EngineError(`No such container: ${ref}`, 1);
    try {
      claimName(name, rec.id);
    } catch (e) {
      if (e instanceof NameError) throw new EngineError(e.message, 1);
      throw e;
    }
    saveRecord({ ...cur, name });
    releaseName(cur.name, rec.id);
    containerEvent({ ...cur, name }, "rename", { oldName: `/${cur.name}` });
  });
}
