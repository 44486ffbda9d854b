// The first half of a container's network as it starts: what it asks for
// checked, before anything is made. Both halves (net/start.ts is the second)
// run after the executor started, while the init sets up its rootfs, and are
// loaded as one: one import on the run path, not two.
import { existsSync, mkdirSync } from "node:fs";
import { dirname, join } from "node:path";
import type { Step } from "../runtime/plan-wire.ts";
import { type ContainerNet, type ContainerNetRequest, finishContainerNet } from "./start.ts";
import { NetError } from "./errors.ts";
import { type NetContext, netFiles, netnsPath } from "./modes.ts";
import { quickSettings } from "./settings.ts";
import { networkFile } from "./store.ts";

export { type NetContext, netContext } from "./modes.ts";

/** The part of a container's network set-up that can go on while its init prepares its rootfs. */
export interface PendingNet {
  /** bind mounts for the plan: host file -> path in the container (they exist already) */
  files: { source: string; target: string }[];
  /**
   * Records the leases, wires the endpoints and adds the rules, under the
   * networks lock. With wire, the endpoints are handed to it as the network
   * plan (net/wire-plan.ts) for the monitor to make; without, they are made
   * here, in the namespace made by beginContainerNet (netnsBy "here").
   */
  finish(wire?: (steps: Step[]) => void): Promise<ContainerNet>;
}

/** What beginContainerNet found and made, for finishContainerNet. */
export interface Begun {
  path: string;
  dir: string;
  wanted: string[];
  files: PendingNet["files"];
  /** the host config, when the run needs more of it than the default network's record holds */
  config?: typeof import("./config.ts");
  quick: ReturnType<typeof quickSettings>;
  /** a netlink socket inside the namespace, when it was made here */
  inside?: import("./netlink/client.ts").Netlink;
}

/**
 * The networks asked for, checked, and with netnsBy "here" (a restore), the
 * namespace. On the run path this runs after the executor started: the
 * monitor made the namespace and the /etc files empty (plan step NETNS),
 * and the init bind-mounts them.
 *
 * finish then takes the networks lock, records the leases and sends the
 * monitor the network plan, then fills the /etc files in place, all while
 * the init sets up its rootfs; the init waits at its gate (plan step GATE)
 * until the caller opens it. Whatever finish or the init fails at, rm
 * (teardownContainerNet) removes what was made.
 */
export async function beginContainerNet(ctx: NetContext, r: ContainerNetRequest, netnsBy: "executor" | "here" = "executor"): Promise<PendingNet> {
  const path = netnsPath(ctx.root, r.id);
  const wanted = [...new Set([r.mode, ...r.networks])];
  // a network that does not exist: said before anything is made (finish reads them again, locked)
  for (const n of wanted) if (n !== "bridge" && !existsSync(networkFile(ctx.root, n))) throw new NetError(`network ${n} not found`);
  // the config file is parsed (and the TOML parser loaded) only when the run needs more of it than
  // the default network's record holds: on a state root's first run, or when it sets nat or ip_forward
  const quick = quickSettings();
  const needConfig = !quick || (wanted.includes("bridge") && !existsSync(networkFile(ctx.root, "bridge")));
  const config = needConfig ? await import("./config.ts") : undefined;
  const dir = join(ctx.root, "containers", r.id);
  // (the monitor makes the namespace's directory and file when it makes the namespace)
  if (netnsBy === "here") mkdirSync(dirname(path), { recursive: true });
  const inside = netnsBy === "here" ? (await import("./netns.ts")).createNetns(path) : undefined;
  const files = netFiles(dir);
  const begun: Begun = { path, dir, wanted, files, config, quick, inside };
  return { files, finish: (wire) => finishContainerNet(ctx, r, begun, wire) };
}
