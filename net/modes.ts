// The two facts about network modes that every container start needs, kept
// apart from net/container.ts so that --net none/host never loads the netlink
// client (~5 ms of module start-up).
import { join } from "node:path";

export const netnsPath = (root: string, id: string) => join(root, "netns", id);

/** Modes whose namespace ctr makes and wires (bridge, user networks), not none/host/joined ones. */
export function isManagedMode(mode: string): boolean {
  return !["host", "none"].includes(mode) && !mode.startsWith("container:") && !mode.startsWith("ns:");
}
