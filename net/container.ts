// A container's networks, end to end: as it starts (net/begin.ts, then
// net/start.ts: its leases, /etc/hosts, the veth per network, addresses,
// routes and nf_tables rules (net/firewall.ts) that the monitor makes from
// net/wire-plan.ts; here, a user network's DNS server), while it runs
// (connect, disconnect) and after (every veth, lease, rule and the namespace
// removed; a network's rules and DNS server with its last container). All of
// it under the networks lock.
//
// Layout under the state root: netns/<id> (the pinned namespace),
// networks/<name>.json and <name>.leases/ (net/store.ts), networks/<name>.dns.pid (its DNS
// server), and in the container's directory containers/<id>/: hosts,
// hosts.base, hostname, resolv.conf, ports.json (net/published.ts), nft-gen
// (the ruleset generation at which its rules made ctr's table, if they did;
// a --rm container's monitor keeps it in memory and drops the table itself;
// "dropped" once it did so for a restored one, whose generation is here).
import { writeFileSync, writeSync } from "node:fs";
import { join } from "node:path";
import type { NetContext } from "./modes.ts";
import { refreshHosts, resolvConf } from "./files.ts";
import { type FwRule, masqueradeRule, networkRules, ownedBy, removeRules, type Rule } from "./firewall.ts";
import { isManagedMode, netnsPath } from "./modes.ts";
import { withNetlink } from "./netlink/client.ts";
import { removeNetns } from "./netns.ts";
import type { NetConfig } from "./settings.ts";
import { type ContainerNet, type ContainerNetRequest, enableForwarding } from "./start.ts";
import { dropLease, type Endpoint, forgetGoneReleases, listNetworks, type NetworkRecord } from "./store.ts";

export { type NetContext, netContext } from "./modes.ts";
export { refreshHosts } from "./files.ts";
export { teardownContainerNet } from "./teardown.ts";
export { type ContainerNet, type ContainerNetRequest, enableForwarding, findNetwork, type LoadConfig, randomId } from "./start.ts";

export { isManagedMode, netnsPath };
const containerFiles = (root: string, id: string) => join(root, "containers", id);

/**
 * Drops leases of containers that are gone (a crash between create and rm),
 * with their veths, and forgets released addresses whose veth has gone.
 */
export function reclaim(ctx: NetContext, net: NetworkRecord): void {
  forgetGoneReleases(ctx.root, net);
  const stale = Object.keys(net.endpoints).filter((id) => !ctx.alive(id));
  if (!stale.length) return;
  withNetlink((host) => {
    for (const id of stale) {
      host.deleteLink(net.endpoints[id]!.veth);
      removeNetns(netnsPath(ctx.root, id));
      // before the rules: a later run must not find the lease again
      dropLease(ctx.root, net, id);
    }
  });
  // their rules, and the network's if none is left (the next container adds them again)
  const empty = Object.keys(net.endpoints).length === 0;
  removeRules((r) => stale.some((id) => ownedBy.container(id)(r)) || (empty && ownedBy.network(net.id)(r)));
}

/**
 * The nf_tables rules a container's endpoints need (net/firewall.ts): its
 * masquerade on each network that is not --internal, and a network's
 * isolation rules when this is the network's first container. Unless the
 * host config says nat = false; ip_forward = true turns forwarding on.
 */
export function endpointRules(cfg: Pick<NetConfig, "nat" | "ipForward">, id: string, joined: { net: NetworkRecord; first: boolean }[]): FwRule[] {
  if (!cfg.nat) return [];
  if (cfg.ipForward && joined.some((j) => !j.net.internal)) enableForwarding();
  return joined.flatMap(({ net, first }) => [
    ...(first ? networkRules(net.id, net.bridge, net.internal) : []),
    ...(net.internal ? [] : [masqueradeRule(id, net.id, net.endpoints[id]!.ip, net.bridge)]),
  ]);
}

/** The rules to drop with an endpoint: its own, and its network's when no container is left on it. */
export function leaving(id: string, nets: NetworkRecord[], whole: boolean) {
  const empty = nets.filter((n) => Object.keys(n.endpoints).length === 0);
  return (r: Rule) =>
    (whole ? ownedBy.container(id)(r) : nets.some((n) => ownedBy.endpoint(id, n.id)(r))) || empty.some((n) => ownedBy.network(n.id)(r));
}

/**
 * Creates and wires the container's namespace in one go (a restored
 * checkpoint's: nothing runs in it yet).
 */
export async function setupContainerNet(ctx: NetContext, r: ContainerNetRequest): Promise<ContainerNet> {
  const { beginContainerNet } = await import("./begin.ts");
  return (await beginContainerNet(ctx, r, "here")).finish();
}

/** The container's endpoints, network by network (for inspect). */
export function containerEndpoints(root: string, id: string): { network: NetworkRecord; endpoint: Endpoint }[] {
  return listNetworks(root)
    .filter((n) => n.endpoints[id])
    .map((n) => ({ network: n, endpoint: n.endpoints[id]! }))
    .sort((a, b) => a.endpoint.ifname.localeCompare(b.endpoint.ifname, undefined, { numeric: true }));
}

/**
 * A container on a user-defined network resolves through the network's DNS
 * server (net/dns/server.ts): its resolv.conf names the gateway (search and
 * options stay the host's). If the server cannot run (port 53 of the gateway
 * taken), the container keeps the host's resolvers and /etc/hosts, and the
 * run says so.
 */
export async function useEmbeddedDns(root: string, id: string, net: NetworkRecord, dnsSearch: string[]): Promise<void> {
  const { serveDns } = await import("./dns/lifecycle.ts");
  const why = await serveDns(root, net).catch((e: Error) => e.message);
  if (why) {
    writeSync(2, `WARNING: network ${net.name} has no DNS server (${why}): names resolve through /etc/hosts only\n`);
    return;
  }
  writeFileSync(join(containerFiles(root, id), "resolv.conf"), resolvConf([net.gateway], dnsSearch));
}
