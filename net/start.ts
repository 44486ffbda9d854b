// A container's network as it starts, the part that runs while its init sets
// up its rootfs (net/begin.ts checked what it asks for): the leases under
// the networks lock, the bridge seen to, the rules from the network's
// template, the network plan handed to the monitor, then the /etc files.
// It loads none of the netlink or nf_tables clients on that path: they are
// imported only for what is rare (a bridge to make, a crash's leftovers to
// reclaim, a template to encode) and for a restore, which wires from here.
import { closeSync, openSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Step } from "../runtime/plan-wire.ts";
import { emitEvent, eventHead } from "../runtime/state/events.ts";
import { trace } from "../runtime/trace.ts";
import type { Begun } from "./begin.ts";
import { NetError } from "./errors.ts";
import { hostsBase, refreshHosts, resolvConf } from "./files.ts";
import { firstHost, parseSubnet, planEndpoint } from "./ipam.ts";
import { bridgeUp, leaseFile, type NetContext, releasedFile } from "./modes.ts";
import { type Batch, rulesFromTemplate } from "./rules-cache.ts";
import { configPath, type NetConfig } from "./settings.ts";
import { addLease, forgetGoneReleases, loadNetwork, lockNetworks, type NetworkRecord, saveNetwork } from "./store.ts";
import { type Release, wirePlan } from "./wire-plan.ts";

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

const IP_FORWARD = "/proc/sys/net/ipv4/ip_forward";
export function enableForwarding(): void {
  if (readFileSync(IP_FORWARD, "utf8").trim() !== "1") writeFileSync(IP_FORWARD, "1");
}

/**
 * The second half of a container's network (net/begin.ts has the first):
 * under the networks lock, the leases recorded, then the endpoints and
 * rules, made by the monitor from the plan handed to wire (first: it is
 * what the init waits for), or here (a restore, where nothing runs yet);
 * then /etc/hostname, resolv.conf and hosts. Emits the connect events.
 */
export async function finishContainerNet(ctx: NetContext, r: ContainerNetRequest, b: Begun, wire?: (steps: Step[]) => void): Promise<ContainerNet> {
  const { path, dir, wanted, files, config, quick, inside } = b;
  const unlock = lockNetworks(ctx.root);
  try {
    const nets = wanted.map((n) => findNetwork(ctx.root, n, config?.loadNetConfig));
    const cfg = quick ?? config!.runSettings();
    const first: boolean[] = [];
    for (const net of nets) {
      // released addresses whose veth has gone are free again (sysfs: no netlink); the leases of
      // containers that are gone (a crash) are reclaimed with their veths and rules: rare
      forgetGoneReleases(ctx.root, net);
      if (Object.keys(net.endpoints).some((id) => !ctx.alive(id))) (await import("./container.ts")).reclaim(ctx, net);
      first.push(Object.keys(net.endpoints).length === 0);
    }
    nets.forEach((net, k) => {
      const aliases = net.builtin ? [] : r.aliases;
      addLease(ctx.root, net, planEndpoint(net, { container: r.id, name: r.name, aliases, ifname: `eth${k}` }, k === 0 ? r.ip : undefined, k === 0 ? r.mac : undefined));
    });
    trace("net: locked, leases recorded");
    const ep = nets[0]!.endpoints[r.id]!;
    const joined = nets.map((net, k) => ({ net, first: first[k]! }));
    if (wire) {
      // the monitor wires them (runtime/native/netlink.c); a bridge that is not there (a
      // network's first container since boot) or down is seen to here
      for (const net of nets) {
        if (bridgeUp(net.bridge)) continue;
        const [{ withNetlink }, { ensureBridge }] = await Promise.all([import("./netlink/client.ts"), import("./bridge.ts")]);
        withNetlink((h) => ensureBridge(h, net));
      }
      // and the rules (the monitor writes nft-gen when its batch made the table)
      wire(wirePlan(nets.map((net) => ({ net, ep: net.endpoints[r.id]! })), await containerRules(ctx.root, cfg, r.id, joined), monitorReleases(ctx.root, r.id, nets)));
    } else {
      await wireHere(path, dir, inside!, nets, r.id, cfg, joined);
    }
    // the monitor wires while these are written (the init mounts them, and sees them filled in place)
    writeFileSync(join(dir, "hostname"), `${r.hostname}\n`);
    writeFileSync(join(dir, "resolv.conf"), resolvConf(r.dns, r.dnsSearch));
    const base = hostsBase(ep.ip, r.hostname, r.extraHosts);
    writeFileSync(join(dir, "hosts.base"), base);
    // peers are listed for user-defined networks only: on the default one, hosts is the base
    if (nets.some((n) => !n.builtin)) refreshHosts(ctx.root, nets);
    else writeFileSync(join(dir, "hosts"), base);
    for (const net of nets) emitEvent("network", "connect", net.id, { container: r.id, name: net.name, type: net.driver }, ctx.root);
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
    inside?.close();
    unlock();
  }
}

/**
 * The leases a --rm container's monitor gives back at its exit itself
 * (main.c release_leases): on the default network only, which has no peers'
 * /etc/hosts or DNS server to update.
 */
function monitorReleases(root: string, id: string, nets: NetworkRecord[]): Release[] {
  if (!nets.every((n) => n.builtin)) return [];
  return nets.map((n) => ({
    lease: leaseFile(root, n.name, id),
    released: releasedFile(root, n.name, n.endpoints[id]!.veth),
    event: eventHead("network", "disconnect", n.id, { container: id, name: n.name, type: n.driver }),
  }));
}

/**
 * The rules' batch for the container: on one network (nearly always), the
 * network's template patched (net/rules-cache.ts); encoded afresh otherwise.
 */
async function containerRules(root: string, cfg: Pick<NetConfig, "nat" | "ipForward">, id: string, joined: { net: NetworkRecord; first: boolean }[]): Promise<Batch | undefined> {
  if (!cfg.nat) return undefined;
  if (cfg.ipForward && joined.some((j) => !j.net.internal)) enableForwarding();
  const encode = async (rid: string, js: typeof joined) => {
    const [{ endpointRules }, { rulesBatch }] = await Promise.all([import("./container.ts"), import("./firewall.ts")]);
    return rulesBatch(endpointRules({ nat: true, ipForward: false }, rid, js));
  };
  const j = joined[0]!;
  if (joined.length !== 1) return encode(id, joined);
  const ep = j.net.endpoints[id]!;
  return rulesFromTemplate(root, `${j.net.id.slice(0, 16)}-${j.first ? "first" : "next"}`, ep.ip, id, (ip, sentinel) =>
    encode(sentinel, [{ net: { ...j.net, endpoints: { [sentinel]: { ...ep, ip } } }, first: j.first }]));
}

/** A restore's endpoints, made from here in the namespace begin made: nothing runs in it yet. */
async function wireHere(path: string, dir: string, inside: import("./netlink/client.ts").Netlink, nets: NetworkRecord[], id: string, cfg: Pick<NetConfig, "nat" | "ipForward">, joined: { net: NetworkRecord; first: boolean }[]): Promise<void> {
  const [{ Netlink }, { wireEndpoint }, { addRules }, { endpointRules }] = await Promise.all([
    import("./netlink/client.ts"), import("./bridge.ts"), import("./firewall.ts"), import("./container.ts"),
  ]);
  const host = Netlink.open();
  const fd = openSync(path, "r");
  try {
    nets.forEach((net, k) => {
      // a namespace just made holds only lo (ifindex 1): eth0 is made as ifindex 2, eth1 3, ...
      wireEndpoint(host, inside, fd, net, net.endpoints[id]!, { defaultRoute: k === 0, index: 2 + k, lo: k === 0 });
    });
  } finally {
    closeSync(fd);
    host.close();
  }
  const gen = addRules(endpointRules(cfg, id, joined));
  if (gen !== undefined) writeFileSync(join(dir, "nft-gen"), String(gen));
}
