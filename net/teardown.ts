// A container's network undone (rm): its leases given back, its namespace
// unpinned, its rules removed, its peers' /etc/hosts rewritten. Idempotent.
// Kept apart from net/container.ts, and loading the namespace, nf_tables
// and DNS code only when there is something for them to do: after a --rm
// container's exit its monitor has unpinned the namespace and dropped the
// table already (runtime/native/netlink.c net_unwire), and on the default
// network given its lease back too (main.c release_leases; an attached CLI,
// told so, skips this file), and rm is on the path of every `run --rm`.
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { emitEvent } from "../runtime/state/events.ts";
import { trace } from "../runtime/trace.ts";
import { refreshHosts } from "./files.ts";
import { type NetContext, netnsPath } from "./modes.ts";
import { readProxyRecord } from "./published.ts";
import { lockNetworks, networksOf, releaseLease } from "./store.ts";

export async function teardownContainerNet(ctx: NetContext, id: string): Promise<void> {
  // the proxy's code (sockets) and the DNS server's are loaded only for containers that use them
  if (readProxyRecord(ctx.root, id)) (await import("./ports.ts")).stopPortProxy(ctx.root, id);
  const path = netnsPath(ctx.root, id);
  const unlock = lockNetworks(ctx.root);
  try {
    const mine = networksOf(ctx.root, id);
    if (mine.length === 0 && !existsSync(path)) return;
    // the veths go with the namespace once nothing holds it (see NetworkRecord.released)
    for (const n of mine) {
      // (given back by its monitor meanwhile: the monitor said so in the journal)
      if (releaseLease(ctx.root, n, id)) emitEvent("network", "disconnect", n.id, { container: id, name: n.name, type: n.driver }, ctx.root);
    }
    trace("rm: leases given back");
    if (existsSync(path)) (await import("./netns.ts")).removeNetns(path);
    trace("rm: netns removed");
    // its masquerade and DNAT rules, and its networks' once they are empty: when its own batch made
    // the table, its networks are empty now and nothing changed since, all of it is the table
    const gen = madeTable(ctx.root, id);
    // (the monitor of a --rm container dropped it already, as its init exited)
    if (gen === "dropped") trace("rm: table dropped by the monitor");
    else {
      const [{ dropTable, removeRules }, { leaving }] = await Promise.all([import("./firewall.ts"), import("./container.ts")]);
      if (gen !== undefined && mine.every((n) => Object.keys(n.endpoints).length === 0) && dropTable(gen)) trace("rm: table dropped");
      else removeRules(leaving(id, mine, true));
    }
    // (a server that is not stopped here leaves by itself once its network has no endpoint)
    const empty = mine.filter((n) => !n.builtin && Object.keys(n.endpoints).length === 0);
    if (empty.length) {
      const { stopDns } = await import("./dns/lifecycle.ts");
      for (const n of empty) stopDns(ctx.root, n.name);
    }
    trace("rm: rules removed");
    refreshHosts(ctx.root, mine);
    trace("rm: net done");
  } finally {
    unlock();
  }
}

/**
 * The generation at which the container's rules made ctr's table (nft-gen),
 * if they did, or "dropped" if its monitor dropped the table already. (Left
 * for the container's directory to take: dropping at a generation is refused
 * once anything changed, so a second rm that reads it again does no harm.)
 */
function madeTable(root: string, id: string): number | "dropped" | undefined {
  try {
    const text = readFileSync(join(root, "containers", id, "nft-gen"), "utf8");
    if (text === "dropped") return text;
    const gen = Number(text);
    return Number.isInteger(gen) ? gen : undefined;
  } catch {
    return undefined;
  }
}
