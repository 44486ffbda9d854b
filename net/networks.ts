// User-defined networks: create (a bridge of its own, a subnet that overlaps
// nothing on the host or in ctr's records), remove (refused while a
// container is on it), and Docker's `network inspect` shape.
import { loadNetConfig } from "./config.ts";
import { ownedBy, removeRules } from "./firewall.ts";
import { stopDns } from "./dns/lifecycle.ts";
import { type NetContext, findNetwork, randomId } from "./container.ts";
import { NetError } from "./errors.ts";
import { contains, firstHost, formatSubnet, ipToInt, nextSubnet, overlaps, parseSubnet, type Subnet } from "./ipam.ts";
import { AF } from "./netlink/codec.ts";
import { withNetlink } from "./netlink/client.ts";
import { emitEvent } from "../runtime/state/events.ts";
import { forgetTemplates } from "./rules-cache.ts";
import { deleteNetwork, listNetworks, loadNetwork, type NetworkRecord, saveNetwork, withNetLock } from "./store.ts";

export const PREDEFINED = ["bridge", "host", "none"];

export interface CreateNetwork {
  name: string;
  subnet?: string;
  gateway?: string;
  internal: boolean;
  /** --opt: mtu / com.docker.network.driver.mtu, com.docker.network.bridge.name */
  options: Record<string, string>;
  labels: Record<string, string>;
}

export function createNetwork(ctx: NetContext, c: CreateNetwork): NetworkRecord {
  if (!/^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/.test(c.name)) throw new NetError(`invalid network name ${JSON.stringify(c.name)}: only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed`, 1);
  if (PREDEFINED.includes(c.name)) throw new NetError(`operation is not permitted on predefined ${c.name} network`, 1);
  const mtu = Number(c.options.mtu ?? c.options["com.docker.network.driver.mtu"] ?? loadNetConfig().mtu);
  if (!Number.isInteger(mtu) || mtu < 68 || mtu > 65535) throw new NetError(`invalid mtu ${JSON.stringify(c.options.mtu)}: a number from 68 to 65535`, 1);
  const wanted = c.subnet === undefined ? undefined : parseSubnet(c.subnet);
  if (c.gateway && !wanted) throw new NetError("--gateway needs --subnet", 1);
  return withNetLock(ctx.root, () => {
    if (loadNetwork(ctx.root, c.name)) throw new NetError(`network with name ${c.name} already exists`, 1);
    const cfg = loadNetConfig();
    return withNetlink((nl) => {
      const used: Subnet[] = [
        parseSubnet(cfg.subnet),
        ...listNetworks(ctx.root).map((n) => parseSubnet(n.subnet)),
        ...nl.addresses().filter((a) => a.family === AF.INET).map((a) => masked(a.address, a.prefixlen)),
      ];
      let subnet: Subnet;
      if (wanted) {
        if (used.some((u) => overlaps(u, wanted))) throw new NetError(`Pool overlaps with other one on this address space: ${formatSubnet(wanted)}`, 1);
        subnet = wanted;
      } else {
        subnet = nextSubnet(parseSubnet(cfg.pool), 24, used);
      }
      const gateway = c.gateway ?? firstHost(subnet);
      const g = ipToInt(gateway);
      if (!contains(subnet, gateway) || g === subnet.base || g === subnet.base + 2 ** (32 - subnet.prefix) - 1) {
        throw new NetError(`invalid gateway ${gateway}: not a host address of ${formatSubnet(subnet)}`, 1);
      }
      const id = randomId();
      const bridge = c.options["com.docker.network.bridge.name"] ?? `br-${id.slice(0, 12)}`;
      if (!/^[a-zA-Z0-9_.-]{1,15}$/.test(bridge)) throw new NetError(`invalid bridge name ${JSON.stringify(bridge)}: at most 15 characters`, 1);
      if (nl.link(bridge)) throw new NetError(`bridge ${bridge} already exists on this host`, 1);
      const n: NetworkRecord = {
        name: c.name, id, driver: "bridge", bridge, subnet: formatSubnet(subnet), gateway, internal: c.internal, mtu,
        created: new Date().toISOString(), labels: c.labels, endpoints: {},
      };
      try {
        nl.createBridge(bridge, mtu);
        nl.addAddress(nl.index(bridge), gateway, subnet.prefix);
        saveNetwork(ctx.root, n);
      } catch (e) {
        nl.deleteLink(bridge); // nothing half-made
        throw e;
      }
      emitEvent("network", "create", n.id, { name: n.name, type: n.driver }, ctx.root);
      return n;
    });
  });
}

/** Removes a network and its bridge; refused while a container is on it. */
export function removeNetwork(ctx: NetContext, name: string): void {
  if (PREDEFINED.includes(name)) throw new NetError(`${name} is a pre-defined network and cannot be removed`, 1);
  withNetLock(ctx.root, () => {
    const n = findNetwork(ctx.root, name, loadNetConfig);
    const live = Object.keys(n.endpoints).filter((id) => ctx.alive(id));
    if (live.length) throw new NetError(`error while removing network: network ${name} id ${n.id} has active endpoints (${live.length} container${live.length > 1 ? "s" : ""})`, 1);
    withNetlink((nl) => nl.deleteLink(n.bridge));
    removeRules(ownedBy.network(n.id)); // gone with its last container; this catches a crash's leftovers
    stopDns(ctx.root, n.name);
    deleteNetwork(ctx.root, name);
    forgetTemplates(ctx.root, n.id);
    emitEvent("network", "destroy", n.id, { name: n.name, type: n.driver }, ctx.root);
  });
}

/** The network as `docker network inspect` shows it. */
export function inspectNetwork(n: NetworkRecord) {
  const prefix = n.subnet.split("/")[1];
  return {
    Name: n.name,
    Id: n.id,
    Created: n.created,
    Scope: "local",
    Driver: n.driver,
    EnableIPv6: false,
    IPAM: { Driver: "default", Options: null, Config: [{ Subnet: n.subnet, Gateway: n.gateway }] },
    Internal: n.internal,
    Attachable: false,
    Ingress: false,
    Containers: Object.fromEntries(Object.values(n.endpoints).map((e) => [e.container, {
      Name: e.name,
      EndpointID: `${e.container.slice(0, 32)}${n.id.slice(0, 32)}`,
      MacAddress: e.mac,
      IPv4Address: `${e.ip}/${prefix}`,
      IPv6Address: "",
    }])),
    Options: { "com.docker.network.bridge.name": n.bridge, "com.docker.network.driver.mtu": String(n.mtu) },
    Labels: n.labels,
  };
}

function masked(ip: string, prefix: number): Subnet {
  const size = 2 ** (32 - prefix);
  const n = ipToInt(ip);
  return { base: n - (n % size), prefix };
}

