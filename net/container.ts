// A container's networks, end to end: as it starts (after net/begin.ts: its
// leases, /etc/hosts, the veth per network, addresses, routes and nf_tables
// rules (net/firewall.ts) that the monitor makes from net/wire-plan.ts, a user
// network's DNS server), while it runs (connect, disconnect) and after (every
// veth, lease, rule and the namespace removed; a network's rules and DNS
// server with its last container). All of it under the networks lock.
//
// Layout under the state root: netns/<id> (the pinned namespace),
// networks/<name>.json (net/store.ts), networks/<name>.dns.pid (its DNS
// server), and in the container's directory containers/<id>/: hosts,
// hosts.base, hostname, resolv.conf, ports.json (net/published.ts), nft-gen
// (the ruleset generation at which its rules made ctr's table, if they did;
// "dropped" once a --rm container's monitor dropped it).
import { closeSync, existsSync, openSync, readFileSync, rmSync, writeFileSync, writeSync } from "node:fs";
import { join } from "node:path";
import { bridgeUp, ensureBridge, planEndpoint, wireEndpoint } from "./bridge.ts";
import { isManagedMode, netnsPath } from "./modes.ts";
import { configPath, type NetConfig } from "./settings.ts";
import { NetError } from "./errors.ts";
import { firstHost, parseSubnet } from "./ipam.ts";
import { Netlink, withNetlink } from "./netlink/client.ts";
import type { Step } from "../runtime/plan-wire.ts";
import { wirePlan } from "./wire-plan.ts";
import { removeNetns } from "./netns.ts";
import { readProxyRecord } from "./published.ts";
import { emitEvent } from "../runtime/state/events.ts";
import { trace } from "../runtime/trace.ts";
import { addRules, dropTable, type FwRule, masqueradeRule, networkRules, ownedBy, removeRules, type Rule, rulesBatch } from "./firewall.ts";
import { type Endpoint, listNetworks, loadNetwork, lockNetworks, type NetworkRecord, saveNetwork, withNetLock } from "./store.ts";
import type { Begun } from "./begin.ts";
import { hostsBase, resolvConf } from "./files.ts";
import { type Batch, rulesFromTemplate } from "./rules-cache.ts";

export { type NetContext, netContext } from "./begin.ts";
import type { NetContext } from "./begin.ts";

export { isManagedMode, netnsPath };
const containerFiles = (root: string, id: string) => join(root, "containers", id);

/** Modes that need a namespace of ctr's making: the default bridge and user-defined networks. */

export interface ContainerNetRequest {
  id: string;
  name: string;
  hostname: string;
  /** "bridge" or a user-defined network */
  mode: string;
  networks: string[];
  aliases: string[];
  ip?: string;
  mac?: string;
  dns: string[];
  dnsSearch: string[];
  extraHosts: string[];
}

export interface ContainerNet {
  netns: string;
  /** the address on the first network (where published ports go) */
  ip: string;
  /** that network's bridge, and whether ctr's nf_tables rules are in use (DNAT for published ports) */
  bridge: string;
  nat: boolean;
  /** the first network when it is user-defined: its DNS server is the container's (useEmbeddedDns) */
  dnsNetwork?: NetworkRecord;
  /** bind mounts for the plan: host file -> path in the container */
  files: { source: string; target: string }[];
}

/**
 * The host config parsed (net/config.ts loadNetConfig). Passed in rather
 * than imported: it loads the TOML parser, which the run path loads only
 * when it must (see setupContainerNet).
 */
export type LoadConfig = () => NetConfig;

/** The default network's record, made (not yet its bridge) on first use. */
function defaultNetwork(root: string, loadConfig?: LoadConfig): NetworkRecord {
  const have = loadNetwork(root, "bridge");
  if (have) return have;
  if (!loadConfig) throw new NetError(`${configPath()} was not read: the default network has no record yet`);
  const cfg: NetConfig = loadConfig(); // read only here: later runs use the record
  const n: NetworkRecord = {
    name: "bridge", id: randomId(), driver: "bridge", bridge: cfg.bridge, subnet: cfg.subnet,
    gateway: firstHost(parseSubnet(cfg.subnet)), internal: false, mtu: cfg.mtu, created: new Date().toISOString(),
    builtin: true, labels: {}, endpoints: {},
  };
  saveNetwork(root, n);
  return n;
}

/**
 * A network by name ("bridge" is the default one, made from the host config
 * on first use); the error Docker gives when there is none.
 */
export function findNetwork(root: string, name: string, loadConfig?: LoadConfig): NetworkRecord {
  if (name === "bridge") return defaultNetwork(root, loadConfig);
  const n = loadNetwork(root, name);
  if (!n) throw new NetError(`network ${name} not found`);
  return n;
}

export function randomId(): string {
  return Buffer.from(crypto.getRandomValues(new Uint8Array(32))).toString("hex");
}

/**
 * Drops leases of containers that are gone (a crash between create and rm),
 * with their veths, and forgets released addresses whose veth has gone.
 * Returns whether the record changed (the caller saves it).
 */
export function reclaim(ctx: NetContext, net: NetworkRecord): boolean {
  let changed = false;
  if (net.released?.length) {
    const before = net.released.length;
    // (sysfs, not netlink: this runs on every container's start)
    net.released = net.released.filter((r) => existsSync(`/sys/class/net/${r.veth}`));
    changed = net.released.length !== before;
  }
  const stale = Object.keys(net.endpoints).filter((id) => !ctx.alive(id));
  if (!stale.length) return changed;
  withNetlink((host) => {
    for (const id of stale) {
      host.deleteLink(net.endpoints[id]!.veth);
      removeNetns(netnsPath(ctx.root, id));
      delete net.endpoints[id];
    }
  });
  saveNetwork(ctx.root, net); // before the rules: a later run must not find the leases again
  // their rules, and the network's if none is left (the next container adds them again)
  const empty = Object.keys(net.endpoints).length === 0;
  removeRules((r) => stale.some((id) => ownedBy.container(id)(r)) || (empty && ownedBy.network(net.id)(r)));
  return false;
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

/** endpointRules' batch for a container on one network, patched from the network's template (net/rules-cache.ts). */
function containerRules(root: string, cfg: Pick<NetConfig, "nat" | "ipForward">, id: string, j: { net: NetworkRecord; first: boolean }): Batch | undefined {
  if (!cfg.nat) return undefined;
  if (cfg.ipForward && !j.net.internal) enableForwarding();
  const ep = j.net.endpoints[id]!;
  return rulesFromTemplate(root, `${j.net.id.slice(0, 16)}-${j.first ? "first" : "next"}`, ep.ip, id, (ip, sentinel) =>
    rulesBatch(endpointRules({ nat: true, ipForward: false }, sentinel, [{ net: { ...j.net, endpoints: { [sentinel]: { ...ep, ip } } }, first: j.first }])));
}

const IP_FORWARD = "/proc/sys/net/ipv4/ip_forward";
function enableForwarding(): void {
  if (readFileSync(IP_FORWARD, "utf8").trim() !== "1") writeFileSync(IP_FORWARD, "1");
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

/**
 * The second half of a container's network (net/begin.ts has the first):
 * under the networks lock, the leases recorded and /etc/hosts written, then
 * the endpoints and rules, made by the monitor from the plan handed to wire,
 * or here (a restore, where nothing runs yet). Emits the connect events.
 */
export function finishContainerNet(ctx: NetContext, r: ContainerNetRequest, b: Begun, wire?: (steps: Step[]) => void): ContainerNet {
  const { path, dir, wanted, files, config, quick, inside } = b;
  let fd: number | undefined, unlock: (() => void) | undefined, host: Netlink | undefined;
  try {
    unlock = lockNetworks(ctx.root);
    const nets = wanted.map((n) => findNetwork(ctx.root, n, config?.loadNetConfig));
    const cfg = quick ?? config!.runSettings();
    const first = nets.map((net) => {
      reclaim(ctx, net);
      return Object.keys(net.endpoints).length === 0;
    });
    nets.forEach((net, k) => {
      const aliases = net.builtin ? [] : r.aliases;
      net.endpoints[r.id] = planEndpoint(net, { container: r.id, name: r.name, aliases, ifname: `eth${k}` }, k === 0 ? r.ip : undefined, k === 0 ? r.mac : undefined);
      saveNetwork(ctx.root, net);
    });
    trace("net: locked, leases recorded");
    const ep = nets[0]!.endpoints[r.id]!;
    const base = hostsBase(ep.ip, r.hostname, r.extraHosts);
    writeFileSync(join(dir, "hosts.base"), base);
    // peers are listed for user-defined networks only: on the default one, hosts is the base
    if (nets.some((n) => !n.builtin)) refreshHosts(ctx.root, nets);
    else writeFileSync(join(dir, "hosts"), base);
    if (wire) {
      // the monitor wires them (runtime/native/netlink.c); a bridge that is not there (a
      // network's first container since boot) or down is seen to here (sysfs: no netlink)
      for (const net of nets) if (!bridgeUp(net.bridge)) withNetlink((h) => ensureBridge(h, net));
      // and the rules (the monitor writes nft-gen when its batch made the table)
      const joined = nets.map((net, k) => ({ net, first: first[k]! }));
      const rules = joined.length === 1 ? containerRules(ctx.root, cfg, r.id, joined[0]!) : rulesBatch(endpointRules(cfg, r.id, joined));
      wire(wirePlan(nets.map((net) => ({ net, ep: net.endpoints[r.id]! })), rules));
    } else {
      const h = (host = Netlink.open());
      const within = inside!;
      const nsFd = (fd = openSync(path, "r"));
      nets.forEach((net, k) => {
        // a namespace just made holds only lo (ifindex 1): eth0 is made as ifindex 2, eth1 3, ...
        wireEndpoint(h, within, nsFd, net, net.endpoints[r.id]!, { defaultRoute: k === 0, index: 2 + k, lo: k === 0 });
      });
    }
    for (const net of nets) emitEvent("network", "connect", net.id, { container: r.id, name: net.name, type: net.driver }, ctx.root);
    if (!wire) {
      const gen = addRules(endpointRules(cfg, r.id, nets.map((net, k) => ({ net, first: first[k]! }))));
      if (gen !== undefined) writeFileSync(join(dir, "nft-gen"), String(gen));
    }
    trace("net: wired");
    return {
      netns: path,
      ip: ep.ip,
      bridge: nets[0]!.bridge,
      nat: cfg.nat && !nets[0]!.internal,
      ...(nets[0]!.builtin ? {} : { dnsNetwork: nets[0]! }),
      files,
    };
  } finally {
    if (fd !== undefined) closeSync(fd);
    inside?.close();
    host?.close();
    unlock?.();
  }
}
/** Every veth and lease of the container, and its namespace. Idempotent. */
export async function teardownContainerNet(ctx: NetContext, id: string): Promise<void> {
  // the proxy's code (sockets) and the DNS server's are loaded only for containers that use them
  if (readProxyRecord(ctx.root, id)) (await import("./ports.ts")).stopPortProxy(ctx.root, id);
  const path = netnsPath(ctx.root, id);
  const nets = listNetworks(ctx.root).filter((n) => n.endpoints[id]);
  if (nets.length === 0 && !existsSync(path)) return;
  // (a server that is not stopped here leaves by itself once its network has no endpoint)
  const dns = nets.some((n) => !n.builtin) ? await import("./dns/lifecycle.ts") : undefined;
  withNetLock(ctx.root, () => {
    const mine = listNetworks(ctx.root).filter((n) => n.endpoints[id]);
    // the veths go with the namespace once nothing holds it (see NetworkRecord.released)
    for (const n of mine) {
      const e = n.endpoints[id]!;
      n.released = [...(n.released ?? []), { veth: e.veth, ip: e.ip }];
      delete n.endpoints[id];
      saveNetwork(ctx.root, n);
      emitEvent("network", "disconnect", n.id, { container: id, name: n.name, type: n.driver }, ctx.root);
    }
    trace("rm: records saved");
    removeNetns(path);
    trace("rm: netns removed");
    // its masquerade and DNAT rules, and its networks' once they are empty: when its own batch made
    // the table, its networks are empty now and nothing changed since, all of it is the table
    const gen = madeTable(ctx.root, id);
    // (the monitor of a --rm container dropped it already, as its init exited)
    if (gen === "dropped") trace("rm: table dropped by the monitor");
    else if (gen !== undefined && mine.every((n) => Object.keys(n.endpoints).length === 0) && dropTable(gen)) trace("rm: table dropped");
    else removeRules(leaving(id, mine, true));
    for (const n of mine) if (!n.builtin && Object.keys(n.endpoints).length === 0) dns?.stopDns(ctx.root, n.name);
    trace("rm: rules removed");
    refreshHosts(ctx.root, mine);
    trace("rm: net done");
  });
}

/**
 * The generation at which the container's rules made ctr's table (nft-gen),
 * if they did, or "dropped" if its monitor dropped the table already; read once.
 */
function madeTable(root: string, id: string): number | "dropped" | undefined {
  const file = join(containerFiles(root, id), "nft-gen");
  try {
    const text = readFileSync(file, "utf8");
    rmSync(file);
    if (text === "dropped") return text;
    const gen = Number(text);
    return Number.isInteger(gen) ? gen : undefined;
  } catch {
    return undefined;
  }
}

/** The container's endpoints, network by network (for inspect). */
export function containerEndpoints(root: string, id: string): { network: NetworkRecord; endpoint: Endpoint }[] {
  return listNetworks(root)
    .filter((n) => n.endpoints[id])
    .map((n) => ({ network: n, endpoint: n.endpoints[id]! }))
    .sort((a, b) => a.endpoint.ifname.localeCompare(b.endpoint.ifname, undefined, { numeric: true }));
}

// --- files ---

/**
 * Rewrites /etc/hosts of every container on these networks: its own lines,
 * then its peers on each user-defined network it shares with them (name,
 * aliases, short id), as Docker's DNS would answer. Written in place: the
 * file is bind-mounted, so it must stay the same inode.
 */
export function refreshHosts(root: string, touched: NetworkRecord[]): void {
  // the default network lists no peers: joining or leaving it changes no one's file
  touched = touched.filter((n) => !n.builtin);
  if (touched.length === 0) return;
  const all = listNetworks(root);
  const members = new Set(touched.flatMap((n) => Object.keys(loadNetwork(root, n.name)?.endpoints ?? {})));
  for (const id of members) {
    const dir = containerFiles(root, id);
    let text: string;
    try {
      text = readFileSync(join(dir, "hosts.base"), "utf8");
    } catch {
      continue; // not written yet, or gone
    }
    for (const n of all) {
      if (n.builtin || !n.endpoints[id]) continue;
      for (const [peer, e] of Object.entries(n.endpoints)) {
        if (peer !== id) text += `${e.ip}\t${[e.name, ...e.aliases, peer.slice(0, 12)].join(" ")}\n`;
      }
    }
    writeFileSync(join(dir, "hosts"), text);
  }
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
