// Where state lives. One root (default /run/ctr; --root or CTR_ROOT moves it);
// each container is a directory under containers/, each name a file under names/.
import { join } from "node:path";

let root = process.env.CTR_ROOT || "/run/ctr";
let rootMoved = !!process.env.CTR_ROOT;

export function setStateRoot(r: string): void {
  root = r;
  rootMoved = true;
}
export const stateRoot = () => root;
export const containersDir = () => join(root, "containers");
export const containerDir = (id: string) => join(root, "containers", id);
export const namesDir = () => join(root, "names");
/** Beside, not inside, the container's directory: rm deletes the directory while holding it. */
export const containerLock = (id: string) => join(root, "containers", `.${id}.lock`);
/**
 * Images and layers persist: /var/lib/ctr by default; CTR_DATA_ROOT moves it;
 * a moved state root (--root, CTR_ROOT) brings its own at <root>/data, so a
 * private state root (tests, CI) never shares images with the host's.
 */
export const dataRoot = () => process.env.CTR_DATA_ROOT || (rootMoved ? join(root, "data") : "/var/lib/ctr");
